import GitKit

/// One function per step of a rollback plan. Each throws a `TimeturnerError` saying what went
/// wrong; the engine decides from what has already changed whether that needs a restore.
extension RollbackEngine {
    /// Takes the lock, then checks the repository is still what the plan was made from: a
    /// commit, a checkout or an edited file since then refuses the plan (nothing changed yet).
    func takeLock(_ run: RollbackRun) throws(TimeturnerError) {
        let operation = run.plan.operation.name
        run.lock = try directory.acquire(operation: operation, id: run.plan.id, now: attribution.time)
        // Before our own state.json replaces an interrupted one's, and before git's locks matter.
        try RepositoryPreflight(repository: repository).check(head: run.plan.code.head, operation: operation, holdingLock: true)
        run.recorder.holdsLock = true
        try run.recorder.save()
        run.status = try requireUnchanged(run.plan.basis, operation: operation)
        if run.plan.confirmationWord == "rollback" {
            try WorkTreeGuard.check(run.status ?? run.plan.basis.status, against: run.plan.code.changes, in: repository)
        }
    }

    func captureTier(_ name: String, _ run: RollbackRun) async throws(TimeturnerError) {
        guard let tier = run.plan.tier(name) else { return }
        let since = run.now()
        do {
            let outcome = try await tiers.capture(tier.assignment, point: tier.point, dryRun: false)
            let capture = outcome.capture ?? .object([:])
            run.before[name] = capture
            run.recorder.state.captures[name] = .object(["executor": .string(tier.assignment.executor), "capture": capture])
            run.captureRecords.append(run.record(name, executor: tier.assignment.executor, action: "capture", succeeded: true,
                                                 since: since, detail: outcome.message, capture: capture))
        } catch {
            throw TimeturnerError(.refused, "could not capture the present state of the \(name) tier before rolling back; nothing was rolled back",
                                  hint: error.hint, causes: [error.message] + error.causes)
        }
    }

    func writeSafetyBackup(_ run: RollbackRun) throws(TimeturnerError) {
        let code = run.plan.code
        run.backup = try SafetyBackup.write(id: run.plan.id, operation: run.plan.operation.name, head: code.head, headCommit: code.from,
                                            headTree: code.fromTree, dirty: !(run.status?.isClean ?? true),
                                            in: repository, by: attribution)
    }

    /// Builds the new commits for real (the plan built them only in memory), then moves the
    /// branch by compare-and-swap on the planned HEAD: if anyone committed since, this fails
    /// before any file changed.
    func moveBranch(_ run: RollbackRun) throws(TimeturnerError) {
        let code = run.plan.code
        run.codeStarted = run.now()
        _ = try requireUnchanged(run.plan.basis, operation: "rollback", checkWorkTree: false)
        let targetTree: OID
        do { targetTree = try repository.commit(code.target).tree } catch { throw TimeturnerError(error, doing: "read \(code.target.short)") }
        let built = try RevertBuilder(repository: repository, rollbackID: run.plan.id, signature: attribution.signature)
            .build(code.recipe, onto: code.from, targetTree: targetTree, target: code.target)
        guard built.tree == code.resultTree else {
            throw TimeturnerError(.refused, "the revert built now differs from the one planned; nothing was changed",
                                  hint: "run the rollback again to plan it against what is there now")
        }
        run.result = built.commit
        run.recorder.state.result = built.commit
        try run.recorder.save()
        do {
            try repository.setReference(code.head.movingReference, to: built.commit, expecting: code.from,
                                        logMessage: "timeturner: rollback \(run.plan.id) (\(code.mode.rawValue)) to \(code.target.short)")
        } catch {
            throw movedBranch(error, code: code)
        }
        run.compensations.append(.code)
    }

    /// Undo: the state the undone rollback's safety backup keeps comes back. The undo's own
    /// safety backup (written just before) is what a failure from here on restores.
    func restoreUndoneRollback(_ run: RollbackRun) throws(TimeturnerError) {
        guard case .undo(_, let undone) = run.plan.operation else { return }
        run.codeStarted = run.now()
        run.result = undone.headCommit
        run.recorder.state.result = undone.headCommit
        try run.recorder.save()
        run.compensations.append(.code)
        do {
            try undone.restore(from: run.plan.code.from, in: repository)
            recordCode(run, error: nil)
        } catch {
            recordCode(run, error: error)
            throw error
        }
    }

