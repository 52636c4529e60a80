public import GitKit

/// The pre-push check: a branch whose new tip is marked bad in an environment the branch deploys
/// to is not pushed. Which branch deploys where is `timeturner.env.<env>.branch` (repeatable);
/// when no environment names a branch at all, every environment counts, so the guard is useful
/// before anyone has configured it.
public struct PushGuard {
    /// One line git gives a pre-push hook on standard input.
    public struct Update: Sendable, Equatable {
        public let localRef: String
        public let localCommit: OID
        public let remoteRef: String
    }

    public struct Refusal: Sendable, Equatable {
        public let branch: String
        public let mark: Mark
    }

    let repository: Repository

    public init(repository: Repository) {
        self.repository = repository
    }

    /// `<local ref> <local oid> <remote ref> <remote oid>` lines; deletions (an all-zero local
    /// id) and malformed lines are left out: there is nothing to check in them.
    public static func updates(from text: String) -> [Update] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count == 4, let local = OID(hex: String(fields[1])), local != OID.zero else { return nil }
            return Update(localRef: String(fields[0]), localCommit: local, remoteRef: String(fields[2]))
        }
    }

    /// The environments each branch deploys to, from `timeturner.env.<env>.branch`.
    public static func environments(in configuration: TimeturnerConfiguration) -> [String: [String]] {
        var out: [String: [String]] = [:]
        for setting in configuration.effective where setting.key.hasPrefix("timeturner.env.") && setting.key.hasSuffix(".branch") {
            let env = String(setting.key.dropFirst("timeturner.env.".count).dropLast(".branch".count))
            out[setting.value, default: []].append(env)
        }
        return out
    }

    /// The pushes to refuse: for each branch pushed, the newest mark of its new tip in each of
    /// its environments, when that mark is bad (a later good mark clears an earlier bad one).
    public func refusals(for updates: [Update], deployTargets: [String: [String]]) throws(TimeturnerError) -> [Refusal] {
        let registry = KnownGoodRegistry(repository: repository)
        var out: [Refusal] = []
        for update in updates where update.remoteRef.hasPrefix("refs/heads/") {
            let branch = String(update.remoteRef.dropFirst("refs/heads/".count))
            let environments = deployTargets.isEmpty ? nil : Set(deployTargets[branch] ?? [])
            if environments?.isEmpty == true { continue }
            var newestPerEnvironment: [String: Mark] = [:]
            for mark in try registry.marks(on: update.localCommit).marks where environments?.contains(mark.env) ?? true {
                if newestPerEnvironment[mark.env] == nil { newestPerEnvironment[mark.env] = mark }
            }
            for (_, mark) in newestPerEnvironment.sorted(by: { $0.key < $1.key }) where mark.verdict == .bad {
                out.append(Refusal(branch: branch, mark: mark))
            }
        }
        return out
    }
}
