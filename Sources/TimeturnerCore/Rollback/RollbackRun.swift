import GitKit

/// What one execution of a plan has done so far: the lock, the fresh work-tree status, the
/// safety backup, the result commit, each tier's present state, the records for the journal,
/// and what must be put back if a later step fails (newest last).
final class RollbackRun {
    enum Compensation: Equatable {
        /// The branch moved (and maybe the work tree): the safety backup puts both back.
        case code
        /// A tier's rollback started: its present-state capture puts it back.
        case tier(String)
    }

    let plan: RollbackPlan
    let recorder: OperationRecorder
    let attribution: Attribution
    let clock = ContinuousClock()
    let started: ContinuousClock.Instant
    var lock: OperationLock?
    /// The work tree as it is under the lock (equal to the plan's, or the plan was refused).
    var status: WorkTreeStatus?
    var backup: SafetyBackup?
    var result: OID?
    var before: [String: JSONValue] = [:]
    var compensations: [Compensation] = []
    var tierRecords: [TierRecord] = []
    var captureRecords: [TierRecord] = []
    var restoreRecords: [TierRecord] = []
    var verification: [VerificationRecord] = []
    var codeStarted: (at: Timestamp, instant: ContinuousClock.Instant)?

    init(plan: RollbackPlan, recorder: OperationRecorder, attribution: Attribution) {
        self.plan = plan
        self.recorder = recorder
        self.attribution = attribution
        started = clock.now
    }

    var elapsedMilliseconds: Int64 { (clock.now - started).wholeMilliseconds }

    func result(_ outcome: OperationOutcome, event: OperationEvent?) -> OperationResult {
        OperationResult(operation: plan.operation.name, outcome: outcome, event: event, safetyRef: plan.safetyRef, from: plan.code.from)
    }

    /// The journal event for `outcome` (nil: still in progress), from the plan and the records.
    func event(outcome: OperationOutcome?) -> OperationEvent {
        let code = plan.code
        var event = OperationEvent(
            type: plan.operation.name, v: StorageLayout.eventVersion, id: plan.id, by: attribution.identity,
            start: attribution.time.rfc3339, durationMs: elapsedMilliseconds, status: outcome?.journalStatus ?? .inProgress,
            mode: code.mode.rawValue, from: code.from.hex, to: code.target.hex, head: code.head.recorded,
            safetyRef: plan.safetyRef, commit: (result ?? code.target).hex, target: code.targetName,
            env: code.environment, reason: code.reason, range: code.selectedRange,
            commits: code.commits.count, files: code.changes.count)
        if case .undo(let rollbackID, _) = plan.operation {
            event.undoes = rollbackID
            event.mode = "undo"
        }
        event.level = plan.request.level?.rawValue
        event.tiers = tierRecords
        event.captures = captureRecords.isEmpty ? nil : captureRecords
        event.tierRestores = restoreRecords.isEmpty ? nil : restoreRecords
        event.verification = verification
        event.attempt = plan.request.attempt
        event.escalatedFrom = plan.request.escalatedFrom
        if let failure = outcome?.failure {
            event.failedStep = failure.step.label
            event.error = ([failure.error.message] + failure.error.causes).joined(separator: "; ")
        }
        if case .restoreFailed(_, let errors) = outcome {
            event.restoreError = errors.map { ([$0.message] + $0.causes).joined(separator: "; ") }.joined(separator: " | ")
        }
        return event
    }

    /// Records one tier step for the journal and the progress sink.
    func record(_ tier: String, executor: String?, action: String?, succeeded: Bool, since: (at: Timestamp, instant: ContinuousClock.Instant),
                detail: String?, capture: JSONValue?) -> TierRecord {
        TierRecord(tier: tier, executor: executor, action: action, status: succeeded ? "succeeded" : "failed",
                   start: since.at.rfc3339, durationMs: (clock.now - since.instant).wholeMilliseconds, detail: detail, capture: capture)
    }

    /// When each tier's rollback started, for its one record covering rollback and verification.
    var tierStarted: [String: (at: Timestamp, instant: ContinuousClock.Instant)] = [:]

    func now() -> (at: Timestamp, instant: ContinuousClock.Instant) { (Timestamp.now(), clock.now) }
}
