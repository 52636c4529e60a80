internal import Glibc
public import GitKit

/// A checked undo: the rollback to undo, its safety backup, and where the branch is now.
public struct UndoPlan: Sendable {
    public let rollbackID: String
    public let backup: SafetyBackup
    /// The rollback's result commit, which the branch must still hold.
    public let current: OID
    public let changes: [TreeChange]
    /// Whether the work tree differs from HEAD now (then the undo's safety ref captures it).
    public let dirty: Bool

    /// What the undo will not do that the user must know (submodule checkouts).
    public var warnings: [String] { SubmoduleNotice.warnings(for: changes, operation: "undo") }
}

/// A gitlink is rolled back as the commit it records; the submodule's own checkout is another
/// repository, left alone (nothing in it is lost), and the user must hear that.
enum SubmoduleNotice {
    static func warnings(for changes: [TreeChange], operation: String) -> [String] {
        changes.filter { $0.oldMode == 0o160000 || $0.newMode == 0o160000 }.map {
            "submodule '\($0.path)': the \(operation) changes the commit it records, not the submodule's checked-out files; afterwards run: git submodule update --init -- \($0.path)"
        }
    }
}

extension RollbackEngine {
    // MARK: - Undo

    /// Checks that `rollbackID` (the newest undoable rollback when nil) can be undone: its
    /// safety backup exists, HEAD is where the rollback left it, and no uncommitted change of a
    /// tracked file would be lost.
    public func planUndo(_ rollbackID: String?) throws(TimeturnerError) -> UndoPlan {
        try RollbackPlanner.requireWorkTreeRepository(repository, for: "undo")
        let journal = RollbackJournal(repository: repository)
        guard let entry = try journal.entry(id: rollbackID) else {
            throw TimeturnerError(.failure, rollbackID.map { "no rollback \($0) in the journal" } ?? "no rollback to undo in the journal",
                                  hint: "list them with 'git timeturner history'")
        }
        guard entry.succeeded else {
            throw TimeturnerError(.refused, "rollback \(entry.id) ended '\(entry.status)': it left no change behind to undo",
                                  hint: "undo the most recent succeeded rollback with 'git timeturner undo', or pick one from 'git timeturner history'")
        }
        let backup = try SafetyBackup.read(id: entry.id, in: repository)
        guard let result = entry.event["commit"]?.stringValue.flatMap(OID.init(hex:)) else {
            throw TimeturnerError(.failure, "the journal event of \(entry.id) names no result commit")
        }
        try backup.requireHeadPosition(in: repository)
        let head: OID, status: WorkTreeStatus, changes: [TreeChange]
        do {
            head = try repository.headCommit()
            status = try repository.workTreeStatus()
            changes = try repository.changes(from: try repository.commit(head).tree, to: backup.workTree)
        } catch {
            throw TimeturnerError(error, doing: "compare the work tree with \(backup.ref)")
        }
        guard head == result else {
            throw TimeturnerError(.refused, "\(backup.head.displayName) moved since rollback \(entry.id) (it left \(result.short), now \(head.short)); undoing it would drop the newer commits",
                                  hint: "to go back to the pre-rollback code while keeping them: git timeturner rollback --to \(backup.headCommit.hex)")
        }
        if !status.conflicted.isEmpty {
            throw TimeturnerError(.refused, "the index has unresolved conflicts: \(RollbackPlanner.list(status.conflicted))",
                                  hint: "resolve them or 'git reset --merge' first")
        }
        // A modified or untracked file is fine only when it is byte-for-byte what was captured
        // before the rollback (carried across untouched); anything else would be overwritten, so
        // it is refused. The undo's own safety ref captures the state it leaves either way.
        let touched = changes.map(\.path)
        var blocking: [String] = []
        for path in status.changed + RollbackPlanner.colliding(status.untracked, with: touched) {
            let captured = try? repository.treeEntry(path, in: backup.workTree)
            if captured != repository.hashWorkTreeFile(path) { blocking.append(path) }
        }
        if !blocking.isEmpty {
            throw TimeturnerError(.refused, "files changed since the rollback would be overwritten: \(RollbackPlanner.list(blocking))",
                                  hint: "commit or stash them (git stash -u), or move untracked ones away, then run undo again")
        }
        return UndoPlan(rollbackID: entry.id, backup: backup, current: head, changes: changes, dirty: !status.isClean)
    }

