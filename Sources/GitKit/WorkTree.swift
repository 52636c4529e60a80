internal import CLibgit2
internal import Glibc

/// One path that differs between two trees (no rename detection: a rename is a delete plus an add,
/// which is exactly what a checkout has to do).
public struct TreeChange: Equatable, Sendable {
    public enum Kind: String, Sendable { case added, deleted, modified, typeChanged = "type-changed" }
    public let path: String
    public let kind: Kind
    /// git file modes (0o100644, 0o100755, 0o120000 symlink, 0o160000 submodule); 0 when absent.
    public let oldMode: UInt32
    public let newMode: UInt32
    /// The object the path ends with (a blob; the recorded commit of a gitlink); nil when deleted.
    public let newID: OID?
    /// The object the path starts from; nil when added.
    public let oldID: OID?

    public init(path: String, kind: Kind, oldMode: UInt32, newMode: UInt32, newID: OID? = nil, oldID: OID? = nil) {
        (self.path, self.kind, self.oldMode, self.newMode, self.newID, self.oldID) = (path, kind, oldMode, newMode, newID, oldID)
    }
}

/// What `git status` would report, reduced to what a rollback must respect.
public struct WorkTreeStatus: Equatable, Sendable {
    /// Tracked paths whose index or work-tree content differs from HEAD.
    public var changed: [String] = []
    /// Files git does not track and does not ignore.
    public var untracked: [String] = []
    /// Paths with unresolved merge conflicts in the index.
    public var conflicted: [String] = []

    public var isClean: Bool { changed.isEmpty && untracked.isEmpty && conflicted.isEmpty }
}

extension Repository {
    // MARK: - Status

    /// Index and work tree against HEAD, untracked files listed one by one (not as directories).
    /// Submodules are compared by their recorded commit only, like `git status` by default.
    public func workTreeStatus() throws(GitError) -> WorkTreeStatus {
        var options = git_status_options()
        try Libgit2.check("prepare status options") { git_status_options_init(&options, UInt32(GIT_STATUS_OPTIONS_VERSION)) }
        options.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR
        options.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS.rawValue
            | GIT_STATUS_OPT_EXCLUDE_SUBMODULES.rawValue
        var list: OpaquePointer? = nil
        try Libgit2.check("read the status of the work tree") { git_status_list_new(&list, handle, &options) }
        defer { git_status_list_free(list) }
        var status = WorkTreeStatus()
        let hidden = try skipWorktreePaths()
        for index in 0..<git_status_list_entrycount(list) {
            guard let entry = git_status_byindex(list, index) else { continue }
            let flags = entry.pointee.status.rawValue
            let delta = entry.pointee.head_to_index ?? entry.pointee.index_to_workdir
            guard let delta else { continue }
            let file = delta.pointee.new_file.path ?? delta.pointee.old_file.path
            guard let file else { continue }
            let path = PathBytes.decode(file)
            // git status never reports skip-worktree entries (sparse checkouts); libgit2 1.5.1
            // sees them missing from the work tree and calls them deleted.
            if hidden.contains(path) && flags & GIT_STATUS_INDEX_NEW.rawValue == 0 { continue }
            if flags & GIT_STATUS_CONFLICTED.rawValue != 0 {
                status.conflicted.append(path)
            } else if flags == GIT_STATUS_WT_NEW.rawValue {
                status.untracked.append(path)
            } else if flags & ~GIT_STATUS_IGNORED.rawValue != 0 {
                status.changed.append(path)
            }
        }
        return status
    }

    private func skipWorktreePaths() throws(GitError) -> Set<String> {
        Set(try flaggedIndexEntries().filter(\.skipWorktree).map(\.path))
    }

    // MARK: - Snapshots of index and work tree

    /// The tree the index describes now (what `git write-tree` writes).
    public func indexTree() throws(GitError) -> OID {
        try withIndex { (index) throws(GitError) in
            var out = git_oid()
            try Libgit2.check("write the index as a tree") { git_index_write_tree(&out, index) }
            return OID(out)
        }
    }

