public import GitKit

/// What the user asked to undo.
public struct UndoRequest: Sendable {
    /// The rollback to undo; nil: this clone's newest succeeded rollback not yet undone.
    public var rollbackID: String?
    /// Undo only the code even when the rollback covered other tiers (said in the plan).
    public var codeOnly: Bool
    /// With `--yes`: go ahead although putting a tier back discards data written since the rollback.
    public var acceptDataLoss: Bool

    public init(rollbackID: String? = nil, codeOnly: Bool = false, acceptDataLoss: Bool = false) {
        self.rollbackID = rollbackID
        self.codeOnly = codeOnly
        self.acceptDataLoss = acceptDataLoss
    }
}

/// Plans the undo of a rollback as a plan of the same shape: the lock, the present state of
/// every tier the rollback changed, the undo's own safety backup, the code back to the state
/// the rollback's safety backup keeps, each tier back to the capture of its state from just
/// before the rollback (recorded in the rollback's journal event), the journal.
public struct UndoPlanner {
    let repository: Repository
    let configuration: TimeturnerConfiguration

    public init(repository: Repository, configuration: TimeturnerConfiguration) {
        self.repository = repository
        self.configuration = configuration
    }

    /// `id`: the undo's id, when the caller took the lock for it before planning.
    public func plan(_ request: UndoRequest, id: String? = nil, by attribution: Attribution) throws(TimeturnerError) -> RollbackPlan {
        try RollbackPlanner.requireWorkTreeRepository(repository, for: "undo")
        let entry = try undoableEntry(request.rollbackID)
        let backup = try SafetyBackup.read(id: entry.id, in: repository)
        guard let result = entry.event["commit"]?.stringValue.flatMap(OID.init(hex:)) else {
            throw TimeturnerError(.failure, "the journal event of \(entry.id) names no result commit")
        }
        try backup.requireHeadPosition(in: repository)
        try RepositoryPreflight(repository: repository).check(head: backup.head, operation: "undo")
        let (code, basis) = try planCode(entry: entry, backup: backup, result: result)
        var warnings = SubmoduleNotice.warnings(for: code.changes, operation: "undo")
        let tiers = try planTiers(entry, returningTo: backup.headCommit, codeOnly: request.codeOnly, warnings: &warnings)
        let id = id ?? UniqueID.stamped(at: attribution.time)
        let codePhase = try configuration.codePhase()
        let activation = try configuration.activation(environment: code.environment)
        let steps = RollbackPlanner.steps(tiers: tiers, codePhase: codePhase, activation: activation != nil, verification: [],
                                          codeSteps: [.restoreFromSafetyBackup])
        var undoRequest = RollbackRequest(target: entry.id)
        undoRequest.acceptDataLoss = request.acceptDataLoss
        warnings += RollbackPlanner.dataLossWarnings(tiers)
        return RollbackPlan(id: id, operation: .undo(rollbackID: entry.id, backup: backup), request: undoRequest,
                            code: code, tiers: tiers, verification: [], activation: activation, codePhase: codePhase, steps: steps,
                            warnings: warnings, basis: basis)
    }

    private func undoableEntry(_ rollbackID: String?) throws(TimeturnerError) -> JournalEntry {
        guard let entry = try RollbackJournal(repository: repository).entry(id: rollbackID) else {
            throw TimeturnerError(.failure, rollbackID.map { "no rollback \($0) in the journal" } ?? "no rollback to undo in the journal",
                                  hint: "list them with 'git timeturner history'" + (rollbackID == nil ? "; a rollback made in another worktree is undone there" : ""))
        }
        let journal = RollbackJournal(repository: repository)
        guard try journal.madeHere(entry) else {
            throw TimeturnerError(.refused, "rollback \(entry.id) changed the worktree '\(entry.worktree ?? "")' of this repository, not this one; undoing it here would put that worktree's state into this one; nothing was changed",
                                  hint: "run the undo in that worktree ('git worktree list' shows where each is)")
        }
        guard entry.succeeded else {
            throw TimeturnerError(.refused, "rollback \(entry.id) ended '\(entry.status)': it left no change behind to undo",
                                  hint: "undo the most recent succeeded rollback with 'git timeturner undo', or pick one from 'git timeturner history'")
        }
        return entry
    }

