import GitKit

/// Makes the commits of a revert from a `RevertRecipe`. The planner runs it on the in-memory
/// handle to learn the result tree and find conflicts; the engine runs it again on the real
/// repository when the branch moves, and checks that it produced the very tree that was planned.
struct RevertBuilder {
    let repository: Repository
    let rollbackID: String
    let signature: Signature

    /// The tree the branch will hold afterwards.
    func resultTree(_ recipe: RevertRecipe, from: OID, fromTree: OID, targetTree: OID) throws(TimeturnerError) -> OID {
        switch recipe {
        case .none, .wholeTree: return targetTree
        case .commits: return try build(recipe, onto: from, targetTree: targetTree, target: from).tree
        }
    }

    /// The commit the moving ref is set to, and its tree.
    func build(_ recipe: RevertRecipe, onto from: OID, targetTree: OID, target: OID) throws(TimeturnerError) -> (commit: OID, tree: OID) {
        switch recipe {
        case .none:
            return (target, targetTree)
        case .wholeTree(let message):
            do {
                let commit = try repository.createCommit(tree: targetTree, parents: [from], author: signature,
                                                         committer: signature, message: message)
                return (commit, targetTree)
            } catch {
                throw TimeturnerError(error, doing: "write the revert commit")
            }
        case .commits(let commits, let mainline):
            var tip = (commit: from, tree: targetTree)
            for planned in commits { tip = try revert(planned, onto: tip.commit, from: from, mainline: mainline) }
            return tip
        }
    }

    /// One reverse three-way merge in memory, committed on top of `onto`. A conflict throws
    /// with the paths; nothing has touched the work tree, the index or a ref.
    private func revert(_ planned: PlannedCommit, onto: OID, from: OID, mainline: Int?) throws(TimeturnerError) -> (commit: OID, tree: OID) {
        if planned.isMerge && mainline == nil {
            throw TimeturnerError(.refused, "\(planned.id.short) \"\(planned.summary)\" is a merge commit; reverting it needs to know which parent to keep",
                                  hint: "add --mainline 1 to keep the branch it was merged into, or roll back --to a commit before it (that restores the tree, no mainline needed)")
        }
        let result: Repository.RevertResult
        do { result = try repository.revertInMemory(planned.id, onto: onto, mainline: planned.isMerge ? mainline : nil) } catch {
            throw TimeturnerError(error, doing: "revert \(planned.id.short)")
        }
        switch result {
        case .conflicts(let paths):
            throw TimeturnerError(.refused, "reverting \(planned.id.short) \"\(planned.summary)\" conflicts in: \(WorkTreeGuard.list(paths))",
                                  hint: "nothing was changed (no REVERT_HEAD left); revert a range that includes the later commits touching these paths, or roll back --to a commit instead")
        case .tree(let tree):
            do {
                let commit = try repository.createCommit(tree: tree, parents: [onto], author: signature, committer: signature,
                                                         message: Self.revertMessage(of: planned, id: rollbackID, from: from))
                return (commit, tree)
            } catch {
                throw TimeturnerError(error, doing: "write the revert of \(planned.id.short)")
            }
        }
    }
}

extension RevertBuilder {
    /// The message of the one commit a revert to a target makes.
    static func revertMessage(id: String, head: HeadPosition, from: OID, target: OID, targetName: String,
                              commits: [PlannedCommit], reason: String?) -> String {
        // The reason may come from a check's or a deploy hook's output, and `git log` prints a
        // message as it is: escapes that could drive a terminal are written visibly (DisplayText).
        var text = "Roll back \(head.displayName) to \(target.short) (\(DisplayText.escaped(targetName)))\n\n"
        if let reason, !reason.isEmpty { text += DisplayText.escaped(reason, multiline: true) + "\n\n" }
        text += "This undoes \(commits.count) commit\(commits.count == 1 ? "" : "s"):\n"
        for commit in commits.prefix(100) { text += "  \(commit.id.short) \(DisplayText.escaped(commit.summary))\n" }
        if commits.count > 100 { text += "  … and \(commits.count - 100) more (git log \(target.short)..\(from.short))\n" }
        text += "\n\(TrailerKey.rollback): \(id)\n\(TrailerKey.from): \(from.hex)\n\(TrailerKey.to): \(target.hex)\n"
        return text
    }

    /// The message of each commit `--commits` makes, like `git revert`'s plus trailers.
    static func revertMessage(of planned: PlannedCommit, id: String, from: OID) -> String {
        """
        Revert "\(planned.summary)"

        This reverts commit \(planned.id.hex).

        \(TrailerKey.rollback): \(id)
        \(TrailerKey.from): \(from.hex)
        \(TrailerKey.reverts): \(planned.id.hex)

        """
    }
}
