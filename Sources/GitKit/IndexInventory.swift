internal import CLibgit2
internal import Glibc

/// An index entry that git hides from `git status`: marked assume-unchanged or skip-worktree
/// (sparse checkouts), or added with intent-to-add.
/// One index entry without its stat data: what staging and the flags decide.
public struct IndexEntrySummary: Equatable, Sendable {
    public let path: String
    public let stage: Int
    public let mode: UInt32
    public let blob: OID
    public let assumeUnchanged: Bool
    public let skipWorktree: Bool
    public let intentToAdd: Bool

    public init(path: String, stage: Int, mode: UInt32, blob: OID, assumeUnchanged: Bool, skipWorktree: Bool, intentToAdd: Bool) {
        (self.path, self.stage, self.mode, self.blob) = (path, stage, mode, blob)
        (self.assumeUnchanged, self.skipWorktree, self.intentToAdd) = (assumeUnchanged, skipWorktree, intentToAdd)
    }
}

public struct FlaggedIndexEntry: Equatable, Sendable {
    public let path: String
    public let blob: OID
    public let mode: UInt32
    public let assumeUnchanged: Bool
    public let skipWorktree: Bool
    public let intentToAdd: Bool
}

extension Repository {
    /// Every index entry with one of the flags that hide local changes from status.
    public func flaggedIndexEntries() throws(GitError) -> [FlaggedIndexEntry] {
        var index: OpaquePointer? = nil
        try Libgit2.check("open the index") { git_repository_index(&index, handle) }
        defer { git_index_free(index) }
        try Libgit2.check("read the index") { git_index_read(index, 0) }
        var out: [FlaggedIndexEntry] = []
        for position in 0..<git_index_entrycount(index) {
            guard let entry = git_index_get_byindex(index, position)?.pointee else { continue }
            let assume = UInt32(entry.flags) & UInt32(GIT_INDEX_ENTRY_VALID.rawValue) != 0
            let skip = UInt32(entry.flags_extended) & UInt32(GIT_INDEX_ENTRY_SKIP_WORKTREE.rawValue) != 0
            let intent = UInt32(entry.flags_extended) & UInt32(GIT_INDEX_ENTRY_INTENT_TO_ADD.rawValue) != 0
            guard assume || skip || intent else { continue }
            out.append(FlaggedIndexEntry(path: PathBytes.decode(entry.path), blob: OID(entry.id), mode: entry.mode,
                                         assumeUnchanged: assume, skipWorktree: skip, intentToAdd: intent))
        }
        return out
    }

    /// What an index says about each path, apart from stat data: stage, mode, blob and flags.
    /// Of `.git/index` as it is now, or of `bytes`, the contents of an index file kept elsewhere
    /// (a safety backup's), read by libgit2 from a temporary copy in the git directory.
    public func indexEntrySummaries(ofIndexFile bytes: [UInt8]? = nil) throws(GitError) -> [IndexEntrySummary] {
        var index: OpaquePointer? = nil
        if let bytes {
            var template = Array((gitDirectory + "timeturner-index-XXXXXX").utf8CString)
            let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            guard descriptor >= 0 else { throw Self.osError("create a temporary index in \(gitDirectory)") }
            let path = String(cString: template)
            defer { unlink(path) }
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            close(descriptor)
            guard written == bytes.count else { throw Self.osError("write \(path)") }
            try Libgit2.check("read the index kept in \(path)") { git_index_open(&index, path) }
        } else {
            try Libgit2.check("open the index") { git_repository_index(&index, handle) }
            try Libgit2.check("read the index") { git_index_read(index, 0) }
        }
        defer { git_index_free(index) }
        var out: [IndexEntrySummary] = []
        for position in 0..<git_index_entrycount(index) {
            guard let entry = git_index_get_byindex(index, position)?.pointee else { continue }
            out.append(IndexEntrySummary(
                path: PathBytes.decode(entry.path), stage: Int((UInt32(entry.flags) >> 12) & 0x3), mode: entry.mode, blob: OID(entry.id),
                assumeUnchanged: UInt32(entry.flags) & UInt32(GIT_INDEX_ENTRY_VALID.rawValue) != 0,
                skipWorktree: UInt32(entry.flags_extended) & UInt32(GIT_INDEX_ENTRY_SKIP_WORKTREE.rawValue) != 0,
                intentToAdd: UInt32(entry.flags_extended) & UInt32(GIT_INDEX_ENTRY_INTENT_TO_ADD.rawValue) != 0))
        }
        return out
    }

    /// `.git/index` exactly as it is on disk (version, extensions, flags, stat data), or nil when
    /// there is none. Restoring these bytes gives back what rebuilding an index from a tree loses.
    public func indexFileBytes() -> [UInt8]? {
        readWholeFile(gitDirectory + "index")
    }