    /// HEAD must be where the rollback left it, and no file that the undo writes may hold
    /// anything but what was captured before the rollback (carried across untouched).
    private func planCode(entry: JournalEntry, backup: SafetyBackup, result: OID) throws(TimeturnerError) -> (CodeRollback, PlanBasis) {
        let head: OID, headCommit: Commit, status: WorkTreeStatus, changes: [TreeChange]
        do {
            head = try repository.headCommit()
            headCommit = try repository.commit(head)
            status = try repository.workTreeStatus()
            changes = try backup.pathsToPutBack(from: headCommit.tree, in: repository)
        } catch {
            throw TimeturnerError(error, doing: "compare the work tree with \(backup.ref)")
        }
        guard head == result else {
            throw TimeturnerError(.refused, "\(backup.head.displayName) moved since rollback \(entry.id) (it left \(result.short), now \(head.short)); undoing it would drop the newer commits",
                                  hint: "to go back to the pre-rollback code while keeping them: git timeturner rollback --to \(backup.headCommit.hex)")
        }
        try requireNothingOverwritten(status, changes: changes, backup: backup)
        try requireIndexAsTheRollbackLeftIt(backup: backup, headTree: headCommit.tree)
        try WorkTreeGuard.requireCommittedContentReadable(changes, in: repository, operation: "undo")
        try WorkTreeGuard.requireNoSubmoduleCheckoutRemoved(changes, in: repository, operation: "undo")
        let summary = (try? repository.commit(backup.headCommit).summary) ?? ""
        let code = CodeRollback(mode: .reset, targetName: "the state before rollback \(entry.id)", target: backup.headCommit,
                                targetSummary: summary, environment: entry.event["env"]?.stringValue, head: backup.head,
                                from: head, fromTree: headCommit.tree, commits: [], selectedRange: nil, mainline: nil,
                                resultTree: backup.workTree, changes: changes, reason: nil, recipe: .none)
        return (code, PlanBasis(lockPath: OperationDirectory(repository: repository).lockPath, head: backup.head, from: head, status: status))
    }

    private func requireNothingOverwritten(_ status: WorkTreeStatus, changes: [TreeChange], backup: SafetyBackup) throws(TimeturnerError) {
        if !status.conflicted.isEmpty {
            throw TimeturnerError(.refused, "the index has unresolved conflicts: \(WorkTreeGuard.list(status.conflicted))",
                                  hint: "resolve them or 'git reset --merge' first")
        }
        // A modified or untracked file is fine only when it is byte-for-byte what was captured
        // before the rollback (carried across untouched); anything else would be overwritten.
        // The same for files git ignores that now sit where the undo puts a file back.
        let touched = changes.map(\.path)
        let leaving = Set(changes.filter { $0.kind == .deleted || $0.kind == .typeChanged }.map(\.path))
        let occupied = changes.filter { $0.kind == .added }.compactMap { WorkTreeGuard.occupant(of: $0.path, in: repository, leaving: leaving) }
        // Only paths the undo writes: a file changed elsewhere since (or one that now merely
        // reads as changed, its line endings' attributes rolled back) is left as it is, its
        // change kept as uncommitted, and the index check below covers what is staged.
        let blocking = Array(Set(WorkTreeGuard.colliding(status.changed, with: touched) + WorkTreeGuard.colliding(status.untracked, with: touched) + occupied)).sorted().filter { path in
            (try? repository.treeEntry(path, in: backup.workTree)) != repository.hashWorkTreeFile(path)
        }
        if !blocking.isEmpty {
            throw TimeturnerError(.refused, "files changed since the rollback would be overwritten: \(WorkTreeGuard.list(blocking))",
                                  hint: "commit or stash them (git stash -u), or move untracked ones away, then run undo again")
        }
    }

