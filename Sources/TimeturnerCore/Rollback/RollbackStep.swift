/// One step of a planned operation, in the order the engine runs them. A plan is a list of
/// these; `--dry-run` prints them, and the engine executes exactly them, one small function each.
/// Tiers are named, verification commands are indexes into the plan's list, so a step is a plain
/// value that `state.jsonl` and the digest can record.
public enum RollbackStep: Sendable, Equatable, Hashable {
    case takeLock
    /// The present state of a tier beyond code, so a failure (or `recover`) can put it back.
    case captureTier(String)
    case writeSafetyBackup
    /// The branch (or detached HEAD) moves to the result by compare-and-swap on its planned value.
    case moveBranch
    /// The paths the code rollback changes, in the work tree and the index.
    case updateWorkTree
    /// A tier beyond code returns to the point's capture through its executor …
    case rollBackTier(String)
    /// … and its executor checks that it works.
    case verifyTier(String)
    /// `timeturner.activate`, once every tier is in place (restart or reload the application).
    case activate
    /// The plan's verification command at this index.
    case runVerification(Int)
    /// Undo: branch, index and work tree go back to the state the undone rollback's safety ref keeps.
    case restoreFromSafetyBackup
    case writeJournal

    /// The step's kind as `state.jsonl`, `status` and the test pause hook name it.
    public var kind: OperationStep {
        switch self {
        case .takeLock: .lock
        case .captureTier: .capture
        case .writeSafetyBackup: .safetyRef
        case .moveBranch: .moveRef
        case .updateWorkTree: .workTree
        case .rollBackTier, .verifyTier: .tiers
        case .activate: .activate
        case .runVerification: .verify
        case .restoreFromSafetyBackup: .restore
        case .writeJournal: .journal
        }
    }

    /// A stable name for this exact step (`capture:db`, `verify:2`), recorded in `state.jsonl`.
    public var label: String {
        switch self {
        case .captureTier(let tier): "capture:\(tier)"
        case .rollBackTier(let tier): "rollback:\(tier)"
        case .verifyTier(let tier): "verify-tier:\(tier)"
        case .runVerification(let index): "verify:\(index + 1)"
        default: kind.rawValue
        }
    }

    /// The step a recorded `label` names; nil for one this version does not know.
    public init?(label: String) {
        let (name, argument) = label.firstIndex(of: ":").map { (String(label[..<$0]), String(label[label.index(after: $0)...])) } ?? (label, nil)
        switch (name, argument) {
        case ("capture", let tier?): self = .captureTier(tier)
        case ("rollback", let tier?): self = .rollBackTier(tier)
        case ("verify-tier", let tier?): self = .verifyTier(tier)
        case ("verify", let number?):
            guard let number = Int(number), number >= 1 else { return nil }
            self = .runVerification(number - 1)
        case (_, nil):
            switch OperationStep(rawValue: name) {
            case .lock: self = .takeLock
            case .safetyRef: self = .writeSafetyBackup
            case .moveRef: self = .moveBranch
            case .workTree: self = .updateWorkTree
            case .activate: self = .activate
            case .restore: self = .restoreFromSafetyBackup
            case .journal: self = .writeJournal
            case .capture, .tiers, .verify, nil: return nil
            }
        default: return nil
        }
    }

    /// The tier a step rolls back or verifies: what a person checks by hand when it may have run
    /// without a record.
    var tierActedOn: String? {
        switch self {
        case .rollBackTier(let tier), .verifyTier(let tier): tier
        default: nil
        }
    }

    /// Whether the record written as the step starts must be on disk before the step runs
    /// (the state file and its directory synced). It must when what the step does first is a
    /// change that `recover` has to know about after a power loss. The steps before the first
    /// change do not need it: the lock's, the captures', the safety backup's, and the branch
    /// step's own start, which changes nothing until it has saved (durably) the commit it moves
    /// the branch to. After a power loss their record may be missing or be the one before; what
    /// they left (a safety ref, a capture's artifact) stays where it is, nothing is lost.
    var recordsDurably: Bool {
        switch self {
        case .takeLock, .captureTier, .writeSafetyBackup, .moveBranch: false
        default: true
        }
    }

    /// Whether the step changes something that a failure later must put back.
    var changesState: Bool {
        switch self {
        case .moveBranch, .updateWorkTree, .rollBackTier, .verifyTier, .activate, .restoreFromSafetyBackup: true
        default: false
        }
    }
}

/// The kinds of step, in the order a rollback passes them. `state.jsonl` lists those done, so
/// `status` and `recover` know exactly how far an operation got.
public enum OperationStep: String, Sendable, CaseIterable, Codable {
    case lock
    case capture
    case safetyRef = "safety-ref"
    case moveRef = "move-ref"
    case workTree = "work-tree"
    /// Tiers beyond code (deploy, config, db, system): each one's rollback and verification.
    case tiers
    /// `timeturner.activate`: the restart once every tier is in place.
    case activate
    case verify
    /// Putting back the state before the operation: after a failure, or as an undo.
    case restore
    case journal
}
