public import GitKit
import Glibc

/// One word a shell may complete to, with what it is (shown by zsh and fish; bash shows words only).
public struct CompletionCandidate: Sendable, Equatable {
    public let value: String
    public let description: String?

    public init(_ value: String, _ description: String? = nil) {
        self.value = value
        self.description = description
    }
}

/// The values in this repository that arguments take: point ids, environments, rollback ids,
/// remotes. Read for every Tab press, so each answer reads as little as it can: ref names come
/// from the ref store alone, and tag objects are read (for a point's subject) only when few ids
/// match what was typed. Errors are swallowed on purpose: a completion that fails must print
/// nothing rather than an error in the middle of the user's command line.
public struct CompletionCandidates {
    let repository: Repository

    /// Reading one tag object costs about 13 µs (bench/README.md); 64 of them stay far below the
    /// 30 ms budget whatever the repository holds, and a longer list is not read by anyone.
    public static let describedPointsLimit = 64

    public init(repository: Repository) {
        self.repository = repository
    }

    /// Point ids starting with `prefix`, newest id first (generated ids sort by time), each with
    /// its subject when at most `describedPointsLimit` match.
    public func pointIDs(prefix: String) -> [CompletionCandidate] {
        let names = refNames(under: StorageLayout.pointsPrefix, prefix: prefix).sorted(by: >)
        guard names.count <= CompletionCandidates.describedPointsLimit else { return names.map { CompletionCandidate($0) } }
        let store = PointStore(repository: repository)
        return names.map { id in
            let subject = (try? store.point(id: id))?.map(\.subject) ?? nil
            return CompletionCandidate(id, subject.map { CompletionCandidates.oneLine($0) })
        }
    }

    /// Environments that have marks in the registry (the directories under `marks/`).
    public func environments(prefix: String) -> [CompletionCandidate] {
        let names = (try? RegistryLedger(repository: repository).directories(under: "marks")) ?? []
        return names.filter { $0.hasPrefix(prefix) }.map { CompletionCandidate($0, "environment") }
    }

    /// Rollback ids: every rollback leaves its safety backup at refs/timeturner/safety/<id>.
    public func rollbackIDs(prefix: String) -> [CompletionCandidate] {
        refNames(under: StorageLayout.safetyPrefix, prefix: prefix).sorted(by: >).map { CompletionCandidate($0, "rollback") }
    }

    public func remotes(prefix: String) -> [CompletionCandidate] {
        ((try? repository.remoteNames()) ?? []).filter { $0.hasPrefix(prefix) }.map { CompletionCandidate($0, "remote") }
    }

    /// The revisions git's own bash completion offers for an argument that takes any revision
    /// (`__git_refs` in git-completion.bash, for a local repository): what was typed starting
    /// with `refs`, the full names that start with it; otherwise the names in the git directory
    /// (`HEAD`, `ORIG_HEAD`, … when their file exists), then branches, remote-tracking branches
    /// and tags by their short names (`main`, `origin/main`, `v1.0`), in git's order of the full
    /// names. From the ref store alone, as the point ids: the bash script asks for them here
    /// rather than run git's completion, which forks `git for-each-ref` and cost 11–14 ms of a
    /// Tab press in a repository of 10,000 points.
    public func references(prefix: String) -> [CompletionCandidate] {
        if prefix == "refs" || prefix.hasPrefix("refs/") {
            let rest = prefix == "refs" ? "" : String(prefix.dropFirst("refs/".count))
            return refNames(under: "refs/", prefix: rest).sorted().map { CompletionCandidate("refs/" + $0) }
        }
        let directory = repository.gitDirectory.hasSuffix("/") ? repository.gitDirectory : repository.gitDirectory + "/"
        let special = ["HEAD", "FETCH_HEAD", "ORIG_HEAD", "MERGE_HEAD", "REBASE_HEAD", "CHERRY_PICK_HEAD"]
            .filter { $0.hasPrefix(prefix) && access(directory + $0, F_OK) == 0 }
        let short = ["refs/heads/", "refs/remotes/", "refs/tags/"].flatMap { namespace in
            refNames(under: namespace, prefix: prefix).sorted()
        }
        return (special + short).map { CompletionCandidate($0) }
    }

    /// Names below `namespace` that start with `prefix`, from the ref store only (no object is read).
    private func refNames(under namespace: String, prefix: String) -> [String] {
        if let fromFiles = repository.referenceNamesInFiles(under: namespace, startingWith: prefix) { return fromFiles }
        // A glob narrows the listing when the prefix has no glob characters of its own.
        let globSafe = !prefix.contains(where: { "*?[\\".contains($0) })
        let refs = (try? repository.referenceNames(matching: namespace + (globSafe ? prefix : "") + "*")) ?? []
        return refs.map { String($0.dropFirst(namespace.count)) }.filter { $0.hasPrefix(prefix) }
    }

    static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline || $0 == "\t" ? " " : $0 }.prefix(80))
    }
}
