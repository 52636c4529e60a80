public import GitKit
internal import Synchronization
internal import Glibc

/// What `git timeturner guard` was asked to do.
public struct GuardRequest: Sendable {
    public enum OnFail: String, Sendable, CaseIterable { case rollback, hold, notify }

    public var environment: String
    public var commit: String
    /// Replaces every check's own count or window (`--for`).
    public var window: Duration?
    public var checks: [String]
    public var onFail: OnFail
    public var level: RollbackLevel?
    /// When the baseline is read (the deploy's start); the guard's start by default.
    public var deployedAt: Timestamp?

    public init(environment: String, commit: String = "HEAD", window: Duration? = nil, checks: [String] = [],
                onFail: OnFail = .hold, level: RollbackLevel? = nil, deployedAt: Timestamp? = nil) {
        self.environment = environment
        self.commit = commit
        self.window = window
        self.checks = checks
        self.onFail = onFail
        self.level = level
        self.deployedAt = deployedAt
    }
}

/// What the operator chose when Ctrl-C stopped a guard on a terminal (asked by the CLI; Core
/// does no terminal I/O). SIGTERM and SIGHUP come from machines and are never asked about.
public enum GuardInterruptChoice: String, Sendable, CaseIterable {
    /// Mark the commit bad and roll back once to last-good, as `--on-fail rollback` does.
    case rollBack = "roll-back"
    /// Stop watching and leave the commit unmarked (`interrupted`, decision `keep-unverified`).
    case keepUnverified = "keep-unverified"
    /// Go on watching: the window and the lock's deadline stay as they were.
    case continueWatching = "continue"
}

/// How a guard ended: its journal event as written, and the error that gives the exit status
/// (nil when the deploy passed).
public struct GuardOutcome: Sendable {
    public let event: JSONValue
    public let status: GuardStatus
    public let results: [CheckResult]
    public let error: TimeturnerError?
}

/// Watches a deploy: holds the lock with a deadline, records a point on the deployed commit if
/// there is none, samples the checks over the window, then marks the commit good or bad and,
/// on failure with `--on-fail rollback`, rolls back once to last-good with the same checks as
/// its verification. Never a second automatic rollback for the same commit.
public struct DeployGuard {
    let repository: Repository
    let configuration: TimeturnerConfiguration
    let attribution: Attribution
    let runner: CheckRunner
    let tiers: any TierDriver
    let pipeline: RollbackPipeline

    /// How long past the window the lock's deadline lies: time to mark, roll back and journal.
    public static let deadlineMargin: Duration = .seconds(60)

    public init(repository: Repository, configuration: TimeturnerConfiguration, attribution: Attribution,
                runner: CheckRunner, tiers: any TierDriver, pipeline: RollbackPipeline) {
        self.repository = repository
        self.configuration = configuration
        self.attribution = attribution
        self.runner = runner
        self.tiers = tiers
        self.pipeline = pipeline
    }

