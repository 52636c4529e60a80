public import TimeturnerCore

/// An instant query through Prometheus's HTTP API (`GET /api/v1/query?query=…&time=…`), reduced
/// to one value. An empty result, or NaN (a rate over nothing), is no data; a result of several
/// series needs the check's `reduce`.
public struct PrometheusQuery: Sendable {
    public let server: String
    public let query: String
    public let reduce: CheckDefinition.Reduce?
    public let timeout: Duration

    public init(server: String, query: String, reduce: CheckDefinition.Reduce?, timeout: Duration) {
        self.server = server
        self.query = query
        self.reduce = reduce
        self.timeout = timeout
    }

    func url(at time: Timestamp?) -> String {
        var url = String(server.reversed().drop { $0 == "/" }.reversed()) + "/api/v1/query?query=" + URLQuery.encode(query)
        if let time { url += "&time=\(time.secondsSinceEpoch)" }
        return url
    }

    public func reading(at time: Timestamp?, interruption: Interruption?) async -> CheckReading {
        let request = HTTPRequest(url: url(at: time), timeout: timeout)
        let when = time.map { " at \($0.rfc3339)" } ?? ""
        switch await request.perform(interruption: interruption) {
        case .failure(let failure): return .error(detail: "prometheus \(server) did not answer: \(failure)")
        case .success(let response):
            guard let document = JSONValue.parseDocument(response.body) else {
                return .error(detail: "prometheus \(server) answered \(response.status) without JSON")
            }
            guard document["status"]?.stringValue == "success", let data = document["data"] else {
                let reason = document["error"]?.stringValue ?? "status \(response.status)"
                return .error(detail: "prometheus refused '\(query)': \(reason)")
            }
            return Self.interpret(data, reduce: reduce, describing: "'\(query)'\(when)")
        }
    }

    /// The `data` of a successful answer as a reading. Pure, so it is tested on fixed documents.
    static func interpret(_ data: JSONValue, reduce: CheckDefinition.Reduce?, describing what: String) -> CheckReading {
        let values: [Double]
        switch data["resultType"]?.stringValue {
        case "scalar":
            guard let value = number(data["result"]) else { return .error(detail: "\(what): unreadable scalar") }
            values = [value]
        case "vector":
            let series = data["result"]?.arrayValue ?? []
            values = series.compactMap { number($0["value"]) }
            guard values.count == series.count else { return .error(detail: "\(what): unreadable sample") }
        case let other:
            return .error(detail: "\(what): a \(other ?? "missing") result cannot be judged; write an instant vector or scalar query")
        }
        let finite = values.filter { !$0.isNaN }
        if finite.isEmpty { return .noData(detail: "\(what) returned no data") }
        if finite.count == 1 && reduce == nil { return .value(finite[0], detail: "\(what) = \(Threshold.format(finite[0]))") }
        guard let reduce else {
            return .error(detail: "\(what) returned \(finite.count) series; set reduce (sum, min, max, avg, count) or aggregate in PromQL")
        }
        let value: Double
        switch reduce {
        case .sum: value = finite.reduce(0, +)
        case .min: value = finite.min()!
        case .max: value = finite.max()!
        case .avg: value = finite.reduce(0, +) / Double(finite.count)
        case .count: value = Double(finite.count)
        }
        return .value(value, detail: "\(what) = \(Threshold.format(value)) (\(reduce.rawValue) of \(finite.count))")
    }

    /// `[1700000000.123, "0.5"]`: the value is a string (it may be NaN, +Inf).
    static func number(_ pair: JSONValue?) -> Double? {
        guard let pair = pair?.arrayValue, pair.count == 2, let text = pair[1].stringValue else { return nil }
        return Double(text)
    }
}
