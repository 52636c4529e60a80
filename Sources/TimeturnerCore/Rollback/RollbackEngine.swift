public import GitKit

/// Runs approved plans, one step at a time, each a small function (RollbackEngine+Steps.swift),
/// each recorded in `.git/timeturner/state.jsonl` before it starts; puts back what the steps
/// changed when one fails (RollbackEngine+Restore.swift); journals the outcome. Nothing here
/// prints: progress goes to the sink.
public struct RollbackEngine {
    let repository: Repository
    let attribution: Attribution
    let progress: any RollbackProgress
    let directory: OperationDirectory
    let tiers: any TierDriver
    let verifier: any Verifying
    let pauseBefore: OperationStep?
    /// Signals that stop the running operation (nil: none are watched, as in tests of Core).
    let interruption: Interruption?
    /// Test-only: makes the first step of a kind fail the way the operating system would
    /// (`TIMETURNER_TEST_FAULT`, docs/rollback.md).
    let fault: InjectedFault?

    public init(repository: Repository, attribution: Attribution, progress: any RollbackProgress,
                tiers: any TierDriver, verifier: any Verifying, pauseBefore: OperationStep? = nil,
                interruption: Interruption? = nil, fault: InjectedFault? = nil) {
        self.repository = repository
        self.attribution = attribution
        self.progress = progress
        self.directory = OperationDirectory(repository: repository)
        self.tiers = tiers
        self.verifier = verifier
        self.pauseBefore = pauseBefore
        self.interruption = interruption
        self.fault = fault
    }

    /// `plannedUnder`: the lock the plan was made under (`RollbackPipeline` with an approval
    /// given in advance); released here, whatever the outcome.
    public func execute(_ plan: RollbackPlan, approval: Approval, plannedUnder lock: PlanningLock? = nil) async -> OperationResult {
        await armed { await run(plan, approval: approval, plannedUnder: lock) }
    }

    private func run(_ plan: RollbackPlan, approval: Approval, plannedUnder planningLock: PlanningLock?) async -> OperationResult {
        let run = RollbackRun(plan: plan, recorder: recorder(for: plan), attribution: attribution,
                              checkouts: TreeCheckouts(repository: repository, operationID: plan.id))
        run.lock = planningLock?.lock
        defer { run.lock?.release() }
        if let planningLock, planningLock.id != plan.id {
            return run.result(.refused(TimeturnerError(.refused, "the lock was taken for rollback \(planningLock.id), not for \(plan.id); nothing was changed",
                                                       hint: "plan the rollback again")), event: nil)
        }
        do { try approval.require(for: plan) } catch { return run.result(.refused(error), event: nil) }
        defer { run.checkouts.removeAll() }
        // The files the checkout writes are inflated on another thread (since planning, when
        // the plan was approved in advance; otherwise from now) while the lock, the safety
        // backup and the branch move go on here: the checkout then finds their delta bases
        // inflated, most of its reading (CodeRollbackPlanner.compare).
        let readAhead = plan.code.readAhead
            ?? (plan.steps.contains(.updateWorkTree) ? repository.inflateAhead(CodeRollback.blobs(toWrite: plan.code.changes)) : nil)
        defer { _ = readAhead?.wait() }
        var failure: StepFailure? = nil
        for step in plan.steps where step != .writeJournal {
            do throws(TimeturnerError) {
                try await run.recorder.enter(step)
                try fault?.inject(before: step, interruption: interruption)
                try requireNotInterrupted(before: step)
                try await perform(step, run)
                try requireNotInterrupted(before: nil)
                run.recorder.state.event = RollbackJournal.json(run.event(outcome: nil))
                try run.recorder.finish(step)
            } catch {
                if let signal = interruption?.signal {
                    progress.report(.interrupted(signal: signal))
                    failure = StepFailure(step: step, error: interrupted(by: signal, during: step, error))
                } else {
                    failure = StepFailure(step: step, error: error)
                }
                break
            }
        }
        guard let failure else { return await journal(run, outcome: .succeeded) }
        guard !run.compensations.isEmpty else { return abandon(run, failure) }
        return await journal(run, outcome: await restore(run, after: failure))
    }

    private func perform(_ step: RollbackStep, _ run: RollbackRun) async throws(TimeturnerError) {
        switch step {
        case .takeLock: try takeLock(run)
        case .captureTier(let name): try await captureTier(name, run)
        case .writeSafetyBackup: try writeSafetyBackup(run)
        case .moveBranch: try moveBranch(run)
        case .updateWorkTree: try updateWorkTree(run)
        case .rollBackTier(let name): try await rollBackTier(name, run)
        case .verifyTier(let name): try await verifyTier(name, run)
        case .activate: try await activate(run)
        case .runVerification(let index): try await runVerification(index, run)
        case .restoreFromSafetyBackup: try restoreUndoneRollback(run)
        case .writeJournal: break  // always last, run by `journal`
        }
    }

    /// A signal that arrived since the last step: this step must not start (or stand).
    private func requireNotInterrupted(before step: RollbackStep?) throws(TimeturnerError) {
        guard let signal = interruption?.signal else { return }
        throw TimeturnerError(.interrupted(signal: signal), "interrupted by \(Interruption.name(of: signal))")
    }

    private func interrupted(by signal: Int32, during step: RollbackStep, _ error: TimeturnerError) -> TimeturnerError {
        if case .interrupted = error.kind { return TimeturnerError(error.kind, error.message + " at step \(step.label)") }
        return TimeturnerError(.interrupted(signal: signal), "interrupted by \(Interruption.name(of: signal)) at step \(step.label)",
                               causes: [error.message] + error.causes)
    }

    private func recorder(for plan: RollbackPlan) -> OperationRecorder {
        var state = OperationState(operation: plan.operation.name, id: plan.id, mode: plan.code.mode.rawValue, head: plan.code.head.recorded,
                                   from: plan.code.from, to: plan.code.target, result: plan.code.from, safetyRef: plan.safetyRef,
                                   start: attribution.time, plannedSteps: plan.steps.map(\.label), event: .object([:]))
        state.towardsTree = plan.code.resultTree
        return OperationRecorder(directory: directory, progress: progress, pauseBefore: pauseBefore, state: state)
    }

    /// Nothing had changed when the step failed: the safety backup (if written) only holds the
    /// present HEAD, the state file goes, and nothing is journaled.
    private func abandon(_ run: RollbackRun, _ failure: StepFailure) -> OperationResult {
        if let backup = run.backup { try? repository.deleteReference(backup.ref, expecting: backup.commit) }
        if run.lock != nil { directory.removeState() }
        return run.result(.refused(failure.error), event: nil)
    }

    /// Writes the journal event and ends the operation. A journal that cannot be written is a
    /// warning, not a failure: the rollback itself happened (or was undone) either way.
    func journal(_ run: RollbackRun, outcome: OperationOutcome) async -> OperationResult {
        var event = run.event(outcome: outcome)
        run.recorder.state.event = RollbackJournal.json(event)
        try? await run.recorder.enter(.writeJournal)
        var journaled = true
        do {
            try fault?.inject(before: .writeJournal, interruption: interruption)
            event = try RollbackJournal(repository: repository).append(event, by: attribution)
            try? run.recorder.finish(.writeJournal)
        } catch {
            journaled = false
            progress.report(.warning("could not write the journal event: \(error.message) \(error.causes.joined(separator: "; "))"))
        }
        if case .restoreFailed = outcome {} else { directory.removeState() }
        var result = run.result(outcome, event: event)
        result.journaled = journaled
        return result
    }
}