    /// `onInterrupt` is asked on SIGINT while the checks are sampled (a person at a terminal),
    /// given the lock's deadline, past which it must stop waiting; without it, a signal stops
    /// the guard and leaves the commit unmarked.
    public func run(_ request: GuardRequest, say: @escaping @Sendable (String) -> Void,
                    onMeasurement: @escaping @Sendable (CheckDefinition, CheckMeasurement) -> Void,
                    onInterrupt: (@Sendable (_ signal: Int32, _ deadline: Timestamp) async -> GuardInterruptChoice)? = nil,
                    approval timing: ApprovalTiming = .afterThePlan,
                    confirm: (RollbackPlan) throws(TimeturnerError) -> Approval?,
                    attempted: (RollbackAttempt) -> Void) async throws(TimeturnerError) -> GuardOutcome {
        let environment = try RefComponentName(request.environment, what: "environment name").value
        let checks = try configuration.checks(named: request.checks, environment: environment)
        guard !checks.isEmpty else {
            throw TimeturnerError(.usage, "no check applies to \(environment)", hint: "name one with --check, or drop the env settings that exclude it")
        }
        try RepositoryAccess.requireCommits(repository, nothingTo: "guard")
        let commit = try RepositoryAccess.resolveCommit(request.commit, in: repository)
        let start = attribution.time
        let id = UniqueID.stamped(at: start)
        let longest = checks.map { check in request.window.map { check.sampling.initialDelay + $0 + check.timeout } ?? check.longestRun }.max() ?? .zero
        // From the clock, not from `start`: whoever finds the lock compares the deadline with the
        // clock, and the attribution time may be fixed in the past (GIT_COMMITTER_DATE), which made
        // a live guard's lock look stale from its first second.
        let deadline = Timestamp(secondsSinceEpoch: Timestamp.now().secondsSinceEpoch + (longest + Self.deadlineMargin).wholeSeconds + 1)
        let directory = OperationDirectory(repository: repository)
        var lock: OperationLock? = try directory.acquire(operation: "guard", id: id, now: start, deadline: deadline)
        defer { lock?.release() }

        var event = GuardEvent(id: id, start: start.rfc3339, status: .inconclusive, env: environment, commit: commit.hex, checks: [], decision: "none")
        event.onFail = request.onFail.rawValue
        event.level = request.level?.rawValue
        event.windowMs = request.window?.wholeMilliseconds
        let baselineAt = request.deployedAt ?? start
        if checks.contains(where: \.needsBaseline) { event.baselineAt = baselineAt.rfc3339 }
        let (point, created) = try await pointOnDeployedCommit(commit, environment: environment)
        (event.point, event.pointCreated) = (point, created)
        if created { say("recorded point \(point) on \(commit.short) (there was none)") }

        let status = GuardStatusFile(directory: directory, id: id, commit: commit, environment: environment, deadline: deadline)
        status.write()
        say("guarding \(commit.short) in \(environment) until \(deadline.rfc3339): \(checks.map(\.name).joined(separator: ", "))")
        let choice = InterruptChoiceRecord()
        var askOperator: (@Sendable (Int32) async -> SamplingAnswer)?
        if let onInterrupt { askOperator = { signal in await choice.ask(onInterrupt, after: signal, deadline: deadline) } }
        let results: [CheckResult] = await runner.run(checks, baselineAt: baselineAt, window: request.window,
                                                      onInterrupt: askOperator) { check, measurement in
            status.record(check.name, measurement)
            onMeasurement(check, measurement)
        }
        status.remove()
        event.checks = results.map(\.json)
        let finish = { (event: inout GuardEvent) throws(TimeturnerError) -> JSONValue in
            event.durationMs = (Timestamp.now().secondsSinceEpoch - start.secondsSinceEpoch) * 1000
            return try GuardJournal(repository: repository).append(event, by: attribution)
        }

        let operatorRollback = results.contains { $0.interruptedBy != nil } && choice.chosen == .rollBack
        if let signal = results.compactMap(\.interruptedBy).first, !operatorRollback {
            event.status = .interrupted
            if choice.chosen == .keepUnverified { event.decision = GuardInterruptChoice.keepUnverified.rawValue }
            let written = try finish(&event)
            return GuardOutcome(event: written, status: .interrupted, results: results, error: TimeturnerError(
                .interrupted(signal: signal), "guard \(id) stopped by \(Interruption.name(of: signal)); \(commit.short) was left unmarked",
                hint: "run the guard again, or mark it yourself: git timeturner good|bad \(commit.short) --env \(environment)"))
        }
        switch operatorRollback ? .failed : results.verdict {
        case .inconclusive:
            let written = try finish(&event)
            return GuardOutcome(event: written, status: .inconclusive, results: results, error: TimeturnerError(
                .checkInconclusive, "the checks could not decide about \(commit.short); it was left unmarked",
                hint: "see the measurements above (a provider down, no data, a value between pass-if and fail-if)"))
        case .passed:
            let mark = try KnownGoodRegistry(repository: repository).mark(.good, revision: commit.hex, env: environment,
                                                                          note: "guard \(id): " + Self.summary(results), attribution: attribution)
            (event.status, event.decision, event.mark) = (.passed, "mark-good", mark.id)
            let written = try finish(&event)
            return GuardOutcome(event: written, status: .passed, results: results, error: nil)
        case .failed:
            break
        }

        // The operator's decision counts as the checks failing, with --on-fail rollback: the same
        // mark, the same single rollback and its re-check. The interruption is forgotten so that
        // the rollback (which arms it again) is not stopped by the Ctrl-C that asked for it.
        if operatorRollback { runner.interruption?.resume() }
        let onFail: GuardRequest.OnFail = operatorRollback ? .rollback : request.onFail
        let failed = results.filter { $0.verdict == .failed }.map(\.check.name)
        let why = operatorRollback ? "the operator stopped guard \(id) and chose to roll back" : "guard \(id)"
        let mark = try KnownGoodRegistry(repository: repository).mark(.bad, revision: commit.hex, env: environment,
                                                                      note: why + ": " + Self.summary(results), attribution: attribution)
        event.mark = mark.id
        let bad = operatorRollback ? "the operator stopped guard \(id) and chose to roll back; \(commit.short) in \(environment) was marked bad"
            : "the deploy of \(commit.short) to \(environment) failed its checks (\(failed.joined(separator: ", "))) and was marked bad"
        let previous = try GuardJournal(repository: repository).events().first { $0.commit == commit.hex && $0.rollback != nil }
        if onFail == .rollback, let previous {
            (event.status, event.decision) = (.failedHeld, "no-second-rollback")
            let written = try finish(&event)
            return GuardOutcome(event: written, status: .failedHeld, results: results, error: TimeturnerError(
                .deployFailed, bad + "; it was already rolled back automatically once (guard \(previous.id)), so it is held, not rolled back again",
                hint: "a person decides now: git timeturner rollback --env \(environment)"))
        }
        guard onFail == .rollback else {
            event.status = request.onFail == .hold ? .failedHeld : .failedNotified
            event.decision = request.onFail.rawValue
            let written = try finish(&event)
            return GuardOutcome(event: written, status: event.status, results: results, error: TimeturnerError(
                .deployFailed, bad + " (--on-fail \(request.onFail.rawValue): not rolled back)",
                hint: "roll it back with: git timeturner rollback --env \(environment) --yes"))
        }

        // The rollback takes the lock itself, and its verification is the same checks: the result
        // is re-checked, and if it fails too it is restored and stops (no escalation, no retry).
        lock?.release()
        lock = nil
        event.decision = operatorRollback ? "operator-rollback" : "rollback"
        let reason = operatorRollback ? "guard \(id): the operator chose to roll back \(commit.short)"
            : "guard \(id): \(failed.joined(separator: ", ")) failed on \(commit.short)"
        var rollback = RollbackRequest(environment: environment, reason: reason, level: request.level)
        rollback.checks = checks.map(\.name)
        rollback.checksOrigin = "guard \(id)"
        let attempt: RollbackAttempt?
        do throws(TimeturnerError) { attempt = try await pipeline.run(rollback, approval: timing, confirm: confirm, attempted: attempted) } catch {
            (event.status, event.error) = (.failedHeld, error.message)
            _ = try finish(&event)
            throw error
        }
        guard let attempt else {
            event.status = .failedHeld
            let written = try finish(&event)
            return GuardOutcome(event: written, status: .failedHeld, results: results, error: TimeturnerError(.deployFailed, bad + "; the rollback was not confirmed"))
        }
        event.rollback = attempt.plan.id
        event.to = attempt.plan.code.target.hex
        event.rollbackStatus = attempt.result.event?.status.rawValue
        if let error = attempt.result.error {
            (event.status, event.error) = (.failedRollbackFailed, error.message)
            let written = try finish(&event)
            return GuardOutcome(event: written, status: .failedRollbackFailed, results: results, error: TimeturnerError(
                error.kind, bad + "; the rollback to \(attempt.plan.code.target.short) did not pass: \(error.message); no second rollback is tried",
                hint: error.hint, causes: error.causes))
        }
        event.status = .failedRolledBack
        let written = try finish(&event)
        return GuardOutcome(event: written, status: .failedRolledBack, results: results, error: TimeturnerError(
            .deployFailed, bad + "; rolled back to \(attempt.plan.code.target.short) (rollback \(attempt.plan.id)), which passed the same checks",
            hint: "the deploy failed even though the rollback succeeded; undo it with: git timeturner undo \(attempt.plan.id)"))
    }

