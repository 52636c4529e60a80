public import GitKit

/// How the code tier goes back.
public enum RollbackMode: String, Sendable, CaseIterable {
    /// One new commit on top of HEAD whose tree is the target's (or, with `--commits`, one
    /// reverse merge per commit). History is kept; safe on shared branches.
    case revert
    /// Move the branch (or detached HEAD) to the target; the commits after it leave the branch
    /// and stay reachable from the safety ref.
    case reset
}

/// What the user asked for, before anything was looked up.
public struct RollbackRequest: Sendable {
    /// A point id, a commit-ish, or `last-good`. Nil with an environment means `last-good`.
    public var target: String?
    public var environment: String?
    public var mode: RollbackMode
    /// `A..B` or one commit: revert only these commits (revert mode only).
    public var commits: String?
    /// The parent (1-based) to revert merge commits towards, with `commits`.
    public var mainline: Int?
    /// Verification commands from the command line; those from `timeturner.verify` are added by the planner.
    public var verifyCommands: [String]
    public var verifyTimeout: TimeSpan
    public var reason: String?
    /// `timeturner.verify` as the layered configuration has it (`.timeturner` < git config <
    /// `-c`), already checked for trust. Nil: the planner reads git config itself.
    public var configuredVerifyCommands: [String]?

    public init(target: String? = nil, environment: String? = nil, mode: RollbackMode = .revert, commits: String? = nil,
                mainline: Int? = nil, verifyCommands: [String] = [], verifyTimeout: TimeSpan = TimeSpan(seconds: 300),
                reason: String? = nil) {
        self.target = target
        self.environment = environment
        self.mode = mode
        self.commits = commits
        self.mainline = mainline
        self.verifyCommands = verifyCommands
        self.verifyTimeout = verifyTimeout
        self.reason = reason
    }
}

/// Where HEAD is: on a branch (the ref that moves) or detached (HEAD itself moves).
public enum HeadPosition: Equatable, Sendable {
    case branch(String)
    case detached

    /// The reference a rollback compares and moves.
    public var movingReference: String {
        switch self {
        case .branch(let name): name
        case .detached: "HEAD"
        }
    }

    /// `refs/heads/main`, or `detached` — the form stored in the safety commit and state.
    public var recorded: String {
        switch self {
        case .branch(let name): name
        case .detached: "detached"
        }
    }

    init(recorded: String) {
        self = recorded == "detached" ? .detached : .branch(recorded)
    }

    public var displayName: String {
        switch self {
        case .branch(let name): name.hasPrefix("refs/heads/") ? String(name.dropFirst("refs/heads/".count)) : name
        case .detached: "detached HEAD"
        }
    }
}

/// One commit a rollback undoes (or reverts), as shown in the plan and the commit message.
public struct PlannedCommit: Equatable, Sendable {
    public let id: OID
    public let summary: String
    public let isMerge: Bool
}

/// A checked plan: everything was looked up and every safety check passed when it was made.
/// Only the planner makes one (its initialiser is internal), and only an approved plan runs,
/// so nothing can execute a rollback that was not planned and confirmed.
public struct RollbackPlan: Sendable {
    public let id: String
    public let mode: RollbackMode
    /// What the user named (`last-good`, a point id, `v1.2`), for messages and the journal.
    public let targetName: String
    /// The commit whose tree the code returns to (for `--commits`: HEAD, the commits are reverted on top).
    public let target: OID
    public let targetSummary: String
    public let environment: String?
    public let head: HeadPosition
    public let from: OID
    /// Newest first. revert/reset to a target: the commits between target and HEAD. `--commits`: those commits.
    public let commits: [PlannedCommit]
    /// Only set for `--commits`: the range as given.
    public let selectedRange: String?
    public let mainline: Int?
    /// The tree the work tree will hold after the code tier (with the user's uncommitted changes on top).
    public let resultTree: OID
    public let fromTree: OID
    public let changes: [TreeChange]
    public let verifyCommands: [String]
    public let verifyTimeout: TimeSpan
    public let reason: String?
    /// Uncommitted changes carried across (none of them in a path the rollback changes).
    public let dirtyPaths: [String]
    public let untrackedPaths: [String]
    public let safetyRef: String
    /// Registry lines skipped while resolving the target, for the user to see.
    public let warnings: [String]
    /// Commits `--commits` built in memory while checking for conflicts, oldest first; the
    /// executor writes exactly these trees, so what was checked is what runs.
    let revertedTrees: [(commit: OID, tree: OID)]

    public var isDirty: Bool { !dirtyPaths.isEmpty || !untrackedPaths.isEmpty }

    /// The user said yes (or `--yes`). The CLI makes this after asking; nothing else runs a plan.
    public func approve() -> ApprovedRollback { ApprovedRollback(plan: self) }

    /// The plan as JSON (`--dry-run --json`), in the same vocabulary as the journal event.
    public var json: JSONValue {
        var fields: [String: JSONValue] = [
            "id": .string(id), "mode": .string(mode.rawValue), "target": .string(targetName),
            "from": .string(from.hex), "to": .string(target.hex), "head": .string(head.recorded),
            "commits": .array(commits.map { .object(["id": .string($0.id.hex), "summary": .string($0.summary), "merge": .bool($0.isMerge)]) }),
            "files": .array(changes.map { .object(["path": .string($0.path), "change": .string($0.kind.rawValue)]) }),
            "verify": .array(verifyCommands.map(JSONValue.string)),
            "verifyTimeoutSeconds": .int(verifyTimeout.seconds),
            "safetyRef": .string(safetyRef),
            "dirty": .array(dirtyPaths.map(JSONValue.string)),
            "untracked": .int(Int64(untrackedPaths.count)),
            "writes": .array(writes.map(JSONValue.string)),
        ]
        if let environment { fields["env"] = .string(environment) }
        if let reason { fields["reason"] = .string(reason) }
        if let selectedRange { fields["range"] = .string(selectedRange) }
        if let mainline { fields["mainline"] = .int(Int64(mainline)) }
        return .object(fields)
    }

    /// What the rollback will write, and where, in order.
    public var writes: [String] {
        var out = ["\(safetyRef): pre-rollback HEAD\(isDirty ? ", index, work tree and untracked files" : "")"]
        switch mode {
        case .revert:
            let count = selectedRange == nil ? 1 : commits.count
            out.append("\(head.displayName): \(count) new revert commit\(count == 1 ? "" : "s") on top of \(from.short)")
        case .reset:
            out.append("\(head.displayName): moved from \(from.short) to \(target.short)")
        }
        out.append("work tree and index: \(changes.count) path\(changes.count == 1 ? "" : "s")")
        out.append("\(StorageLayout.registryRef): one journal event")
        return out
    }
}

/// A plan the user confirmed. The only input `RollbackEngine.execute` accepts.
public struct ApprovedRollback: Sendable {
    public let plan: RollbackPlan
}
