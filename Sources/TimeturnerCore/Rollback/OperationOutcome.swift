public import GitKit

/// The step that failed and why.
public struct StepFailure: Sendable {
    public let step: RollbackStep
    public let error: TimeturnerError
}

/// How a rollback or an undo ended.
public enum OperationOutcome: Sendable {
    case succeeded
    /// The plan had no steps: HEAD already holds the target's tree. Nothing was written.
    case alreadyThere
    /// Nothing was changed: the lock was held, the plan was stale, a capture or the safety
    /// backup failed, or the branch moved before the compare-and-swap.
    case refused(TimeturnerError)
    /// A verification command failed; everything the operation changed was put back.
    case verificationFailedRestored(StepFailure)
    /// A tier beyond code failed its rollback or its verification; everything was put back.
    case tierFailedRestored(StepFailure)
    /// Another step failed (the work tree could not be updated); everything was put back.
    case failedRestored(StepFailure)
    /// A signal (SIGINT, SIGTERM, SIGHUP) stopped the running step; everything was put back.
    case interruptedRestored(StepFailure)
    /// A step failed, and putting the state back failed too; `state.jsonl` stays for `recover`.
    case restoreFailed(StepFailure, restoreErrors: [TimeturnerError])

    var journalStatus: JournalStatus {
        switch self {
        case .succeeded, .refused, .alreadyThere: .succeeded
        case .verificationFailedRestored: .verificationFailedRestored
        case .tierFailedRestored: .tierFailedRestored
        case .failedRestored: .failedRestored
        case .interruptedRestored: .interruptedRestored
        case .restoreFailed: .restoreFailed
        }
    }

    var failure: StepFailure? {
        switch self {
        case .succeeded, .refused, .alreadyThere: nil
        case .verificationFailedRestored(let f), .tierFailedRestored(let f), .failedRestored(let f), .interruptedRestored(let f),
             .restoreFailed(let f, _): f
        }
    }
}

/// What an operation returns: its outcome and the journal event as written (nil when it
/// refused before changing anything, which is not journaled).
public struct OperationResult: Sendable {
    public let operation: String
    public let outcome: OperationOutcome
    public let event: OperationEvent?
    public let safetyRef: String
    public let from: OID
    /// Whether the journal event was written. When it was not (a warning said why), `undo`
    /// cannot find the operation by its id; its safety backup is all that names it.
    public internal(set) var journaled = true

    /// The error the command exits with; nil when it succeeded. Exit codes follow its kind.
    public var error: TimeturnerError? {
        let restored = "; the state before the \(operation) was restored"
        switch outcome {
        case .succeeded, .alreadyThere: return nil
        case .refused(let error): return error
        case .verificationFailedRestored(let failure):
            return TimeturnerError(.verificationFailedRestored, failure.error.message + restored,
                                   hint: "fix what the verification found, or roll back to another target; the journal keeps this attempt ('git timeturner history')",
                                   causes: failure.error.causes)
        case .tierFailedRestored(let failure):
            return TimeturnerError(.verificationFailedRestored, failure.error.message + restored, hint: failure.error.hint,
                                   causes: failure.error.causes)
        case .failedRestored(let failure):
            // The report prints the causes before the hint (error, caused by, hint), so the hint
            // points up; with no cause to point at it keeps the step's own hint.
            let pointer = failure.error.causes.isEmpty ? failure.error.hint : "see the cause above"
            return TimeturnerError(.failure, failure.error.message + restored,
                                   hint: [pointer, "nothing was lost"].compactMap { $0 }.joined(separator: "; "),
                                   causes: failure.error.causes)
        case .interruptedRestored(let failure):
            return TimeturnerError(failure.error.kind, failure.error.message + restored,
                                   hint: "nothing was lost; run the \(operation) again when you are ready", causes: failure.error.causes)
        case .restoreFailed(let failure, let restoreErrors):
            return TimeturnerError(.verificationFailedRestoreFailed, failure.error.message + ", and restoring the state before the \(operation) failed too",
                                   hint: "nothing was deleted: the state before it is in \(safetyRef) (HEAD \(from.hex)); run 'git timeturner recover' or restore by hand from it",
                                   causes: failure.error.causes + restoreErrors.flatMap { ["restore: " + $0.message] + $0.causes })
        }
    }
}
