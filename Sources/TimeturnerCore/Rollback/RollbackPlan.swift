internal import Synchronization
public import GitKit

/// One commit a rollback undoes (or reverts), as shown in the plan and the commit message.
public struct PlannedCommit: Equatable, Sendable {
    public let id: OID
    public let summary: String
    public let isMerge: Bool
}

/// How the new commits of a revert are made. Planning builds them only in memory (a dry run
/// writes no object); the engine builds them again, for real, from this recipe.
enum RevertRecipe: Sendable, Equatable {
    /// reset: no new commit, the branch moves to the target.
    case none
    /// One commit on top of HEAD carrying the target's tree.
    case wholeTree(message: String)
    /// One reverse merge per commit, newest first, each on top of the previous result.
    case commits([PlannedCommit], mainline: Int?)
}

/// The code tier of a plan: what git-timeturner itself does with the branch, index and work tree.
public struct CodeRollback: Sendable {
    public let mode: RollbackMode
    /// What the user named (`last-good (production)`, `point p1`, `v1.2`), for messages and the journal.
    public let targetName: String
    /// The commit whose tree the code returns to (for `--commits`: HEAD, the commits are reverted on top).
    public let target: OID
    public let targetSummary: String
    public let environment: String?
    public let head: HeadPosition
    public let from: OID
    public let fromTree: OID
    /// Newest first. To a target: the commits between target and HEAD. `--commits`: those commits.
    public let commits: [PlannedCommit]
    /// Only set for `--commits`: the range as given.
    public let selectedRange: String?
    public let mainline: Int?
    /// The tree the branch holds afterwards (the user's uncommitted changes stay on top of it).
    public let resultTree: OID
    public let changes: [TreeChange]
    public let reason: String?
    let recipe: RevertRecipe
    /// The blobs of `changes` being inflated on another thread, when the plan was made to be
    /// executed at once (`RollbackPlanner.plan(readingAhead:)`); the engine waits for it.
    var readAhead: ConcurrentRead<Int>? = nil

    /// The rollback would change nothing: a revert whose result tree is HEAD's (an empty
    /// commit), or a reset to HEAD itself. Such a plan has no steps and writes nothing.
    public var changesNothing: Bool {
        recipe == .none ? target == from : resultTree == fromTree
    }

    /// The blobs a work-tree update to `changes` writes, in the order it writes them (gitlinks
    /// record a commit of another repository and write nothing).
    static func blobs(toWrite changes: [TreeChange]) -> [OID] {
        changes.compactMap { $0.newMode == 0o160000 ? nil : $0.newID }
    }
}

/// A tier beyond code that the plan rolls back: its executor and the capture it returns to.
public struct PlannedTier: Sendable {
    public let assignment: TierAssignment
    /// The point's capture of this tier: the state it goes back to.
    public let target: JSONValue
    public let point: PointReference?
    /// When it runs among the tiers (lower first; `Tier.defaultPhase`, or the tier's `order`).
    public let phase: Int
    /// The commit whose state `target` is (the point's commit; for an undo, the commit returned to).
    public let targetCommit: OID?
    /// When `target` was captured, and what rolling back to it throws away (the executor's
    /// words, from its capture answer), when it does.
    public let capturedAt: Timestamp?
    public let discards: String?

    public init(assignment: TierAssignment, target: JSONValue, point: PointReference?, phase: Int? = nil,
                targetCommit: OID? = nil, capturedAt: Timestamp? = nil, discards: String? = nil) {
        self.assignment = assignment
        self.target = target
        self.point = point
        self.phase = phase ?? Tier.defaultPhase(assignment.tier)
        self.targetCommit = targetCommit ?? point.flatMap { OID(hex: $0.commit) }
        self.capturedAt = capturedAt
        self.discards = discards
    }

    public var name: String { assignment.tier }
}

/// What the repository looked like when the plan was made. Execution re-reads it under the
/// lock and refuses the plan if it changed: a commit made, or a file edited, while the prompt
/// waited must not be acted on blindly.
public struct PlanBasis: Sendable, Equatable {
    /// Where the lock is taken: this worktree's git directory, wherever that lives.
    public let lockPath: String
    public let head: HeadPosition
    public let from: OID
    public let status: WorkTreeStatus
}

