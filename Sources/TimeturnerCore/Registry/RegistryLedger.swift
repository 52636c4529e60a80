public import GitKit

/// The commit chain at refs/timeturner/registry. Every change is one commit moved in with compare-and-swap
/// (Repository.updateReference with retry); its tree holds JSON Lines shards such as
/// marks/<env>/<YYYY-MM>.jsonl and journal/<YYYY-MM>.jsonl.
///
/// The ledger knows nothing about what the events mean (marks, rollbacks, drills): it appends
/// lines and reads them back. The chain's own history is the audit trail, so each commit's
/// message says in words what changed.
public struct RegistryLedger {
    let repository: Repository

    public init(repository: Repository) { self.repository = repository }

    /// More patient than the standard policy: a deploy pipeline may have many jobs marking at once,
    /// and losing a mark to contention is worse than waiting a second.
    static let retryPolicy = RetryPolicy(attempts: 200, initialDelayMicroseconds: 1_000, maximumDelayMicroseconds: 40_000)

    /// Appends each event's canonical line (JSONValue.canonicalLine) to the end of its shard's existing bytes
    /// (never rewriting earlier bytes, so broken lines survive), all in ONE new registry commit whose message is `message`.
    /// Fills in "v", "id" (UniqueID), "at" (attribution time, RFC 3339) and "by" when absent.
    /// Returns the events as written (with their ids).
    @discardableResult
    public func append(_ events: [(shard: String, event: [String: JSONValue])], message: String,
                       by attribution: Attribution) throws(TimeturnerError) -> [JSONValue] {
        guard !events.isEmpty else { return [] }
        // Completed once, outside the retry loop: a retried attempt writes the very same events.
        var written: [JSONValue] = []
        var additions: [String: [UInt8]] = [:]
        var shardOrder: [String] = []
        for (shard, fields) in events {
            try RegistryLedger.validateShardPath(shard)
            var event = fields
            if event["v"] == nil { event["v"] = .int(StorageLayout.eventVersion) }
            if event["id"] == nil { event["id"] = .string(UniqueID.stamped(at: attribution.time)) }
            if event["at"] == nil { event["at"] = .string(attribution.time.rfc3339) }
            if event["by"] == nil { event["by"] = .string(attribution.identity) }
            let value = JSONValue.object(event)
            written.append(value)
            if additions[shard] == nil { shardOrder.append(shard) }
            additions[shard, default: []] += Array((value.canonicalLine + "\n").utf8)
        }

        let signature = attribution.signature
        do {
            try repository.updateReference(StorageLayout.registryRef, logMessage: "timeturner: " + message.firstLine,
                                           policy: RegistryLedger.retryPolicy) { (current: OID?) throws(GitError) -> OID in
                // Re-read from the registry commit current *now*: another process may have appended
                // to the same shard since the last attempt, and its lines must stay.
                let baseTree = try current.map { (id) throws(GitError) in try repository.commit(id).tree }
                var blobs: [(path: String, blob: OID)] = []
                for shard in shardOrder {
                    var bytes: [UInt8] = []
                    if let baseTree, let existing = try repository.treeEntry(shard, in: baseTree) {
                        bytes = try repository.blobContent(existing)
                    }
                    // A hand-edited file may end without a newline; start ours on a fresh line so
                    // the earlier (possibly broken) line is kept exactly and ours stays readable.
                    if let last = bytes.last, last != UInt8(ascii: "\n") { bytes.append(UInt8(ascii: "\n")) }
                    bytes += additions[shard]!
                    blobs.append((shard, try repository.createBlob(bytes)))
                }
                let tree = try repository.tree(baseTree, settingBlobs: blobs)
                return try repository.createCommit(tree: tree, parents: current.map { [$0] } ?? [],
                                                   author: signature, committer: signature, message: message.endingWithNewline)
            }
        } catch {
            throw TimeturnerError(error, doing: "write to \(StorageLayout.registryRef)")
        }
        return written
    }

