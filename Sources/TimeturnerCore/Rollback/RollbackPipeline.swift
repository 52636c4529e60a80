import GitKit

/// When the approval of a rollback is given: after the person saw the plan (the prompt), or
/// before it was made (`--yes`, automation that looked at a dry run beforehand).
public enum ApprovalTiming: Sendable {
    /// The lock is taken once the plan is approved, and execution reads HEAD and the work tree
    /// again under it: a prompt may wait minutes, and what the person approved must still be there.
    case afterThePlan
    /// The lock is taken before planning; the plan's own reading is the one under the lock.
    case inAdvance
}

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
    ///
    /// `approval`: whether the approval is known before the plan is seen (`--yes`). Then each
    /// attempt takes the lock first and is planned under it, so the HEAD and work tree the plan
    /// read are the ones its steps act on and need not be read again (docs/rollback.md).
    public func run(_ request: RollbackRequest, approval timing: ApprovalTiming = .afterThePlan,
                    confirm: (RollbackPlan) throws(TimeturnerError) -> Approval?,
                    attempted: (RollbackAttempt) -> Void) async throws(TimeturnerError) -> RollbackAttempt? {
        var request = request
        while true {
            let attempt = try await engine.attempt("rollback", approval: timing) { (id, lock) throws(TimeturnerError) in
                try await self.attempt(request, id: id, lock: lock, confirm: confirm)
            }
            guard let attempt else { return nil }
            attempted(attempt)
            guard attempt.escalatingTo != nil, let next = Self.escalation(of: request, after: attempt.result, id: attempt.plan.id) else {
                return attempt
            }
            request = next
        }
    }

    /// Plans, confirms and executes one attempt. `lock`, when given, was taken for this plan:
    /// the engine releases it when it executes the plan; every other way out of here leaves it
    /// to the caller.
    private func attempt(_ request: RollbackRequest, id: String, lock: PlanningLock?,
                         confirm: (RollbackPlan) throws(TimeturnerError) -> Approval?) async throws(TimeturnerError) -> RollbackAttempt? {
        let planned = try planner.plan(request, id: id, readingAhead: lock != nil, by: attribution)
        if lock != nil { try engine.requireNotInterruptedWhilePlanning() }
        if planned.steps.isEmpty {
            lock?.release()
            // Already there: nothing to confirm, nothing written, nothing journaled.
            return RollbackAttempt(plan: planned, result: OperationResult(operation: "rollback", outcome: .alreadyThere, event: nil,
                                                                        safetyRef: planned.safetyRef, from: planned.code.from),
                                   escalatingTo: nil)
        }
        let plan = try await engine.preflighted(planned)
        try FastVerification.requireKnownGood(plan, in: planner.repository)
        guard let approval = try confirm(plan) else {
            lock?.release()
            return nil
        }
        let result = await engine.execute(plan, approval: approval, plannedUnder: lock)
        let next = Self.escalation(of: request, after: result, id: plan.id)
        return RollbackAttempt(plan: plan, result: result, escalatingTo: next?.level)
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
