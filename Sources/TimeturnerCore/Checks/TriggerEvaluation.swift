public import GitKit

/// One trigger's evaluation.
public enum TriggerState: String, Sendable, Codable, CaseIterable {
    /// The check passed (at least once within `for`): nothing to do.
    case ok
    /// It failed without a pass for `for`, and it passed before the deploy: the deploy did it.
    case fired
    /// It fails, but it failed before the deploy too: the causality gate holds it back.
    case notCaused = "not-caused"
    /// It fails, but nothing says how it was before the deploy: the gate cannot open.
    case noBaseline = "no-baseline"
    /// It fails at every measurement since the deploy, but the deploy is younger than `for`.
    case pending
    /// The measurements could not decide (provider errors, no data, between thresholds).
    case inconclusive
}

/// How the trigger's check stood before the deploy: the causality gate's evidence.
public struct TriggerBaseline: Sendable, Equatable {
    public let at: Timestamp
    public let verdict: MeasurementVerdict
    public let value: Double?
    public let detail: String
    /// `prometheus` (queried at the deploy's start) or the journal event it was measured in.
    public let source: String

    public init(at: Timestamp, verdict: MeasurementVerdict, value: Double?, detail: String, source: String) {
        self.at = at
        self.verdict = verdict
        self.value = value
        self.detail = detail
        self.source = source
    }

    public var json: JSONValue {
        var fields: [String: JSONValue] = ["at": .string(at.rfc3339), "verdict": .string(verdict.rawValue),
                                           "detail": .string(detail), "source": .string(source)]
        if let value { fields["value"] = .double(value) }
        return .object(fields)
    }
}

public struct TriggerResult: Sendable {
    public let trigger: TriggerDefinition
    public let state: TriggerState
    public let reason: String
    /// Oldest first; at most `CheckRunner.keptMeasurements`, `taken` counts them all.
    public let measurements: [CheckMeasurement]
    public let taken: Int
    public let baseline: TriggerBaseline?
    public let interruptedBy: Int32?

    /// The record in the trigger event's `checks` (shaped like a check's, so `history` reads both).
    public var json: JSONValue {
        var fields: [String: JSONValue] = [
            "trigger": .string(trigger.name), "check": .string(trigger.check.name), "kind": .string(trigger.check.kind.rawValue),
            "severity": .string(trigger.check.severity.rawValue), "action": .string(trigger.action.rawValue),
            "forMs": .int(trigger.sustained.wholeMilliseconds), "state": .string(state.rawValue), "verdict": .string(state.rawValue),
            "reason": .string(reason), "taken": .int(Int64(taken)), "measurements": .array(measurements.map(\.json)),
        ]
        if let baseline { fields["baseline"] = baseline.json }
        if taken > measurements.count { fields["measurementsOmitted"] = .int(Int64(taken - measurements.count)) }
        if let interruptedBy { fields["interrupted"] = .string(Interruption.name(of: interruptedBy)) }
        return .object(fields)
    }
}

/// Measurements of checks taken before a deploy, for the causality gate of checks that cannot
/// be asked about the past (commands, HTTP): from guard and trigger events in the journal, and
/// from this clone's recent trigger runs (`TriggerMeasurementLog`), which are not all journaled.
public struct RecordedMeasurements: Sendable {
    public struct Entry: Sendable, Equatable {
        public let at: Timestamp
        public let verdict: MeasurementVerdict
        public let value: Double?
        public let detail: String
        /// The guard or trigger run that took it.
        public let source: String
    }

    /// Per check name, in the order they were taken as far as it is known: the journal oldest
    /// event first, then this clone's log. Times have whole seconds, so among measurements of
    /// the same second the later in this order is the newer.
    var byCheck: [String: [Entry]]

    /// `events` newest first, as `GuardJournal.events()` returns them.
    public init(events: [GuardEvent], environment: String, log: [String: [Entry]] = [:]) {
        var byCheck: [String: [Entry]] = [:]
        for event in events.reversed() where event.env == environment {
            for record in event.checks {
                guard let name = record["check"]?.stringValue, let measurements = record["measurements"]?.arrayValue else { continue }
                byCheck[name, default: []] += measurements.compactMap { Self.entry($0, source: "\(event.type) \(event.id)") }
            }
        }
        for (name, entries) in log { byCheck[name, default: []] += entries }
        self.byCheck = byCheck
    }