    /// The newest point on the deployed commit, or a new one with captures of the configured tiers.
    func pointOnDeployedCommit(_ commit: OID, environment: String) async throws(TimeturnerError) -> (String, Bool) {
        let store = PointStore(repository: repository)
        if let existing = store.list().points.first(where: { $0.commit == commit }) { return (existing.id, false) }
        let request = PointStore.Request(revision: commit.hex, message: "before guarding \(commit.short) in \(environment)", environment: environment)
        let assignments = try configuration.tierAssignments()
        if assignments.isEmpty { return (try store.create(request, by: attribution).id, true) }
        return (try await store.createCapturing(request, tiers: assignments, executing: tiers, by: attribution).0.id, true)
    }

    static func summary(_ results: [CheckResult]) -> String {
        results.map { "\($0.check.name) \($0.verdict.rawValue) (\($0.reason))" }.joined(separator: "; ")
    }
}

/// The operator's answer after Ctrl-C, kept for the guard's conclusion; only SIGINT is asked about.
final class InterruptChoiceRecord: Sendable {
    private let choice = Mutex<GuardInterruptChoice?>(nil)

    var chosen: GuardInterruptChoice? { choice.withLock { $0 } }

    /// An answer given once the lock's deadline has passed counts as keep: another operation
    /// may by then have taken the lock as stale, so this guard must neither roll back nor go on.
    func ask(_ ask: @Sendable (Int32, Timestamp) async -> GuardInterruptChoice, after signal: Int32,
             deadline: Timestamp) async -> SamplingAnswer {
        guard signal == SIGINT else { return .stop }
        var answer = await ask(signal, deadline)
        if Timestamp.now().secondsSinceEpoch >= deadline.secondsSinceEpoch { answer = .keepUnverified }
        choice.withLock { $0 = answer }
        return answer == .continueWatching ? .resume : .stop
    }
}

