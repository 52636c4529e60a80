import GitKit

/// Uncommitted work must not be in the way: a dirty or untracked path the rollback would write
/// is refused (never overwritten); everything else is carried across untouched and also
/// captured in the safety ref.
enum WorkTreeGuard {
    /// Everything `git status` shows (conflicts, uncommitted changes, untracked files), then
    /// what it hides: ignored files and directories in the way of paths the rollback adds, and
    /// local edits that assume-unchanged or skip-worktree keep out of status.
    static func check(_ status: WorkTreeStatus, against changes: [TreeChange], in repository: Repository) throws(TimeturnerError) {
        try check(status, against: changes)
        try requireNothingHidden(changes, in: repository)
        try requireCommittedContentReadable(changes, in: repository)
        try requireNoSubmoduleCheckoutRemoved(changes, in: repository)
    }

    /// A gitlink the operation removes (or turns into a file) leaves its directory to the
    /// checkout, which deletes it with everything in it: the submodule's checkout, its ignored
    /// files and, for a submodule made with `git init` in place, its own `.git` with commits no
    /// other repository has. git keeps such a directory; so, refuse, unless it is empty (a
    /// submodule never checked out), which loses nothing.
    static func requireNoSubmoduleCheckoutRemoved(_ changes: [TreeChange], in repository: Repository,
                                                  operation: String = "rollback") throws(TimeturnerError) {
        let removed = changes.filter { $0.oldMode == 0o160000 && $0.newMode != 0o160000 }
            .filter { repository.workTreeDirectoryHoldsEntries($0.path) == true }.map(\.path)
        guard let first = removed.first else { return }
        throw TimeturnerError(.refused, "the \(operation) removes the submodule\(removed.count == 1 ? "" : "s") \(list(removed)), whose checked-out files (and perhaps its own repository) the checkout would delete with it; nothing was changed",
                              hint: "move the submodule's directory away first (mv \(PathBytes.quoted(first)) ../), or 'git submodule deinit' it if its commits are pushed, then run it again")
    }

    /// A file the rollback replaces or deletes is clean (a dirty one was refused above), so its
    /// committed blob is what the safety backup keeps of it. When that blob does not read (an
    /// empty or truncated loose object, which a crash can leave), the work tree holds the only
    /// good copy: the rollback must not overwrite it.
    static func requireCommittedContentReadable(_ changes: [TreeChange], in repository: Repository,
                                                operation: String = "rollback") throws(TimeturnerError) {
        let damaged = changes.filter { change in
            guard change.oldMode != 0o160000, let id = change.oldID else { return false }
            return !repository.headerReads(id)
        }
        guard let first = damaged.first, let blob = first.oldID else { return }
        throw TimeturnerError(.refused, "the committed content of files the \(operation) would replace cannot be read: \(list(damaged.map(\.path))); the work tree holds the only readable copy, so nothing was changed",
                              hint: "run 'git fsck' to see the damaged objects; move each aside if it is a loose file (for \(PathBytes.quoted(first.path)): .git/objects/\(blob.hex.prefix(2))/\(blob.hex.dropFirst(2))), write it again from the file with 'git hash-object -w -- \(PathBytes.quoted(first.path))', then run it again")
    }

    static func check(_ status: WorkTreeStatus, against changes: [TreeChange]) throws(TimeturnerError) {
        if !status.conflicted.isEmpty {
            throw TimeturnerError(.refused, "the index has unresolved conflicts: \(list(status.conflicted))",
                                  hint: "resolve them and commit, or 'git reset --merge', then run it again")
        }
        let touched = changes.map(\.path)
        let dirty = colliding(status.changed, with: touched)
        if !dirty.isEmpty {
            throw TimeturnerError(.refused, "uncommitted changes in paths the rollback would change: \(list(dirty))",
                                  hint: "commit them or stash them (git stash -u), then run it again; changes elsewhere are carried across")
        }
        let untracked = colliding(status.untracked, with: touched)
        if !untracked.isEmpty {
            throw TimeturnerError(.refused, "untracked files are in the way of paths the rollback would write: \(list(untracked))",
                                  hint: "move them away (they are never overwritten), then run it again")
        }
    }

