public import TimeturnerCore

/// One tier beyond code, as the rollback engine runs it: roll back to the point's capture with
/// the tier's executor, then verify with it; restore from the capture taken just before the
/// rollback when the engine asks. All tiers of one rollback share a `TierRollbackSession`,
/// which holds those captures and records every call for the journal.
public struct ExecutorRollbackTier: RollbackTier {
    public let session: TierRollbackSession
    public let name: String

    public init(session: TierRollbackSession, tier: String) {
        self.session = session
        self.name = tier
    }

    /// One per tier of the session, in rollback order.
    public static func all(in session: TierRollbackSession) -> [ExecutorRollbackTier] {
        session.tiers.map { ExecutorRollbackTier(session: session, tier: $0.tier) }
    }

    public func describe(_ plan: RollbackPlan) -> String {
        session.plannedCalls.filter { $0.hasPrefix(name + ":") }.joined(separator: "; ")
    }

    public func rollBack(_ plan: RollbackPlan, progress: any RollbackProgress) async -> TierOutcome {
        let started = ContinuousClock.now
        do {
            try await session.rollBack(name, restoreOnFailure: false)
            let messages = await session.steps.filter { $0.tier == name }.compactMap(\.detail)
            return TierOutcome(tier: name, status: .succeeded, durationMilliseconds: milliseconds(since: started),
                               detail: messages.joined(separator: "; "))
        } catch {
            let detail = ([error.error.message] + error.error.causes).joined(separator: "; ")
            return TierOutcome(tier: name, status: .failed, durationMilliseconds: milliseconds(since: started), detail: detail)
        }
    }

    public func restore(_ plan: RollbackPlan, progress: any RollbackProgress) async -> TierOutcome? {
        guard let step = await session.restore(name) else { return nil }
        return TierOutcome(tier: name + " (restore)", status: step.succeeded ? .succeeded : .failed,
                           durationMilliseconds: step.durationMilliseconds, detail: step.detail)
    }

    private func milliseconds(since started: ContinuousClock.Instant) -> Int64 {
        let elapsed = ContinuousClock.now - started
        return elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
    }
}