    /// Replaces `.git/index` with `bytes` the way git itself writes it: under `index.lock`
    /// (created exclusively, so a running git is never overwritten), synced, then renamed.
    public func replaceIndexFile(with bytes: [UInt8]) throws(GitError) {
        let path = gitDirectory + "index", lock = path + ".lock"
        let descriptor = Glibc.open(lock, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Self.osError("create \(lock)" + (errno == EEXIST ? " (a git command holds the index)" : "")) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                let error = Self.osError("write \(lock)")
                close(descriptor)
                unlink(lock)
                throw error
            }
            offset += written
        }
        guard fsync(descriptor) == 0, close(descriptor) == 0, rename(lock, path) == 0 else {
            let error = Self.osError("write \(path)")
            unlink(lock)
            throw error
        }
    }

    /// Lock files git leaves while it writes (or after it crashed while writing): the index's,
    /// HEAD's and those of the given refs. Any of them makes a rollback refuse before it starts.
    public func gitLockFiles(forReferences references: [String]) -> [String] {
        var candidates = [gitDirectory + "index.lock", gitDirectory + "HEAD.lock"]
        for reference in references where reference.hasPrefix("refs/") {
            candidates.append(commonDirectory + reference + ".lock")
        }
        candidates.append(commonDirectory + "packed-refs.lock")
        return candidates.filter { access($0, F_OK) == 0 }
    }

    /// The other worktrees of this repository whose HEAD is on `branch` (`refs/heads/…`): their
    /// work-tree paths. Git refuses to check a branch out twice; moving it under one would leave
    /// the other silently stale.
    public func otherWorktrees(onBranch branch: String) -> [String] {
        var found: [String] = []
        let ownGitDirectory = Self.normalised(gitDirectory)
        let common = Self.normalised(commonDirectory)
        if ownGitDirectory != common, Self.headFile(common + "/HEAD") == branch, (try? configString("core.bare")) != "true" {
            found.append(common.hasSuffix("/.git") ? String(common.dropLast(5)) : common)
        }
        for name in Self.directoryNames(common + "/worktrees") {
            let directory = common + "/worktrees/" + name
            guard Self.normalised(directory) != ownGitDirectory, Self.headFile(directory + "/HEAD") == branch else { continue }
            let gitFile = readWholeFile(directory + "/gitdir").map { String(decoding: $0, as: UTF8.self) } ?? directory
            let trimmed = gitFile.trimming { $0 == "\n" || $0 == "\r" }
            found.append(trimmed.hasSuffix("/.git") ? String(trimmed.dropLast(5)) : trimmed)
        }
        return found
    }

    /// What is at a work-tree path (not following a final symlink): nil when nothing is.
    public func workTreeEntryIsDirectory(_ relativePath: String) -> Bool? {
        switch workTreeEntryKind(relativePath) {
        case .absent: nil
        case .directory: true
        default: false
        }
    }

    /// Every file and symbolic link under the work-tree directory `relativePath`, as paths from
    /// the work tree's root, subdirectories followed (not symlinked ones); nil when it is not a
    /// directory or cannot be read. For the few directories a rollback turns into a file.
    public func workTreeFiles(under relativePath: String) -> [String]? {
        guard workTreeEntryIsDirectory(relativePath) == true, let root = workTree else { return nil }
        var found: [String] = []
        var pending = [relativePath]
        while let directory = pending.popLast() {
            guard let names = Self.entryNames(atPath: root + directory) else { return nil }
            for name in names {
                let path = directory + "/" + name
                if workTreeEntryIsDirectory(path) == true { pending.append(path) } else { found.append(path) }
            }
        }
        return found
    }

    /// Whether the work-tree directory at `relativePath` holds anything (nil: no such directory).
    /// A submodule's directory that holds its checkout, and perhaps its own `.git`, is not empty.
    public func workTreeDirectoryHoldsEntries(_ relativePath: String) -> Bool? {
        guard workTreeEntryIsDirectory(relativePath) == true, let root = workTree else { return nil }
        return Self.entryNames(atPath: root + relativePath).map { !$0.isEmpty } ?? true
    }

    /// The commit whose id starts with `prefix` (hex, at least 4 digits), or nil when none or several do.
    public func commit(withPrefix prefix: String) -> OID? {
        guard prefix.count >= 4, prefix.count <= 40, prefix.allSatisfy(\.isHexDigit) else { return nil }
        var oid = git_oid()
        guard git_oid_fromstrn(&oid, prefix, prefix.utf8.count) == 0 else { git_error_clear(); return nil }
        var object: OpaquePointer? = nil
        guard git_object_lookup_prefix(&object, handle, &oid, prefix.utf8.count, GIT_OBJECT_ANY) == 0 else { git_error_clear(); return nil }
        defer { git_object_free(object) }
        var peeled: OpaquePointer? = nil
        guard git_object_peel(&peeled, object, GIT_OBJECT_COMMIT) == 0 else { git_error_clear(); return nil }
        defer { git_object_free(peeled) }
        return OID(git_object_id(peeled)!.pointee)
    }

    private static func headFile(_ path: String) -> String? {
        guard let bytes = readWholeFile(path) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self).trimming { $0 == "\n" || $0 == "\r" || $0 == " " }
        return text.hasPrefix("ref: ") ? String(text.dropFirst(5)) : nil
    }

    private static func normalised(_ path: String) -> String {
        var path = path
        while path.hasSuffix("/") { path.removeLast() }
        return path
    }

    private static func directoryNames(_ path: String) -> [String] { entryNames(atPath: path) ?? [] }

    /// The names in the directory at `path`, `.` and `..` left out, byte for byte (names that
    /// are not UTF-8 kept as PathBytes keeps them); nil when it cannot be opened. The one
    /// directory reader of this file.
    static func entryNames(atPath path: String) -> [String]? {
        guard let directory = PathBytes.withCString(path, { opendir($0) }) else { return nil }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name != [0x2E] && name != [0x2E, 0x2E] { names.append(PathBytes.decode(name)) }
        }
        return names
    }

    static func osError(_ operation: String, code: GitError.Code = .other(-1)) -> GitError {
        GitError(operation: operation, code: code, message: String(cString: strerror(errno)))
    }
}
