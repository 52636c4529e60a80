internal import CLibgit2
internal import Glibc

// Fetch and push are not here: they run the user's git program (TimeturnerCore's
// RemoteTransport), so credentials, SSH configuration and git's own ref locking on the remote
// apply. libgit2 1.5.1's local transport moved a path remote's refs without checking their old
// values, and it has no credential helpers, so concurrent clones lost marks through it.
extension Repository {
    /// The names of the configured remotes, in configuration order.
    public func remoteNames() throws(GitError) -> [String] {
        var list = git_strarray()
        try Libgit2.check("list remotes") { git_remote_list(&list, handle) }
        defer { git_strarray_dispose(&list) }
        return (0..<list.count).compactMap { list.strings[$0].map { String(cString: $0) } }
    }

    /// Whether `name` is a remote configured in this repository.
    public func hasRemote(named name: String) -> Bool {
        var handle: OpaquePointer? = nil
        guard git_remote_lookup(&handle, self.handle, name) == 0 else { git_error_clear(); return false }
        git_remote_free(handle)
        return true
    }

    /// Every blob below `tree`, with its path ("ab/cdef…" in a fanned-out notes tree).
    public func blobPaths(in tree: OID) throws(GitError) -> [(path: String, blob: OID)] {
        var treePointer: OpaquePointer? = nil
        var raw = tree.raw
        try Libgit2.check("look up tree \(tree.hex)") { git_tree_lookup(&treePointer, handle, &raw) }
        defer { git_tree_free(treePointer) }
        final class Found { var entries: [(path: String, blob: OID)] = [] }
        let found = Found()
        try withExtendedLifetime(found) { () throws(GitError) in
            _ = try Libgit2.check("walk tree \(tree.hex)") {
                git_tree_walk(treePointer, GIT_TREEWALK_PRE, { root, entry, payload in
                    guard let entry, let payload, git_tree_entry_type(entry) == GIT_OBJECT_BLOB else { return 0 }
                    let found = Unmanaged<Found>.fromOpaque(payload).takeUnretainedValue()
                    let prefix = root.map { String(cString: $0) } ?? ""
                    found.entries.append((prefix + String(cString: git_tree_entry_name(entry)), OID(git_tree_entry_id(entry).pointee)))
                    return 0
                }, Unmanaged.passUnretained(found).toOpaque())
            }
        }
        return found.entries
    }
}
