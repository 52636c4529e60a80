public import GitKit

/// What a capture's artifact looks like on disk now, checked against the capture's record.
public enum ArtifactCheck: Sendable, Equatable {
    /// The capture names no file (a release name, a revision): nothing to check.
    case noArtifact
    /// Present, and its SHA-256 is the recorded one.
    case verified(path: String, sha256: String)
    case missing(path: String)
    case mismatch(path: String, expected: String, actual: String)
    /// Present, but the capture recorded no checksum to compare with.
    case noChecksum(path: String)

    /// True when a rollback can rely on it (verified, or nothing to check).
    public var isUsable: Bool {
        switch self {
        case .noArtifact, .verified: true
        case .missing, .mismatch, .noChecksum: false
        }
    }

    public var description: String {
        switch self {
        case .noArtifact: "no artifact"
        case .verified(let path, _): "\(path): present, SHA-256 matches"
        case .missing(let path): "\(path) is missing"
        case .mismatch(let path, let expected, let actual): "\(path) does not match its recorded SHA-256 (recorded \(expected), now \(actual))"
        case .noChecksum(let path): "\(path) is present but its capture recorded no SHA-256"
        }
    }
}

/// The directory of tier artifacts (dumps, archives) of one clone, `timeturner.artifacts.dir`
/// (default `<git dir>/timeturner/artifacts`, one subdirectory per tier), and what refers to
/// each file in it: the captures in points' notes and the present-state captures in the journal
/// and `state.jsonl`.
public struct ArtifactStore {
    public static let directoryKey = "timeturner.artifacts.dir"
    public static let keepKey = "timeturner.artifacts.keep"
    public static let defaultKeep = 5

    public let repository: Repository
    public let directory: String

    public init(repository: Repository, directory: String) {
        self.repository = repository
        self.directory = directory
    }

    /// The store `configuration` names (checked for trust: a `.timeturner` must not point
    /// pruning at a directory of its choosing before the user has read it).
    public init(repository: Repository, configuration: TimeturnerConfiguration) throws(TimeturnerError) {
        self.init(repository: repository, directory: try ArtifactStore.directory(repository: repository, configuration: configuration))
    }

    public static func directory(repository: Repository, configuration: TimeturnerConfiguration) throws(TimeturnerError) -> String {
        guard let setting = configuration.value(directoryKey), !setting.value.isEmpty else {
            return ArtifactLocation.defaultDirectory(commonGitDirectory: repository.commonDirectory)
        }
        try configuration.requireTrusted([setting], for: "the artifacts directory (\(directoryKey))")
        return ArtifactStore.normalised(LocalFile.absolute(setting.value, relativeTo: configuration.repositoryPath))
    }

    /// `..` and `.` resolved by name (`/srv/repo/../artifacts` → `/srv/artifacts`), so that the
    /// directory reads the same however it was written.
    static func normalised(_ absolute: String) -> String {
        var parts: [Substring] = []
        for part in absolute.split(separator: "/") where part != "." {
            if part == ".." { _ = parts.popLast() } else { parts.append(part) }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// Whether the artifact `capture` refers to exists and matches the SHA-256 recorded with it:
    /// what a preflight checks before a rollback relies on the capture.
    public func check(_ capture: JSONValue) -> ArtifactCheck {
        guard let (reference, expected) = ArtifactLocation.referenced(by: capture) else { return .noArtifact }
        let path = ArtifactLocation.path(of: reference, in: directory)
        guard LocalFile.exists(path) else { return .missing(path: path) }
        guard let expected, !expected.isEmpty else { return .noChecksum(path: path) }
        let actual = SHA256.hex(ofFile: path) ?? "unreadable"
        return actual == expected.lowercased() ? .verified(path: path, sha256: actual) : .mismatch(path: path, expected: expected, actual: actual)
    }

    public func check(_ record: TierCaptureRecord) -> ArtifactCheck { check(record.capture) }
}
