import GitKit

/// Plans the code tier: where HEAD is, what the target is, which commits are undone, the tree
/// the branch ends on, and whether the work tree lets that happen without losing anything.
/// Reads through the repository handle the engine then uses, so the index and the trees the
/// plan read are in that handle's caches when the engine checks out; only the commits between
/// HEAD and the target are read on a second handle, at the same time. Only reverting chosen
/// commits (`--commits`) builds objects, by in-memory merges; that runs on a second handle
/// whose new objects stay in memory (`Repository.inMemoryObjects`), so planning never writes.
struct CodeRollbackPlanner {
    let repository: Repository
    let id: String
    let attribution: Attribution
    /// Whether the plan is executed as soon as it is made: then the blobs the checkout will
    /// write are inflated on another thread from the moment they are known.
    var readingAhead = false

    func plan(_ request: RollbackRequest, warnings: inout [String]) throws(TimeturnerError) -> (CodeRollback, PlanBasis) {
        let (head, from, fromCommit) = try readHead()
        try RepositoryPreflight(repository: repository).check(head: head, operation: "rollback")
        let targetName: String, target: OID
        if let range = request.commits { (targetName, target) = (range, from) } else {
            (targetName, target) = try resolveTarget(request, warnings: &warnings)
        }
        let targetCommit = try lookUp(target)
        let commits: [PlannedCommit], recipe: RevertRecipe, resultTree: OID
        let comparison: Result<([TreeChange], WorkTreeStatus, ConcurrentRead<Int>?), TimeturnerError>
        if request.commits == nil {
            // The branch ends on the target's tree (a reset, or one revert commit carrying it),
            // so the comparison need not wait for the commits in between. Those are read on a
            // second handle on another thread meanwhile: the two take about as long (50
            // commits: the walk and their messages 1.8 ms; the tree diff and the work-tree scan
            // 3.4 ms). The index and trees stay read through this handle, the engine's.
            let (id, attribution) = (id, attribution)
            let reader = repository.backgroundReader("rollback.plan")
            let history = reader.read { (handle) in
                Result { () throws(TimeturnerError) in
                    try CodeRollbackPlanner(repository: handle, id: id, attribution: attribution)
                        .commitsAndRecipe(request, head: head, from: from, target: target, targetName: targetName)
                }
            }
            resultTree = targetCommit.tree
            comparison = compare(fromCommit.tree, resultTree, in: repository, readingAheadOn: reader)
            // Its failures come first, as when the commits were read before the comparison.
            (commits, recipe) = try (history.wait() ?? Result { () throws(TimeturnerError) in
                try commitsAndRecipe(request, head: head, from: from, target: target, targetName: targetName)
            }).get()
        } else {
            (commits, recipe) = try commitsAndRecipe(request, head: head, from: from, target: target, targetName: targetName)
            let builder = try inMemory()
            resultTree = try RevertBuilder(repository: builder, rollbackID: id, signature: attribution.signature)
                .resultTree(recipe, from: from, fromTree: fromCommit.tree, targetTree: targetCommit.tree)
            comparison = compare(fromCommit.tree, resultTree, in: builder)
        }
        let (changes, status, readAhead) = try comparison.get()
        try WorkTreeGuard.check(status, against: changes, in: repository)
        warnings += SubmoduleNotice.warnings(for: changes, operation: "rollback")
        let code = CodeRollback(mode: request.mode, targetName: targetName, target: target, targetSummary: targetCommit.summary,
                                environment: request.environment, head: head, from: from, fromTree: fromCommit.tree,
                                commits: commits, selectedRange: request.commits, mainline: request.commits == nil ? nil : request.mainline,
                                resultTree: resultTree, changes: changes, reason: request.reason, recipe: recipe, readAhead: readAhead)
        return (code, PlanBasis(lockPath: OperationDirectory(repository: repository).lockPath, head: head, from: from, status: status))
    }

    /// The files the rollback changes (`tree` to `resultTree`, read through `builder`, which
    /// holds the result's objects) and the work tree's status (always through this handle).
    /// When reading ahead, the blobs to write are inflated on another thread (`reader`'s, after
    /// what it reads already) while the work tree is scanned, and the lock, the safety backup
    /// and the branch move follow: the checkout then finds their delta bases inflated, most of
    /// its reading (for `git reset --hard` as for this). On the plan's own second thread rather
    /// than a third: three threads on two cores slowed the plan's reading of the commits.
    private func compare(_ tree: OID, _ resultTree: OID, in builder: Repository, readingAheadOn reader: BackgroundReader? = nil)
        -> Result<([TreeChange], WorkTreeStatus, ConcurrentRead<Int>?), TimeturnerError> {
        do throws(GitError) {
            let changes = try builder.changes(from: tree, to: resultTree)
            var readAhead: ConcurrentRead<Int>? = nil
            if readingAhead {
                let blobs = CodeRollback.blobs(toWrite: changes)
                readAhead = reader.map { $0.read { $0.inflate(blobs) } } ?? repository.inflateAhead(blobs)
            }
            return .success((changes, try repository.workTreeStatus(), readAhead))
        } catch {
            return .failure(TimeturnerError(error, doing: "compare the work tree with the rollback target"))
        }
    }

