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
        // Copies of trees the dead process made for its executors: nothing uses them now.
        TreeCheckouts.removeLeftovers(in: repository)
        var event = RollbackJournal.event(from: state.event)
        event?.recoveredAt = attribution.time.rfc3339
        event?.durationMs = (attribution.time.secondsSinceEpoch - state.start.secondsSinceEpoch) * 1000
        switch plan.action {
        case .nothingToDo, .clearStaleLock: break
        case .clearState: event?.status = .interruptedNothingChanged
        case .complete: event?.status = .succeeded
        case .restore:
            try await restoreInterrupted(state, plan: plan)
            try await reactivate(state)
            event?.status = .interruptedRestored
        }
        // An operation whose restore failed has journaled its end already: recover's line is
        // its own, pointing at it, so no id is ever written twice.
        if event != nil, (try? RollbackJournal(repository: repository).entries().entries.contains { $0.id == state.id }) == true {
            event?.recovers = state.id
            event?.id = UniqueID.stamped(at: attribution.time)
        }
        let written = event.map(journalOrWarn)
        directory.removeState()
        return RecoveryResult(action: plan.action, event: written)
    }

    private func restoreInterrupted(_ state: OperationState, plan: RecoveryPlan) async throws(TimeturnerError) {
        let checkouts = TreeCheckouts(repository: repository, operationID: "recover-" + state.id)
        defer { checkouts.removeAll() }
        for tier in plan.tiers {
            do {
                let context = try checkouts.context(from: state.to, to: state.from, wanted: tiers.wantsCheckouts(tier.assignment))
                _ = try await tiers.restore(tier.assignment, to: tier.target, context: context)
            } catch {
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
        // Killed after its work tree was written (during verification, say): what the
        // verification left in the way is kept and removed first, as by a restore in the process.
        if let towards, state.stepsDone.contains(OperationStep.workTree.rawValue) || (state.operation == "undo" && state.stepsDone.contains(OperationStep.restore.rawValue)) {
            try keepChangesMadeMeanwhile(backup: backup, towards: towards, operation: state.operation, id: state.id, branchNow: plan.current ?? state.from)
        }
        try backup.restore(from: plan.current ?? state.from, workTreeTowards: towards, in: repository)
    }

    /// The interrupted operation had started `timeturner.activate`: the system may be stopped or
    /// running the rolled-back state, so it is activated again on the restored one.
    private func reactivate(_ state: OperationState) async throws(TimeturnerError) {
        guard let command = state.activation else { return }
        let outcome = await runCommand(VerificationCommand(command: command, timeout: TimeSpan(seconds: 300), origin: "state.jsonl"))
        progress.report(.activationFinished(outcome))
        guard outcome.passed else {
            throw TimeturnerError(.verificationFailedRestoreFailed, "everything of \(state.operation) \(state.id) was put back, but activating it failed: '\(command)' \(outcome.explanation)",
                                  hint: "start the application by hand, or fix the cause and run 'git timeturner recover' again")
        }
    }

    private func journalOrWarn(_ event: OperationEvent) -> OperationEvent {
        do { return try RollbackJournal(repository: repository).append(event, by: attribution) } catch {
            progress.report(.warning("could not write the journal event: \(error.message)"))
            return event
        }
    }
}
