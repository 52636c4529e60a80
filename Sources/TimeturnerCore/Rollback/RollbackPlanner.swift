public import GitKit

/// Builds a checked `RollbackPlan`: looks everything up, runs every safety check, and builds
/// the new commits in memory (objects only, no ref moves), so that executing changes refs and
/// files but decides nothing. A dry run is this plan printed.
public struct RollbackPlanner {
    let repository: Repository

    public init(repository: Repository) {
        self.repository = repository
    }

    public func plan(_ request: RollbackRequest, by attribution: Attribution) throws(TimeturnerError) -> RollbackPlan {
        try checkRequest(request)
        try Self.requireWorkTreeRepository(repository, for: "a rollback")
        let head: HeadPosition, from: OID, fromCommit: Commit
        do {
            head = try Self.headPosition(in: repository)
            from = try repository.headCommit()
            fromCommit = try repository.commit(from)
        } catch {
            throw TimeturnerError(error, doing: "read HEAD")
        }
        let id = Self.generatedID(at: attribution.time)
        var warnings: [String] = []

        let targetName: String, target: OID
        if let range = request.commits {
            targetName = range
            target = from
        } else {
            (targetName, target) = try resolveTarget(request, now: attribution.time, warnings: &warnings)
        }
        let targetCommit = try lookUp(target)

        var commits: [PlannedCommit] = []
        var built: [(commit: OID, tree: OID)] = []
        let resultTree: OID
        var mainline: Int? = nil
        if let range = request.commits {
            let selected = try selectCommits(range, head: from)
            commits = selected
            mainline = request.mainline
            built = try buildReverts(selected, onto: from, mainline: request.mainline, id: id, by: attribution)
            resultTree = built.last?.tree ?? fromCommit.tree
        } else {
            let ancestry = try walk(from: from, to: target, name: targetName)
            if request.mode == .revert {
                guard ancestry.targetIsAncestor else {
                    throw TimeturnerError(.refused, "\(targetName) (\(target.short)) is not an ancestor of HEAD (\(from.short)), so there are no commits between them to revert",
                                          hint: "to move \(head.displayName) there anyway, dropping the commits not in it from the branch, use --mode reset")
                }
            }
            commits = try describe(ancestry.commits)
            resultTree = targetCommit.tree
            if request.mode == .revert {
                let message = Self.revertMessage(id: id, head: head, from: from, target: target, targetName: targetName,
                                                 commits: commits, reason: request.reason)
                do {
                    let signature = attribution.signature
                    let commit = try repository.createCommit(tree: targetCommit.tree, parents: [from], author: signature,
                                                             committer: signature, message: message)
                    built = [(commit, targetCommit.tree)]
                } catch {
                    throw TimeturnerError(error, doing: "build the revert commit")
                }
            }
        }
        if commits.isEmpty && resultTree == fromCommit.tree {
            throw TimeturnerError(.refused, "HEAD (\(from.short)) is already at \(targetName); there is nothing to roll back",
                                  hint: "name an older point or commit with --to")
        }

        let changes: [TreeChange]
        let status: WorkTreeStatus
        do {
            changes = try repository.changes(from: fromCommit.tree, to: resultTree)
            status = try repository.workTreeStatus()
        } catch {
            throw TimeturnerError(error, doing: "compare the work tree with the rollback target")
        }
        try checkWorkTree(status, against: changes)
        warnings += SubmoduleNotice.warnings(for: changes, operation: "rollback")

        var verify = request.verifyCommands
        if let configured = request.configuredVerifyCommands {
            verify += configured
        } else {
            do { verify += try repository.configStrings("timeturner.verify") } catch {
                throw TimeturnerError(error, doing: "read timeturner.verify from git config")
            }
        }

        return RollbackPlan(
            id: id, mode: request.mode, targetName: targetName, target: target, targetSummary: targetCommit.summary,
            environment: request.environment, head: head, from: from, commits: commits,
            selectedRange: request.commits, mainline: mainline, resultTree: resultTree, fromTree: fromCommit.tree,
            changes: changes, verifyCommands: verify, verifyTimeout: request.verifyTimeout, reason: request.reason,
            dirtyPaths: status.changed, untrackedPaths: status.untracked,
            safetyRef: SafetyBackup.ref(for: id), warnings: warnings, revertedTrees: built)
    }

