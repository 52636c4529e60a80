/// How one tier of a rollback ended; goes into the journal event's `tiers` array.
public struct TierOutcome: Sendable, Equatable {
    public enum Status: String, Sendable { case succeeded, failed, skipped }

    public let tier: String
    public let status: Status
    public let durationMilliseconds: Int64
    /// Why it failed (or what it did), in one line.
    public let detail: String?

    public init(tier: String, status: Status, durationMilliseconds: Int64, detail: String? = nil) {
        self.tier = tier
        self.status = status
        self.durationMilliseconds = durationMilliseconds
        self.detail = detail
    }

    public var json: JSONValue {
        var fields: [String: JSONValue] = ["tier": .string(tier), "status": .string(status.rawValue),
                                           "durationMs": .int(durationMilliseconds)]
        if let detail { fields["detail"] = .string(detail) }
        return .object(fields)
    }
}

/// A tier beyond code (deploy, db, system). The engine runs the code tier itself, then each of
/// these in order during `OperationStep.tiers`, then verification. A tier that fails stops the
/// rollback like a failed verification: the code is restored and the outcome journaled.
///
/// This is the seam executors plug into: an implementation in TimeturnerExecutors runs the
/// tier's executor (`PROGRAM rollback` with a JSON request) and streams its standard error
/// through `progress` as `.output(source: "<tier>: <executor>", …)`.
public protocol RollbackTier: Sendable {
    /// `deploy`, `db`, `system`.
    var name: String { get }
    /// One line for the plan ("deploy: kubectl executor, capture from point p1").
    func describe(_ plan: RollbackPlan) -> String
    func rollBack(_ plan: RollbackPlan, progress: any RollbackProgress) async -> TierOutcome
    /// Called when the rollback fails after this tier's `rollBack` ran (successfully or not),
    /// newest tier first, before the code is restored: return the tier to its state from just
    /// before the rollback. Nil when there was nothing to restore.
    func restore(_ plan: RollbackPlan, progress: any RollbackProgress) async -> TierOutcome?
}

extension RollbackTier {
    public func restore(_ plan: RollbackPlan, progress: any RollbackProgress) async -> TierOutcome? { nil }
}