    /// A measurement record (`CheckMeasurement.json`) read back; nil when it is not one.
    static func entry(_ measurement: JSONValue, source: String) -> Entry? {
        guard let at = measurement["at"]?.stringValue.flatMap(Timestamp.init(rfc3339:)),
              let verdict = measurement["verdict"]?.stringValue.flatMap(MeasurementVerdict.init(rawValue:)) else { return nil }
        return Entry(at: at, verdict: verdict, value: measurement["value"]?.doubleValue, detail: measurement["detail"]?.stringValue ?? "",
                     source: measurement["source"]?.stringValue ?? source)
    }

    /// The newest decisive (passed or failed) measurement of `check` taken before `time`.
    func newest(of check: String, before time: Timestamp) -> TriggerBaseline? {
        var candidate: Entry?
        for entry in byCheck[check] ?? [] where entry.at < time && (entry.verdict == .passed || entry.verdict == .failed) {
            if candidate.map({ entry.at >= $0.at }) ?? true { candidate = entry }
        }
        return candidate.map { TriggerBaseline(at: $0.at, verdict: $0.verdict, value: $0.value, detail: $0.detail, source: $0.source) }
    }
}

/// `.git/timeturner/trigger-measurements.json`: the newest decisive measurements of each
/// environment's trigger checks, from every run of this clone. A trigger run from cron every
/// minute is journaled only when something changed (a registry commit a minute would grow the
/// journal without bound), so this is where the gate finds "how it was just before the deploy".
/// Best effort: a lost or damaged file only means the gate falls back to the journal.
public struct TriggerMeasurementLog: Sendable {
    /// Kept per environment and check: about half an hour of a trigger run every minute.
    public static let kept = 32

    public let path: String

    public init(repository: Repository) {
        path = OperationDirectory(repository: repository).path + "/trigger-measurements.json"
    }

    /// Per check, the measurements kept for `environment`.
    public func read(environment: String) -> [String: [RecordedMeasurements.Entry]] {
        guard let document = LocalFile.read(path).flatMap(JSONValue.parseDocument),
              let checks = document["checks"]?.objectValue else { return [:] }
        var out: [String: [RecordedMeasurements.Entry]] = [:]
        for (key, list) in checks where key.hasPrefix(environment + " ") {
            let name = String(key.dropFirst(environment.count + 1))
            out[name] = (list.arrayValue ?? []).compactMap { RecordedMeasurements.entry($0, source: "an earlier trigger run") }
        }
        return out
    }

    /// Adds the decisive measurements of `results` (run `run`), keeping the newest `kept` of each.
    public func record(_ results: [TriggerResult], environment: String, run: String) {
        let document = LocalFile.read(path).flatMap(JSONValue.parseDocument)
        var checks = document?["checks"]?.objectValue ?? [:]
        for result in results {
            let key = environment + " " + result.trigger.check.name
            var list = checks[key]?.arrayValue ?? []
            for measurement in result.measurements where measurement.verdict == .passed || measurement.verdict == .failed {
                guard case .object(var fields) = measurement.json else { continue }
                fields["source"] = .string("trigger \(run)")
                list.append(.object(fields))
            }
            checks[key] = .array(Array(list.suffix(Self.kept)))
        }
        let text = JSONValue.object(["v": .int(1), "checks": .object(checks)]).canonicalLine + "\n"
        // No lock is held here, so `.git/timeturner/` may be missing or vanish under us.
        try? LocalFile.writeAtomically(Array(text.utf8), to: path, makingParent: true)
    }
}

/// Evaluates triggers: is the check failing, has it been for `for`, and did it pass before the
/// deploy? Prometheus checks answer all three at once from the server's history (instant queries
/// at past times); commands and HTTP checks are sampled live over `for`, and their "before"
/// comes from measurements journaled before the deploy.
public struct TriggerEvaluator: Sendable {
    /// At most this many instants are queried over a Prometheus trigger's `for`.
    public static let maximumInstants = 200

    let runner: CheckRunner

    public init(runner: CheckRunner) { self.runner = runner }

