/// What one probe of a check answered, before thresholds: providers (TimeturnerExecutors)
/// return this, Core judges it. Kept apart so that judging is tested without processes.
public enum CheckReading: Sendable, Equatable {
    /// A number to compare: a Prometheus value, a JSON field, the number a command printed.
    case value(Double, detail: String)
    /// The query answered with no sample (or NaN): what it means is the check's `no-data`.
    case noData(detail: String)
    /// The probe itself succeeded and there is no value to compare (exit 0, an expected status).
    case probePassed(detail: String)
    /// The thing under test answered badly: a non-zero exit, an unexpected status, an http
    /// time-out or refused connection (the service itself is what is down).
    case probeFailed(detail: String)
    /// The provider could not answer (Prometheus down, a query error, a command that could not
    /// start): it says nothing about the deploy.
    case error(detail: String)
}

/// How one measurement counts.
public enum MeasurementVerdict: String, Sendable, Equatable, Codable {
    case passed, failed, inconclusive, error
}

/// How a check ended over its sampling.
public enum CheckVerdict: String, Sendable, Equatable, Codable {
    case passed, failed, inconclusive
}

/// One measurement as shown and journaled.
public struct CheckMeasurement: Sendable, Equatable {
    public let at: Timestamp
    public let value: Double?
    public let verdict: MeasurementVerdict
    public let detail: String
    public let durationMilliseconds: Int64

    public init(at: Timestamp, value: Double?, verdict: MeasurementVerdict, detail: String, durationMilliseconds: Int64) {
        self.at = at
        self.value = value
        self.verdict = verdict
        self.detail = detail
        self.durationMilliseconds = durationMilliseconds
    }
}

/// Turns a reading into a measurement verdict with the check's thresholds and `no-data`.
public enum CheckJudgement {
    public static func verdict(of reading: CheckReading, for check: CheckDefinition, baseline: Double?) -> (MeasurementVerdict, Double?, String) {
        switch reading {
        case .probePassed(let detail): return (.passed, nil, detail)
        case .probeFailed(let detail): return (.failed, nil, detail)
        case .error(let detail): return (.error, nil, detail)
        case .noData(let detail):
            switch check.noData ?? .inconclusive {
            case .fail: return (.failed, nil, detail + " (no-data = fail)")
            case .pass: return (.passed, nil, detail + " (no-data = pass)")
            case .inconclusive: return (.inconclusive, nil, detail + " (no-data = inconclusive)")
            }
        case .value(let value, let detail):
            let (verdict, why) = judge(value, check: check, baseline: baseline)
            return (verdict, value, why.isEmpty ? detail : detail + ": " + why)
        }
    }

    /// fail-if wins over pass-if. With only fail-if, a value that does not fail passes; with only
    /// pass-if, one that does not pass fails; with both, a value matching neither is inconclusive,
    /// and so is any value whose baseline-relative bound has no baseline to work from.
    static func judge(_ value: Double, check: CheckDefinition, baseline: Double?) -> (MeasurementVerdict, String) {
        let failed = check.failIf.map { $0.matches(value, baseline: baseline) }
        let passed = check.passIf.map { $0.matches(value, baseline: baseline) }
        if failed == .some(nil) || passed == .some(nil) { return (.inconclusive, "no baseline to compare with") }
        if let failIf = check.failIf, failed == true { return (.failed, "fail-if \(describe(failIf, baseline))") }
        if let passIf = check.passIf, passed == true { return (.passed, "pass-if \(describe(passIf, baseline))") }
        switch (check.failIf, check.passIf) {
        case (.some(let failIf), nil): return (.passed, "not \(describe(failIf, baseline))")
        case (nil, .some(let passIf)): return (.failed, "not \(describe(passIf, baseline))")
        case (.some, .some): return (.inconclusive, "neither pass-if nor fail-if matched")
        case (nil, nil): return (.passed, "")
        }
    }