    /// Returns to the state kept in the rollback's safety ref. The undo has a safety ref of its
    /// own (the state it leaves), so it can be reversed the same way, and it is journaled.
    public func undo(_ plan: UndoPlan) async throws(TimeturnerError) -> OperationOutcome {
        let clock = ContinuousClock()
        let started = clock.now
        let id = RollbackPlanner.generatedID(at: attribution.time)
        let lock = try directory.acquire(operation: "undo", id: id, now: attribution.time)
        defer { lock.release() }
        let backup = plan.backup
        var event: JSONValue = .object([
            "type": "undo", "v": .int(StorageLayout.eventVersion), "id": .string(id), "undoes": .string(plan.rollbackID),
            "from": .string(plan.current.hex), "to": .string(backup.headCommit.hex), "mode": "undo",
            "head": .string(backup.head.recorded), "safetyRef": .string(SafetyBackup.ref(for: id)),
            "start": .string(attribution.time.rfc3339), "by": .string(attribution.identity), "status": "in-progress",
        ])
        var state = OperationState(operation: "undo", id: id, mode: "undo", head: backup.head.recorded, from: plan.current,
                                   to: backup.headCommit, result: backup.headCommit, safetyRef: SafetyBackup.ref(for: id),
                                   start: attribution.time, pid: getpid(), stepsDone: ["lock"], step: OperationStep.safetyRef.rawValue,
                                   event: event)
        try directory.writeState(state)
        let currentTree: OID
        do { currentTree = try repository.commit(plan.current).tree } catch { throw TimeturnerError(error, doing: "read HEAD") }
        _ = try SafetyBackup.write(id: id, operation: "undo", head: backup.head, headCommit: plan.current, headTree: currentTree,
                                   dirty: plan.dirty, in: repository, by: attribution)
        state.stepsDone.append(OperationStep.safetyRef.rawValue)
        state.step = OperationStep.restore.rawValue
        try directory.writeState(state)
        progress.report(.stepStarted(.restore))
        do {
            try backup.restore(from: plan.current, in: repository)
        } catch {
            directory.removeState()
            throw TimeturnerError(.failure, "could not undo rollback \(plan.rollbackID): \(error.message)", hint: error.hint,
                                  causes: error.causes + ["the state before the undo is kept in \(SafetyBackup.ref(for: id))"])
        }
        progress.report(.stepFinished(.restore))
        event[field: "status"] = "succeeded"
        event[field: "durationMs"] = .int((clock.now - started).wholeMilliseconds)
        let written = journalOrWarn(event)
        directory.removeState()
        return OperationOutcome(event: written, status: "succeeded", error: nil)
    }

    // MARK: - Recover

    /// What `recover` found and did.
    public enum RecoveryAction: Sendable, Equatable {
        case nothingToDo
        case clearedStaleLock(LockHolder)
        /// The operation stopped before changing anything; its state was cleared.
        case nothingChanged(String)
        case restored(String)
        case completed(String)
    }

