public import GitKit

/// What `git timeturner trigger check` was asked to do.
public struct TriggerRequest: Sendable {
    public var environment: String
    public var commit: String
    /// When the deploy happened; found in the repository when nil (`DeployTime`).
    public var deployedAt: Timestamp?
    /// `--rollback`: carry a fired trigger's action out (else only report it).
    public var act: Bool

    public init(environment: String, commit: String = "HEAD", deployedAt: Timestamp? = nil, act: Bool = false) {
        self.environment = environment
        self.commit = commit
        self.deployedAt = deployedAt
        self.act = act
    }
}

/// How a trigger run ended: its journal event as written, the error that gives the exit status
/// (nil when nothing fired and everything decided), and warnings for the person reading.
public struct TriggerOutcome: Sendable {
    public let event: JSONValue
    public let status: GuardStatus
    public let results: [TriggerResult]
    public let deployedAt: DeployTime?
    public let warnings: [String]
    public let error: TimeturnerError?
}

/// When the deployed commit arrived, and how that is known.
public struct DeployTime: Sendable, Equatable {
    public let at: Timestamp
    public let source: String

    /// `--deployed-at`; else, when the commit is HEAD, the oldest entry of the newest run of
    /// HEAD-reflog entries that point at it (when HEAD last arrived there: a checkout, a reset, a
    /// rollback); else the newest guard of the commit in the environment or point on it.
    static func find(_ commit: OID, environment: String, explicit: Timestamp?, repository: Repository,
                     guards: [GuardEvent]) -> DeployTime? {
        if let explicit { return DeployTime(at: explicit, source: "--deployed-at") }
        if (try? repository.headCommit()) == commit, let log = try? repository.reflog(of: "HEAD"), log.first?.new == commit {
            let arrival = log.prefix { $0.new == commit }.last!
            return DeployTime(at: Timestamp(secondsSinceEpoch: arrival.time), source: "HEAD's reflog (\(arrival.message.split(separator: "\n").first.map { $0.prefix(100) } ?? ""))")
        }
        let guardStart = guards.first { $0.commit == commit.hex && $0.env == environment && $0.type == "guard" }
            .flatMap { event in Timestamp(rfc3339: event.start).map { DeployTime(at: $0, source: "guard \(event.id)") } }
        let point = PointStore(repository: repository).list().points.first { $0.commit == commit }
            .map { DeployTime(at: $0.at, source: "point \($0.id)") }
        return [guardStart, point].compactMap { $0 }.max { $0.at < $1.at }
    }
}

/// Evaluates the triggers of an environment against the deployed commit and, with `--rollback`,
/// carries out the strongest fired action: at most one automatic rollback per commit, never
/// one of a commit an automatic rollback brought back (no ping-pong), and only while HEAD is
/// still the commit that was evaluated.
public struct DeployTrigger {
    let repository: Repository
    let configuration: TimeturnerConfiguration
    let attribution: Attribution
    let evaluator: TriggerEvaluator
    let pipeline: RollbackPipeline

    public init(repository: Repository, configuration: TimeturnerConfiguration, attribution: Attribution,
                evaluator: TriggerEvaluator, pipeline: RollbackPipeline) {
        self.repository = repository
        self.configuration = configuration
        self.attribution = attribution
        self.evaluator = evaluator
        self.pipeline = pipeline
    }