    func updateWorkTree(_ run: RollbackRun) throws(TimeturnerError) {
        let code = run.plan.code
        do {
            try repository.checkout(tree: code.resultTree, baseline: code.fromTree, paths: code.changes.map(\.path), safety: .safe)
            recordCode(run, error: nil)
        } catch {
            let failure = TimeturnerError(.failure, "could not update the work tree to \(code.target.short)", causes: [error.description])
            recordCode(run, error: failure)
            throw failure
        }
    }

    /// The code tier's journal record: from the branch move to the end of the work-tree update.
    private func recordCode(_ run: RollbackRun, error: TimeturnerError?) {
        guard let since = run.codeStarted else { return }
        run.tierRecords.append(run.record(Tier.code, executor: nil, action: nil, succeeded: error == nil, since: since,
                                          detail: error.map { ([$0.message] + $0.causes).joined(separator: "; ") }, capture: nil))
    }

    /// A tier's executor returns it to the point's capture. It may have changed the tier even
    /// when it fails, so it is restored then, unless the executor refused before changing anything.
    func rollBackTier(_ name: String, _ run: RollbackRun) async throws(TimeturnerError) {
        guard let tier = run.plan.tier(name) else { return }
        run.tierStarted[name] = run.now()
        run.compensations.append(.tier(name))
        run.recorder.state.changedTiers.append(name)
        try run.recorder.save()
        do {
            let outcome = try await tiers.rollback(tier.assignment, to: tier.target, point: tier.point, dryRun: false)
            recordTier(run, tier, error: nil, detail: outcome.message, final: false)
        } catch {
            if error.kind == .refused { run.compensations.removeLast() }
            recordTier(run, tier, error: error, detail: nil, final: true)
            throw TimeturnerError(.failure, "the \(name) tier failed", hint: error.hint, causes: [error.message] + error.causes)
        }
    }

    func verifyTier(_ name: String, _ run: RollbackRun) async throws(TimeturnerError) {
        guard let tier = run.plan.tier(name) else { return }
        do {
            let outcome = try await tiers.verify(tier.assignment, dryRun: false)
            recordTier(run, tier, error: nil, detail: outcome.message, final: true)
        } catch {
            recordTier(run, tier, error: error, detail: nil, final: true)
            throw TimeturnerError(.failure, "the \(name) tier failed its verification", hint: error.hint, causes: [error.message] + error.causes)
        }
    }

    /// One journal record per tier, covering its rollback and its verification: started when the
    /// rollback started, replaced as each call ends; reported once the tier is done.
    private func recordTier(_ run: RollbackRun, _ tier: PlannedTier, error: TimeturnerError?, detail: String?, final: Bool) {
        let since = run.tierStarted[tier.name] ?? run.now()
        let previous = run.tierRecords.last { $0.tier == tier.name }?.detail
        let text = [previous, detail ?? error.map { ([$0.message] + $0.causes).joined(separator: "; ") }].compactMap { $0 }
            .filter { !$0.isEmpty }.joined(separator: "; ")
        let record = run.record(tier.name, executor: tier.assignment.executor, action: nil, succeeded: error == nil, since: since,
                                detail: text.isEmpty ? nil : text, capture: tier.target)
        run.tierRecords.removeAll { $0.tier == tier.name }
        run.tierRecords.append(record)
        if final { progress.report(.tierFinished(record)) }
    }

    func runVerification(_ index: Int, _ run: RollbackRun) async throws(TimeturnerError) {
        let command = run.plan.verification[index]
        let directory = self.directory
        let outcome = await verifier.verify(command, in: repository.workTree ?? ".", progress: progress,
                                            interruption: interruption, started: { directory.recordChildGroup($0) })
        directory.clearChildGroup()
        run.verification.append(outcome.record)
        progress.report(.verificationFinished(outcome))
        if !outcome.passed {
            throw TimeturnerError(.verificationFailedRestored, "verification failed: '\(command.command)' \(outcome.explanation)")
        }
    }

}
