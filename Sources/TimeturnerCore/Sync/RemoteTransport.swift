/// `git fetch` and `git push` for `sync`, run as the user's git program with an argv array.
///
/// The options pin down everything a user's configuration could otherwise add to a plain
/// `git fetch`/`git push` that sync must not do: follow or push tags (a point would drag the
/// user's unpushed release tags along), recurse into submodules, write FETCH_HEAD, or start
/// background maintenance in the middle of a CI job. What the user configured for reaching the
/// remote (credentials, SSH, proxies, `insteadOf`) is left alone: that is the point of using git.
struct RemoteTransport {
    let git: any GitProgram
    /// Passed as `--git-dir`, so git works on the repository libgit2 opened (also when the
    /// tool was started with GIT_DIR, or from a linked worktree) whatever the current directory.
    let gitDirectory: String

    func fetch(_ remote: String, refspecs: [String], timeout: Swift.Duration) async -> GitProgramResult {
        await git.run(["--git-dir=\(gitDirectory)", "fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--prune",
                       "--no-recurse-submodules", "--no-auto-maintenance", remote] + refspecs, timeout: timeout)
    }

    func push(_ remote: String, refspecs: [String], timeout: Swift.Duration) async -> (GitProgramResult, [PushStatus]) {
        let result = await git.run(["--git-dir=\(gitDirectory)", "push", "--porcelain", "--no-follow-tags",
                                    "--recurse-submodules=no", remote] + refspecs, timeout: timeout)
        return (result, PushStatus.parse(porcelain: result.output))
    }
}

/// One line of `git push --porcelain`: `<flag> TAB <from>:<to> TAB <summary>`.
///
/// The flag is git's stable, untranslated verdict: ` ` fast-forward, `*` new, `=` up to date,
/// `+` forced, `-` deleted, `!` rejected. A rejection's summary is `[rejected] (<reason>)` when
/// git refused it before sending (the remote moved), or `[remote rejected] (<reason>)` when the
/// remote's receive-pack or its hooks refused it.
struct PushStatus: Sendable, Equatable, CustomStringConvertible {
    enum Verdict: Sendable, Equatable {
        case accepted
        case upToDate
        case rejected(reason: String, byRemote: Bool)
    }

    let reference: String
    let verdict: Verdict

    var description: String {
        switch verdict {
        case .accepted: "\(reference): accepted"
        case .upToDate: "\(reference): up to date"
        case .rejected(let reason, _): "\(reference): \(reason)"
        }
    }

    static func parse(porcelain: String) -> [PushStatus] {
        porcelain.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count >= 3, let flag = fields[0].first, fields[0].count == 1,
                  let colon = fields[1].lastIndex(of: ":") else { return nil }
            let reference = String(fields[1][fields[1].index(after: colon)...])
            let summary = fields[2...].joined(separator: "\t")
            switch flag {
            case " ", "*", "+", "-": return PushStatus(reference: reference, verdict: .accepted)
            case "=": return PushStatus(reference: reference, verdict: .upToDate)
            case "!":
                var reason = summary
                if let open = summary.firstIndex(of: "("), summary.hasSuffix(")") {
                    reason = String(summary[summary.index(after: open)..<summary.index(before: summary.endIndex)])
                }
                return PushStatus(reference: reference, verdict: .rejected(reason: reason, byRemote: summary.hasPrefix("[remote")))
            default: return nil
            }
        }
    }

    /// A refusal that a fresh fetch, merge and push can fix: another clone's update got there
    /// first, or another pusher holds the remote's ref lock for a moment.
    var isRace: Bool {
        guard case .rejected(let reason, _) = verdict else { return false }
        return RemoteRace.matches(reason)
    }
}

/// Words git and receive-pack use when another writer was faster or holds a lock right now.
enum RemoteRace {
    static let phrases = ["fetch first", "non-fast-forward", "stale info", "failed to update ref", "failed to lock",
                          "cannot lock ref", "file exists", "incorrect old value",
                          "already exists", "failed to create locked file", "reference already exists",
                          "packed-refs.lock"]

    static func matches(_ text: String) -> Bool {
        let lowered = text.lowercased()
        return phrases.contains { lowered.contains($0) }
    }
}
