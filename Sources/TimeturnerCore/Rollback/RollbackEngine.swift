internal import Glibc
public import GitKit

/// How a rollback (or undo, or recovery) ended. `error` is set when the command must exit
/// non-zero after showing the outcome (verification failed and restored, restore failed).
public struct OperationOutcome: Sendable {
    /// The journal event as written (or as it would have been, when journaling failed).
    public let event: JSONValue
    public let status: String
    public let error: TimeturnerError?
}

/// Runs approved plans: lock → safety ref → move ref → work tree → tiers → verify → (restore) → journal.
///
/// Each step is recorded in `.git/timeturner/state.json` before it starts, so a crash at any
/// point leaves enough for `recover`. Nothing here prints: progress goes to the sink.
public struct RollbackEngine {
    let repository: Repository
    let attribution: Attribution
    let progress: any RollbackProgress
    let directory: OperationDirectory
    /// Test-only (`TIMETURNER_TEST_PAUSE_AT=<step>`): wait before this step until the marker
    /// file `.git/timeturner/test-pause` is removed, so tests can kill or race the operation
    /// at an exact point. Never set in normal use.
    let pauseBefore: OperationStep?

    public init(repository: Repository, attribution: Attribution, progress: any RollbackProgress,
                pauseBefore: OperationStep? = nil) {
        self.repository = repository
        self.attribution = attribution
        self.progress = progress
        self.directory = OperationDirectory(repository: repository)
        self.pauseBefore = pauseBefore
    }

