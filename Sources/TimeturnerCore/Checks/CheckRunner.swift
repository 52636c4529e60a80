/// Takes one measurement of a check. Core declares it; TimeturnerExecutors implements it (a
/// bounded child process, an HTTP request, a Prometheus query) and the CLI wires that in.
public protocol CheckMeasuring: Sendable {
    /// One probe of `check`. `at` asks for the value at that past moment (the baseline before a
    /// deploy); only Prometheus checks can answer it. Stops at once on `interruption`.
    func measure(_ check: CheckDefinition, at time: Timestamp?, interruption: Interruption?) async -> CheckReading
}

/// A check's sampling as it ended.
public struct CheckResult: Sendable, Equatable {
    public let check: CheckDefinition
    public let verdict: CheckVerdict
    public let reason: String
    /// The value before the deploy, for baseline-relative thresholds.
    public let baseline: Double?
    public let baselineDetail: String?
    /// The newest measurements (at most `CheckRunner.keptMeasurements`); `taken` counts them all.
    public let measurements: [CheckMeasurement]
    public let taken: Int
    /// The signal that stopped the sampling before it decided, if one did.
    public let interruptedBy: Int32?
    /// Sampled once, without its window (`--fast` on a known-good target).
    public let fast: Bool

    public init(check: CheckDefinition, verdict: CheckVerdict, reason: String, baseline: Double?, baselineDetail: String?,
                measurements: [CheckMeasurement], taken: Int, interruptedBy: Int32?, fast: Bool) {
        self.check = check
        self.verdict = verdict
        self.reason = reason
        self.baseline = baseline
        self.baselineDetail = baselineDetail
        self.measurements = measurements
        self.taken = taken
        self.interruptedBy = interruptedBy
        self.fast = fast
    }

    public var passed: Bool { verdict == .passed && interruptedBy == nil }
}

/// Runs checks with their sampling, all at once (a guard watches every check over the same
/// window), reporting each measurement as it is taken.
public struct CheckRunner: Sendable {
    /// Measurements kept per check for the report and the journal; older ones are only counted,
    /// so a guard over a long window stays small in memory and in its journal line.
    public static let keptMeasurements = 100

    let measurer: any CheckMeasuring
    let interruption: Interruption?

    public init(measurer: any CheckMeasuring, interruption: Interruption?) {
        self.measurer = measurer
        self.interruption = interruption
    }

    /// `window` replaces every check's own count or window (`guard --for`); `fast` takes one
    /// measurement without delay. `baselineAt` is when the baseline is read (the deploy's start).
    /// `onInterrupt` (a guard on a terminal) is asked once per signal, for all the checks: on
    /// `.resume` the sampling goes on where it was, on `.stop` (or without it) it stops.
    public func run(_ checks: [CheckDefinition], baselineAt: Timestamp?, window: Duration? = nil, fast: Bool = false,
                    onInterrupt: (@Sendable (Int32) async -> SamplingAnswer)? = nil,
                    onMeasurement: @escaping @Sendable (CheckDefinition, CheckMeasurement) -> Void) async -> [CheckResult] {
        let pause = interruption.flatMap { interruption in onInterrupt.map { SamplingPause(interruption: interruption, ask: $0) } }
        // Armed: a signal now stops the sampling (and a running probe) instead of ending the process.
        guard let interruption else { return await runAll(checks, baselineAt: baselineAt, window: window, fast: fast, pause: nil, onMeasurement: onMeasurement) }
        return await interruption.armed {
            await runAll(checks, baselineAt: baselineAt, window: window, fast: fast, pause: pause, onMeasurement: onMeasurement)
        }
    }