    /// `evaluated` sees each trigger's result (and when the deploy happened) before anything is
    /// done about them, so that a person reads why before the rollback's plan.
    public func run(_ request: TriggerRequest,
                    evaluated: ([TriggerResult], DeployTime?) -> Void,
                    approval timing: ApprovalTiming = .afterThePlan,
                    confirm: (RollbackPlan) throws(TimeturnerError) -> Approval?,
                    attempted: (RollbackAttempt) -> Void) async throws(TimeturnerError) -> TriggerOutcome {
        let environment = try RefComponentName(request.environment, what: "environment name").value
        let triggers = try configuration.triggers(for: environment)
        guard !triggers.isEmpty else {
            throw TimeturnerError(.usage, "no trigger applies to \(environment)", hint: "drop the env settings that exclude it, or configure one (docs/checks.md)")
        }
        try RepositoryAccess.requireCommits(repository, nothingTo: "check")
        let commit = try RepositoryAccess.resolveCommit(request.commit, in: repository)
        if request.act, (try? repository.headCommit()) != commit {
            throw TimeturnerError(.usage, "--rollback rolls HEAD back, but --commit \(request.commit) is \(commit.short), not HEAD",
                                  hint: "evaluate HEAD (drop --commit), or drop --rollback to only report")
        }
        let start = attribution.time
        let began = Timestamp.now()
        let clock = ContinuousClock.now
        if let explicit = request.deployedAt, explicit.secondsSinceEpoch > began.secondsSinceEpoch + 5 {
            throw TimeturnerError(.usage, "--deployed-at \(explicit.rfc3339) is in the future (now \(began.rfc3339))",
                                  hint: "give the time the deploy started, in UTC (e.g. 2026-12-01T10:00:00Z)")
        }
        let id = UniqueID.stamped(at: start)
        let guards = try GuardJournal(repository: repository).events()
        let deployedAt = DeployTime.find(commit, environment: environment, explicit: request.deployedAt, repository: repository, guards: guards)
        let log = TriggerMeasurementLog(repository: repository)
        let results = await evaluator.evaluate(triggers, now: Timestamp.now(), deployedAt: deployedAt?.at,
                                               recorded: RecordedMeasurements(events: guards, environment: environment,
                                                                              log: log.read(environment: environment)))
        log.record(results, environment: environment, run: id)
        evaluated(results, deployedAt)

        var event = GuardEvent(id: id, start: start.rfc3339, status: .ok, env: environment, commit: commit.hex,
                               checks: results.map(\.json), decision: "none")
        event.type = "trigger"
        event.baselineAt = deployedAt?.at.rfc3339
        event.deployedAtSource = deployedAt?.source
        let warnings = results.filter { $0.state == .notCaused }.map {
            "trigger \($0.trigger.name): \($0.trigger.check.name) is failing, but not because of this deploy: \($0.reason)"
        }
        let finish = { (event: inout GuardEvent) throws(TimeturnerError) -> JSONValue in
            event.durationMs = (ContinuousClock.now - clock).wholeMilliseconds
            return try GuardJournal(repository: repository).append(event, by: attribution)
        }
        func outcome(_ event: inout GuardEvent, _ error: TimeturnerError?) throws(TimeturnerError) -> TriggerOutcome {
            // A run that did nothing and found what the last journaled run found is not journaled
            // again: from cron every minute that would be a registry commit a minute, for ever.
            if event.status != .interrupted, ["none", "report"].contains(event.decision), let previous = Self.sameAsLastRun(event, guards: guards) {
                event.durationMs = (ContinuousClock.now - clock).wholeMilliseconds
                var fields = GuardJournal.json(event).objectValue ?? [:]
                (fields["journaled"], fields["sameAs"]) = (.bool(false), .string(previous.id))
                return TriggerOutcome(event: .object(fields), status: event.status, results: results, deployedAt: deployedAt, warnings: warnings, error: error)
            }
            let written = try finish(&event)
            return TriggerOutcome(event: written, status: event.status, results: results, deployedAt: deployedAt, warnings: warnings, error: error)
        }

        if let signal = results.compactMap(\.interruptedBy).first {
            event.status = .interrupted
            return try outcome(&event, TimeturnerError(.interrupted(signal: signal), "trigger evaluation \(id) stopped by \(Interruption.name(of: signal)); nothing was done"))
        }
        let fired = results.filter { $0.state == .fired }
        guard let strongest = fired.min(by: { $0.trigger.action < $1.trigger.action }) else {
            let undecided = results.filter { [.noBaseline, .pending, .inconclusive].contains($0.state) }
            if undecided.isEmpty { return try outcome(&event, nil) }
            event.status = .inconclusive
            return try outcome(&event, TimeturnerError(
                .checkInconclusive, "no trigger fired, but \(undecided.map { "\($0.trigger.name) (\($0.state.rawValue))" }.joined(separator: ", ")) could not decide",
                hint: deployedAt == nil ? "say when the deploy happened with --deployed-at, or run the post-deploy hook or a guard at deploy time"
                    : undecided.contains { $0.state == .noBaseline }
                    ? "the causality gate needs the check's state before the deploy: Prometheus checks read it from the server; for others run 'trigger check' on a schedule or a guard at each deploy (their measurements are journaled)"
                    : "see each trigger's reason above"))
        }
        event.status = .fired
        (event.trigger, event.action) = (strongest.trigger.name, strongest.trigger.action.rawValue)
        let names = fired.map(\.trigger.name).joined(separator: ", ")
        let what = "trigger(s) \(names) fired on \(commit.short) in \(environment) (\(strongest.trigger.check.severity.rawValue): \(strongest.trigger.action.rawValue))"
        guard request.act else {
            event.decision = "report"
            return try outcome(&event, TimeturnerError(.triggerFired, what + "; nothing was done without --rollback",
                                                       hint: strongest.trigger.action.rollsBack ? "carry it out with: git timeturner trigger check --env \(environment) --rollback"
                                                           : "an alert: a person decides (git timeturner rollback --env \(environment))"))
        }
        guard strongest.trigger.action.rollsBack else {
            event.decision = "alert"
            return try outcome(&event, TimeturnerError(.triggerFired, what + "; an alert only: nothing was rolled back",
                                                       hint: "a person decides: git timeturner rollback --env \(environment)"))
        }
        if let reason = try automaticRollbackRefusal(commit, guards: guards) {
            event.decision = "no-second-rollback"
            return try outcome(&event, TimeturnerError(.triggerFired, what + "; " + reason + ", so it is held, not rolled back again",
                                                       hint: "a person decides now: git timeturner rollback --env \(environment)"))
        }

        let rolling = fired.filter { $0.trigger.action.rollsBack }
        let mark = try KnownGoodRegistry(repository: repository).mark(
            .bad, revision: commit.hex, env: environment,
            note: "trigger \(id): " + rolling.map { "\($0.trigger.name): \($0.reason)" }.joined(separator: "; "), attribution: attribution)
        event.mark = mark.id
        event.decision = "rollback"
        var rollback = RollbackRequest(environment: environment, reason: "trigger \(id): \(names) fired on \(commit.short)",
                                       level: rolling.compactMap(\.trigger.level).max())
        rollback.checks = Array(Set(rolling.map(\.trigger.check.name))).sorted()
        rollback.checksOrigin = "trigger \(id)"
        event.level = rollback.level?.rawValue
        let attempt: RollbackAttempt?
        do throws(TimeturnerError) {
            attempt = try await pipeline.run(rollback, approval: timing, confirm: { (plan) throws(TimeturnerError) -> Approval? in
                // Another trigger run or a person may have moved HEAD since the evaluation.
                guard plan.code.from == commit else {
                    throw TimeturnerError(.refused, "HEAD moved from \(commit.short) to \(plan.code.from.short) while the triggers were evaluated; nothing was rolled back",
                                          hint: "evaluate the new HEAD: git timeturner trigger check --env \(environment)")
                }
                return try confirm(plan)
            }, attempted: attempted)
        } catch {
            event.error = error.message
            _ = try finish(&event)
            throw error
        }
        guard let attempt else {
            return try outcome(&event, TimeturnerError(.triggerFired, what + "; the rollback was not confirmed"))
        }
        if case .alreadyThere = attempt.result.outcome {
            event.decision = "none"
            return try outcome(&event, TimeturnerError(.triggerFired, what + "; but HEAD already has the tree of the last good commit \(attempt.plan.code.target.short): nothing to roll back",
                                                       hint: "a person decides: the failure is not in the code"))
        }
        event.rollback = attempt.plan.id
        event.to = attempt.plan.code.target.hex
        event.rollbackStatus = attempt.result.event?.status.rawValue
        if let error = attempt.result.error {
            event.error = error.message
            return try outcome(&event, TimeturnerError(error.kind, what + "; the rollback to \(attempt.plan.code.target.short) did not pass: \(error.message); no second rollback is tried",
                                                       hint: error.hint, causes: error.causes))
        }
        let warn = strongest.trigger.action == .rollbackWarn ? " An automatic rollback happened on a high-severity trigger: look at it." : ""
        return try outcome(&event, TimeturnerError(.triggerFired, what + "; rolled back to \(attempt.plan.code.target.short) (rollback \(attempt.plan.id)), which passed the same checks." + warn,
                                                   hint: "undo it with: git timeturner undo \(attempt.plan.id)"))
    }

