/// What a check measures and how its measurements are judged, from `timeturner.check.<name>.*`.
public struct CheckDefinition: Sendable, Hashable {
    public enum Kind: String, Sendable, CaseIterable { case command, http, prometheus }

    /// What a Prometheus query that does not answer (empty result, NaN) counts as. It must be
    /// stated: a check that silently passes when its metric vanished is worse than none.
    public enum NoData: String, Sendable, CaseIterable { case fail, inconclusive, pass }

    /// How a trigger acts on a failure of this check (the protocol's classes).
    public enum Severity: String, Sendable, CaseIterable, Comparable {
        case critical, high, medium, low
        var rank: Int { switch self { case .critical: 0; case .high: 1; case .medium: 2; case .low: 3 } }
        public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
    }

    /// How several Prometheus samples become one value.
    public enum Reduce: String, Sendable, CaseIterable { case sum, min, max, avg, count }

    public enum Probe: Sendable, Hashable {
        /// `/bin/sh -c command` at the work-tree root; `valueFromOutput`: the first number on
        /// its standard output is the value (else only its exit status counts).
        case command(String, valueFromOutput: Bool)
        /// A request; the status must be in `expectStatus`; `jsonField` (`a.b.0.c`) is the value.
        case http(url: String, method: String, expectStatus: Set<Int>, jsonField: String?)
        /// An instant query through `server` + `/api/v1/query`.
        case prometheus(server: String, query: String, reduce: Reduce?)
    }

    public let name: String
    public let probe: Probe
    /// How long one measurement may take (the child's time limit, the request's time-out).
    public let timeout: Duration
    public let passIf: Threshold?
    public let failIf: Threshold?
    public let sampling: Sampling
    /// Only set (and required) for Prometheus checks.
    public let noData: NoData?
    public let severity: Severity
    /// The configuration layer the check's settings came from, for plans and messages.
    public let origin: String

    public init(name: String, probe: Probe, timeout: Duration = .seconds(10), passIf: Threshold? = nil, failIf: Threshold? = nil,
                sampling: Sampling = Sampling(), noData: NoData? = nil, severity: Severity = .high, origin: String = "test") {
        self.name = name
        self.probe = probe
        self.timeout = timeout
        self.passIf = passIf
        self.failIf = failIf
        self.sampling = sampling
        self.noData = noData
        self.severity = severity
        self.origin = origin
    }

    public var kind: Kind {
        switch probe {
        case .command: .command
        case .http: .http
        case .prometheus: .prometheus
        }
    }

    /// Whether a threshold is relative to the baseline (measured before the deploy).
    public var needsBaseline: Bool { passIf?.usesBaseline == true || failIf?.usesBaseline == true }

    /// How long its sampling takes at most (the guard's lock deadline is built from this).
    public var longestRun: Duration {
        let perSample = sampling.interval + timeout
        if let window = sampling.window { return sampling.initialDelay + window + timeout }
        return sampling.initialDelay + perSample * (sampling.count ?? 1)
    }
}

/// When and how often a check measures, and when its measurements decide.
///
/// Like Argo Rollouts' analysis: `failure-limit` failed measurements are tolerated (the next
/// one fails the check), `inconclusive-limit` likewise; `error-limit` consecutive errors
/// (provider unreachable) are tolerated, the next makes the check inconclusive, never failed:
/// a monitoring outage is not the deploy's fault. At the end (`count` measurements, or the
/// `window` elapsed) the check passes only if its last `consecutive-successes` measurements passed.
public struct Sampling: Sendable, Hashable {
    public var interval: Duration
    public var initialDelay: Duration
    /// Exactly this many measurements; nil with a window.
    public var count: Int?
    /// Measure until this long after the first measurement was due.
    public var window: Duration?
    public var failureLimit: Int
    public var consecutiveSuccesses: Int
    public var inconclusiveLimit: Int
    public var errorLimit: Int

    public init(interval: Duration = .seconds(10), initialDelay: Duration = .zero, count: Int? = nil, window: Duration? = nil,
                failureLimit: Int = 0, consecutiveSuccesses: Int = 1, inconclusiveLimit: Int = 0, errorLimit: Int = 4) {
        self.interval = interval
        self.initialDelay = initialDelay
        self.count = count ?? (window == nil ? 1 : nil)
        self.window = window
        self.failureLimit = failureLimit
        self.consecutiveSuccesses = consecutiveSuccesses
        self.inconclusiveLimit = inconclusiveLimit
        self.errorLimit = errorLimit
    }

    /// The same sampling with its window (or count) replaced by `window`, for `guard --for`.
    public func over(window: Duration) -> Sampling {
        var copy = self
        copy.window = window
        copy.count = nil
        return copy
    }
}

/// `500ms`, `2s`, `5m`, `1h`, or a bare number of seconds: check durations go below a second.
public enum CheckDurationText {
    public static func parse(_ text: String) -> Duration? {
        let text = String(text.split(separator: " ").joined())
        if text.hasSuffix("ms"), let value = Int64(text.dropLast(2)), value >= 0 { return .milliseconds(value) }
        if let value = Int64(text), value >= 0 { return .seconds(value) }
        guard let span = TimeSpan(parsing: text) else { return nil }
        return .seconds(span.seconds)
    }

    public static func format(_ duration: Duration) -> String {
        let milliseconds = duration.wholeMilliseconds
        if milliseconds % 1000 != 0 { return "\(milliseconds)ms" }
        return TimeSpan(seconds: milliseconds / 1000).description
    }
}
