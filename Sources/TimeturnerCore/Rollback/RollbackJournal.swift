internal import FoundationEssentials
public import GitKit

/// Rollbacks, undos and recoveries as events in the registry's `journal/<YYYY-MM>.jsonl`
/// shards. One line per finished operation, written once at its end.
public struct RollbackJournal {
    let repository: Repository

    public init(repository: Repository) { self.repository = repository }

    /// Event types this journal writes (drills and guards share the shards and are skipped here).
    public static let types: Set<String> = ["rollback", "undo"]

    /// Appends one event in one registry commit and returns it as written (`at` filled in).
    /// The one place where a typed event becomes a JSON line.
    @discardableResult
    func append(_ event: OperationEvent, by attribution: Attribution) throws(TimeturnerError) -> OperationEvent {
        guard case .object(var fields) = Self.json(event) else { return event }
        // Which clone did it: journals of all clones meet through sync (Sync/CloneIdentity.swift).
        if fields["clone"] == nil { fields["clone"] = .string(try CloneIdentity.current(in: repository)) }
        // And in which of its worktrees: each has its own HEAD, index and work tree, and an undo
        // run in another one would apply this rollback's state there.
        if fields["worktree"] == nil { fields["worktree"] = .string(Self.worktree(of: repository)) }
        let written = try RegistryLedger(repository: repository).append(
            [(shard: RegistryLedger.journalShard(for: attribution.time), event: fields)],
            message: "journal: \(event.type) \(event.id) \(event.status.rawValue)", by: attribution)
        // The ledger fills in only what the event leaves out; of OperationEvent's fields that is
        // `at` (its other defaults, `v`, `id`, `by`, are fields every event has). Copied here
        // rather than decoding the line again, which set up a JSONDecoder on every rollback.
        var result = event
        result.at = written.first?["at"]?.stringValue ?? event.at
        result.clone = fields["clone"]?.stringValue
        result.worktree = fields["worktree"]?.stringValue
        return result
    }

    /// `.` for the main worktree, `worktrees/<name>` for a linked one (OperationEvent.worktree).
    static func worktree(of repository: Repository) -> String {
        func trimmed(_ path: String) -> String { path.hasSuffix("/") ? String(path.dropLast()) : path }
        let own = trimmed(repository.gitDirectory), common = trimmed(repository.commonDirectory)
        guard own != common, own.hasPrefix(common + "/") else { return "." }
        return String(own.dropFirst(common.count + 1))
    }

    /// A typed event as the JSON object the journal stores (absent optionals are left out).
    public static func json(_ event: OperationEvent) -> JSONValue {
        // Unreachable failure: every field of OperationEvent is a string, an integer or JSON.
        (try? JSONValueEncoder.encode(event)) ?? .object([:])
    }

    /// A journal line as a typed event; nil when required fields are missing or wrongly typed.
    /// Unknown fields are ignored, so newer lines stay readable by this version.
    public static func event(from value: JSONValue) -> OperationEvent? {
        try? JSONDecoder().decode(OperationEvent.self, from: Data(value.canonicalLine.utf8))
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
        return try here(all).first { $0.type == "rollback" && $0.status == "succeeded" && !undone.contains($0.id) }
    }

    /// The entries this clone wrote, in the given order. Events written before clones were
    /// recorded name none and count as this clone's, as they did then.
    public func thisClone(_ entries: [JournalEntry]) throws(TimeturnerError) -> [JournalEntry] {
        let mine = try CloneIdentity.existing(in: repository)
        return entries.filter { $0.clone == nil || $0.clone == mine }
    }

    /// The entries this clone wrote in this worktree, in the given order: what `undo` picks from
    /// and `status` shows as the last rollback. The clone id and the worktree are read once.
    public func here(_ entries: [JournalEntry]) throws(TimeturnerError) -> [JournalEntry] {
        let mine = try CloneIdentity.existing(in: repository), worktree = Self.worktree(of: repository)
        return entries.filter { ($0.clone == nil || $0.clone == mine) && Self.madeIn(worktree, $0, clone: mine) }
    }

    /// Whether `entry` did not change another worktree of this clone. Events from before
    /// worktrees were recorded name none and count as this one's, as they did then; another
    /// clone's worktrees are not this clone's, so only its clone is compared (`undo <id>`).
    public func madeHere(_ entry: JournalEntry) throws(TimeturnerError) -> Bool {
        Self.madeIn(Self.worktree(of: repository), entry, clone: try CloneIdentity.existing(in: repository))
    }

    private static func madeIn(_ worktree: String, _ entry: JournalEntry, clone mine: String?) -> Bool {
        guard let theirs = entry.worktree else { return true }
        if let clone = entry.clone, clone != mine { return true }
        return theirs == worktree
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

    /// The worktree it changed (`worktree`), nil for events from before worktrees were recorded.
    public var worktree: String? { event["worktree"]?.stringValue }
}


extension JournalEntry {
    /// The line as a typed event, when it has the fields of one.
    public var typed: OperationEvent? { RollbackJournal.event(from: event) }
}