    /// A tree of the work tree as it is now: tracked files with their current content and mode,
    /// deleted files left out, and untracked (not ignored) files added, like `git stash -u` keeps.
    /// The index on disk is not changed: the in-memory copy is re-read from disk afterwards.
    public func workTreeSnapshotTree() throws(GitError) -> OID {
        try withIndex { (index) throws(GitError) in
            defer {
                // Drop the in-memory additions; the user's staging area stays exactly as it was.
                if git_index_read(index, 1) != 0 { git_error_clear() }
            }
            let pattern = strdup("*")
            defer { free(pattern) }
            var patterns: [UnsafeMutablePointer<CChar>?] = [pattern]
            return try patterns.withUnsafeMutableBufferPointer { (buffer) throws(GitError) -> OID in
                var spec = git_strarray(strings: buffer.baseAddress, count: 1)
                try Libgit2.check("record changed and deleted files") { git_index_update_all(index, &spec, nil, nil) }
                // An untracked repository inside the work tree (a `git init` or clone in a
                // subdirectory) comes as its directory, `tool/`, which libgit2 cannot add ("invalid
                // path"): every rollback failed on it. It is another repository, which the rollback
                // leaves alone (or refuses when it is in the way), so it is left out, as it is
                // left out of every snapshot git itself takes.
                let skipNestedRepositories: git_index_matched_path_cb = { path, _, _ in
                    guard let path else { return 0 }
                    let length = strlen(path)
                    return length > 0 && path[length - 1] == 0x2F ? 1 : 0
                }
                try Libgit2.check("record untracked files") {
                    git_index_add_all(index, &spec, GIT_INDEX_ADD_DEFAULT.rawValue, skipNestedRepositories, nil)
                }
                var out = git_oid()
                try Libgit2.check("write the work tree as a tree") { git_index_write_tree(&out, index) }
                return OID(out)
            }
        }
    }

    /// Replaces the index with the entries of `tree` and writes it to disk (`git read-tree`).
    public func setIndex(to tree: OID) throws(GitError) {
        try withIndex { (index) throws(GitError) in
            var treePointer: OpaquePointer? = nil
            var raw = tree.raw
            try Libgit2.check("look up tree \(tree.hex)") { git_tree_lookup(&treePointer, handle, &raw) }
            defer { git_tree_free(treePointer) }
            try Libgit2.check("read tree \(tree.short) into the index") { git_index_read_tree(index, treePointer) }
            try Libgit2.check("write the index") { git_index_write(index) }
        }
    }

    private func withIndex<T>(_ body: (OpaquePointer) throws(GitError) -> T) throws(GitError) -> T {
        var index: OpaquePointer? = nil
        try Libgit2.check("open the index") { git_repository_index(&index, handle) }
        defer { git_index_free(index) }
        // Another process (the user's git) may have written the index since libgit2 cached it.
        try Libgit2.check("read the index") { git_index_read(index, 0) }
        return try body(index!)
    }

    // MARK: - Comparing trees

