public import GitKit

/// The remote `sync` was given, checked before it reaches libgit2: 1.5.1 takes anything that is
/// neither a configured remote nor an existing path for a URL, so `sync /nonexistent` (a typo, an
/// unmounted disk) said "unsupported URL protocol" instead of naming the missing path.
public enum RemoteArgument {
    /// Throws when `remote` is not a configured remote, not a URL, and names a local path
    /// (plain or `file://`) that does not exist.
    public static func check(_ remote: String, in repository: Repository) throws(TimeturnerError) {
        // An empty name or one starting with '-' is a usage error that RemoteSync reports.
        if remote.isEmpty || remote.hasPrefix("-") || repository.hasRemote(named: remote) { return }
        let path: String
        if remote.hasPrefix("file://") {
            path = String(remote.dropFirst("file://".count))
        } else if remote.contains("://") || isSCPLike(remote) {
            return  // a network URL: its transport reports its own errors
        } else {
            path = remote
        }
        guard !LocalFile.exists(path) else { return }
        throw TimeturnerError(.failure, "'\(remote)' is not a configured remote, and the path \(path) does not exist",
                              hint: "give a configured remote (git remote -v lists them), a URL, or the path of an existing repository")
    }

    /// git's rule for `host:path` (ssh): a colon before any slash.
    static func isSCPLike(_ remote: String) -> Bool {
        guard let colon = remote.firstIndex(of: ":") else { return false }
        guard let slash = remote.firstIndex(of: "/") else { return true }
        return colon < slash
    }
}
