internal import FoundationEssentials
import GitKit

/// The widely used `known-good-commits.json` interchange shape:
///
///     {"version": "1.0", "last_updated": "2026-11-21T10:00:00Z",
///      "commits": [{"hash": "…", "date": "…", "description": "…", "verified": true}, …]}
///
/// A file of this shape names no environment; the caller says which. Export writes every good
/// mark whose commit has no later bad mark, newest first, carrying `id` and `by` along; import
/// turns each entry into a good mark and keeps every other field of the entry in the event, so
/// export → import → export gives the same commits back.
extension KnownGoodRegistry {
    /// Event fields with a meaning of their own; every other field of an imported entry is kept as is.
    static let reservedFields: Set<String> = ["type", "v", "id", "at", "by", "commit", "env", "evidence", "reason", "verified"]

    public func exportKnownGood(env: String, now: Timestamp) throws(TimeturnerError) -> (document: JSONValue, warnings: [SkippedLine]) {
        let listing = try marks(env: env)
        // Newest first: a bad mark cancels the good marks on its commit that came before it.
        var cancelled: Set<OID> = []
        var entries: [JSONValue] = []
        for mark in listing.marks {
            if mark.verdict == .bad { cancelled.insert(mark.commit); continue }
            if cancelled.contains(mark.commit) { continue }
            var entry: [String: JSONValue] = [
                "hash": .string(mark.commit.hex), "date": .string(mark.at.rfc3339),
                "description": .string(mark.note ?? ""), "verified": .bool(mark.verified),
                "id": .string(mark.id), "by": .string(mark.by),
            ]
            for (key, value) in mark.event.objectValue ?? [:] where !KnownGoodRegistry.reservedFields.contains(key)
                && entry[key] == nil {
                entry[key] = value
            }
            entries.append(.object(entry))
        }
        let document: JSONValue = [
            "version": "1.0", "last_updated": .string(now.rfc3339), "commits": .array(entries),
        ]
        return (document, listing.warnings)
    }

    public struct ImportOutcome: Sendable {
        /// The marks written, oldest first (the order they were recorded in).
        public let added: [Mark]
        /// Entries already in the registry (same id, or same commit and time).
        public let alreadyPresent: Int
        public let warnings: [SkippedLine]
    }