    public func evaluate(_ triggers: [TriggerDefinition], now: Timestamp, deployedAt: Timestamp?, recorded: RecordedMeasurements) async -> [TriggerResult] {
        let work = {
            await withTaskGroup(of: (Int, TriggerResult).self) { group in
                for (index, trigger) in triggers.enumerated() {
                    group.addTask { (index, await self.evaluate(trigger, now: now, deployedAt: deployedAt, recorded: recorded)) }
                }
                var results: [(Int, TriggerResult)] = []
                for await result in group { results.append(result) }
                return results.sorted { $0.0 < $1.0 }.map(\.1)
            }
        }
        guard let interruption = runner.interruption else { return await work() }
        return await interruption.armed { await work() }
    }

    func evaluate(_ trigger: TriggerDefinition, now: Timestamp, deployedAt: Timestamp?, recorded: RecordedMeasurements) async -> TriggerResult {
        let check = trigger.check
        var baselineValue: Double?
        var baseline: TriggerBaseline?
        if check.kind == .prometheus, let deployedAt {
            // One query at the deploy's start serves both a relative threshold and the gate.
            let reading = await runner.measurer.measure(check, at: deployedAt, interruption: runner.interruption)
            if case .value(let value, _) = reading { baselineValue = value }
            baseline = Self.gate(reading, for: check, baseline: baselineValue, at: deployedAt)
        }
        let sampled = check.kind == .prometheus
            ? await history(of: check, over: trigger.sustained, now: now, deployedAt: deployedAt, baseline: baselineValue)
            : await live(check, over: trigger.sustained, baseline: nil)
        func result(_ state: TriggerState, _ reason: String, baseline: TriggerBaseline? = nil) -> TriggerResult {
            TriggerResult(trigger: trigger, state: state, reason: reason, measurements: sampled.kept, taken: sampled.taken,
                          baseline: baseline, interruptedBy: sampled.interrupted)
        }
        if let signal = sampled.interrupted {
            return result(.inconclusive, "stopped by \(Interruption.name(of: signal)) before the trigger decided")
        }
        let failing: String
        switch sampled.condition {
        case .passed(let at): return result(.ok, "passed at \(at.rfc3339)")
        case .undecided(let why): return result(.inconclusive, why)
        case .truncated(let since):
            return result(.pending, "failing at every measurement since the deploy at \(since.rfc3339), but for \(CheckDurationText.format(trigger.sustained)) has not passed since it")
        case .sustained(let why): failing = why
        }
        guard let deployedAt else {
            return result(.noBaseline, failing + "; when the deploy happened is not known, so nothing shows it caused this",
                          baseline: nil)
        }
        if check.kind != .prometheus { baseline = recorded.newest(of: check.name, before: deployedAt) }
        guard let baseline, baseline.verdict == .passed || baseline.verdict == .failed else {
            let why = check.kind == .prometheus
                ? "the same query at the deploy's start (\(deployedAt.rfc3339)) did not decide: \(baseline?.detail ?? "no answer")"
                : "no measurement of \(check.name) from before the deploy at \(deployedAt.rfc3339) was journaled (by a guard or an earlier trigger run)"
            return result(.noBaseline, failing + "; " + why, baseline: baseline)
        }
        if baseline.verdict == .failed {
            return result(.notCaused, failing + "; it failed before the deploy too (\(baseline.source) at \(baseline.at.rfc3339): \(baseline.detail)), so the deploy did not cause it",
                          baseline: baseline)
        }
        return result(.fired, failing + "; before the deploy it passed (\(baseline.source) at \(baseline.at.rfc3339))", baseline: baseline)
    }

    /// The causality gate's reading: no data before the deploy (a metric the deploy introduced,
    /// a server that was not yet scraping) says nothing, whatever `no-data` says for the window.
    static func gate(_ reading: CheckReading, for check: CheckDefinition, baseline: Double?, at time: Timestamp) -> TriggerBaseline {
        if case .noData(let detail) = reading {
            return TriggerBaseline(at: time, verdict: .inconclusive, value: nil, detail: detail, source: "prometheus")
        }
        let (verdict, value, detail) = CheckJudgement.verdict(of: reading, for: check, baseline: baseline)
        return TriggerBaseline(at: time, verdict: verdict, value: value, detail: detail, source: "prometheus")
    }

    enum Condition {
        /// A measurement passed: the failure, if any, is not sustained.
        case passed(at: Timestamp)
        /// Every measurement over `for` failed.
        case sustained(String)
        /// Every measurement failed, but the window was cut at the deploy.
        case truncated(since: Timestamp)
        /// Nothing passed, and not everything failed.
        case undecided(String)
    }