    /// After a crash: clears a stale lock, and for an interrupted operation either completes it
    /// (the ref moved and verification had passed) or restores the pre-operation state from its
    /// safety ref. A live lock is never broken.
    public func recover() throws(TimeturnerError) -> (action: RecoveryAction, outcome: OperationOutcome?) {
        let holder = directory.currentHolder()
        if directory.lockExists, !(holder?.isStale ?? false) {
            throw TimeturnerError(.locked, "\(holder?.description ?? "an operation") holds \(directory.lockPath) and is still running",
                                  hint: "wait for it to finish; a lock of a live process is never broken ('git timeturner status' shows where it is)")
        }
        guard let state = directory.readState() else {
            if let cleared = try directory.clearStaleLock() { return (.clearedStaleLock(cleared), nil) }
            return (.nothingToDo, nil)
        }
        _ = try directory.clearStaleLock()
        // A test's pause marker left by a killed run means nothing once its process is gone.
        unlink(directory.path + "/test-pause")
        let lock = try directory.acquire(operation: "recover", id: state.id, now: attribution.time, wait: TimeSpan(seconds: 0))
        defer { lock.release() }

        let head = HeadPosition(recorded: state.head)
        let current: OID?
        do { current = try repository.reference(head.movingReference)?.target } catch {
            throw TimeturnerError(error, doing: "read \(head.movingReference)")
        }
        var event = state.event
        event[field: "recoveredAt"] = .string(attribution.time.rfc3339)
        event[field: "durationMs"] = .int((attribution.time.secondsSinceEpoch - state.start.secondsSinceEpoch) * 1000)

        let refMoved = state.stepsDone.contains(OperationStep.moveRef.rawValue)
        if current == state.from && state.from != state.result && refMoved {
            // A restore that moved the ref back and then failed: finish putting the files back.
            let backup = try SafetyBackup.read(id: state.id, in: repository)
            try backup.restore(from: state.from, checkedOut: state.result, in: repository)
            event[field: "status"] = "interrupted-restored"
            let written = state.operation == "rollback" ? journalOrWarn(event) : event
            directory.removeState()
            return (.restored(state.id), OperationOutcome(event: written, status: "interrupted-restored", error: nil))
        }
        if current == state.from && state.from != state.result {
            // The ref never moved, so no file was touched: the operation simply did not happen.
            event[field: "status"] = "interrupted-nothing-changed"
            let written = state.operation == "rollback" ? journalOrWarn(event) : event
            directory.removeState()
            return (.nothingChanged(state.id), OperationOutcome(event: written, status: "interrupted-nothing-changed", error: nil))
        }
        guard current == state.result else {
            throw TimeturnerError(.refused, "\(head.movingReference) is at \(current?.short ?? "nothing"), neither where \(state.operation) \(state.id) started (\(state.from.short)) nor where it was going (\(state.result.short)); not guessing",
                                  hint: "the state before it is kept in \(state.safetyRef); inspect it with 'git show \(state.safetyRef)', then remove \(directory.statePath)")
        }
        // `verify` is recorded as done when verification passed or none was configured: then the
        // rollback had finished everything but the journal, and completing it is what was asked.
        if state.operation == "rollback" && state.stepsDone.contains(OperationStep.verify.rawValue) {
            event[field: "status"] = "succeeded"
            let written = journalOrWarn(event)
            directory.removeState()
            return (.completed(state.id), OperationOutcome(event: written, status: "succeeded", error: nil))
        }
        let backup = try SafetyBackup.read(id: state.id, in: repository)
        try backup.restore(from: state.result, in: repository)
        event[field: "status"] = "interrupted-restored"
        let written = state.operation == "rollback" ? journalOrWarn(event) : event
        directory.removeState()
        return (.restored(state.id), OperationOutcome(event: written, status: "interrupted-restored", error: nil))
    }

    /// What `status` shows: the lock holder, the interrupted or running operation, the last rollback.
    public func currentStatus() -> (holder: LockHolder?, state: OperationState?, lockPath: String) {
        (directory.lockExists ? directory.currentHolder() : nil, directory.readState(), directory.lockPath)
    }

    private func journalOrWarn(_ event: JSONValue) -> JSONValue {
        do { return try RollbackJournal(repository: repository).append(event, at: attribution.time, by: attribution) } catch {
            progress.report(.warning("could not write the journal event: \(error.message)"))
            return event
        }
    }
}
