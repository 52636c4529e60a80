public import GitKit

/// Uncommitted work must not be in the way: a dirty or untracked path the rollback would write
/// is refused (never overwritten); everything else is carried across untouched and also
/// captured in the safety ref.
enum WorkTreeGuard {
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