    public func execute(_ approved: ApprovedRollback, verifier: any Verifying,
                        tiers: [any RollbackTier] = []) async throws(TimeturnerError) -> OperationOutcome {
        let plan = approved.plan
        let clock = ContinuousClock()
        let started = clock.now
        let start = attribution.time
        let result = plan.revertedTrees.last?.commit ?? plan.target

        progress.report(.stepStarted(.lock))
        let lock = try directory.acquire(operation: "rollback", id: plan.id, now: start)
        var event = baseEvent(plan, result: result, start: start)
        var state = OperationState(operation: "rollback", id: plan.id, mode: plan.mode.rawValue, head: plan.head.recorded,
                                   from: plan.from, to: plan.target, result: result, safetyRef: plan.safetyRef, start: start,
                                   pid: getpid(), stepsDone: [OperationStep.lock.rawValue], step: OperationStep.safetyRef.rawValue,
                                   event: event)
        var keepLock = false
        defer { if !keepLock { lock.release() } }
        let elapsed = { () -> Int64 in (clock.now - started).wholeMilliseconds }

        // Safety ref first: from here on the pre-rollback state is kept, whatever happens.
        try await enter(.safetyRef, &state)
        let backup: SafetyBackup
        do {
            try requireUnmoved(plan)
            backup = try SafetyBackup.write(id: plan.id, operation: "rollback", head: plan.head, headCommit: plan.from,
                                            headTree: plan.fromTree, dirty: plan.isDirty, in: repository, by: attribution)
        } catch {
            directory.removeState()
            throw error
        }
        try finish(.safetyRef, &state)

        // The branch moves by compare-and-swap before any file changes: if someone committed
        // since the plan, this fails and the work tree is untouched.
        try await enter(.moveRef, &state)
        do {
            try requireUnmoved(plan)
            try repository.setReference(plan.head.movingReference, to: result, expecting: plan.from,
                                        logMessage: "timeturner: rollback \(plan.id) (\(plan.mode.rawValue)) to \(plan.target.short)")
        } catch let error {
            if let safety = try? repository.reference(plan.safetyRef) {
                try? repository.deleteReference(plan.safetyRef, expecting: safety.target)
            }
            directory.removeState()
            throw moveRefFailure(error, plan: plan)
        }
        try finish(.moveRef, &state)

        try await enter(.workTree, &state)
        var failure: (status: String, message: String, causes: [String])? = nil
        do {
            try repository.checkout(tree: plan.resultTree, baseline: plan.fromTree, paths: plan.changes.map(\.path), safety: .safe)
        } catch {
            failure = ("failed", "could not update the work tree to \(plan.target.short)", [error.description])
        }
        var tierOutcomes = [TierOutcome(tier: "code", status: failure == nil ? .succeeded : .failed,
                                        durationMilliseconds: elapsed(), detail: failure?.causes.first)]
        if failure == nil { try finish(.workTree, &state) }

        // Tiers whose rollBack ran: on failure they are restored, newest first, before the code.
        var ranTiers: [any RollbackTier] = []
        if failure == nil && !tiers.isEmpty {
            try await enter(.tiers, &state)
            for tier in tiers {
                ranTiers.append(tier)
                let outcome = await tier.rollBack(plan, progress: progress)
                tierOutcomes.append(outcome)
                progress.report(.tierFinished(outcome))
                if outcome.status == .failed {
                    failure = ("tier-failed-restored", "the \(tier.name) tier failed", [outcome.detail ?? "no detail"])
                    break
                }
            }
            if failure == nil { try finish(.tiers, &state) }
        }
        event[field: "tiers"] = .array(tierOutcomes.map(\.json))

        var verification: [VerificationOutcome] = []
        if failure == nil && !plan.verifyCommands.isEmpty {
            try await enter(.verify, &state)
            let root = repository.workTree ?? "."
            for command in plan.verifyCommands {
                let outcome = await verifier.verify(command, in: root, timeout: plan.verifyTimeout, progress: progress)
                verification.append(outcome)
                progress.report(.verificationFinished(outcome))
                if !outcome.passed {
                    failure = ("verification-failed-restored", "verification failed: '\(command)' \(outcome.explanation)", [])
                    break
                }
            }
        }
        // Recorded even without commands: `recover` completes a rollback whose verify step is done.
        if failure == nil {
            state.event = event
            try finish(.verify, &state)
        }
        event[field: "verification"] = .array(verification.map(\.json))

        var error: TimeturnerError? = nil
        if let failure {
            state.event = event
            try await enter(.restore, &state)
            var tierRestoreFailures: [String] = []
            if !ranTiers.isEmpty {
                var restores: [TierOutcome] = []
                for tier in ranTiers.reversed() {
                    guard let outcome = await tier.restore(plan, progress: progress) else { continue }
                    restores.append(outcome)
                    progress.report(.tierFinished(outcome))
                    if outcome.status == .failed { tierRestoreFailures.append("restore \(outcome.tier): \(outcome.detail ?? "failed")") }
                }
                event[field: "tierRestores"] = .array(restores.map(\.json))
            }
            do throws(TimeturnerError) {
                try backup.restore(from: result, in: repository)
                guard tierRestoreFailures.isEmpty else {
                    throw TimeturnerError(.failure, "the code was restored, but \(tierRestoreFailures.count) tier(s) could not be",
                                          causes: tierRestoreFailures)
                }
                try finish(.restore, &state)
                event[field: "status"] = .string(failure.status == "failed" ? "failed-restored" : failure.status)
                error = TimeturnerError(failure.status == "failed" ? .failure : .verificationFailedRestored,
                                        failure.message + "; the state before the rollback was restored",
                                        hint: failure.status == "failed" ? "see the cause below; nothing was lost" :
                                            "fix what the verification found, or roll back to another target; the journal keeps this attempt ('git timeturner history')",
                                        causes: failure.causes)
            } catch let restoreError {
                event[field: "status"] = "restore-failed"
                event[field: "restoreError"] = .string(restoreError.message)
                keepLock = false
                error = TimeturnerError(.verificationFailedRestoreFailed,
                                        failure.message + ", and restoring the pre-rollback state failed too",
                                        hint: "nothing was deleted: the pre-rollback state is in \(plan.safetyRef) (HEAD \(plan.from.hex)); run 'git timeturner recover' or restore by hand from it",
                                        causes: failure.causes + ["restore: " + restoreError.message] + restoreError.causes)
            }
        } else {
            event[field: "status"] = "succeeded"
        }
        event[field: "durationMs"] = .int(elapsed())
        state.event = event
        try await enter(.journal, &state)
        let written = journal(event, &state)
        if event["status"]?.stringValue != "restore-failed" { directory.removeState() }
        return OperationOutcome(event: written, status: event["status"]?.stringValue ?? "", error: error)
    }

