import GitKit

/// One function per step of a rollback plan. Each throws a `TimeturnerError` saying what went
/// wrong; the engine decides from what has already changed whether that needs a restore.
extension RollbackEngine {
    /// Takes the lock, then checks the repository is still what the plan was made from: a
    /// commit, a checkout or an edited file since then refuses the plan (nothing changed yet).
    func takeLock(_ run: RollbackRun) throws(TimeturnerError) {
        // Already held: the plan was made under it.
        if run.lock != nil { return try adoptPlanningLock(run) }
        let operation = run.plan.operation.name
        run.lock = try directory.acquire(operation: operation, id: run.plan.id, now: attribution.time)
        // Before our own state.jsonl replaces an interrupted one's, and before git's locks matter.
        try RepositoryPreflight(repository: repository).check(head: run.plan.code.head, operation: operation, holdingLock: true)
        run.recorder.holdsLock = true
        // The step's first record: `enter` could not write it before the lock was held.
        try run.recorder.save(durable: RollbackStep.takeLock.recordsDurably)
        run.status = try requireUnchanged(run.plan.basis, operation: operation)
        TreeCheckouts.removeLeftovers(in: repository)
        if run.plan.confirmationWord == "rollback" && run.plan.includesCode {
            try WorkTreeGuard.check(run.status ?? run.plan.basis.status, against: run.plan.code.changes, in: repository)
        }
    }

    /// The lock was taken before the plan was made, and the preflight checked under it: the
    /// plan's HEAD and work-tree status were read under this lock, so they are the status here.
    /// HEAD is read again all the same (it costs nothing): a process that does not take our
    /// lock (git itself) may have committed while the plan was shown.
    private func adoptPlanningLock(_ run: RollbackRun) throws(TimeturnerError) {
        run.recorder.holdsLock = true
        try run.recorder.save(durable: RollbackStep.takeLock.recordsDurably)
        _ = try requireUnchanged(run.plan.basis, operation: run.plan.operation.name, checkWorkTree: false)
        run.status = run.plan.basis.status
        TreeCheckouts.removeLeftovers(in: repository)
    }