    /// Paths that differ between two trees. Only subtrees whose ids differ are opened, so the
    /// cost follows the size of the change, not of the repository.
    public func changes(from old: OID, to new: OID) throws(GitError) -> [TreeChange] {
        var oldTree: OpaquePointer? = nil, newTree: OpaquePointer? = nil
        var oldRaw = old.raw, newRaw = new.raw
        try Libgit2.check("look up tree \(old.hex)") { git_tree_lookup(&oldTree, handle, &oldRaw) }
        defer { git_tree_free(oldTree) }
        try Libgit2.check("look up tree \(new.hex)") { git_tree_lookup(&newTree, handle, &newRaw) }
        defer { git_tree_free(newTree) }
        var options = git_diff_options()
        try Libgit2.check("prepare diff options") { git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION)) }
        options.flags |= GIT_DIFF_INCLUDE_TYPECHANGE.rawValue
        var diff: OpaquePointer? = nil
        try Libgit2.check("compare trees \(old.short) and \(new.short)") {
            git_diff_tree_to_tree(&diff, handle, oldTree, newTree, &options)
        }
        defer { git_diff_free(diff) }
        var out: [TreeChange] = []
        for index in 0..<git_diff_num_deltas(diff) {
            guard let delta = git_diff_get_delta(diff, index) else { continue }
            let kind: TreeChange.Kind
            switch delta.pointee.status {
            case GIT_DELTA_ADDED: kind = .added
            case GIT_DELTA_DELETED: kind = .deleted
            case GIT_DELTA_TYPECHANGE: kind = .typeChanged
            default: kind = .modified
            }
            let file = kind == .deleted ? delta.pointee.old_file : delta.pointee.new_file
            out.append(TreeChange(path: PathBytes.decode(file.path), kind: kind,
                                  oldMode: UInt32(delta.pointee.old_file.mode), newMode: UInt32(delta.pointee.new_file.mode),
                                  newID: kind == .deleted ? nil : OID(delta.pointee.new_file.id),
                                  oldID: kind == .added ? nil : OID(delta.pointee.old_file.id)))
        }
        return out
    }

    // MARK: - Checkout

    /// How a checkout treats files that differ from what it expects.
    public enum CheckoutSafety: Sendable {
        /// Like `git checkout`: refuse (`.conflict`) rather than overwrite a modified or untracked file.
        case safe
        /// Like `git checkout -f` for the given paths: make them match the tree. Used only to
        /// restore a state the tool captured itself.
        case force
    }

    /// Makes the work tree and the index match `tree` for `paths` (every path when nil), assuming
    /// the work tree currently holds `baseline`. HEAD is not moved. Ignored files are never
    /// overwritten and files outside `paths` are never touched.
    public func checkout(tree: OID, baseline: OID, paths: [String]?, safety: CheckoutSafety) throws(GitError) {
        var treePointer: OpaquePointer? = nil, baselinePointer: OpaquePointer? = nil
        var raw = tree.raw, baselineRaw = baseline.raw
        try Libgit2.check("look up tree \(tree.hex)") { git_tree_lookup(&treePointer, handle, &raw) }
        defer { git_tree_free(treePointer) }
        try Libgit2.check("look up tree \(baseline.hex)") { git_tree_lookup(&baselinePointer, handle, &baselineRaw) }
        defer { git_tree_free(baselinePointer) }
        var options = git_checkout_options()
        try Libgit2.check("prepare checkout options") { git_checkout_options_init(&options, UInt32(GIT_CHECKOUT_OPTIONS_VERSION)) }
        var strategy = GIT_CHECKOUT_DONT_OVERWRITE_IGNORED.rawValue | GIT_CHECKOUT_DISABLE_PATHSPEC_MATCH.rawValue
        strategy |= safety == .safe ? GIT_CHECKOUT_SAFE.rawValue : GIT_CHECKOUT_FORCE.rawValue
        options.checkout_strategy = strategy
        options.baseline = baselinePointer
        let copies = (paths ?? []).map { PathBytes.duplicate($0) }
        defer { copies.forEach { $0.deallocate() } }
        var pointers: [UnsafeMutablePointer<CChar>?] = copies.map { Optional($0) }
        if let paths, paths.isEmpty { return }
        let replaced = ReplacedFiles(workTree: workTree)
        if replaced.root != nil {
            options.notify_flags = GIT_CHECKOUT_NOTIFY_UPDATED.rawValue
            options.notify_cb = ReplacedFiles.notify
            options.notify_payload = Unmanaged.passUnretained(replaced).toOpaque()
            options.progress_cb = ReplacedFiles.progress
            options.progress_payload = Unmanaged.passUnretained(replaced).toOpaque()
        }
        try withExtendedLifetime(replaced) { () throws(GitError) in
            try pointers.withUnsafeMutableBufferPointer { (buffer) throws(GitError) in
                if paths != nil { options.paths = git_strarray(strings: buffer.baseAddress, count: buffer.count) }
                try Libgit2.check("check out tree \(tree.short)") {
                    git_checkout_tree(handle, treePointer, &options)
                }
            }
        }
    }

    /// Writes every file of `tree` into `directory` (which must be empty or absent), as
    /// committed: no index, no HEAD, no work tree of this repository is touched. For executors
    /// that need the scripts of another commit (a database downgrade run with the migrations of
    /// the code being left). Filters (line endings) apply as in a checkout.
    public func export(tree: OID, to directory: String) throws(GitError) {
        var treePointer: OpaquePointer? = nil
        var raw = tree.raw
        try Libgit2.check("look up tree \(tree.hex)") { git_tree_lookup(&treePointer, handle, &raw) }
        defer { git_tree_free(treePointer) }
        var options = git_checkout_options()
        try Libgit2.check("prepare checkout options") { git_checkout_options_init(&options, UInt32(GIT_CHECKOUT_OPTIONS_VERSION)) }
        options.checkout_strategy = GIT_CHECKOUT_FORCE.rawValue | GIT_CHECKOUT_RECREATE_MISSING.rawValue
            | GIT_CHECKOUT_DONT_UPDATE_INDEX.rawValue | GIT_CHECKOUT_DONT_WRITE_INDEX.rawValue
        // The baseline is the tree itself: every file counts as missing from the directory and is written.
        options.baseline = treePointer
        let path = strdup(directory)
        defer { free(path) }
        options.target_directory = UnsafePointer(path)
        try Libgit2.check("write tree \(tree.short) into \(directory)") { git_checkout_tree(handle, treePointer, &options) }
    }

    // MARK: - History

    /// Commits reachable from `head` but not from `hidden`, newest first (topological), like
    /// `git rev-list hidden..head`. Only the commits in between are walked.
    public func commits(from head: OID, excluding hidden: OID?) throws(GitError) -> [OID] {
        var walk: OpaquePointer? = nil
        try Libgit2.check("start a history walk") { git_revwalk_new(&walk, handle) }
        defer { git_revwalk_free(walk) }
        try Libgit2.check("sort the history walk") { git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_TIME.rawValue) }
        var headRaw = head.raw
        try Libgit2.check("walk from \(head.short)") { git_revwalk_push(walk, &headRaw) }
        if let hidden {
            var hiddenRaw = hidden.raw
            try Libgit2.check("hide \(hidden.short) from the walk") { git_revwalk_hide(walk, &hiddenRaw) }
        }
        var out: [OID] = []
        var next = git_oid()
        while true {
            let result = git_revwalk_next(&next, walk)
            if result == GIT_ITEROVER.rawValue { git_error_clear(); break }
            try Libgit2.check("walk history from \(head.short)") { result }
            out.append(OID(next))
        }
        return out
    }

    // MARK: - Reverting in memory

    /// What reverting one commit on top of another produced.
    public enum RevertResult: Equatable, Sendable {
        case tree(OID)
        /// The reverse merge conflicted at these paths; nothing was written to the work tree,
        /// the index or any ref (no REVERT_HEAD, no MERGE_MSG).
        case conflicts([String])
    }

    /// Reverts `commit` on top of `onto` entirely in memory (`git_revert_commit`), the way
    /// `git revert` would, and writes the resulting tree. `mainline` (1-based) picks the parent
    /// of a merge commit to revert towards; nil for ordinary commits.
    public func revertInMemory(_ commit: OID, onto: OID, mainline: Int?) throws(GitError) -> RevertResult {
        var revertPointer: OpaquePointer? = nil, ontoPointer: OpaquePointer? = nil
        var revertRaw = commit.raw, ontoRaw = onto.raw
        try Libgit2.check("look up commit \(commit.hex)") { git_commit_lookup(&revertPointer, handle, &revertRaw) }
        defer { git_commit_free(revertPointer) }
        try Libgit2.check("look up commit \(onto.hex)") { git_commit_lookup(&ontoPointer, handle, &ontoRaw) }
        defer { git_commit_free(ontoPointer) }
        var options = git_merge_options()
        try Libgit2.check("prepare merge options") { git_merge_options_init(&options, UInt32(GIT_MERGE_OPTIONS_VERSION)) }
        var index: OpaquePointer? = nil
        try Libgit2.check("revert \(commit.short) on top of \(onto.short)") {
            git_revert_commit(&index, handle, revertPointer, ontoPointer, UInt32(mainline ?? 0), &options)
        }
        defer { git_index_free(index) }
        // libgit2 reports success even when the reverse merge conflicted; the index says so.
        if git_index_has_conflicts(index) == 1 {
            var iterator: OpaquePointer? = nil
            try Libgit2.check("list conflicts") { git_index_conflict_iterator_new(&iterator, index) }
            defer { git_index_conflict_iterator_free(iterator) }
            var paths: [String] = []
            var ancestor: UnsafePointer<git_index_entry>? = nil
            var ours: UnsafePointer<git_index_entry>? = nil
            var theirs: UnsafePointer<git_index_entry>? = nil
            while git_index_conflict_next(&ancestor, &ours, &theirs, iterator) == 0 {
                if let entry = ours ?? theirs ?? ancestor { paths.append(PathBytes.decode(entry.pointee.path)) }
            }
            git_error_clear()
            return .conflicts(paths)
        }
        var out = git_oid()
        try Libgit2.check("write the reverted tree") { git_index_write_tree_to(&out, index, handle) }
        return .tree(OID(out))
    }
}