    // MARK: - Steps

    private func enter(_ step: OperationStep, _ state: inout OperationState) async throws(TimeturnerError) {
        state.step = step.rawValue
        if pauseBefore == step {
            let marker = directory.path + "/test-pause"
            // State first, marker second: a test acts as soon as it sees the marker.
            state.pausedBefore = step.rawValue
            try directory.writeState(state)
            let descriptor = open(marker, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            if descriptor >= 0 { close(descriptor) }
            progress.report(.pausedForTest(step, marker: marker))
            // Bounded: a forgotten marker must not hang a test run forever.
            for _ in 0..<6000 where access(marker, F_OK) == 0 { usleep(20_000) }
            state.pausedBefore = nil
        }
        try directory.writeState(state)
        progress.report(.stepStarted(step))
    }

    private func finish(_ step: OperationStep, _ state: inout OperationState) throws(TimeturnerError) {
        state.stepsDone.append(step.rawValue)
        try directory.writeState(state)
        progress.report(.stepFinished(step))
    }

    private func journal(_ event: JSONValue, _ state: inout OperationState) -> JSONValue {
        do {
            let written = try RollbackJournal(repository: repository).append(event, at: attribution.time, by: attribution)
            state.stepsDone.append(OperationStep.journal.rawValue)
            progress.report(.stepFinished(.journal))
            return written
        } catch {
            progress.report(.warning("could not write the journal event: \(error.message) \(error.causes.joined(separator: "; "))"))
            return event
        }
    }

    /// HEAD must still be on the planned branch (or detached) at the planned commit.
    private func requireUnmoved(_ plan: RollbackPlan) throws(TimeturnerError) {
        let position: HeadPosition, head: OID
        do {
            position = try RollbackPlanner.headPosition(in: repository)
            head = try repository.headCommit()
        } catch {
            throw TimeturnerError(error, doing: "read HEAD")
        }
        guard position == plan.head, head == plan.from else {
            throw TimeturnerError(.refused, "HEAD changed since the rollback was planned (it was \(plan.from.short) on \(plan.head.displayName), now \(head.short) on \(position.displayName)); nothing was changed",
                                  hint: "run the rollback again to plan it against the new HEAD")
        }
    }

    private func moveRefFailure(_ error: any Error, plan: RollbackPlan) -> TimeturnerError {
        if let error = error as? TimeturnerError { return error }
        if let error = error as? GitError, error.code.isContention || error.code == .notFound {
            return TimeturnerError(.refused, "\(plan.head.movingReference) moved since the rollback was planned (someone committed or another tool updated it); nothing was changed",
                                   hint: "run the rollback again to plan it against the new HEAD", causes: [error.description])
        }
        return TimeturnerError(.failure, "could not move \(plan.head.movingReference); nothing was changed", causes: ["\(error)"])
    }

    private func baseEvent(_ plan: RollbackPlan, result: OID, start: Timestamp) -> JSONValue {
        var fields: [String: JSONValue] = [
            "type": "rollback", "v": .int(StorageLayout.eventVersion), "id": .string(plan.id),
            "from": .string(plan.from.hex), "to": .string(plan.target.hex), "target": .string(plan.targetName),
            "mode": .string(plan.mode.rawValue), "head": .string(plan.head.recorded), "commit": .string(result.hex),
            "safetyRef": .string(plan.safetyRef), "start": .string(start.rfc3339), "by": .string(attribution.identity),
            "commits": .int(Int64(plan.commits.count)), "files": .int(Int64(plan.changes.count)),
            "status": "in-progress",
        ]
        if let reason = plan.reason { fields["reason"] = .string(reason) }
        if let environment = plan.environment { fields["env"] = .string(environment) }
        if let range = plan.selectedRange { fields["range"] = .string(range) }
        return .object(fields)
    }
}

extension JSONValue {
    /// Sets a field of an object (no effect on other values).
    subscript(field key: String) -> JSONValue? {
        get { self[key] }
        set {
            guard case .object(var fields) = self else { return }
            fields[key] = newValue
            self = .object(fields)
        }
    }
}