    /// The newest journaled trigger run of the environment, when it had the same status and
    /// decision on the same commit, for the same triggers in the same states.
    static func sameAsLastRun(_ event: GuardEvent, guards: [GuardEvent]) -> GuardEvent? {
        guard let last = guards.first(where: { $0.type == "trigger" && $0.env == event.env }),
              last.status == event.status, last.decision == event.decision, last.commit == event.commit else { return nil }
        let states = { (event: GuardEvent) in event.checks.map { "\($0["trigger"]?.stringValue ?? "") \($0["state"]?.stringValue ?? "")" } }
        return states(last) == states(event) ? last : nil
    }

    /// Why an automatic rollback of `commit` must not happen: it was rolled back automatically
    /// once already, or HEAD is at it because an automatic rollback brought it back.
    func automaticRollbackRefusal(_ commit: OID, guards: [GuardEvent]) throws(TimeturnerError) -> String? {
        if let previous = guards.first(where: { $0.commit == commit.hex && $0.rollback != nil }) {
            return "it was already rolled back automatically once (\(previous.type) \(previous.id))"
        }
        let automatic = Dictionary(guards.compactMap { event in event.rollback.map { ($0, event) } }, uniquingKeysWith: { first, _ in first })
        guard !automatic.isEmpty else { return nil }
        let journal = try RollbackJournal(repository: repository).entries().entries
        for entry in journal where entry.type == "rollback" && entry.status == "succeeded" {
            guard let cause = automatic[entry.id], entry.event["commit"]?.stringValue == commit.hex else { continue }
            return "HEAD is at it because \(cause.type) \(cause.id) rolled back to it automatically"
        }
        return nil
    }
}
