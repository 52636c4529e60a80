public import GitKit
internal import Glibc

/// What `recover` will do about an interrupted operation or a stale lock.
public enum RecoveryAction: Sendable, Equatable {
    case nothingToDo
    /// No operation state, only a lock whose process is gone.
    case clearStaleLock(LockHolder)
    /// The operation stopped before changing anything: its state is cleared (and journaled).
    case clearState
    /// The operation changed something and had not finished: the code (and every tier whose
    /// rollback had started) goes back to the state before it.
    case restore
    /// Everything but the journal was done (verification had passed): it is journaled as succeeded.
    case complete
}

/// A checked recovery: what was found in `.git/timeturner/` and what will be done about it.
public struct RecoveryPlan: Sendable, ConfirmablePlan {
    public let action: RecoveryAction
    public let state: OperationState?
    /// Where the moving ref is now.
    public let current: OID?
    /// Tiers to put back, newest first, each with its capture from before the operation.
    public let tiers: [PlannedTier]
    /// Whole records of the state file newer than `state` that could not be read (damage).
    public var damagedRecords = 0

    public var confirmationWord: String { "recover" }
    public var digest: String {
        SHA256.hex(of: Array("\(action) \(state?.publicJSON.canonicalLine ?? "-") \(current?.hex ?? "-") \(tiers.map(\.name))".utf8))
    }

    /// What the recovery does, in order, for the confirmation prompt.
    public var steps: [String] {
        switch action {
        case .nothingToDo: return []
        case .clearStaleLock(let holder): return ["remove the stale lock of \(holder.description)"]
        case .clearState: return ["clear the state of \(state?.operation ?? "") \(state?.id ?? ""), which had changed nothing", "write one journal event"]
        case .complete: return ["journal \(state?.operation ?? "") \(state?.id ?? "") as succeeded (everything else was done)"]
        case .restore:
            return tiers.map { "\($0.name): \($0.assignment.executor) restore to its state before \(state?.id ?? "")" }
                + ["restore branch, index and work tree from \(state?.safetyRef ?? "")", "write one journal event"]
        }
    }
}

/// Reads what an interrupted operation left and decides, without changing anything, whether
/// to finish it, put back the state before it, or only clear its traces. A live lock is never
/// broken; a ref that is neither where the operation started nor where it was going is not guessed at.
public struct RecoveryPlanner {
    let repository: Repository
    let configuration: TimeturnerConfiguration

    public init(repository: Repository, configuration: TimeturnerConfiguration) {
        self.repository = repository
        self.configuration = configuration
    }

    public func plan() throws(TimeturnerError) -> RecoveryPlan {
        let directory = OperationDirectory(repository: repository)
        let holder = directory.currentHolder()
        if directory.lockExists, !(holder?.isStale ?? false) {
            guard let holder else {
                throw TimeturnerError(.locked, "the lock may be held: \(directory.unreadableLockDescription)", hint: directory.unreadableLockHint)
            }
            throw TimeturnerError(.locked, "\(holder.description) holds \(directory.lockPath) and is still running",
                                  hint: "wait for it to finish; a lock of a live process is never broken ('git timeturner status' shows where it is)")
        }
        let read = directory.readStateReport()
        guard let state = read.state else {
            // Clearing the lock would abandon an operation that may have changed anything.
            if read.damagedRecords > 0 {
                throw TimeturnerError(.refused, OperationDirectory.damageWarning(read.damagedRecords, state: nil, path: directory.statePath) + "; nothing was changed",
                                      hint: "its safety backup, if it wrote one, is under refs/timeturner/safety/ ('git for-each-ref refs/timeturner/safety/'); put back by hand what it changed, then remove \(directory.statePath) and run 'git timeturner recover' again to clear the lock")
            }
            // No record at all (the file missing or empty) is what a power loss before the first
            // change leaves: the records before it are not synced, the one before each change is,
            // so nothing changed. Unless the branch is no longer where the operation's safety
            // backup says it was: then records that were on disk are gone (the file truncated or
            // removed by hand, a damaged file system), and clearing the lock would abandon a
            // half-done operation as if it had never run.
            if let holder, !holder.id.isEmpty, let backup = try? SafetyBackup.read(id: holder.id, in: repository),
               let now = try? repository.reference(backup.head.movingReference)?.target, now != backup.headCommit {
                throw TimeturnerError(.refused, "\(holder.description) left no readable record in \(directory.statePath), but \(backup.head.movingReference) has moved from where its safety backup \(backup.ref) says it was (\(backup.headCommit.short), now \(now.short)): it changed things no record tells; nothing was changed",
                                      hint: "the state before it is kept in \(backup.ref) ('git show \(backup.ref)'; its first parent is where HEAD was); put back by hand what it changed, then remove \(directory.lockPath)" + (access(directory.statePath, F_OK) == 0 ? " and \(directory.statePath)" : ""))
            }
            let action: RecoveryAction = directory.lockExists && holder != nil ? .clearStaleLock(holder!) : .nothingToDo
            return RecoveryPlan(action: action, state: nil, current: nil, tiers: [])
        }
        let head = HeadPosition(recorded: state.head)
        let current: OID?
        do { current = try repository.reference(head.movingReference)?.target } catch {
            throw TimeturnerError(error, doing: "read \(head.movingReference)")
        }
        let action = try decide(state, current: current)
        let tiers = action == .restore ? try tiersToRestore(state) : []
        var plan = RecoveryPlan(action: action, state: state, current: current, tiers: tiers)
        plan.damagedRecords = read.damagedRecords
        return plan
    }

    private func decide(_ state: OperationState, current: OID?) throws(TimeturnerError) -> RecoveryAction {
        if current == state.from {
            // The ref never moved (nothing to do for the code unless tiers changed), or a
            // restore moved it back and stopped before the files were all back.
            return state.codeMoved || !state.changedTiers.isEmpty ? .restore : .clearState
        }
        guard current == state.result else {
            let head = HeadPosition(recorded: state.head)
            throw TimeturnerError(.refused, "\(head.movingReference) is at \(current?.short ?? "nothing"), neither where \(state.operation) \(state.id) started (\(state.from.short)) nor where it was going (\(state.result.short)); not guessing",
                                  hint: "the state before it is kept in \(state.safetyRef); inspect it with 'git show \(state.safetyRef)', then remove \(OperationDirectory(repository: repository).existingStatePath)")
        }
        return state.onlyJournalLeft ? .complete : .restore
    }

    /// Every tier whose rollback had started, newest first, with the capture of its present
    /// state taken before the operation and its executor as configured (and trusted) now.
    private func tiersToRestore(_ state: OperationState) throws(TimeturnerError) -> [PlannedTier] {
        guard !state.changedTiers.isEmpty else { return [] }
        let configured = try configuration.tierAssignments()
        return try state.changedTiers.reversed().map { (name) throws(TimeturnerError) in
            let saved = state.captures[name]
            guard let capture = saved?["capture"], let executor = saved?["executor"]?.stringValue else {
                throw TimeturnerError(.failure, "\(state.operation) \(state.id) changed the \(name) tier, but its state before was not recorded",
                                      hint: "restore the \(name) tier by hand; the code can be restored from \(state.safetyRef)")
            }
            guard let assignment = configured.first(where: { $0.tier == name && $0.executor == executor }) else {
                throw TimeturnerError(.refused, "the \(name) tier must be restored with the \(executor) executor, which is not configured for it now",
                                      hint: "configure it again (timeturner.tier.\(name).executor = \(executor)), then run recover again")
            }
            return PlannedTier(assignment: assignment, target: capture, point: nil)
        }
    }
}
