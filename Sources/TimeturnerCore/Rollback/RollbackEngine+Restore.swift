import GitKit
internal import Glibc

/// Putting back what a failed rollback changed, newest change first: each tier from the
/// capture of its present state taken before anything changed, then the code (branch, index,
/// work tree) from the safety backup.
extension RollbackEngine {
    func restore(_ run: RollbackRun, after failure: StepFailure) async -> OperationOutcome {
        try? await run.recorder.enter(.restoreFromSafetyBackup)
        var errors: [TimeturnerError] = []
        for compensation in run.compensations.reversed() {
            switch compensation {
            case .tier(let name):
                if let error = await restoreTier(name, run) { errors.append(error) }
            case .code:
                do throws(TimeturnerError) { try restoreCode(run) } catch { errors.append(error) }
            case .activation: break  // last, once everything is back
            }
        }
        if errors.isEmpty, run.compensations.contains(.activation), let error = await reactivate(run) { errors.append(error) }
        guard errors.isEmpty else { return .restoreFailed(failure, restoreErrors: errors) }
        try? run.recorder.finish(.restoreFromSafetyBackup)
        if case .interrupted = failure.error.kind { return .interruptedRestored(failure) }
        switch failure.step {
        case .runVerification: return .verificationFailedRestored(failure)
        case .rollBackTier, .verifyTier, .activate: return .tierFailedRestored(failure)
        default: return .failedRestored(failure)
        }
    }

    /// Branch, index and work tree back to the operation's own safety backup. The moving ref
    /// must be where this operation put it (or still where it started, when the failed step
    /// never moved it): a commit made since is never dropped, the restore fails instead.
    private func restoreCode(_ run: RollbackRun) throws(TimeturnerError) {
        guard let backup = run.backup else { return }
        let reference = run.plan.code.head.movingReference
        let current: OID?
        do { current = try repository.reference(reference)?.target } catch { throw TimeturnerError(error, doing: "read \(reference)") }
        let ours = current != nil && (current == run.result || current == run.plan.code.from)
        // Before the work tree was written in full, a file holding something else is the one the
        // failed checkout was writing (half of a large file on a full disk), not anyone's edit.
        if run.workTreeWritten {
            try keepChangesMadeMeanwhile(backup: backup, towards: run.plan.code.resultTree, operation: run.plan.operation.name,
                                         id: run.plan.id, branchNow: run.result ?? run.plan.code.from)
        }
        try backup.restore(from: ours ? current! : (run.result ?? run.plan.code.from), workTreeTowards: run.plan.code.resultTree, in: repository)
    }

