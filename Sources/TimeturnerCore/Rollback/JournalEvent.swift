/// How an operation ended, as the journal's `status` field says it. Stable strings: scripts
/// and `history` read them.
public enum JournalStatus: String, Sendable, Codable {
    case inProgress = "in-progress"
    case succeeded
    case verificationFailedRestored = "verification-failed-restored"
    case tierFailedRestored = "tier-failed-restored"
    case failedRestored = "failed-restored"
    case restoreFailed = "restore-failed"
    case interruptedRestored = "interrupted-restored"
    case interruptedNothingChanged = "interrupted-nothing-changed"
}

/// One tier of an operation (code included) as the journal records it: when it started, how
/// long it took, how it ended, and the captures it moved between.
public struct TierRecord: Sendable, Equatable, Codable {
    public var tier: String
    public var executor: String?
    /// Nil for a tier's rollback and verification (one record for both); `capture` for the
    /// present state taken before anything changed; `restore` after a failure.
    public var action: String?
    public var status: String
    public var start: String?
    public var durationMs: Int64
    public var detail: String?
    /// The capture the tier was rolled back (or restored) to; for a capture, what it captured.
    public var capture: JSONValue?
    /// For a capture: what a later return to it throws away (an undo restoring a dump).
    public var discards: String?

    public init(tier: String, executor: String? = nil, action: String? = nil, status: String, start: String? = nil,
                durationMs: Int64, detail: String? = nil, capture: JSONValue? = nil) {
        self.tier = tier
        self.executor = executor
        self.action = action
        self.status = status
        self.start = start
        self.durationMs = durationMs
        self.detail = detail
        self.capture = capture
    }

    public var succeeded: Bool { status == "succeeded" }
}

/// One verification command in the journal.
public struct VerificationRecord: Sendable, Equatable, Codable {
    public var command: String
    public var status: String
    public var exitStatus: Int32?
    public var signal: Int32?
    public var error: String?
    public var durationMs: Int64
    /// For a check: its verdict, baseline and measurements (`CheckResult.json`).
    public var check: JSONValue?
}

/// A tier whose rollback threw data away, and the window: writes after `capturedAt` are gone.
public struct DataLossRecord: Sendable, Equatable, Codable {
    public var tier: String
    /// The executor's words (`writes to app made after 2026-12-01T10:00:00Z`).
    public var discards: String
    public var capturedAt: String?
}

/// A rollback or undo as one journal line (`journal/<YYYY-MM>.jsonl`). Written once, at the end
/// of the operation, by `RollbackJournal`; converted to JSON there and nowhere else. Every field
/// added since the first version is optional, so older lines still decode.
public struct OperationEvent: Sendable, Equatable, Codable {
    public var type: String
    public var v: Int64
    public var id: String
    public var at: String?
    public var by: String
    public var start: String
    public var durationMs: Int64?
    public var status: JournalStatus
    public var mode: String
    public var from: String
    public var to: String
    public var head: String
    public var safetyRef: String
    /// The commit the moving ref was set to.
    public var commit: String?
    public var target: String?
    public var env: String?
    public var reason: String?
    public var range: String?
    public var commits: Int?
    public var files: Int?
    /// `--level` of this attempt; nil for a code-only rollback or `--tiers`.
    public var level: Int?
    /// Every tier this attempt covered, code included, in the order their rollbacks started.
    public var tiers: [TierRecord]?
    /// The tiers' present-state captures, taken before anything changed.
    public var captures: [TierRecord]?
    /// Tiers put back after a failure, newest first.
    public var tierRestores: [TierRecord]?
    public var verification: [VerificationRecord]?
    /// `timeturner.activate` runs: after the tiers, and again after a restore.
    public var activation: [VerificationRecord]?
    /// Tiers rolled back to a capture that discards data (accepted with --accept-data-loss or at the prompt).
    public var dataLoss: [DataLossRecord]?
    /// 1 for the first attempt; with `--escalate`, the next level's attempt is 2, and so on.
    public var attempt: Int?
    public var escalatedFrom: String?
    /// The step that failed, as `state.jsonl` names it.
    public var failedStep: String?
    public var error: String?
    public var restoreError: String?
    /// Undo: the rollback it undoes.
    public var undoes: String?
    /// Set when `recover` finished the operation after its process died.
    public var recoveredAt: String?
    /// `recover`'s own line for an operation that had already journaled its end (a restore that
    /// failed): the id of that operation. Each line keeps its own id.
    public var recovers: String?
    /// The clone that wrote it (Sync/CloneIdentity.swift); filled in when the line is written.
    public var clone: String?
    /// The worktree of that clone it changed: `.` for the main one, `worktrees/<name>` for a
    /// linked one (its git directory, relative to the common one); filled in when written.
    public var worktree: String?
}