    func runAll(_ checks: [CheckDefinition], baselineAt: Timestamp?, window: Duration?, fast: Bool, pause: SamplingPause?,
                onMeasurement: @escaping @Sendable (CheckDefinition, CheckMeasurement) -> Void) async -> [CheckResult] {
        await withTaskGroup(of: (Int, CheckResult).self) { group in
            for (index, check) in checks.enumerated() {
                group.addTask {
                    (index, await self.run(check, baselineAt: baselineAt, window: window, fast: fast, pause: pause, onMeasurement: onMeasurement))
                }
            }
            var results: [(Int, CheckResult)] = []
            for await result in group { results.append(result) }
            return results.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    /// One check, with an interruption of its own (a verification inside an armed rollback).
    public func run(_ check: CheckDefinition, baselineAt: Timestamp?, window: Duration?, fast: Bool, interruption: Interruption?,
                    onMeasurement: @Sendable (CheckDefinition, CheckMeasurement) -> Void) async -> CheckResult {
        await CheckRunner(measurer: measurer, interruption: interruption)
            .run(check, baselineAt: baselineAt, window: window, fast: fast, onMeasurement: onMeasurement)
    }

    func run(_ check: CheckDefinition, baselineAt: Timestamp?, window: Duration?, fast: Bool, pause: SamplingPause? = nil,
             onMeasurement: @Sendable (CheckDefinition, CheckMeasurement) -> Void) async -> CheckResult {
        var sampling = window.map { check.sampling.over(window: $0) } ?? check.sampling
        if fast { sampling = Sampling(interval: sampling.interval, count: 1, errorLimit: sampling.errorLimit) }
        let start = ContinuousClock.now
        var interrupted: Int32?
        var baseline: Double?
        var baselineDetail: String?
        while check.needsBaseline {
            let reading = await measurer.measure(check, at: baselineAt ?? Timestamp.now(), interruption: interruption)
            if let signal = interruption?.signal {
                // Resumed: the stopped query is asked again.
                if await pause?.resumes(after: signal, since: start) != nil { continue }
                interrupted = signal
            }
            switch reading {
            case .value(let value, let detail): (baseline, baselineDetail) = (value, detail)
            case .noData(let detail), .probePassed(let detail), .probeFailed(let detail), .error(let detail): baselineDetail = detail
            }
            break
        }
        var sampler = CheckSampler(sampling: sampling)
        var kept: [CheckMeasurement] = []
        kept.reserveCapacity(min(Self.keptMeasurements, sampling.count ?? Self.keptMeasurements))
        var paused: Range<Duration>?
        while interrupted == nil, sampler.wantsMore {
            if let paused {
                sampler.skip(dueIn: paused)
                if !sampler.wantsMore { break }
            }
            if let signal = await sleep(until: start + sampler.due(sampler.slot)) {
                guard let resumed = await pause?.resumes(after: signal, since: start) else { interrupted = signal; break }
                paused = resumed
                continue
            }
            let at = Timestamp.now()
            let began = ContinuousClock.now
            let reading = await measurer.measure(check, at: nil, interruption: interruption)
            if let signal = interruption?.signal {
                // Resumed: the probe the signal stopped is taken again, not counted.
                guard let resumed = await pause?.resumes(after: signal, since: start) else { interrupted = signal; break }
                paused = resumed
                continue
            }
            let (verdict, value, detail) = CheckJudgement.verdict(of: reading, for: check, baseline: baseline)
            let measurement = CheckMeasurement(at: at, value: value, verdict: verdict, detail: detail,
                                               durationMilliseconds: (ContinuousClock.now - began).wholeMilliseconds)
            if kept.count == Self.keptMeasurements { kept.removeFirst() }
            kept.append(measurement)
            onMeasurement(check, measurement)
            sampler.record(verdict)
        }
        let (verdict, reason) = interrupted.map { (CheckVerdict.inconclusive, "stopped by \(Interruption.name(of: $0)) before the check decided") } ?? sampler.verdict
        return CheckResult(check: check, verdict: verdict, reason: reason, baseline: baseline, baselineDetail: baselineDetail,
                           measurements: kept, taken: sampler.taken, interruptedBy: interrupted, fast: fast)
    }

    /// Sleeps until `deadline`, waking every 20 ms to see whether a signal asked us to stop
    /// (a signal only sets a flag). Returns that signal, or nil once the deadline passed.
    func sleep(until deadline: ContinuousClock.Instant) async -> Int32? {
        while true {
            if let signal = interruption?.signal { return signal }
            let left = deadline - ContinuousClock.now
            if left <= .zero { return nil }
            try? await Task.sleep(for: min(left, .milliseconds(20)))
        }
    }
}

/// What the sampling does after a signal, as its `onInterrupt` answered.
public enum SamplingAnswer: Sendable, Equatable {
    /// Go on where it was: the signal is forgotten, measurements that fell due while asking are skipped.
    case resume
    /// Stop, as without `onInterrupt`: every check ends `interruptedBy` the signal.
    case stop
}

/// One question per signal for all the checks sampled at once: the first check to see the
/// signal asks, the others wait for the same answer. A check that sees the signal only after
/// it was answered with `.resume` (and forgotten) goes on at once.
actor SamplingPause {
    let interruption: Interruption
    let ask: @Sendable (Int32) async -> SamplingAnswer
    private var asking: Task<SamplingAnswer, Never>?
    private var stopped = false

    init(interruption: Interruption, ask: @escaping @Sendable (Int32) async -> SamplingAnswer) {
        self.interruption = interruption
        self.ask = ask
    }

    /// The time the question was open (from `start`) when the answer is to go on; nil to stop.
    func resumes(after signal: Int32, since start: ContinuousClock.Instant) async -> Range<Duration>? {
        let asked = ContinuousClock.now - start
        return await answer(signal) == .resume ? asked..<max(asked, ContinuousClock.now - start) : nil
    }

    private func answer(_ signal: Int32) async -> SamplingAnswer {
        if stopped { return .stop }
        if let asking { return await asking.value }
        guard interruption.signal != nil else { return .resume }
        let ask = self.ask
        let question = Task { await ask(signal) }
        asking = question
        let answer = await question.value
        if answer == .resume { interruption.resume() } else { stopped = true }
        asking = nil
        return answer
    }
}

extension [CheckResult] {
    /// Failed if any failed; else inconclusive if any could not decide (or was stopped); else passed.
    public var verdict: CheckVerdict {
        if contains(where: { $0.verdict == .failed }) { return .failed }
        if contains(where: { !$0.passed }) { return .inconclusive }
        return .passed
    }
}

extension CheckResult {
    /// The JSON record of `check --json`, of guard and trigger events and of check verification.
    public var json: JSONValue {
        var fields: [String: JSONValue] = [
            "check": .string(check.name), "kind": .string(check.kind.rawValue), "verdict": .string(verdict.rawValue),
            "reason": .string(reason), "taken": .int(Int64(taken)), "severity": .string(check.severity.rawValue),
            "measurements": .array(measurements.map(\.json)),
        ]
        if let baseline { fields["baseline"] = .double(baseline) }
        if let baselineDetail { fields["baselineDetail"] = .string(baselineDetail) }
        if taken > measurements.count { fields["measurementsOmitted"] = .int(Int64(taken - measurements.count)) }
        if let interruptedBy { fields["interrupted"] = .string(Interruption.name(of: interruptedBy)) }
        if fast { fields["fast"] = .bool(true) }
        return .object(fields)
    }
}

extension CheckMeasurement {
    public var json: JSONValue {
        var fields: [String: JSONValue] = ["at": .string(at.rfc3339), "verdict": .string(verdict.rawValue),
                                           "detail": .string(detail), "durationMs": .int(durationMilliseconds)]
        if let value { fields["value"] = .double(value) }
        return .object(fields)
    }
}