    /// Imports a `known-good-commits.json` document into `env` as good marks, in ONE registry
    /// commit. Idempotent: an entry whose id, or whose commit and date, is already marked good in
    /// `env` is not added again. The whole file is checked first; a malformed entry or a commit
    /// this repository does not have refuses the import and writes nothing.
    public func importKnownGood(_ bytes: [UInt8], source: String, env: String,
                                attribution: Attribution) throws(TimeturnerError) -> ImportOutcome {
        let environment = try RefComponentName(env, what: "environment name")
        let entries = try KnownGoodRegistry.entries(of: bytes, source: source)
        let existing = try marks(env: environment.value)
        var knownIDs = Set(existing.marks.map(\.id))
        var knownKeys = Set(existing.marks.filter { $0.verdict == .good }.map { "\($0.commit.hex)@\($0.at.secondsSinceEpoch)" })
        // Ids are unique across the registry: an id already used in another environment (an export
        // of production imported into staging) is not "already present" here, but gets a new id.
        var idsElsewhere = Set(try marks(env: nil).marks.filter { $0.env != environment.value }.map(\.id))

        var events: [(shard: String, event: [String: JSONValue])] = []
        var already = 0
        var missing: [String] = []
        // Oldest first, so the marks are recorded in the order they happened. Entries of the same
        // date go in reverse file order: lists of this shape (and our export) put the newest first,
        // and this way export → import → export gives the same order back.
        let ordered = entries.enumerated().sorted { a, b in
            let (ta, tb) = (KnownGoodRegistry.entryTime(a.element), KnownGoodRegistry.entryTime(b.element))
            return ta != tb ? ta < tb : a.offset > b.offset
        }
        for (index, entry) in ordered {
            let place = "\(source): commits[\(index)]"
            guard let hash = entry["hash"]?.stringValue, !hash.isEmpty else {
                throw TimeturnerError(.usage, "\(place) has no string \"hash\"; nothing imported")
            }
            var at = attribution.time
            if let date = entry["date"], date != .null {
                guard let text = date.stringValue, let parsed = Timestamp(rfc3339: text) else {
                    throw TimeturnerError(.usage, "\(place) has a \"date\" that is not an RFC 3339 date; nothing imported",
                                          hint: "use e.g. 2026-11-21T10:00:00Z")
                }
                at = parsed
            }
            let commit: OID
            do { commit = try RepositoryAccess.resolveCommit(hash, in: repository) } catch {
                missing.append(hash)
                continue
            }
            var id = entry["id"]?.stringValue.flatMap { RefComponentName.brokenRule($0) == nil ? $0 : nil }
            let key = "\(commit.hex)@\(at.secondsSinceEpoch)"
            if id.map(knownIDs.contains) == true || knownKeys.contains(key) { already += 1; continue }
            if let taken = id, idsElsewhere.contains(taken) { id = nil }

            var event: [String: JSONValue] = [
                "type": "good", "commit": .string(commit.hex), "env": .string(environment.value),
                "at": .string(at.rfc3339),
                "id": .string(id ?? UniqueID.stamped(at: attribution.time)),
            ]
            if let description = entry["description"]?.stringValue, !description.isEmpty { event["evidence"] = .string(description) }
            if let verified = entry["verified"]?.boolValue { event["verified"] = .bool(verified) }
            if let by = entry["by"]?.stringValue, !by.isEmpty { event["by"] = .string(by) }
            for (field, value) in entry where !["hash", "date", "description", "verified", "id", "by"].contains(field)
                && !KnownGoodRegistry.reservedFields.contains(field) {
                event[field] = value
            }
            knownIDs.insert(event["id"]!.stringValue!)
            idsElsewhere.insert(event["id"]!.stringValue!)
            knownKeys.insert(key)
            events.append((RegistryLedger.marksShard(env: environment.value, for: at), event))
        }
        if !missing.isEmpty {
            throw TimeturnerError(.failure,
                "\(missing.count) commit(s) in \(source) do not exist in this repository (\(missing.prefix(3).joined(separator: ", "))\(missing.count > 3 ? ", …" : "")); nothing imported",
                hint: "fetch the history those commits belong to, then import again")
        }
        guard !events.isEmpty else { return ImportOutcome(added: [], alreadyPresent: already, warnings: existing.warnings) }
        let message = "import \(events.count) good mark(s) into \(environment.value) from \(KnownGoodRegistry.oneLine(source, limit: 80))\n"
        let written = try ledger.append(events, message: message, by: attribution)
        var added: [Mark] = []
        for (index, event) in written.enumerated() {
            if case .read(let mark) = Mark.parse(event, env: environment.value, shard: events[index].shard, line: 0) {
                added.append(mark)
            }
        }
        return ImportOutcome(added: added, alreadyPresent: already, warnings: existing.warnings)
    }

    /// An entry's date for ordering only (a missing or malformed one sorts last; validation reports it).
    static func entryTime(_ entry: [String: JSONValue]) -> Int64 {
        entry["date"]?.stringValue.flatMap { Timestamp(rfc3339: $0) }?.secondsSinceEpoch ?? Int64.max
    }

    static func entries(of bytes: [UInt8], source: String) throws(TimeturnerError) -> [[String: JSONValue]] {
        let document: JSONValue
        do { document = try JSONDecoder().decode(JSONValue.self, from: Data(bytes)) } catch {
            throw TimeturnerError(.usage, "\(source) is not valid JSON; nothing imported",
                                  hint: "expected {\"version\": …, \"commits\": [{\"hash\": …, \"date\": …, \"description\": …, \"verified\": true}]}")
        }
        guard let commits = document["commits"]?.arrayValue else {
            throw TimeturnerError(.usage, "\(source) has no \"commits\" list; nothing imported",
                                  hint: "expected {\"version\": …, \"commits\": [{\"hash\": …, \"date\": …, \"description\": …, \"verified\": true}]}")
        }
        var out: [[String: JSONValue]] = []
        for (index, entry) in commits.enumerated() {
            guard let object = entry.objectValue else {
                throw TimeturnerError(.usage, "\(source): commits[\(index)] is not an object; nothing imported")
            }
            out.append(object)
        }
        return out
    }
}