    // MARK: - Checks

    private func checkRequest(_ request: RollbackRequest) throws(TimeturnerError) {
        if request.commits != nil && request.mode == .reset {
            throw TimeturnerError(.usage, "--commits reverts selected commits and cannot be combined with --mode reset",
                                  hint: "drop --mode reset, or use --to with --mode reset")
        }
        if request.commits != nil && request.target != nil {
            throw TimeturnerError(.usage, "--commits and --to name what to undo in two different ways; give one")
        }
        if request.mainline != nil && request.commits == nil {
            throw TimeturnerError(.usage, "--mainline only applies to --commits",
                                  hint: "a rollback --to a target restores its tree; merges in between need no mainline")
        }
        if request.target == nil && request.environment == nil && request.commits == nil {
            throw TimeturnerError(.usage, "no rollback target",
                                  hint: "say where to go: --to <point id | commit | last-good>, or --env <environment> for its last good commit")
        }
        if let mainline = request.mainline, mainline < 1 {
            throw TimeturnerError(.usage, "--mainline counts parents from 1", hint: "--mainline 1 keeps the branch the merge was made on")
        }
    }

    /// The checks every operation that writes the work tree makes before reading anything else.
    static func requireWorkTreeRepository(_ repository: Repository, for operation: String) throws(TimeturnerError) {
        if repository.isBare {
            throw TimeturnerError(.refused, "this is a bare repository; \(operation) of code needs a work tree",
                                  hint: "run it in a clone with a work tree (points, marks and the journal work in bare repositories)")
        }
        if repository.isEmpty || repository.isHeadUnborn {
            throw TimeturnerError(.failure, "this repository has no commits on HEAD yet, so there is nothing to roll back",
                                  hint: "make a first commit, then try again")
        }
        try RepositoryAccess.requireFullHistory(repository, for: operation)
        if let operationInProgress = repository.inProgressOperation {
            throw TimeturnerError(.refused, "a git \(operationInProgress.rawValue) is in progress; \(operation) would mix with it",
                                  hint: "finish it or abort it first (git \(operationInProgress.rawValue) --continue or --abort), then run it again")
        }
    }

    /// Uncommitted work must not be in the way: a dirty or untracked path the rollback would
    /// write is refused (never overwritten); everything else is carried across untouched and
    /// also captured in the safety ref.
    private func checkWorkTree(_ status: WorkTreeStatus, against changes: [TreeChange]) throws(TimeturnerError) {
        if !status.conflicted.isEmpty {
            throw TimeturnerError(.refused, "the index has unresolved conflicts: \(Self.list(status.conflicted))",
                                  hint: "resolve them and commit, or 'git reset --merge', then run it again")
        }
        let touched = changes.map(\.path)
        let dirty = Self.colliding(status.changed, with: touched)
        if !dirty.isEmpty {
            throw TimeturnerError(.refused, "uncommitted changes in paths the rollback would change: \(Self.list(dirty))",
                                  hint: "commit them or stash them (git stash -u), then run it again; changes elsewhere are carried across")
        }
        let untracked = Self.colliding(status.untracked, with: touched)
        if !untracked.isEmpty {
            throw TimeturnerError(.refused, "untracked files are in the way of paths the rollback would write: \(Self.list(untracked))",
                                  hint: "move them away (they are never overwritten), then run it again")
        }
    }

