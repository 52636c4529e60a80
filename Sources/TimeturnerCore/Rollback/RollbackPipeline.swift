import GitKit

/// One attempt of a rollback: its plan and how it ended.
public struct RollbackAttempt: Sendable {
    public let plan: RollbackPlan
    public let result: OperationResult
    /// The level the next attempt tries, when escalation continues after this one.
    public let escalatingTo: RollbackLevel?
}

/// Plan → confirm → execute, and, with `--escalate`, the next level when a level's
/// verification (or a tier) failed and everything was put back. The policy lives here; the
/// caller only shows plans, asks for confirmation and shows attempts.
public struct RollbackPipeline {
    let planner: RollbackPlanner
    let engine: RollbackEngine
    let attribution: Attribution

    public init(planner: RollbackPlanner, engine: RollbackEngine, attribution: Attribution) {
        self.planner = planner
        self.engine = engine
        self.attribution = attribution
    }

    /// `confirm` shows the plan and returns an approval, or nil to stop (a dry run). Each
    /// finished attempt goes to `attempted`. Returns the last attempt; nil when stopped.
    public func run(_ request: RollbackRequest,
                    confirm: (RollbackPlan) throws(TimeturnerError) -> Approval?,
                    attempted: (RollbackAttempt) -> Void) async throws(TimeturnerError) -> RollbackAttempt? {
        var request = request
        while true {
            let planned = try planner.plan(request, by: attribution)
            if planned.steps.isEmpty {
                let plan = planned
                // Already there: nothing to confirm, nothing written, nothing journaled.
                let attempt = RollbackAttempt(plan: plan, result: OperationResult(operation: "rollback", outcome: .alreadyThere, event: nil,
                                                                                  safetyRef: plan.safetyRef, from: plan.code.from),
                                              escalatingTo: nil)
                attempted(attempt)
                return attempt
            }
            let plan = try await engine.preflighted(planned)
            try FastVerification.requireKnownGood(plan, in: planner.repository)
            guard let approval = try confirm(plan) else { return nil }
            let result = await engine.execute(plan, approval: approval)
            let next = Self.escalation(of: request, after: result, id: plan.id)
            let attempt = RollbackAttempt(plan: plan, result: result, escalatingTo: next?.level)
            attempted(attempt)
            guard let next else { return attempt }
            request = next
        }
    }

    /// The next level's request when this attempt failed in a way a wider rollback may fix
    /// (verification or a tier failed, and everything was restored); nil otherwise.
    static func escalation(of request: RollbackRequest, after result: OperationResult, id: String) -> RollbackRequest? {
        switch result.outcome {
        case .verificationFailedRestored, .tierFailedRestored: request.escalated(after: id)
        default: nil
        }
    }
}
