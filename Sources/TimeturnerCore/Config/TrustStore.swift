internal import FoundationEssentials

/// Whether the committed `.timeturner` of a repository may run what it names.
public enum TrustStatus: Sendable, Equatable, CustomStringConvertible {
    /// No `.timeturner`: nothing to trust.
    case noSharedFile
    /// Trusted: `via` says how (the trust file, or `TIMETURNER_TRUST`).
    case trusted(via: String)
    /// Not trusted, and why (never approved, or edited since it was).
    case untrusted(reason: String)

    public var isTrusted: Bool {
        if case .untrusted = self { return false }
        return true
    }

    public var description: String {
        switch self {
        case .noSharedFile: "no .timeturner"
        case .trusted(let via): "trusted (\(via))"
        case .untrusted(let reason): "untrusted: \(reason)"
        }
    }
}

/// One approval: this repository path may run this exact `.timeturner` content.
public struct TrustRecord: Sendable, Equatable {
    public let repositoryPath: String
    public let sha256: String
    public let at: Timestamp
    public let by: String
}

/// Approvals of `.timeturner` files, kept outside every repository (like `direnv allow`), in
/// `$XDG_CONFIG_HOME/git-timeturner/trust` (default `~/.config/git-timeturner/trust`), one
/// JSON object per line. A clone cannot trust itself: the file is the user's, not the repository's.
/// Trust is keyed by content: each repository path keeps a bounded set of approved SHA-256
/// digests, so returning to a content approved before (a rollback past a `.timeturner` change)
/// needs no new approval, while a content never approved stays untrusted.
public struct TrustStore: Sendable {
    public let path: String
    /// The variable CI sets to the expected SHA-256 instead of running `trust`.
    public static let environmentVariable = "TIMETURNER_TRUST"

    public init(path: String) { self.path = path }

    public init(environment: [String: String]) {
        let base: String
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") {
            base = xdg
        } else {
            base = (environment["HOME"] ?? "/") + "/.config"
        }
        self.init(path: base + "/git-timeturner/trust")
    }

    /// Every readable record (unreadable lines are skipped, never rewritten away: see `write`).
    public func records() -> (records: [TrustRecord], skipped: [SkippedLine]) {
        guard let bytes = LocalFile.read(path) else { return ([], []) }
        let parsed = JSONLines.parse(bytes, source: path)
        var records: [TrustRecord] = []
        var skipped = parsed.skipped
        for (index, object) in parsed.objects.enumerated() {
            guard let repository = object["path"]?.stringValue, let sha256 = object["sha256"]?.stringValue else {
                skipped.append(SkippedLine(source: path, lineNumber: index + 1, reason: "has no path or sha256"))
                continue
            }
            records.append(TrustRecord(repositoryPath: repository, sha256: sha256,
                                       at: object["at"]?.stringValue.flatMap(Timestamp.init(rfc3339:)) ?? Timestamp(secondsSinceEpoch: 0),
                                       by: object["by"]?.stringValue ?? ""))
        }
        return (records, skipped)
    }

    public func status(repositoryPath: String, sha256: String, environment: [String: String]) -> TrustStatus {
        if let expected = environment[TrustStore.environmentVariable], !expected.isEmpty {
            if expected.lowercased() == sha256 { return .trusted(via: "\(TrustStore.environmentVariable) matches") }
            return .untrusted(reason: "\(TrustStore.environmentVariable)=\(expected) does not match its SHA-256 \(sha256)")
        }
        let mine = records().records.filter { $0.repositoryPath == repositoryPath }
        if mine.contains(where: { $0.sha256 == sha256 }) { return .trusted(via: path) }
        if let last = mine.last {
            let others = mine.count > 1 ? " or any of \(mine.count - 1) earlier content(s) you trusted" : ""
            return .untrusted(reason: "it changed since you trusted it on \(last.at.rfc3339) (trusted SHA-256 \(last.sha256.prefix(12))…\(others), now \(sha256.prefix(12))…)")
        }
        return .untrusted(reason: "never trusted on this machine")
    }

    /// How many approved contents are remembered per repository path, newest kept: enough to
    /// span the `.timeturner` versions a rollback can return to, bounded so the file stays small.
    public static let digestsPerRepository = 32

    /// Records that `repositoryPath` may run the `.timeturner` whose content hashes to `sha256`.
    /// Earlier approvals of other contents stay (up to `digestsPerRepository`, oldest dropped
    /// first): a rollback that returns the file to content trusted before finds it still
    /// trusted. Approving a content again makes it the newest.
    public func trust(repositoryPath: String, sha256: String, by attribution: Attribution) throws(TimeturnerError) {
        var lines = otherLines(excluding: repositoryPath)
        var mine = linesApproving(repositoryPath).filter { $0.sha256 != sha256 }.map(\.line)
        mine.append(Array(JSONValue.object([
            "type": "trust", "v": .int(1), "path": .string(repositoryPath), "sha256": .string(sha256),
            "at": .string(attribution.time.rfc3339), "by": .string(attribution.identity),
        ]).canonicalLine.utf8))
        lines += mine.suffix(TrustStore.digestsPerRepository)
        try write(lines)
    }

    /// Removes every approval for `repositoryPath`; false when there was none.
    public func revoke(repositoryPath: String) throws(TimeturnerError) -> Bool {
        let before = records().records.contains { $0.repositoryPath == repositoryPath }
        guard before else { return false }
        try write(otherLines(excluding: repositoryPath))
        return true
    }

    /// The file's lines except those approving `repositoryPath`, byte for byte, so lines this
    /// version cannot read (a newer format, damage) survive every rewrite.
    private func otherLines(excluding repositoryPath: String) -> [[UInt8]] {
        guard let bytes = LocalFile.read(path) else { return [] }
        let decoder = JSONDecoder()
        return bytes.split(separator: UInt8(ascii: "\n")).compactMap { line in
            if let value = try? decoder.decode(JSONValue.self, from: Data(line)), value["path"]?.stringValue == repositoryPath {
                return nil
            }
            return Array(line)
        }
    }

    /// The lines approving `repositoryPath`, oldest first, with the content each approves.
    private func linesApproving(_ repositoryPath: String) -> [(line: [UInt8], sha256: String)] {
        guard let bytes = LocalFile.read(path) else { return [] }
        let decoder = JSONDecoder()
        return bytes.split(separator: UInt8(ascii: "\n")).compactMap { line in
            guard let value = try? decoder.decode(JSONValue.self, from: Data(line)), value["path"]?.stringValue == repositoryPath,
                  let sha256 = value["sha256"]?.stringValue else { return nil }
            return (Array(line), sha256)
        }
    }

    private func write(_ lines: [[UInt8]]) throws(TimeturnerError) {
        if let slash = path.lastIndex(of: "/") { try LocalFile.makeDirectories(String(path[..<slash]), mode: 0o700) }
        let bytes = lines.flatMap { $0 + [UInt8(ascii: "\n")] }
        try LocalFile.writeAtomically(bytes, to: path, mode: 0o600)
    }
}
