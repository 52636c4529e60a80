/// Plan → confirm → execute of an undo, as `RollbackPipeline` is of a rollback: approved in
/// advance (`--yes`), the lock is taken before the undo is planned, and the plan's reading of
/// HEAD and the work tree is the one its steps act on (docs/rollback.md, "When the lock is taken").
public struct UndoPipeline {
    let planner: UndoPlanner
    let engine: RollbackEngine
    let attribution: Attribution

    public init(planner: UndoPlanner, engine: RollbackEngine, attribution: Attribution) {
        self.planner = planner
        self.engine = engine
        self.attribution = attribution
    }

    /// `confirm` shows the plan and returns an approval, or nil to stop (a dry run). Returns the
    /// plan and how it ended; nil when stopped.
    public func run(_ request: UndoRequest, approval timing: ApprovalTiming = .afterThePlan,
                    confirm: (RollbackPlan) throws(TimeturnerError) -> Approval?) async throws(TimeturnerError) -> (plan: RollbackPlan, result: OperationResult)? {
        try await engine.attempt("undo", approval: timing) { (id, lock) throws(TimeturnerError) in
            let plan = try await engine.preflighted(try planner.plan(request, id: id, by: attribution))
            if lock != nil { try engine.requireNotInterruptedWhilePlanning() }
            guard let approval = try confirm(plan) else {
                lock?.release()
                return nil
            }
            return (plan, await engine.execute(plan, approval: approval, plannedUnder: lock))
        }
    }
}