    struct Sampled {
        var kept: [CheckMeasurement] = []
        var taken = 0
        var failed = 0
        var interrupted: Int32?
        var condition: Condition = .undecided("no measurement was taken")

        mutating func add(_ measurement: CheckMeasurement) {
            if kept.count == CheckRunner.keptMeasurements { kept.removeFirst() }
            kept.append(measurement)
            taken += 1
            if measurement.verdict == .failed { failed += 1 }
        }

        /// The condition once sampling stopped without a pass.
        mutating func conclude(sustained: Duration, truncatedAt: Timestamp?) {
            if taken == 0 { return }
            guard failed == taken else {
                condition = .undecided("\(failed) of \(taken) measurement(s) failed, the others could not decide")
                return
            }
            if let truncatedAt { condition = .truncated(since: truncatedAt); return }
            condition = .sustained(sustained == .zero ? "failed (\(kept.last?.detail ?? ""))"
                : "failed at all \(taken) measurement(s) over \(CheckDurationText.format(sustained)) (\(kept.last?.detail ?? ""))")
        }
    }

    /// Prometheus: the query at instants from `now` back over `for` (not before the deploy),
    /// newest first, stopping at the first pass. Kept oldest first, as measured time runs.
    func history(of check: CheckDefinition, over sustained: Duration, now: Timestamp, deployedAt: Timestamp?, baseline: Double?) async -> Sampled {
        var sampled = Sampled()
        let span = sustained.wholeMilliseconds
        // Whole seconds: the query's time= (and Timestamp) have a resolution of one second.
        let step = max(check.sampling.interval.wholeMilliseconds, span / Int64(Self.maximumInstants), 1000)
        let nowMs = now.secondsSinceEpoch * 1000
        let startMs = nowMs - span
        let deployMs = deployedAt.map { $0.secondsSinceEpoch * 1000 }
        var newestFirst: [CheckMeasurement] = []
        var instant = nowMs
        var truncated = false
        while instant >= startMs {
            if let deployMs, instant < deployMs { truncated = true; break }
            if let signal = runner.interruption?.signal { sampled.interrupted = signal; return sampled }
            let at = Timestamp(secondsSinceEpoch: instant / 1000)
            let began = ContinuousClock.now
            // The newest instant is "now"; asking with time= for it would round to the second.
            let reading = await runner.measurer.measure(check, at: instant == nowMs ? nil : at, interruption: runner.interruption)
            let (verdict, value, detail) = CheckJudgement.verdict(of: reading, for: check, baseline: baseline)
            let measurement = CheckMeasurement(at: at, value: value, verdict: verdict, detail: detail,
                                               durationMilliseconds: (ContinuousClock.now - began).wholeMilliseconds)
            newestFirst.append(measurement)
            if verdict == .passed { break }
            instant -= step
        }
        for measurement in newestFirst.reversed() { sampled.add(measurement) }
        if let passed = newestFirst.last, passed.verdict == .passed {
            sampled.condition = .passed(at: passed.at)
            return sampled
        }
        sampled.conclude(sustained: sustained, truncatedAt: truncated ? deployedAt : nil)
        return sampled
    }

    /// Commands and HTTP checks: measured now and every interval until `for` has passed,
    /// stopping at the first pass.
    func live(_ check: CheckDefinition, over sustained: Duration, baseline: Double?) async -> Sampled {
        var sampled = Sampled()
        let start = ContinuousClock.now
        var index = 0
        while index == 0 || check.sampling.interval * index <= sustained {
            if let signal = await runner.sleep(until: start + check.sampling.interval * index) { sampled.interrupted = signal; return sampled }
            let at = Timestamp.now()
            let began = ContinuousClock.now
            let reading = await runner.measurer.measure(check, at: nil, interruption: runner.interruption)
            if let signal = runner.interruption?.signal { sampled.interrupted = signal; return sampled }
            let (verdict, value, detail) = CheckJudgement.verdict(of: reading, for: check, baseline: baseline)
            sampled.add(CheckMeasurement(at: at, value: value, verdict: verdict, detail: detail,
                                         durationMilliseconds: (ContinuousClock.now - began).wholeMilliseconds))
            if verdict == .passed {
                sampled.condition = .passed(at: at)
                return sampled
            }
            index += 1
            if sustained == .zero { break }
        }
        sampled.conclude(sustained: sustained, truncatedAt: nil)
        return sampled
    }
}