    /// Paths of `candidates` equal to, inside, or containing one of `touched`.
    static func colliding(_ candidates: [String], with touched: [String]) -> [String] {
        guard !candidates.isEmpty, !touched.isEmpty else { return [] }
        let exact = Set(touched)
        var directories = Set<String>()
        for path in touched {
            var prefix = Substring(path)
            while let slash = prefix.lastIndex(of: "/") {
                prefix = prefix[..<slash]
                directories.insert(String(prefix))
            }
        }
        return candidates.filter { candidate in
            if exact.contains(candidate) || directories.contains(candidate) { return true }
            var prefix = Substring(candidate)
            while let slash = prefix.lastIndex(of: "/") {
                prefix = prefix[..<slash]
                if exact.contains(String(prefix)) { return true }
            }
            return false
        }
    }

    static func list(_ paths: [String]) -> String {
        let shown = paths.prefix(10).joined(separator: ", ")
        return paths.count > 10 ? shown + " and \(paths.count - 10) more" : shown
    }

    // MARK: - Target and commits

    private func resolveTarget(_ request: RollbackRequest, now: Timestamp,
                               warnings: inout [String]) throws(TimeturnerError) -> (String, OID) {
        let name = request.target ?? "last-good"
        if name == "last-good" {
            guard let environment = request.environment else {
                throw TimeturnerError(.usage, "last-good is per environment; say which with --env <environment>")
            }
            // The newest good mark on an ancestor of HEAD without a later bad mark; throws with
            // the reasons when there is none.
            let answer = try KnownGoodRegistry(repository: repository).lastGood(.init(env: environment, now: now))
            warnings += answer.warnings.map(\.description)
            return ("last-good (\(environment))", answer.mark.commit)
        }
        if let point = try PointStore(repository: repository).point(id: name) {
            return ("point \(name)", point.commit)
        }
        return (name, try RepositoryAccess.resolveCommit(name, in: repository))
    }

    private func lookUp(_ id: OID) throws(TimeturnerError) -> Commit {
        do { return try repository.commit(id) } catch { throw TimeturnerError(error, doing: "read commit \(id.short)") }
    }

    private func walk(from head: OID, to target: OID, name: String) throws(TimeturnerError) -> Ancestry {
        do { return try repository.ancestry(from: head, to: target) } catch {
            throw TimeturnerError(error, doing: "compare \(name) with \(head.short)")
        }
    }

    private func describe(_ ids: [OID]) throws(TimeturnerError) -> [PlannedCommit] {
        do {
            return try ids.map { (id) throws(GitError) in
                let commit = try repository.commit(id)
                return PlannedCommit(id: id, summary: commit.summary, isMerge: commit.parents.count > 1)
            }
        } catch {
            throw TimeturnerError(error, doing: "read the commits between the target and HEAD")
        }
    }

    /// `A..B` or a single commit; every selected commit must be on HEAD's history.
    private func selectCommits(_ range: String, head: OID) throws(TimeturnerError) -> [PlannedCommit] {
        let parts: [String]
        let characters = Array(range)
        if let dot = characters.indices.first(where: { $0 + 1 < characters.count && characters[$0] == "." && characters[$0 + 1] == "." }) {
            parts = [String(characters[..<dot]), String(characters[(dot + 2)...])]
        } else {
            parts = [range]
        }
        let selected: [PlannedCommit]
        if parts.count == 2 {
            let base = try RepositoryAccess.resolveCommit(parts[0].isEmpty ? "HEAD" : parts[0], in: repository)
            let tip = try RepositoryAccess.resolveCommit(parts[1].isEmpty ? "HEAD" : parts[1], in: repository)
            try requireOnHead(tip, name: parts[1], head: head)
            selected = try describe(walk(from: tip, to: base, name: parts[0]).commits)
        } else {
            let one = try RepositoryAccess.resolveCommit(range, in: repository)
            try requireOnHead(one, name: range, head: head)
            let commit = try lookUp(one)
            selected = [PlannedCommit(id: one, summary: commit.summary, isMerge: commit.parents.count > 1)]
        }
        if selected.isEmpty {
            throw TimeturnerError(.usage, "\(range) selects no commits", hint: "a range is OLDER..NEWER, e.g. HEAD~3..HEAD")
        }
        return selected
    }