    private static func requireNothingHidden(_ changes: [TreeChange], in repository: Repository) throws(TimeturnerError) {
        let leaving = Set(changes.filter { $0.kind == .deleted || $0.kind == .typeChanged }.map(\.path))
        let inTheWay = changes.filter { $0.kind == .added }.compactMap { change in occupant(of: change.path, in: repository, leaving: leaving) }
        if !inTheWay.isEmpty {
            throw TimeturnerError(.refused, "files git does not show (ignored, or inside a directory the rollback replaces) are in the way of paths the rollback would write: \(list(inTheWay)); nothing was changed",
                                  hint: "they are never overwritten or deleted: move them away (for example an .env the old commit tracked), then run it again")
        }
        let flagged: [FlaggedIndexEntry]
        do { flagged = try repository.flaggedIndexEntries() } catch { throw TimeturnerError(error, doing: "read the index flags") }
        let touched = Set(changes.map(\.path))
        let sparse = flagged.filter { $0.skipWorktree && touched.contains($0.path) }.map(\.path)
        if !sparse.isEmpty {
            throw TimeturnerError(.refused, "the rollback changes paths marked skip-worktree (outside the sparse-checkout cone, or hidden by 'git update-index --skip-worktree'): \(list(sparse)); nothing was changed",
                                  hint: "libgit2 cannot keep them sparse: widen the cone (git sparse-checkout add <dir>) or clear the flag (git update-index --no-skip-worktree <path>), then run it again")
        }
        let hidden = flagged.filter { $0.assumeUnchanged && touched.contains($0.path) && repository.hashWorkTreeFile($0.path) != $0.blob }.map(\.path)
        if !hidden.isEmpty {
            throw TimeturnerError(.refused, "local edits hidden by assume-unchanged are in paths the rollback would change: \(list(hidden)); nothing was changed",
                                  hint: "git status does not show them: 'git update-index --no-assume-unchanged <path>', then commit or stash them, and run it again")
        }
    }

    /// What occupies the place a new file needs: the path itself, or a parent that is not a
    /// directory. Nil when the place is free. Only paths git does not track reach this.
    /// `leaving`: tracked paths the same rollback removes (a file that becomes a directory).
    static func occupant(of path: String, in repository: Repository, leaving: Set<String>) -> String? {
        // A directory whose files are all tracked ones the same rollback removes (a directory
        // that becomes a file) is emptied by the checkout before the file is written: not in
        // the way. Anything else in it (untracked, ignored, a file it keeps) is.
        if repository.workTreeEntryIsDirectory(path) == true, let files = repository.workTreeFiles(under: path),
           files.allSatisfy(leaving.contains) {
            return nil
        }
        if repository.workTreeEntryIsDirectory(path) != nil { return path }
        var prefix = Substring(path)
        while let slash = prefix.lastIndex(of: "/") {
            prefix = prefix[..<slash]
            guard !leaving.contains(String(prefix)) else { continue }
            if repository.workTreeEntryIsDirectory(String(prefix)) == false { return String(prefix) }
        }
        return nil
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

    /// Paths for a message, quoted as git shows them (bytes that are not UTF-8 in octal).
    static func list(_ paths: [String]) -> String {
        let shown = paths.prefix(10).map(PathBytes.quoted).joined(separator: ", ")
        return paths.count > 10 ? shown + " and \(paths.count - 10) more" : shown
    }
}

/// A gitlink is rolled back as the commit it records; the submodule's own checkout is another
/// repository, left alone (nothing in it is lost), and the user must hear that.
enum SubmoduleNotice {
    static func warnings(for changes: [TreeChange], operation: String) -> [String] {
        changes.filter { $0.oldMode == 0o160000 || $0.newMode == 0o160000 }.map {
            "submodule '\($0.path)': the \(operation) changes the commit it records, not the submodule's checked-out files; afterwards run: git submodule update --init -- \($0.path)"
        }
    }
}