    private func inMemory() throws(TimeturnerError) -> Repository {
        do { return try repository.inMemoryObjects() } catch { throw TimeturnerError(error, doing: "open the repository for planning (\(error))") }
    }

    private func readHead() throws(TimeturnerError) -> (HeadPosition, OID, Commit) {
        do {
            let from = try repository.headCommit()
            return (try HeadPosition.current(in: repository), from, try repository.commit(from))
        } catch {
            throw TimeturnerError(error, doing: "read HEAD")
        }
    }

    /// The commits the rollback undoes and how the new commits are made.
    private func commitsAndRecipe(_ request: RollbackRequest, head: HeadPosition, from: OID, target: OID,
                                  targetName: String) throws(TimeturnerError) -> ([PlannedCommit], RevertRecipe) {
        if let range = request.commits {
            let selected = try selectCommits(range, head: from)
            return (selected, .commits(selected, mainline: request.mainline))
        }
        let ancestry = try walk(from: from, to: target, name: targetName)
        if request.mode == .revert && !ancestry.targetIsAncestor {
            throw TimeturnerError(.refused, "\(targetName) (\(target.short)) is not an ancestor of HEAD (\(from.short)), so there are no commits between them to revert",
                                  hint: "to move \(head.displayName) there anyway, dropping the commits not in it from the branch, use --mode reset")
        }
        let commits = try describe(ancestry.commits)
        guard request.mode == .revert else { return (commits, .none) }
        let message = RevertBuilder.revertMessage(id: id, head: head, from: from, target: target, targetName: targetName,
                                                  commits: commits, reason: request.reason)
        return (commits, .wholeTree(message: message))
    }

    private func resolveTarget(_ request: RollbackRequest, warnings: inout [String]) throws(TimeturnerError) -> (String, OID) {
        let name = request.target ?? "last-good"
        if name == "last-good" {
            guard let environment = request.environment else {
                throw TimeturnerError(.usage, "last-good is per environment; say which with --env <environment>")
            }
            // The newest good mark on an ancestor of HEAD without a later bad mark; throws with
            // the reasons when there is none.
            let answer = try KnownGoodRegistry(repository: repository).lastGood(.init(env: environment, now: attribution.time))
            warnings += answer.warnings.map(\.description)
            return ("last-good (\(environment))", answer.mark.commit)
        }
        if let point = try PointStore(repository: repository).point(id: name) {
            return ("point \(name)", point.commit)
        }
        let commit = try RepositoryAccess.resolveCommit(name, in: repository)
        try requireUnambiguous(name, resolvedTo: commit)
        return (name, commit)
    }

    /// A name that is both a ref (a tag or branch called `abc1234`) and the start of another
    /// commit's id is refused: git warns and picks one; a rollback must not guess.
    private func requireUnambiguous(_ name: String, resolvedTo commit: OID) throws(TimeturnerError) {
        guard name.count >= 4, name.count < 40, name.allSatisfy(\.isHexDigit) else { return }
        var byRef: [(String, OID)] = []
        for candidate in ["refs/tags/\(name)", "refs/heads/\(name)"] {
            if let id = try? RepositoryAccess.resolveCommit(candidate, in: repository) { byRef.append((candidate, id)) }
        }
        let byID = repository.commit(withPrefix: name)
        let meanings = byRef.map { "\($0.0) (\($0.1.short))" } + (byID.map { ["the commit \($0.hex)"] } ?? [])
        guard Set(byRef.map(\.1) + (byID.map { [$0] } ?? [])).count > 1 else { return }
        throw TimeturnerError(.refused, "'\(name)' is ambiguous: it names \(meanings.joined(separator: " and ")); nothing was changed",
                              hint: "name the one you mean in full: " + (byRef.map(\.0) + (byID.map { [$0.hex] } ?? [])).joined(separator: " or "))
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
        let selected: [PlannedCommit]
        if let dots = range.firstRange(of: "..") {
            let (older, newer) = (String(range[..<dots.lowerBound]), String(range[dots.upperBound...]))
            let base = try RepositoryAccess.resolveCommit(older.isEmpty ? "HEAD" : older, in: repository)
            let tip = try RepositoryAccess.resolveCommit(newer.isEmpty ? "HEAD" : newer, in: repository)
            try requireOnHead(tip, name: newer, head: head)
            selected = try describe(walk(from: tip, to: base, name: older).commits)
        } else {
            let one = try RepositoryAccess.resolveCommit(range, in: repository)
            try requireOnHead(one, name: range, head: head)
            selected = try describe([one])
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
}