    /// Files changed by someone else while the operation ran (by hand, or by a verification
    /// command) after its work tree was written, in paths the restore is about to put back:
    /// anything there that is neither what the operation wrote nor what the safety backup holds.
    /// The restore would destroy the only copy, or worse: libgit2's forced checkout writes
    /// through a symbolic link put at a file's path (or at a directory on its way) into whatever
    /// it points at, outside the work tree too, blocks opening a FIFO, and stops on a file it
    /// sees as ignored. So each such entry (a file or link with its mode, everything inside a
    /// directory put where a file was, a file or link put where a directory was) is kept first,
    /// in one commit at `refs/timeturner/edits/<id>` (parent: where the branch is now), and then
    /// removed, never followed, so that the restore writes into clean places. A warning names
    /// them. If they cannot be kept or removed, the restore does not start: it fails, and
    /// `recover` can run once the cause is fixed.
    /// Also run by `recover` for an operation killed after its work tree was written.
    func keepChangesMadeMeanwhile(backup: SafetyBackup, towards: OID, operation: String, id: String, branchNow: OID) throws(TimeturnerError) {
        let changes: [TreeChange]
        do { changes = try backup.pathsToPutBack(from: towards, in: repository) } catch { return }
        var kept: [(path: String, blob: OID, mode: UInt32)] = []
        var removedSpecial: [String] = []
        var toRemove: [String] = []
        var seen = Set<String>()
        func keep(_ path: String) throws(GitError) {
            guard seen.insert(path).inserted else { return }
            switch repository.workTreeEntryKind(path) {
            case .absent: return
            case .file, .symlink:
                guard let now = repository.workTreeFileAsAdded(path) else { break }
                kept.append((path, try repository.createBlob(now.bytes), now.mode))
            case .directory:
                for file in repository.workTreeFiles(under: path) ?? [] { try keep(file) }
            case .other:
                removedSpecial.append(path)
            }
            toRemove.append(path)
        }
        func holds(_ path: String, id: OID?, mode: UInt32) -> Bool {
            guard let id, mode != 0, let now = repository.workTreeFileAsAdded(path) else { return false }
            return now.id == id && now.mode == mode
        }
        let byPath = Dictionary(changes.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        do throws(GitError) {
            for change in changes where change.oldMode != 0o160000 && change.newMode != 0o160000 {
                // Every directory on the way must still be one (or be missing): a link or a file
                // put there is kept and removed, so nothing is written through it.
                var prefix = ""
                var throughKept = false
                for component in change.path.split(separator: "/").dropLast() {
                    prefix += (prefix.isEmpty ? "" : "/") + component
                    let kind = repository.workTreeEntryKind(prefix)
                    if kind != .directory && kind != .absent || seen.contains(prefix) {
                        // A file or link the operation itself put there (a directory it turned into
                        // a file) is the restore's to replace: libgit2 removes what its baseline has.
                        if let own = byPath[prefix], holds(prefix, id: own.oldID, mode: own.oldMode) { throughKept = true; break }
                        try keep(prefix)
                        throughKept = true  // below it is whatever it points at, or nothing: never looked at
                        break
                    }
                }
                if throughKept { continue }
                switch repository.workTreeEntryKind(change.path) {
                case .absent: continue
                case .file, .symlink:
                    if holds(change.path, id: change.oldID, mode: change.oldMode) || holds(change.path, id: change.newID, mode: change.newMode) { continue }
                    try keep(change.path)
                case .directory, .other:
                    try keep(change.path)
                }
            }
            guard !kept.isEmpty || !toRemove.isEmpty else { return }
            let ref = StorageLayout.editsPrefix + id
            if !kept.isEmpty {
                let parent = branchNow
                let message = "timeturner: files changed during \(operation) \(id), kept before its restore\n\n"
                    + kept.map { "\($0.path)\n" }.joined()
                let commit = try repository.createCommit(tree: try repository.tree(nil, settingEntries: kept), parents: [parent],
                                                         author: attribution.signature, committer: attribution.signature, message: message)
                try repository.setReference(ref, to: commit, expecting: nil, logMessage: "timeturner: files changed during \(id)")
            }
            for path in toRemove.reversed() where !repository.removeWorkTreeEntry(path) {
                throw GitError(operation: "remove \(path) before the restore", code: .other(-1), message: LocalFile.describeErrno(errno))
            }
            if !kept.isEmpty {
                progress.report(.warning("\(WorkTreeGuard.list(kept.map(\.path))) changed while the \(operation) ran: the restore puts back the state from before, and what was there is kept in \(ref) ('git show \(ref) --stat')"))
            }
            if !removedSpecial.isEmpty {
                progress.report(.warning("\(WorkTreeGuard.list(removedSpecial)) appeared while the \(operation) ran and \(removedSpecial.count == 1 ? "is" : "are") not a file, a link or a directory (a FIFO, a socket, a device); removed so that the restore could write there"))
            }
        } catch {
            throw TimeturnerError(.failure, "files changed while the \(operation) ran could not be kept before the restore, so it did not start",
                                  hint: "they are still in the work tree as changed; fix the cause, then run 'git timeturner recover'",
                                  causes: [error.describedCause])
        }
    }

    /// The system restarted (or began to) on the rolled-back state: once everything is back,
    /// it restarts on the restored one.
    private func reactivate(_ run: RollbackRun) async -> TimeturnerError? {
        guard let command = run.plan.activation else { return nil }
        let outcome = await runCommand(command)
        run.activations.append(outcome.record)
        progress.report(.activationFinished(outcome))
        guard !outcome.passed else { return nil }
        return TimeturnerError(.failure, "everything was put back, but activating the restored state failed: '\(command.command)' \(outcome.explanation)")
    }

    /// Returns one tier to its present-state capture; the error when that failed.
    private func restoreTier(_ name: String, _ run: RollbackRun) async -> TimeturnerError? {
        guard let tier = run.plan.tier(name), let before = run.before[name] else { return nil }
        let since = run.now()
        do {
            // The tier is on its target's state (or part way there); it goes back to the code's start.
            let context = try run.checkouts.context(from: tier.targetCommit ?? run.currentCode, to: run.plan.code.from,
                                                    wanted: tiers.wantsCheckouts(tier.assignment))
            let outcome = try await tiers.restore(tier.assignment, to: before, context: context)
            let record = run.record(name, executor: tier.assignment.executor, action: "restore", succeeded: true, since: since,
                                    detail: outcome.message, capture: before)
            run.restoreRecords.append(record)
            progress.report(.tierFinished(record))
            return nil
        } catch {
            let record = run.record(name, executor: tier.assignment.executor, action: "restore", succeeded: false, since: since,
                                    detail: error.message, capture: before)
            run.restoreRecords.append(record)
            progress.report(.tierFinished(record))
            return TimeturnerError(.failure, "could not restore the \(name) tier to its state before the rollback",
                                   causes: [error.message] + error.causes)
        }
    }
}

/// Checks that the repository is still what a plan was made from.
extension RollbackEngine {
    /// HEAD on the planned branch (or detached) at the planned commit, and (unless
    /// `checkWorkTree` is false) the work tree's status unchanged. Returns the status read now.
    @discardableResult
    func requireUnchanged(_ basis: PlanBasis, operation: String, checkWorkTree: Bool = true) throws(TimeturnerError) -> WorkTreeStatus? {
        let position: HeadPosition, head: OID
        do {
            position = try HeadPosition.current(in: repository)
            head = try repository.headCommit()
        } catch {
            throw TimeturnerError(error, doing: "read HEAD")
        }
        guard position == basis.head, head == basis.from else {
            throw TimeturnerError(.refused, "HEAD changed since the \(operation) was planned (it was \(basis.from.short) on \(basis.head.displayName), now \(head.short) on \(position.displayName)); nothing was changed",
                                  hint: "run the \(operation) again to plan it against the new HEAD")
        }
        guard checkWorkTree else { return nil }
        let status: WorkTreeStatus
        do { status = try repository.workTreeStatus() } catch { throw TimeturnerError(error, doing: "read the work tree's status") }
        guard status == basis.status else {
            let changed = Self.differences(basis.status, status)
            throw TimeturnerError(.refused, "the work tree changed since the \(operation) was planned: \(WorkTreeGuard.list(changed)); nothing was changed",
                                  hint: "look at the changes, then run the \(operation) again: the new plan takes them into account")
        }
        return status
    }

    static func differences(_ old: WorkTreeStatus, _ new: WorkTreeStatus) -> [String] {
        let before = Set(old.changed + old.untracked + old.conflicted), after = Set(new.changed + new.untracked + new.conflicted)
        let differing = before.symmetricDifference(after).sorted()
        return differing.isEmpty ? ["the kind of change of some paths"] : differing
    }

    func movedBranch(_ error: GitError, code: CodeRollback) -> TimeturnerError {
        if error.code.isContention || error.code == .notFound {
            return TimeturnerError(.refused, "\(code.head.movingReference) moved since the rollback was planned (someone committed or another tool updated it); nothing was changed",
                                   hint: "run the rollback again to plan it against the new HEAD", causes: [error.description])
        }
        return TimeturnerError(.failure, "could not move \(code.head.movingReference); nothing was changed", causes: [error.description])
    }
}