    private func requireOnHead(_ commit: OID, name: String, head: OID) throws(TimeturnerError) {
        guard try walk(from: head, to: commit, name: name).targetIsAncestor else {
            throw TimeturnerError(.refused, "\(name) (\(commit.short)) is not in HEAD's history, so it cannot be reverted here",
                                  hint: "check the range with 'git log --oneline \(name)'")
        }
    }

    /// One reverse three-way merge per commit, newest first, each on top of the previous result,
    /// entirely in memory. A conflict stops the plan with the paths; nothing has been changed.
    private func buildReverts(_ commits: [PlannedCommit], onto head: OID, mainline: Int?, id: String,
                              by attribution: Attribution) throws(TimeturnerError) -> [(commit: OID, tree: OID)] {
        var built: [(commit: OID, tree: OID)] = []
        var tip = head
        let signature = attribution.signature
        for planned in commits {
            if planned.isMerge && mainline == nil {
                throw TimeturnerError(.refused, "\(planned.id.short) \"\(planned.summary)\" is a merge commit; reverting it needs to know which parent to keep",
                                      hint: "add --mainline 1 to keep the branch it was merged into, or roll back --to a commit before it (that restores the tree, no mainline needed)")
            }
            let result: Repository.RevertResult
            do {
                result = try repository.revertInMemory(planned.id, onto: tip, mainline: planned.isMerge ? mainline : nil)
            } catch {
                throw TimeturnerError(error, doing: "revert \(planned.id.short)")
            }
            switch result {
            case .conflicts(let paths):
                throw TimeturnerError(.refused, "reverting \(planned.id.short) \"\(planned.summary)\" conflicts in: \(Self.list(paths))",
                                      hint: "nothing was changed (no REVERT_HEAD left); revert a range that includes the later commits touching these paths, or roll back --to a commit instead")
            case .tree(let tree):
                let message = """
                Revert "\(planned.summary)"

                This reverts commit \(planned.id.hex).

                Timeturner-Rollback: \(id)
                Timeturner-From: \(head.hex)
                Timeturner-Reverts: \(planned.id.hex)

                """
                do {
                    tip = try repository.createCommit(tree: tree, parents: [tip], author: signature, committer: signature, message: message)
                } catch {
                    throw TimeturnerError(error, doing: "write the revert of \(planned.id.short)")
                }
                built.append((tip, tree))
            }
        }
        return built
    }

    static func revertMessage(id: String, head: HeadPosition, from: OID, target: OID, targetName: String,
                              commits: [PlannedCommit], reason: String?) -> String {
        var text = "Roll back \(head.displayName) to \(target.short) (\(targetName))\n\n"
        if let reason, !reason.isEmpty { text += reason + "\n\n" }
        text += "This undoes \(commits.count) commit\(commits.count == 1 ? "" : "s"):\n"
        for commit in commits.prefix(100) { text += "  \(commit.id.short) \(commit.summary)\n" }
        if commits.count > 100 { text += "  … and \(commits.count - 100) more (git log \(target.short)..\(from.short))\n" }
        text += "\nTimeturner-Rollback: \(id)\nTimeturner-From: \(from.hex)\nTimeturner-To: \(target.hex)\n"
        return text
    }

    static func headPosition(in repository: Repository) throws(GitError) -> HeadPosition {
        if let head = try repository.reference("HEAD"), let branch = head.symbolicTarget { return .branch(branch) }
        return .detached
    }

    /// `20261121T223000Z-7f3a9c`: sortable, valid in a ref name.
    static func generatedID(at time: Timestamp) -> String {
        let suffix = String(UInt32.random(in: 0..<(1 << 24)), radix: 16)
        return time.compactUTC + "-" + String(repeating: "0", count: 6 - suffix.count) + suffix
    }
}
