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
        /// `timeturner.activate` ran (or started): once everything is put back it runs again,
        /// so what runs is the restored state, not a half-restarted one.
        case activation
    }

    let plan: RollbackPlan
    let recorder: OperationRecorder
    let attribution: Attribution
    let clock = ContinuousClock()
    let started: ContinuousClock.Instant
    /// Held from before the first step when the plan was made under it (`PlanningLock`).
    var lock: OperationLock?
    /// The work tree as it is under the lock (equal to the plan's, or the plan was refused).
    var status: WorkTreeStatus?
    var backup: SafetyBackup?
    var result: OID?
    /// The work tree was written to the operation's tree in full (its checkout returned). Until
    /// then, a file that holds something else may be one the checkout was writing when it failed.
    var workTreeWritten = false
    var before: [String: JSONValue] = [:]
    var compensations: [Compensation] = []
    var tierRecords: [TierRecord] = []
    var captureRecords: [TierRecord] = []
    var restoreRecords: [TierRecord] = []
    var verification: [VerificationRecord] = []
    var codeStarted: (at: Timestamp, instant: ContinuousClock.Instant)?
    /// The activation command's runs (the one of the plan, and the one after a restore).
    var activations: [VerificationRecord] = []
    /// Copies of the `from` and `to` trees for executors that ask for them; removed at the end.
    let checkouts: TreeCheckouts

    init(plan: RollbackPlan, recorder: OperationRecorder, attribution: Attribution, checkouts: TreeCheckouts) {
        self.plan = plan
        self.recorder = recorder
        self.attribution = attribution
        self.checkouts = checkouts
        started = clock.now
    }

    /// The code as the system runs it now: the result once the branch moved, else where it started.
    var currentCode: OID { compensations.contains(.code) ? (result ?? plan.code.target) : plan.code.from }

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
            safetyRef: plan.safetyRef, commit: (result ?? (plan.movesCode ? code.target : code.from)).hex, target: code.targetName,
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
        event.activation = activations.isEmpty ? nil : activations
        let lossy = plan.dataLoss
        event.dataLoss = lossy.isEmpty ? nil : lossy.map { DataLossRecord(tier: $0.name, discards: $0.discards ?? "", capturedAt: $0.capturedAt?.rfc3339) }
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

    /// When each tier's rollback started, for its one record covering rollback and verification,
    /// and how long its own calls took (the steps of other tiers run between the two).
    var tierStarted: [String: (at: Timestamp, instant: ContinuousClock.Instant)] = [:]
    var tierBusyMilliseconds: [String: Int64] = [:]
    var tierVerifyStarted: [String: ContinuousClock.Instant] = [:]

    func now() -> (at: Timestamp, instant: ContinuousClock.Instant) { (Timestamp.now(), clock.now) }
}
