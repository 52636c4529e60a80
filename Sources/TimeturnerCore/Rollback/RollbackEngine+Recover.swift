internal import Glibc
import GitKit

/// How `recover` ended.
public struct RecoveryResult: Sendable {
    public let action: RecoveryAction
    /// The journal event it wrote for the interrupted operation, if any.
    public let event: OperationEvent?
}

extension RollbackEngine {
    /// Carries out an approved recovery plan under the lock.
    public func recover(_ plan: RecoveryPlan, approval: Approval) async throws(TimeturnerError) -> RecoveryResult {
        try approval.require(for: plan)
        let directory = OperationDirectory(repository: repository)
        if case .clearStaleLock = plan.action { _ = try directory.clearStaleLock() }
        guard let state = plan.state, plan.action != .nothingToDo else { return RecoveryResult(action: plan.action, event: nil) }
        _ = try directory.clearStaleLock()
        // A test's pause marker left by a killed run means nothing once its process is gone;
        // a verification command that outlived it must not go on running against a restore.
        unlink(directory.path + "/test-pause")
        if let group = directory.endChildGroup() { progress.report(.warning("ended the verification command still running as process group \(group)")) }
        let lock = try directory.acquire(operation: "recover", id: state.id, now: attribution.time, wait: TimeSpan(seconds: 0))
        defer { lock.release() }
        var event = RollbackJournal.event(from: state.event)
        event?.recoveredAt = attribution.time.rfc3339
        event?.durationMs = (attribution.time.secondsSinceEpoch - state.start.secondsSinceEpoch) * 1000
        switch plan.action {
        case .nothingToDo, .clearStaleLock: break
        case .clearState: event?.status = .interruptedNothingChanged
        case .complete: event?.status = .succeeded
        case .restore:
            try await restoreInterrupted(state, plan: plan)
            event?.status = .interruptedRestored
        }
        let written = event.map(journalOrWarn)
        directory.removeState()
        return RecoveryResult(action: plan.action, event: written)
    }

    private func restoreInterrupted(_ state: OperationState, plan: RecoveryPlan) async throws(TimeturnerError) {
        for tier in plan.tiers {
            do { _ = try await tiers.restore(tier.assignment, to: tier.target) } catch {
                throw TimeturnerError(.verificationFailedRestoreFailed, "could not restore the \(tier.name) tier of \(state.operation) \(state.id)",
                                      hint: "nothing was deleted; fix the cause and run 'git timeturner recover' again",
                                      causes: [error.message] + error.causes)
            }
        }
        // The ref never left where it started: branch, index and work tree are as they were.
        guard state.codeMoved || plan.current != state.from else { return }
        let backup = try SafetyBackup.read(id: state.id, in: repository)
        let towards: OID?
        if let tree = state.towardsTree { towards = tree } else { towards = try? repository.commit(state.result).tree }
        try backup.restore(from: plan.current ?? state.from, workTreeTowards: towards, in: repository)
    }

    private func journalOrWarn(_ event: OperationEvent) -> OperationEvent {
        do { return try RollbackJournal(repository: repository).append(event, by: attribution) } catch {
            progress.report(.warning("could not write the journal event: \(error.message)"))
            return event
        }
    }
}