extension Repository {
    /// What a work-tree file holds now, as `git add` would store it: the blob id through the
    /// path's filters (line endings), the bytes as they are on disk (a symlink: its target), and
    /// whether it is a symlink. Nil when nothing is there or it cannot be read (a directory).
    public func workTreeFileAsAdded(_ relativePath: String) -> (id: OID, bytes: [UInt8], isSymlink: Bool, mode: UInt32)? {
        guard let root = workTree else { return nil }
        let full = root + relativePath
        var info = stat()
        guard PathBytes.withCString(full, { lstat($0, &info) }) == 0 else { return nil }
        var out = git_oid()
        if info.st_mode & S_IFMT == S_IFLNK {
            var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX))
            let length = PathBytes.withCString(full) { path in buffer.withUnsafeMutableBytes { readlink(path, $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count) } }
            guard length >= 0 else { return nil }
            let target = Array(buffer.prefix(length))
            guard target.withUnsafeBytes({ git_odb_hash(&out, $0.baseAddress, $0.count, GIT_OBJECT_BLOB) }) == 0 else { git_error_clear(); return nil }
            return (OID(out), target, true, 0o120000)
        }
        guard info.st_mode & S_IFMT == S_IFREG, let bytes = readWholeFile(full) else { return nil }
        let result = PathBytes.withCString(full) { path in PathBytes.withCString(relativePath) { git_repository_hashfile(&out, handle, path, GIT_OBJECT_BLOB, $0) } }
        guard result == 0 else { git_error_clear(); return nil }
        return (OID(out), bytes, false, info.st_mode & 0o111 != 0 ? 0o100755 : 0o100644)
    }

    /// What is at a work-tree path, without following a symbolic link or opening anything.
    public enum WorkTreeEntryKind: Sendable, Equatable { case absent, file, symlink, directory, other }

    public func workTreeEntryKind(_ relativePath: String) -> WorkTreeEntryKind {
        guard let root = workTree else { return .absent }
        var info = stat()
        guard PathBytes.withCString(root + relativePath, { lstat($0, &info) }) == 0 else { return .absent }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFLNK: return .symlink
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    /// Removes what is at a work-tree path: a file, a symbolic link (never what it points to), a
    /// FIFO, or a directory with everything in it (links inside are removed, not followed).
    public func removeWorkTreeEntry(_ relativePath: String) -> Bool {
        guard let root = workTree else { return false }
        switch workTreeEntryKind(relativePath) {
        case .absent: return true
        case .directory:
            guard let names = Self.entryNames(atPath: root + relativePath) else { return false }
            for name in names where !removeWorkTreeEntry(relativePath + "/" + name) { return false }
            return PathBytes.withCString(root + relativePath) { rmdir($0) } == 0
        default:
            return PathBytes.withCString(root + relativePath) { unlink($0) } == 0
        }
    }

    /// The blob id a work-tree file would get (no filters applied), or nil when it cannot be read.
    /// Used to tell whether an untracked file is byte-for-byte one the tool itself captured.
    public func hashWorkTreeFile(_ relativePath: String) -> OID? {
        guard let root = workTree else { return nil }
        var out = git_oid()
        let result = PathBytes.withCString(root + relativePath) { git_odb_hashfile(&out, $0, GIT_OBJECT_BLOB) }
        guard result == 0 else { git_error_clear(); return nil }
        return OID(out)
    }
}

