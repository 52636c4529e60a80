public import GitKit

/// Rollbacks, undos and recoveries as events in the registry's `journal/<YYYY-MM>.jsonl`
/// shards. One line per finished operation, written once at its end.
public struct RollbackJournal {
    let repository: Repository

    public init(repository: Repository) { self.repository = repository }

    /// Event types this journal writes (drills and guards share the shards and are skipped here).
    public static let types: Set<String> = ["rollback", "undo"]

    @discardableResult
    func append(_ event: JSONValue, at time: Timestamp, by attribution: Attribution) throws(TimeturnerError) -> JSONValue {
        guard case .object(var fields) = event else { return event }
        // Which clone did it: journals of all clones meet through sync (Sync/CloneIdentity.swift).
        if fields["clone"] == nil { fields["clone"] = .string(try CloneIdentity.current(in: repository)) }
        let id = fields["id"]?.stringValue ?? ""
        let status = fields["status"]?.stringValue ?? ""
        let type = fields["type"]?.stringValue ?? "rollback"
        let written = try RegistryLedger(repository: repository).append(
            [(shard: RegistryLedger.journalShard(for: time), event: fields)],
            message: "journal: \(type) \(id) \(status)", by: attribution)
        return written.first ?? event
    }

    /// Every rollback/undo event, newest first, and the lines that could not be read.
    public func entries() throws(TimeturnerError) -> (entries: [JournalEntry], skipped: [SkippedLine]) {
        let ledger = RegistryLedger(repository: repository)
        var entries: [JournalEntry] = []
        var skipped: [SkippedLine] = []
        for shard in try ledger.shards(under: "journal") {
            let read = try ledger.numberedEvents(inShard: shard)
            skipped += read.skipped
            for (lineNumber, event) in read.events {
                guard let type = event["type"]?.stringValue, Self.types.contains(type) else { continue }
                guard let entry = JournalEntry(event) else {
                    // A rollback or undo line whose fields have the wrong types was dropped
                    // silently before; say where it is, as for lines that are not JSON.
                    skipped.append(SkippedLine(source: RegistryLedger.source(of: shard), lineNumber: lineNumber,
                                               reason: "is a \(type) event with missing or wrongly typed fields"))
                    continue
                }
                entries.append(entry)
            }
        }
        // Shards are read oldest month first and lines are appended, so reversing file order puts
        // the newest first even within one second; a stable sort by start keeps that order.
        entries.reverse()
        entries = entries.enumerated().sorted { $0.element.start != $1.element.start ? $0.element.start > $1.element.start : $0.offset < $1.offset }.map(\.element)
        return (entries, skipped)
    }

    /// The rollback `id`, or else this clone's newest rollback that can be undone (not itself
    /// undone, not failed before changing anything). Another clone's rollback is never picked
    /// without its id: its result is that clone's HEAD, not this one's.
    public func entry(id: String?) throws(TimeturnerError) -> JournalEntry? {
        let all = try entries().entries
        if let id { return all.first { $0.id == id && $0.type == "rollback" } }
        let undone = Set(all.filter { $0.type == "undo" }.compactMap { $0.event["undoes"]?.stringValue })
        return try thisClone(all).first { $0.type == "rollback" && $0.status == "succeeded" && !undone.contains($0.id) }
    }

    /// The entries this clone wrote, in the given order. Events written before clones were
    /// recorded name none and count as this clone's, as they did then.
    public func thisClone(_ entries: [JournalEntry]) throws(TimeturnerError) -> [JournalEntry] {
        let mine = try CloneIdentity.existing(in: repository)
        return entries.filter { $0.clone == nil || $0.clone == mine }
    }
}

/// One journal event, with the fields history and undo read. `event` keeps every field.
public struct JournalEntry: Sendable, Equatable {
    public let type: String
    public let id: String
    public let status: String
    public let mode: String
    public let start: Timestamp
    public let durationMilliseconds: Int64
    public let event: JSONValue

    init?(_ event: JSONValue) {
        guard let type = event["type"]?.stringValue, let id = event["id"]?.stringValue,
              let status = event["status"]?.stringValue else { return nil }
        self.type = type
        self.id = id
        self.status = status
        mode = event["mode"]?.stringValue ?? ""
        start = (event["start"]?.stringValue ?? event["at"]?.stringValue).flatMap(Timestamp.init(rfc3339:)) ?? Timestamp(secondsSinceEpoch: 0)
        durationMilliseconds = event["durationMs"]?.intValue ?? 0
        self.event = event
    }

    public var succeeded: Bool { status == "succeeded" }

    /// The clone that wrote it (`clone`), nil for events from before clones were recorded.
    public var clone: String? { event["clone"]?.stringValue }
}

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