    static func describe(_ threshold: Threshold, _ baseline: Double?) -> String {
        guard threshold.usesBaseline, let bound = threshold.bound(baseline: baseline) else { return threshold.description }
        return "\(threshold) (= \(Threshold.format(bound)))"
    }
}

/// Decides a check's verdict from its measurements as they come, and says when the next is due.
/// Pure: no clock and no processes, so every rule is unit-tested.
public struct CheckSampler: Sendable {
    public let sampling: Sampling
    public private(set) var taken = 0
    public private(set) var failures = 0
    public private(set) var inconclusives = 0
    public private(set) var consecutiveErrors = 0
    public private(set) var errors = 0
    public private(set) var trailingPasses = 0
    /// Measurements not taken because they fell due while the sampling was paused (a guard asking
    /// its operator after Ctrl-C): the schedule, and so the window's end, stays where it was.
    public private(set) var skipped = 0
    public private(set) var decided: (verdict: CheckVerdict, reason: String)?

    public init(sampling: Sampling) { self.sampling = sampling }

    /// The next measurement's place in the schedule: those taken and those skipped.
    public var slot: Int { taken + skipped }

    /// When measurement `index` (from 0) is due, from the start of the check.
    public func due(_ index: Int) -> Duration { sampling.initialDelay + sampling.interval * index }

    /// Whether another measurement is to be taken (nothing decided yet, count or window not reached).
    public var wantsMore: Bool {
        guard decided == nil else { return false }
        if let count = sampling.count { return slot < count }
        guard let window = sampling.window else { return slot < 1 }
        return sampling.interval * slot <= window
    }

    /// Skips the measurements due strictly inside `pause` (from the start of the check): they are
    /// not made up afterwards, so a pause neither bunches measurements nor moves the end.
    public mutating func skip(dueIn pause: Range<Duration>) {
        guard sampling.interval > .zero else { return }  // every measurement is due at once: none to skip
        while wantsMore, due(slot) > pause.lowerBound, due(slot) < pause.upperBound { skipped += 1 }
    }

    /// Counts one measurement; returns the verdict once it is decided early.
    @discardableResult
    public mutating func record(_ verdict: MeasurementVerdict) -> CheckVerdict? {
        guard decided == nil else { return decided?.verdict }
        taken += 1
        switch verdict {
        case .passed:
            trailingPasses += 1
            consecutiveErrors = 0
        case .failed:
            trailingPasses = 0
            consecutiveErrors = 0
            failures += 1
            if failures > sampling.failureLimit {
                decided = (.failed, "\(failures) failed measurement(s), more than failure-limit \(sampling.failureLimit)")
            }
        case .inconclusive:
            trailingPasses = 0
            consecutiveErrors = 0
            inconclusives += 1
            if inconclusives > sampling.inconclusiveLimit {
                decided = (.inconclusive, "\(inconclusives) inconclusive measurement(s), more than inconclusive-limit \(sampling.inconclusiveLimit)")
            }
        case .error:
            trailingPasses = 0
            errors += 1
            consecutiveErrors += 1
            if consecutiveErrors > sampling.errorLimit {
                decided = (.inconclusive, "\(consecutiveErrors) consecutive errors (provider unreachable), more than error-limit \(sampling.errorLimit)")
            }
        }
        return decided?.verdict
    }

    /// The verdict once sampling is over (decided early, or count or window reached).
    public var verdict: (verdict: CheckVerdict, reason: String) {
        if let decided { return decided }
        if taken == 0 { return (.inconclusive, "no measurement was taken") }
        if trailingPasses >= sampling.consecutiveSuccesses {
            let skips = skipped > 0 ? " (\(skipped) skipped while paused)" : ""
            return (.passed, "\(taken) measurement(s)\(skips), the last \(trailingPasses) passed")
        }
        return (.inconclusive, "the last \(trailingPasses) measurement(s) passed; consecutive-successes needs \(sampling.consecutiveSuccesses)")
    }
}
