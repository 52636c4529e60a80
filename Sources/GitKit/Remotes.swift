internal import CLibgit2
internal import Glibc

/// A reference update the remote refused, with the remote's own words
/// ("pre-receive hook declined", "non-fast-forward", …).
public struct PushRejection: Sendable, Equatable, CustomStringConvertible {
    public let reference: String
    public let reason: String
    public var description: String { "\(reference): \(reason)" }
}

/// What a push left behind: the refused updates, and what the remote's hooks printed
/// (`remote: …` lines), which usually say why.
public struct PushOutcome: Sendable, Equatable {
    public var rejections: [PushRejection] = []
    public var remoteMessages: [String] = []
}

extension Repository {
    /// Fetches `refspecs` from `remote`: the name of a configured remote, or a URL or path.
    ///
    /// Never follows tags (that would create refs under `refs/tags/`), never writes FETCH_HEAD,
    /// and prunes only the destinations of the given refspecs, so the local copies mirror the
    /// remote exactly. A refspec whose source does not exist on the remote fetches nothing.
    public func fetch(from remote: String, refspecs: [String]) throws(GitError) {
        try withRemote(remote) { (handle) throws(GitError) in
            var options = git_fetch_options()
            try Libgit2.check("prepare fetch options") { git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION)) }
            options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE
            options.prune = GIT_FETCH_PRUNE
            options.update_fetchhead = 0
            try withStrarray(refspecs) { (array) throws(GitError) in
                try Libgit2.check("fetch from \(remote)") {
                    git_remote_fetch(handle, &array, &options, "timeturner: sync fetch")
                }
            }
        }
    }

    /// Pushes `refspecs` to `remote` and returns the updates the remote refused.
    ///
    /// libgit2 returns success from `git_remote_push` even when the remote refuses a reference
    /// (a protected ref, a hook that declines); the refusal only reaches the
    /// `push_update_reference` callback. That callback's reports are collected and returned, so a
    /// caller can never mistake a refused push for a successful one. A non-forced refspec whose
    /// update is not a fast-forward fails here with `.nonFastForward` before anything is sent.
    public func push(to remote: String, refspecs: [String]) throws(GitError) -> PushOutcome {
        final class Collector { var outcome = PushOutcome(); var sideband: [UInt8] = [] }
        let collector = Collector()
        try withRemote(remote) { (handle) throws(GitError) in
            var options = git_push_options()
            try Libgit2.check("prepare push options") { git_push_options_init(&options, UInt32(GIT_PUSH_OPTIONS_VERSION)) }
            options.callbacks.push_update_reference = { refname, status, payload in
                guard let status, let refname, let payload else { return 0 }
                let collector = Unmanaged<Collector>.fromOpaque(payload).takeUnretainedValue()
                collector.outcome.rejections.append(PushRejection(reference: String(cString: refname), reason: String(cString: status)))
                return 0
            }
            options.callbacks.sideband_progress = { text, length, payload in
                guard let text, let payload, length > 0 else { return 0 }
                let collector = Unmanaged<Collector>.fromOpaque(payload).takeUnretainedValue()
                collector.sideband += UnsafeRawBufferPointer(start: text, count: Int(length))
                return 0
            }
            try withExtendedLifetime(collector) { () throws(GitError) in
                options.callbacks.payload = Unmanaged.passUnretained(collector).toOpaque()
                try withStrarray(refspecs) { (array) throws(GitError) in
                    try Libgit2.check("push to \(remote)") { git_remote_push(handle, &array, &options) }
                }
            }
        }
        collector.outcome.remoteMessages = String(decoding: collector.sideband, as: UTF8.self)
            .split(whereSeparator: { $0 == "\n" || $0 == "\r" }).map(String.init).filter { !$0.isEmpty }
        return collector.outcome
    }

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

    private func withRemote(_ remote: String, _ body: (OpaquePointer) throws(GitError) -> Void) throws(GitError) {
        var handle: OpaquePointer? = nil
        if hasRemote(named: remote) {
            try Libgit2.check("look up remote \(remote)") { git_remote_lookup(&handle, self.handle, remote) }
        } else {
            try Libgit2.check("use \(remote) as a remote") { git_remote_create_anonymous(&handle, self.handle, remote) }
        }
        defer { git_remote_free(handle) }
        try body(handle!)
    }

    private func withStrarray(_ strings: [String], _ body: (inout git_strarray) throws(GitError) -> Void) throws(GitError) {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        defer { pointers.forEach { free($0) } }
        try pointers.withUnsafeMutableBufferPointer { (buffer) throws(GitError) in
            var array = git_strarray(strings: buffer.baseAddress, count: buffer.count)
            try body(&array)
        }
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
