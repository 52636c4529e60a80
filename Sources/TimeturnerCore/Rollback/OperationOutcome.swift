public import GitKit

/// The step that failed and why.
public struct StepFailure: Sendable {
    public let step: RollbackStep
    public let error: TimeturnerError
}

/// How a rollback or an undo ended.
public enum OperationOutcome: Sendable {
    case succeeded
    /// Nothing was changed: the lock was held, the plan was stale, a capture or the safety
    /// backup failed, or the branch moved before the compare-and-swap.
    case refused(TimeturnerError)
    /// A verification command failed; everything the operation changed was put back.
    case verificationFailedRestored(StepFailure)
    /// A tier beyond code failed its rollback or its verification; everything was put back.
    case tierFailedRestored(StepFailure)
    /// Another step failed (the work tree could not be updated); everything was put back.
    case failedRestored(StepFailure)
    /// A step failed, and putting the state back failed too; `state.json` stays for `recover`.
    case restoreFailed(StepFailure, restoreErrors: [TimeturnerError])

    var journalStatus: JournalStatus {
        switch self {
        case .succeeded, .refused: .succeeded
        case .verificationFailedRestored: .verificationFailedRestored
        case .tierFailedRestored: .tierFailedRestored
        case .failedRestored: .failedRestored
        case .restoreFailed: .restoreFailed
        }
    }

    var failure: StepFailure? {
        switch self {
        case .succeeded, .refused: nil
        case .verificationFailedRestored(let f), .tierFailedRestored(let f), .failedRestored(let f), .restoreFailed(let f, _): f
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

    /// The error the command exits with; nil when it succeeded. Exit codes follow its kind.
    public var error: TimeturnerError? {
        let restored = "; the state before the \(operation) was restored"
        switch outcome {
        case .succeeded: return nil
        case .refused(let error): return error
        case .verificationFailedRestored(let failure):
            return TimeturnerError(.verificationFailedRestored, failure.error.message + restored,
                                   hint: "fix what the verification found, or roll back to another target; the journal keeps this attempt ('git timeturner history')",
                                   causes: failure.error.causes)
        case .tierFailedRestored(let failure):
            return TimeturnerError(.verificationFailedRestored, failure.error.message + restored, hint: failure.error.hint,
                                   causes: failure.error.causes)
        case .failedRestored(let failure):
            return TimeturnerError(.failure, failure.error.message + restored, hint: "see the cause below; nothing was lost",
                                   causes: failure.error.causes)
        case .restoreFailed(let failure, let restoreErrors):
            return TimeturnerError(.verificationFailedRestoreFailed, failure.error.message + ", and restoring the state before the \(operation) failed too",
                                   hint: "nothing was deleted: the state before it is in \(safetyRef) (HEAD \(from.hex)); run 'git timeturner recover' or restore by hand from it",
                                   causes: failure.error.causes + restoreErrors.flatMap { ["restore: " + $0.message] + $0.causes })
        }
    }
}