/// What a plan does to the code: a rollback moves the branch to a new result; an undo puts
/// back the state a rollback's safety backup keeps.
public enum PlannedOperation: Sendable {
    case rollback
    case undo(rollbackID: String, backup: SafetyBackup)

    /// `rollback` or `undo`: the journal event's type and the word the person types.
    public var name: String {
        switch self {
        case .rollback: "rollback"
        case .undo: "undo"
        }
    }
}

/// A checked plan: everything was looked up and every safety check passed when it was made.
/// Its `steps` are exactly what the engine runs, in order; the dry run prints them. Only the
/// planner makes one, and only with an `Approval` bound to its digest does it run.
public struct RollbackPlan: Sendable, ConfirmablePlan {
    public let id: String
    public let operation: PlannedOperation
    public let request: RollbackRequest
    public let code: CodeRollback
    public let tiers: [PlannedTier]
    public let verification: [VerificationCommand]
    /// `timeturner.activate`: run once after every tier is in place (and again after a restore
    /// put them back), so the system restarts exactly once, on a consistent state.
    public let activation: VerificationCommand?
    /// When the code moves among the tiers (`Tier.defaultPhase`, or `timeturner.tier.code.order`).
    public let codePhase: Int
    public let steps: [RollbackStep]
    /// What each tier's executor said when asked with `dryRun: true` (set by the pipeline before
    /// the plan is shown, so the approval covers it too).
    public internal(set) var preflight: [TierPreflight] = []
    /// Registry lines skipped while resolving the target, submodules the rollback cannot check out.
    public let warnings: [String]
    public let basis: PlanBasis

    /// Typed to confirm: `rollback` or `undo`.
    public var confirmationWord: String { operation.name }

    public var safetyRef: String { SafetyBackup.ref(for: id) }
    /// Uncommitted changes carried across (none of them in a path the rollback changes).
    public var dirtyPaths: [String] { basis.status.changed }
    public var untrackedPaths: [String] { basis.status.untracked }
    public var isDirty: Bool { !basis.status.isClean }

    public func tier(_ name: String) -> PlannedTier? { tiers.first { $0.name == name } }

    /// The tiers whose rollback throws data away (a dump restored), for the plan and the consent.
    public var dataLoss: [PlannedTier] { tiers.filter { $0.discards != nil } }

    public var unacceptedDataLoss: String? {
        guard !request.acceptDataLoss, !dataLoss.isEmpty else { return nil }
        return dataLoss.map { "the \($0.name) tier \($0.discards ?? "")" }.joined(separator: "; ")
    }

    /// The branch moves (and the work tree changes) only when the code is among the tiers:
    /// `--tiers db` rolls back the database alone.
    public var includesCode: Bool { request.tierNames?.contains(Tier.code) ?? true }

    /// Whether the branch ends somewhere else: the code is included and there is something to move.
    public var movesCode: Bool { includesCode && steps.contains(.moveBranch) }

    /// A SHA-256 over the plan as JSON: an approval carries it, so only this plan can run with it.
    public var digest: String { digestMemo.digest(for: preflight) { SHA256.hex(of: Array(json.canonicalLine.utf8)) } }

    /// Approving a plan and executing it both ask for its digest (a twentieth of a rollback's
    /// CPU time when computed twice). Every field but `preflight` is a constant, so the digest
    /// is kept with the `preflight` it was computed for; copies share the box, which is right
    /// for the same reason.
    let digestMemo = DigestMemo()
}

/// The digest of a plan, remembered with the one field of the plan that may still change.
final class DigestMemo: Sendable {
    private let stored = Mutex<(preflight: [TierPreflight], digest: String)?>(nil)

    func digest(for preflight: [TierPreflight], computing: () -> String) -> String {
        if let known = stored.withLock({ $0 }), known.preflight == preflight { return known.digest }
        let digest = computing()
        stored.withLock { $0 = (preflight, digest) }
        return digest
    }
}