    /// Undo puts back `.git/index` as it was before the rollback, byte for byte: anything staged
    /// or flagged since (`git add`, `update-index --assume-unchanged`) would be dropped without a
    /// word, the work-tree check above seeing nothing when the file itself is unchanged. What the
    /// rollback left is known: the index from before, with the paths it changed set to its tree
    /// (and their flags cleared). An entry that differs from that, stat data aside, is refused.
    private func requireIndexAsTheRollbackLeftIt(backup: SafetyBackup, headTree: OID) throws(TimeturnerError) {
        guard let indexFile = backup.indexFile else { return }  // a backup from before 0.2 keeps no index bytes
        var differing: [String] = []
        do throws(GitError) {
            let before = try repository.indexEntrySummaries(ofIndexFile: try repository.blobContent(indexFile))
            let now = try repository.indexEntrySummaries()
            let rolled = try repository.changes(from: try repository.commit(backup.headCommit).tree, to: headTree)
            let rolledPaths = Set(rolled.map(\.path))
            var expected: [String: [IndexEntrySummary]] = [:]
            for entry in before where !rolledPaths.contains(entry.path) { expected[entry.path, default: []].append(entry) }
            for change in rolled {
                guard let blob = change.newID, change.newMode != 0 else { continue }  // deleted by the rollback
                expected[change.path] = [IndexEntrySummary(path: change.path, stage: 0, mode: change.newMode, blob: blob,
                                                           assumeUnchanged: false, skipWorktree: false, intentToAdd: false)]
            }
            let current = Dictionary(grouping: now, by: \.path)
            for path in Set(expected.keys).union(current.keys) where (expected[path] ?? []) != (current[path] ?? []) {
                differing.append(path)
            }
        } catch {
            throw TimeturnerError(error, doing: "compare the index with the one the rollback left")
        }
        guard !differing.isEmpty else { return }
        throw TimeturnerError(.refused, "the index changed since the rollback (staged content or flags): \(WorkTreeGuard.list(differing.sorted())); undo puts back the index from before the rollback and would drop that; nothing was changed",
                              hint: "commit it, or unstage it ('git restore --staged <path>', 'git update-index --no-assume-unchanged <path>'), then run undo again")
    }

    /// The tiers the rollback changed, each returned to the state it had just before the
    /// rollback, through the executor configured (and trusted) for it now.
    private func planTiers(_ entry: JournalEntry, returningTo commit: OID, codeOnly: Bool,
                           warnings: inout [String]) throws(TimeturnerError) -> [PlannedTier] {
        let event = entry.typed
        let changed = Set((event?.tiers ?? []).map(\.tier).filter { $0 != Tier.code })
        guard !changed.isEmpty else { return [] }
        let names = changed.sorted { Tier.rank($0) < Tier.rank($1) }.joined(separator: ", ")
        if codeOnly {
            warnings.append("rollback \(entry.id) also rolled back \(names); with --code-only the undo leaves them as they are now")
            return []
        }
        let captures = (event?.captures ?? []).filter { changed.contains($0.tier) }
        guard !captures.isEmpty else {
            warnings.append("rollback \(entry.id) also rolled back \(names), but its journal event (written by an older version) has no capture of their state before it; the undo restores the code only")
            return []
        }
        let configured = try configuration.tierAssignments()
        return try captures.map { (record) throws(TimeturnerError) in
            guard let assignment = configured.first(where: { $0.tier == record.tier }), assignment.executor == record.executor else {
                throw TimeturnerError(.refused, "the \(record.tier) tier was rolled back with the \(record.executor ?? "?") executor, which is not configured for it now, so the undo cannot put it back",
                                      hint: "configure it again (timeturner.tier.\(record.tier).executor = \(record.executor ?? "?")), or undo only the code with --code-only")
            }
            let phase = try Tier.phase(assignment.tier, setting: assignment.setting("order"), origin: "configuration")
            return PlannedTier(assignment: assignment, target: record.capture ?? .object([:]), point: nil, phase: phase,
                               targetCommit: commit, capturedAt: record.start.flatMap(Timestamp.init(rfc3339:)), discards: record.discards)
        }
    }
}
