internal import FoundationEssentials
public import GitKit

/// How a guard (or a trigger evaluation) ended, as its journal event's `status` says it.
public enum GuardStatus: String, Sendable, Codable, CaseIterable {
    /// The checks passed over the window; the commit was marked good.
    case passed
    /// The deploy was bad and was rolled back to last-good; the result passed the same checks.
    case failedRolledBack = "failed-rolled-back"
    /// The deploy was bad; the rollback's re-check failed too (restored; no second rollback).
    case failedRollbackFailed = "failed-rollback-failed"
    /// The deploy was bad and was marked so; it was held (`--on-fail hold`, or no second rollback).
    case failedHeld = "failed-held"
    /// The deploy was bad, marked and reported (`--on-fail notify`).
    case failedNotified = "failed-notified"
    /// A check could not decide: nothing was marked.
    case inconclusive
    /// Stopped by a signal: nothing was marked.
    case interrupted
    /// Its process died (or its deadline passed) before it finished; ended by `recover` or the next guard.
    case abandoned
    /// A trigger's evaluation: nothing fired / fired.
    case ok, fired
}

/// One guard or trigger run as a journal line (`journal/<YYYY-MM>.jsonl`, `type` `guard` or
/// `trigger`), written once at its end and converted to JSON in one place, like `OperationEvent`.
public struct GuardEvent: Sendable, Equatable, Codable {
    public var type: String = "guard"
    public var v: Int64 = 1
    public var id: String
    public var at: String?
    public var by: String?
    public var start: String
    public var durationMs: Int64?
    public var status: GuardStatus
    public var env: String
    /// The deployed commit; `from` repeats it so that `show <commit>` finds the event.
    public var commit: String
    public var from: String
    /// The commit rolled back to, when there was a rollback.
    public var to: String?
    /// The point on the deployed commit (made by the guard when there was none).
    public var point: String?
    public var pointCreated: Bool?
    public var windowMs: Int64?
    /// When baselines were read (the deploy's start); for triggers, how that was known.
    public var baselineAt: String?
    public var deployedAtSource: String?
    /// Each check's verdict, baseline and measurements (`CheckResult.json`).
    public var checks: [JSONValue]
    /// What the guard did: `mark-good`, `rollback`, `hold`, `notify`, `no-second-rollback`, `none`;
    /// after Ctrl-C on a terminal, the operator's `operator-rollback` or `keep-unverified`.
    public var decision: String
    /// The mark it wrote (good or bad) and the rollback it caused.
    public var mark: String?
    public var rollback: String?
    public var rollbackStatus: String?
    public var onFail: String?
    public var level: Int?
    public var error: String?
    /// Triggers: the trigger and its action (`rollback`, `rollback-warn`, `alert`).
    public var trigger: String?
    public var action: String?

    public init(id: String, start: String, status: GuardStatus, env: String, commit: String, checks: [JSONValue], decision: String) {
        self.id = id
        self.start = start
        self.status = status
        self.env = env
        self.commit = commit
        self.from = commit
        self.checks = checks
        self.decision = decision
    }
}

/// Guard and trigger events in the registry's journal, beside rollbacks and undos.
public struct GuardJournal {
    let repository: Repository

    public init(repository: Repository) { self.repository = repository }

    public static let types: Set<String> = ["guard", "trigger"]

    @discardableResult
    public func append(_ event: GuardEvent, by attribution: Attribution) throws(TimeturnerError) -> JSONValue {
        guard case .object(var fields) = Self.json(event) else { return .null }
        if fields["clone"] == nil { fields["clone"] = .string(try CloneIdentity.current(in: repository)) }
        let written = try RegistryLedger(repository: repository).append(
            [(shard: RegistryLedger.journalShard(for: attribution.time), event: fields)],
            message: "journal: \(event.type) \(event.id) \(event.status.rawValue)", by: attribution)
        return written.first ?? .object(fields)
    }

    public static func json(_ event: GuardEvent) -> JSONValue {
        (try? JSONValueEncoder.encode(event)) ?? .object([:])
    }

    public static func event(from value: JSONValue) -> GuardEvent? {
        try? JSONDecoder().decode(GuardEvent.self, from: Data(value.canonicalLine.utf8))
    }

    /// Every guard and trigger event, newest first.
    public func events() throws(TimeturnerError) -> [GuardEvent] {
        let ledger = RegistryLedger(repository: repository)
        var events: [GuardEvent] = []
        for shard in try ledger.shards(under: "journal") {
            for (_, value) in try ledger.numberedEvents(inShard: shard).events {
                guard let type = value["type"]?.stringValue, Self.types.contains(type), let event = Self.event(from: value) else { continue }
                events.append(event)
            }
        }
        return events.reversed()
    }
}
