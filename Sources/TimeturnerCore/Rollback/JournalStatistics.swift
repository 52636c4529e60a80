/// Count, success rate and duration percentiles, overall and per mode (`history --stats`).
public struct JournalStatistics: Sendable {
    public struct Group: Sendable {
        public let name: String
        public let count: Int
        public let succeeded: Int
        public let medianMilliseconds: Int64
        public let p95Milliseconds: Int64
        public var successRate: Double { count == 0 ? 0 : Double(succeeded) / Double(count) }

        public var json: JSONValue {
            .object(["name": .string(name), "count": .int(Int64(count)), "succeeded": .int(Int64(succeeded)),
                     "successRate": .double((successRate * 1000).rounded() / 1000),
                     "medianMs": .int(medianMilliseconds), "p95Ms": .int(p95Milliseconds)])
        }
    }

    public let overall: Group
    public let byMode: [Group]

    public init(_ entries: [JournalEntry]) {
        let rollbacks = entries.filter { $0.type == "rollback" }
        overall = Self.group("all", rollbacks)
        byMode = Dictionary(grouping: rollbacks, by: \.mode).keys.sorted().map { mode in
            Self.group(mode, rollbacks.filter { $0.mode == mode })
        }
    }

    static func group(_ name: String, _ entries: [JournalEntry]) -> Group {
        let durations = entries.map(\.durationMilliseconds).sorted()
        return Group(name: name, count: entries.count, succeeded: entries.filter(\.succeeded).count,
                     medianMilliseconds: percentile(durations, 50), p95Milliseconds: percentile(durations, 95))
    }

    /// Nearest-rank percentile: the smallest value with at least p% of the values at or below it.
    static func percentile(_ sorted: [Int64], _ p: Int) -> Int64 {
        guard !sorted.isEmpty else { return 0 }
        let rank = max(1, (p * sorted.count + 99) / 100)
        return sorted[min(rank, sorted.count) - 1]
    }

    public var json: JSONValue {
        .object(["overall": overall.json, "byMode": .array(byMode.map(\.json))])
    }
}