    func captureTier(_ name: String, _ run: RollbackRun) async throws(TimeturnerError) {
        guard let tier = run.plan.tier(name) else { return }
        let since = run.now()
        do {
            var context = try run.checkouts.context(from: run.plan.code.from, to: nil, wanted: tiers.wantsCheckouts(tier.assignment))
            context.purpose = .beforeOperation(run.plan.id)
            let outcome = try await tiers.capture(tier.assignment, point: nil, context: context, dryRun: false)
            let capture = outcome.capture ?? .object([:])
            run.before[name] = capture
            run.recorder.state.captures[name] = .object(["executor": .string(tier.assignment.executor), "capture": capture])
            var record = run.record(name, executor: tier.assignment.executor, action: "capture", succeeded: true,
                                    since: since, detail: outcome.message, capture: capture)
            record.discards = outcome.discards
            run.captureRecords.append(record)
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
            run.workTreeWritten = true
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
            run.workTreeWritten = true
            recordCode(run, error: nil)
        } catch {
            let failure = TimeturnerError(.failure, "could not update the work tree to \(code.target.short)",
                                          causes: [error.description] + SafetyBackup.unreadableBlobs(code.changes, in: repository))
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
    /// when it fails, so it is restored then, unless it did not: the executor refused before
    /// changing anything, or a fresh capture equals the one taken before (re-running a restore
    /// that fails the same way would turn "nothing changed" into "needs a person").
    func rollBackTier(_ name: String, _ run: RollbackRun) async throws(TimeturnerError) {
        guard let tier = run.plan.tier(name) else { return }
        // The first change of the operation: a commit made since the lock was taken stops it
        // here, before any tier moves (the branch move checks again by compare-and-swap).
        if run.compensations.isEmpty { _ = try requireUnchanged(run.plan.basis, operation: run.plan.operation.name, checkWorkTree: false) }
        run.tierStarted[name] = run.now()
        run.compensations.append(.tier(name))
        run.recorder.state.changedTiers.append(name)
        try run.recorder.save()
        // The tier still holds the state of the code being left, whether or not the branch moved yet.
        let context = try run.checkouts.context(from: run.plan.code.from, to: tier.targetCommit ?? run.plan.code.target,
                                                wanted: tiers.wantsCheckouts(tier.assignment))
        do {
            let outcome = try await tiers.rollback(tier.assignment, to: tier.target, point: tier.point, context: context, dryRun: false)
            recordTier(run, tier, error: nil, detail: outcome.message, final: false)
        } catch {
            let unchanged = error.kind == .refused ? true : await isUnchanged(tier, run, context: context)
            if unchanged {
                run.compensations.removeLast()
                run.recorder.state.changedTiers.removeLast()
            }
            recordTier(run, tier, error: error, detail: nil, final: true)
            let untouched = unchanged ? (run.compensations.isEmpty ? " before changing anything; nothing was rolled back" : " without changing it") : ""
            throw TimeturnerError(.failure, "the \(name) tier failed" + untouched, hint: error.hint, causes: [error.message] + error.causes)
        }
    }

    /// Whether a tier whose rollback failed is still in the state captured before: its executor
    /// captures it again and the answer is the same. Dumps and archives never compare equal
    /// (each capture is a new file), so those tiers are always restored.
    private func isUnchanged(_ tier: PlannedTier, _ run: RollbackRun, context: TierCallContext) async -> Bool {
        guard let before = run.before[tier.name] else { return false }
        // A capture that writes an artifact never compares equal: do not write a second dump.
        guard ArtifactLocation.referenced(by: before) == nil else { return false }
        let now = try? await tiers.capture(tier.assignment, point: nil, context: TierCallContext(from: context.from, checkoutFrom: context.checkoutFrom),
                                           dryRun: false)
        return now?.capture == before
    }

    func verifyTier(_ name: String, _ run: RollbackRun) async throws(TimeturnerError) {
        guard let tier = run.plan.tier(name) else { return }
        run.tierVerifyStarted[name] = run.clock.now
        do {
            let commit = tier.targetCommit ?? run.plan.code.target
            let context = try run.checkouts.context(from: commit, to: nil, wanted: tiers.wantsCheckouts(tier.assignment))
            let outcome = try await tiers.verify(tier.assignment, context: context, dryRun: false)
            recordTier(run, tier, error: nil, detail: outcome.message, final: true)
        } catch {
            recordTier(run, tier, error: error, detail: nil, final: true)
            throw TimeturnerError(.failure, "the \(name) tier failed its verification", hint: error.hint, causes: [error.message] + error.causes)
        }
    }

    /// One journal record per tier, covering its rollback and its verification: started when the
    /// rollback started, replaced as each call ends; reported once the tier is done. Its duration
    /// is the time of its own two calls (other tiers and the activation run between them).
    private func recordTier(_ run: RollbackRun, _ tier: PlannedTier, error: TimeturnerError?, detail: String?, final: Bool) {
        let since = run.tierStarted[tier.name] ?? run.now()
        let callStart = final ? (run.tierVerifyStarted[tier.name] ?? since.instant) : since.instant
        let busy = (run.tierBusyMilliseconds[tier.name] ?? 0) + (run.clock.now - callStart).wholeMilliseconds
        run.tierBusyMilliseconds[tier.name] = busy
        let previous = run.tierRecords.last { $0.tier == tier.name }?.detail
        let text = [previous, detail ?? error.map { ([$0.message] + $0.causes).joined(separator: "; ") }].compactMap { $0 }
            .filter { !$0.isEmpty }.joined(separator: "; ")
        var record = run.record(tier.name, executor: tier.assignment.executor, action: nil, succeeded: error == nil, since: since,
                                detail: text.isEmpty ? nil : text, capture: tier.target)
        record.durationMs = busy
        if let index = run.tierRecords.firstIndex(where: { $0.tier == tier.name }) {
            run.tierRecords[index] = record
        } else {
            run.tierRecords.append(record)
        }
        if final { progress.report(.tierFinished(record)) }
    }

    /// `timeturner.activate`: every tier is in place, the system restarts once on it. Recorded as
    /// a change before it runs: a failed or interrupted activation may have stopped the system,
    /// so a restore runs it again on the restored state.
    func activate(_ run: RollbackRun) async throws(TimeturnerError) {
        guard let command = run.plan.activation else { return }
        run.compensations.append(.activation)
        run.recorder.state.activation = command.command
        try run.recorder.save()
        let outcome = await runCommand(command)
        run.activations.append(outcome.record)
        progress.report(.activationFinished(outcome))
        if !outcome.passed {
            throw TimeturnerError(.failure, "activation failed: '\(command.command)' \(outcome.explanation)",
                                  hint: "every tier is being put back; look at the command's output above")
        }
    }

    /// Runs a configured command (activation) the way verification commands run: bounded in
    /// time, its process group recorded so `recover` can end it, stopped on a signal.
    func runCommand(_ command: VerificationCommand) async -> VerificationOutcome {
        let directory = self.directory
        let outcome = await verifier.verify(command, in: repository.workTree ?? ".", progress: progress,
                                            interruption: interruption, started: { directory.recordChildGroup($0) })
        directory.clearChildGroup()
        return outcome
    }

    func runVerification(_ index: Int, _ run: RollbackRun) async throws(TimeturnerError) {
        let command = run.plan.verification[index]
        let outcome = await runCommand(command)
        run.verification.append(outcome.record)
        progress.report(.verificationFinished(outcome))
        if !outcome.passed {
            throw TimeturnerError(.verificationFailedRestored, "verification failed: '\(command.command)' \(outcome.explanation)")
        }
    }

}
