/// The point a tier call is about, as executors see it.
public struct PointReference: Sendable, Equatable {
    public let id: String
    public let commit: String

    public init(id: String, commit: String) {
        self.id = id
        self.commit = commit
    }
}

/// What an executor call reported besides success.
public struct TierCallOutcome: Sendable, Equatable {
    /// The executor's own words (`restored app from 20261121T223000Z.dump`).
    public let message: String?
    /// For `capture`: what is needed to return to this state later.
    public let capture: JSONValue?
    public let durationMilliseconds: Int64
    /// For `capture`: what a later rollback to it throws away, in the executor's words.
    public let discards: String?

    public init(message: String? = nil, capture: JSONValue? = nil, durationMilliseconds: Int64 = 0, discards: String? = nil) {
        self.message = message
        self.capture = capture
        self.durationMilliseconds = durationMilliseconds
        self.discards = discards
    }
}

/// The one seam for tiers beyond code: a tier that can capture its present state, roll back to
/// a capture, verify itself, and be restored to the state captured before a rollback. Core
/// knows nothing of processes or the executor protocol: TimeturnerExecutors implements this
/// with executors and the CLI passes it in; the rollback engine drives it step by step. Every
/// failure is a `TimeturnerError` naming the tier, the executor, the verb and the cause.
public protocol TierDriver: Sendable {
    /// Records what is needed to return this tier to its present state.
    func capture(_ tier: TierAssignment, point: PointReference?, context: TierCallContext, dryRun: Bool) async throws(TimeturnerError) -> TierCallOutcome
    /// Returns the tier to `capture` (as an earlier `capture` call returned it).
    func rollback(_ tier: TierAssignment, to capture: JSONValue, point: PointReference?, context: TierCallContext, dryRun: Bool) async throws(TimeturnerError) -> TierCallOutcome
    /// Checks that the tier works now.
    func verify(_ tier: TierAssignment, context: TierCallContext, dryRun: Bool) async throws(TimeturnerError) -> TierCallOutcome
    /// Whether this tier's executor needs copies of the `from` and `to` trees (`checkouts`).
    func wantsCheckouts(_ tier: TierAssignment) -> Bool
}

extension TierDriver {
    public func wantsCheckouts(_ tier: TierAssignment) -> Bool { false }

    /// The calls without a context: an executor run by hand, a point's captures.
    public func capture(_ tier: TierAssignment, point: PointReference?, dryRun: Bool) async throws(TimeturnerError) -> TierCallOutcome {
        try await capture(tier, point: point, context: TierCallContext(), dryRun: dryRun)
    }

    public func rollback(_ tier: TierAssignment, to capture: JSONValue, point: PointReference?, dryRun: Bool) async throws(TimeturnerError) -> TierCallOutcome {
        try await rollback(tier, to: capture, point: point, context: TierCallContext(), dryRun: dryRun)
    }

    public func verify(_ tier: TierAssignment, dryRun: Bool) async throws(TimeturnerError) -> TierCallOutcome {
        try await verify(tier, context: TierCallContext(), dryRun: dryRun)
    }

    /// Returns a tier to the state captured just before a rollback (a rollback to that capture,
    /// with no point: it is not the point's state).
    func restore(_ tier: TierAssignment, to before: JSONValue, context: TierCallContext) async throws(TimeturnerError) -> TierCallOutcome {
        try await rollback(tier, to: before, point: nil, context: context, dryRun: false)
    }
}