/// What lies between two commits: the commits reachable from `head` but not from `target`
/// (newest first by committer date), and whether `target` is an ancestor of `head`.
public struct Ancestry: Equatable, Sendable {
    public let commits: [OID]
    public let targetIsAncestor: Bool
}

extension Repository {
    /// `git rev-list target..head` plus `git merge-base --is-ancestor target head`, in one walk
    /// that reads only the commits between the two where it can (see `RangeWalk`), and never
    /// trusts commit dates. The commits come children first.
    ///
    /// libgit2's revwalk and merge-base load and checksum the whole commit-graph file first
    /// (about 20 ms on a 100,000-commit repository); this reads the graph in place instead.
    public func ancestry(from head: OID, to target: OID) throws(GitError) -> Ancestry {
        for useGraph in [true, false] {
            var walk = RangeWalk(reader: try CommitReader(self, useGraph: useGraph), head: head, target: target)
            do { return try walk.run() } catch {
                if case .git(let failure) = error { throw failure }
            }
        }
        preconditionFailure("a walk without the commit-graph cannot find it corrupt")
    }
}

/// The files a checkout overwrites with other content are unlinked before it writes them, as
/// `git checkout` does, instead of being truncated in place (libgit2 opens them with `O_TRUNC`):
///
/// - ext4 (the default `auto_da_alloc`) starts writing a truncated file back to disk when it is
///   closed, one device request per file: a 50-file rollback spent a third of its system time
///   there, which a new file does not cost;
/// - a process that still has the old file open or mapped (a running application) keeps reading
///   the old bytes instead of a file changing under it, and a hard link to the file elsewhere is
///   not written through.
///
/// When: one file at a time, just before libgit2 writes it, as git does, so that a checkout that
/// fails part way (the disk full) leaves at most the file it was writing missing, and the ones
/// after it as they were. libgit2 decides every action and looks for conflicts first, then calls
/// the progress callback once without a path, then writes the files in the order it reported
/// them to the notify callback, calling the progress callback with each path once it is written.
/// So the first file is unlinked at the call without a path, and each next one when the one
/// before it is reported written; a checkout that refuses has unlinked nothing. Only regular
/// files replaced by regular files with the same executable bit (libgit2 removes the others
/// itself first). Anything unexpected (a file that cannot be unlinked, a path reported out of
/// order) leaves the rest to libgit2, which truncates them as before. A crash between an unlink
/// and its write leaves that file missing where it used to leave it empty or half written;
/// either way it is one of the paths a restore or `recover` puts back from the safety backup.
final class ReplacedFiles {
    /// The work tree with a trailing slash, as bytes; nil for a bare repository.
    let root: [CChar]?
    /// The files to replace, as libgit2 names them (relative, NUL-terminated), in its order.
    private var paths: [[CChar]] = []
    /// The file libgit2 writes next; unlinked once writing has begun.
    private var next = 0
    private var writing = false