    /// Events of one shard in file order, plus lines that could not be used (JSONLines.parse).
    public func events(inShard shard: String) throws(TimeturnerError) -> (events: [JSONValue], skipped: [SkippedLine]) {
        let numbered = try numberedEvents(inShard: shard)
        return (numbered.events.map(\.value), numbered.skipped)
    }

    /// Like `events(inShard:)`, each with its 1-based line number, so a reader that rejects an
    /// event can say where it is.
    public func numberedEvents(inShard shard: String) throws(TimeturnerError) -> (events: [(lineNumber: Int, value: JSONValue)], skipped: [SkippedLine]) {
        guard let bytes = try contents(ofShard: shard) else { return ([], []) }
        let parsed = JSONLines.parseNumbered(bytes, source: RegistryLedger.source(of: shard))
        return (parsed.objects, parsed.skipped)
    }

    /// Paths of the shard files under a directory ("journal", "marks/production"), sorted oldest month first.
    public func shards(under directory: String) throws(TimeturnerError) -> [String] {
        guard let tree = try currentTree() else { return [] }
        let names: [String]
        do { names = try repository.treeEntryNames(directory, in: tree) } catch {
            throw TimeturnerError(error, doing: "list \(directory) in \(StorageLayout.registryRef)")
        }
        // YYYY-MM names sort chronologically as plain strings.
        return names.filter { $0.hasSuffix(".jsonl") }.sorted().map { directory + "/" + $0 }
    }

    /// Names of the directories directly under `directory` ("marks" → the environments).
    public func directories(under directory: String) throws(TimeturnerError) -> [String] {
        guard let tree = try currentTree() else { return [] }
        do {
            return try repository.treeEntryNames(directory, in: tree).filter { !$0.hasSuffix(".jsonl") }.sorted()
        } catch {
            throw TimeturnerError(error, doing: "list \(directory) in \(StorageLayout.registryRef)")
        }
    }

    /// The raw bytes of a shard at the current registry commit, or nil when it does not exist.
    public func contents(ofShard shard: String) throws(TimeturnerError) -> [UInt8]? {
        guard let tree = try currentTree() else { return nil }
        do {
            guard let blob = try repository.treeEntry(shard, in: tree) else { return nil }
            return try repository.blobContent(blob)
        } catch {
            throw TimeturnerError(error, doing: "read \(RegistryLedger.source(of: shard))")
        }
    }

    /// The registry commit the ref points at now, or nil before the first write.
    public func head() throws(TimeturnerError) -> OID? {
        do { return try repository.reference(StorageLayout.registryRef)?.target } catch {
            throw TimeturnerError(error, doing: "read \(StorageLayout.registryRef)")
        }
    }

    /// Shard path helpers
    public static func journalShard(for time: Timestamp) -> String { "journal/\(time.yearMonth).jsonl" }

    public static func marksShard(env: String, for time: Timestamp) -> String { "marks/\(env)/\(time.yearMonth).jsonl" }

    /// How warnings name a shard: the exact argument `git show` takes to print it.
    public static func source(of shard: String) -> String { "\(StorageLayout.registryRef):\(shard)" }

    // MARK: - Internals

    private func currentTree() throws(TimeturnerError) -> OID? {
        guard let head = try head() else { return nil }
        do { return try repository.commit(head).tree } catch {
            throw TimeturnerError(error, doing: "read \(StorageLayout.registryRef)")
        }
    }

    /// Shards are relative paths of plain names ending in `.jsonl`; anything else is a programming
    /// error that would write outside the layout other tools read.
    static func validateShardPath(_ shard: String) throws(TimeturnerError) {
        let components = shard.split(separator: "/", omittingEmptySubsequences: false)
        let valid = shard.hasSuffix(".jsonl") && components.count >= 2
            && components.allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." && !$0.hasPrefix(".") }
            && !shard.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f }
        guard valid else {
            throw TimeturnerError(.usage, "'\(shard)' is not a registry shard path (expected e.g. marks/production/2026-11.jsonl)")
        }
    }
}

extension String {
    var firstLine: String { split(separator: "\n", maxSplits: 1).first.map(String.init) ?? "" }
    var endingWithNewline: String { hasSuffix("\n") ? self : self + "\n" }
}