/// `.git/timeturner/guard.json`: the running guard's commit, deadline and latest measurement of
/// each check, rewritten after every measurement, for `status`.
final class GuardStatusFile: Sendable {
    let path: String
    let header: [String: JSONValue]
    private let latest = Mutex<[String: JSONValue]>([:])

    init(directory: OperationDirectory, id: String, commit: OID, environment: String, deadline: Timestamp) {
        path = directory.path + "/guard.json"
        header = ["id": .string(id), "commit": .string(commit.hex), "env": .string(environment), "deadline": .string(deadline.rfc3339)]
    }

    func record(_ check: String, _ measurement: CheckMeasurement) {
        latest.withLock { $0[check] = measurement.json }
        write()
    }

    func write() {
        var fields = header
        fields["latest"] = .object(latest.withLock { $0 })
        // Best effort: status is informative, and a full disk must not stop the guard. Not
        // durable: two fsyncs per measurement were most of a sample's cost (bench/README.md).
        try? LocalFile.writeAtomically(Array((JSONValue.object(fields).canonicalLine + "\n").utf8), to: path, durable: false)
    }

    func remove() { unlink(path) }

    static func read(_ directory: OperationDirectory) -> JSONValue? {
        LocalFile.read(directory.path + "/guard.json").flatMap(JSONValue.parseDocument)
    }
}

/// A guard whose process died, or whose deadline passed, is ended as `abandoned`: journaled,
/// and its lock and status file removed. `recover` and the next guard or rollback call this.
public enum AbandonedGuard {
    public static func end(in repository: Repository, by attribution: Attribution) throws(TimeturnerError) -> GuardEvent? {
        let directory = OperationDirectory(repository: repository)
        guard directory.lockExists, let holder = directory.currentHolder(), holder.operation == "guard", holder.isStale else { return nil }
        let status = GuardStatusFile.read(directory)
        var event = GuardEvent(id: holder.id, start: holder.start.rfc3339, status: .abandoned,
                               env: status?["env"]?.stringValue ?? "", commit: status?["commit"]?.stringValue ?? "",
                               checks: status?["latest"]?.objectValue?.sorted { $0.key < $1.key }.map { .object(["check": .string($0.key), "latest": $0.value]) } ?? [],
                               decision: "none")
        event.error = holder.deadline.map { Timestamp.now().secondsSinceEpoch > $0.secondsSinceEpoch ? "its deadline \($0.rfc3339) passed" : "its process \(holder.pid) is gone" }
            ?? "its process \(holder.pid) is gone"
        try GuardJournal(repository: repository).append(event, by: attribution)
        _ = try directory.clearStaleLock()
        unlink(directory.path + "/guard.json")
        return event
    }

    /// For `status`: the guard holding the lock and its latest measurements.
    public static func running(in repository: Repository) -> (holder: LockHolder, status: JSONValue?)? {
        let directory = OperationDirectory(repository: repository)
        guard let holder = directory.currentHolder(), holder.operation == "guard" else { return nil }
        return (holder, GuardStatusFile.read(directory))
    }
}