    init(workTree: String?) {
        root = workTree.map { path in
            var bytes = Array(path.utf8CString.dropLast())
            if bytes.last != 0x2F { bytes.append(0x2F) }
            return bytes
        }
    }

    static let notify: git_checkout_notify_cb = { why, path, _, target, workdir, payload in
        guard why == GIT_CHECKOUT_NOTIFY_UPDATED, let path, let target, let workdir, let payload else { return 0 }
        let newMode = UInt32(target.pointee.mode), oldMode = UInt32(workdir.pointee.mode)
        let regular: (UInt32) -> Bool = { $0 & 0o170000 == 0o100000 }
        guard regular(newMode), regular(oldMode), newMode & 0o111 == oldMode & 0o111 else { return 0 }
        Unmanaged<ReplacedFiles>.fromOpaque(payload).takeUnretainedValue().add(path)
        return 0
    }

    static let progress: git_checkout_progress_cb = { path, _, _, payload in
        guard let payload else { return }
        Unmanaged<ReplacedFiles>.fromOpaque(payload).takeUnretainedValue().progressed(path)
    }

    private func add(_ path: UnsafePointer<CChar>) {
        guard root != nil, !writing else { return }
        paths.append(Array(UnsafeBufferPointer(start: path, count: strlen(path) + 1)))
    }

    private func progressed(_ path: UnsafePointer<CChar>?) {
        guard let path else {
            // Every action decided, nothing refused: writing begins.
            if !writing { writing = true; unlinkNext() }
            return
        }
        guard writing, next < paths.count, paths[next].withUnsafeBufferPointer({ strcmp($0.baseAddress!, path) }) == 0 else { return }
        next += 1
        unlinkNext()
    }

    private func unlinkNext() {
        guard let root, next < paths.count else { return }
        let full = root + paths[next]
        _ = full.withUnsafeBufferPointer { unlink($0.baseAddress!) }
    }
}
