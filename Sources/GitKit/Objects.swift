internal import CLibgit2
internal import Glibc

/// A commit, copied out of libgit2.
public struct Commit: Equatable, Sendable {
    public let id: OID
    public let tree: OID
    public let parents: [OID]
    public let author: Signature
    public let committer: Signature
    /// The full message as stored, less any line feeds it starts with (libgit2 drops them).
    public let message: String

    /// The first paragraph folded onto one line, as `git log --format=%s` shows it: leading
    /// blank lines skipped, the paragraph ends at the first line that is empty or only white
    /// space, each line loses its trailing white space (a CR too) and keeps its leading white space.
    ///
    /// Worked on the UTF-8 bytes: splitting the `String` by `Character` cost ~47,000 instructions
    /// a commit (grapheme breaking) in a plan that names 50, and it never split at `"\r\n"`,
    /// which is one `Character`.
    public var summary: String {
        var message = message
        return message.withUTF8 { bytes in
            var lines: [UnsafeBufferPointer<UInt8>.SubSequence] = []
            var start = bytes.startIndex
            while start < bytes.endIndex {
                let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
                var line = bytes[start..<end]
                while let last = line.last, Commit.isSpace(last) { line = line.dropLast() }
                if line.isEmpty {
                    if !lines.isEmpty { break }  // the blank line that ends the first paragraph
                } else {
                    lines.append(line)
                }
                start = end + 1
            }
            var out: [UInt8] = []
            for (index, line) in lines.enumerated() {
                if index > 0 { out.append(UInt8(ascii: " ")) }
                out.append(contentsOf: line)
            }
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// C's `isspace` in the "C" locale, which git's `is_blank_line` trims with.
    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0d).contains(byte)
    }
}

/// An annotated tag object, copied out of libgit2.
public struct AnnotatedTag: Equatable, Sendable {
    public let id: OID
    public let name: String
    public let target: OID
    public let targetIsCommit: Bool
    public let tagger: Signature?
    public let message: String
}

extension Repository {
    // MARK: - Resolving names

    /// Resolves a revision (`HEAD`, `main~3`, an abbreviated id, a tag…) to the commit it names.
    /// Throws `.notFound`, `.ambiguous` or `.invalidSpec` with libgit2's message.
    public func resolveCommit(_ revision: String) throws(GitError) -> OID {
        var object: OpaquePointer? = nil
        try Libgit2.check("resolve revision '\(revision)'") { git_revparse_single(&object, handle, revision) }
        defer { git_object_free(object) }
        var peeled: OpaquePointer? = nil
        guard git_object_peel(&peeled, object, GIT_OBJECT_COMMIT) == 0 else {
            // The revision names an object, but a blob or a tree (`HEAD:file`, `HEAD^{tree}`):
            // say that, rather than libgit2's "not found", which read as "no such commit".
            let kind = String(cString: git_object_type2string(git_object_type(object)))
            git_error_clear()
            throw GitError(operation: "resolve revision '\(revision)'", code: .other(-1),
                           message: "'\(revision)' names a \(kind) (\(OID(git_object_id(object).pointee).short)), not a commit")
        }
        defer { git_object_free(peeled) }
        return OID(git_object_id(peeled).pointee)
    }

    /// The commit HEAD points at. Throws `.unbornBranch` in a repository without commits.
    public func headCommit() throws(GitError) -> OID {
        var oid = git_oid()
        try Libgit2.check("resolve HEAD") { git_reference_name_to_id(&oid, handle, "HEAD") }
        return OID(oid)
    }

    /// The shortest unambiguous abbreviation of `id` (at least 7 hex digits).
    public func shortID(_ id: OID) -> String {
        var object: OpaquePointer? = nil
        var raw = id.raw
        guard git_object_lookup(&object, handle, &raw, GIT_OBJECT_ANY) == 0 else { git_error_clear(); return id.short }
        defer { git_object_free(object) }
        var buffer = git_buf()
        guard git_object_short_id(&buffer, object) == 0 else { git_error_clear(); return id.short }
        defer { git_buf_dispose(&buffer) }
        return String(cString: buffer.ptr)
    }

    /// Whether the object can be read whole: present, and its data inflates (`objectExists`
    /// only looks it up).
    public func canRead(_ id: OID) -> Bool {
        withObjectDatabase { (odb) in
            var raw = id.raw, object: OpaquePointer? = nil
            guard git_odb_read(&object, odb, &raw) == 0 else { git_error_clear(); return false }
            git_odb_object_free(object)
            return true
        } ?? false
    }

    /// The changes whose new blob cannot be read (damaged or missing): after a checkout failed,
    /// whose libgit2 error names only the tree, these are the files it could not write.
    public func unreadableBlobs(in changes: [TreeChange]) -> [TreeChange] {
        changes.filter { change in
            guard change.newMode != 0o160000, let id = change.newID else { return false }
            return !canRead(id)
        }
    }

    /// Whether the object's header reads: present, and (loose) its first bytes inflate. Catches
    /// what a crash most often leaves, an empty or truncated loose object, without inflating the
    /// whole object; a packed object damaged past its header reads here and fails in full.
    public func headerReads(_ id: OID) -> Bool {
        objectHeader(id) != nil
    }

    /// The object's size and type from its header, or nil when that does not read.
    func objectHeader(_ id: OID) -> (size: Int, type: git_object_t)? {
        withObjectDatabase { (odb) -> (size: Int, type: git_object_t)? in
            var raw = id.raw, size = 0, type = GIT_OBJECT_INVALID
            guard git_odb_read_header(&size, &type, odb, &raw) == 0 else { git_error_clear(); return nil }
            return (size, type)
        } ?? nil
    }

    public func objectExists(_ id: OID) -> Bool {
        withObjectDatabase { (odb) in
            var raw = id.raw
            return git_odb_exists(odb, &raw) == 1
        } ?? false
    }

    /// The repository's object database for `body`; nil when libgit2 cannot give it (for an
    /// open repository it always can). `git_repository_odb` hands out the handle's own.
    func withObjectDatabase<T>(_ body: (OpaquePointer) -> T) -> T? {
        var odb: OpaquePointer? = nil
        guard git_repository_odb(&odb, handle) == 0, let odb else { git_error_clear(); return nil }
        defer { git_odb_free(odb) }
        return body(odb)
    }

    // MARK: - Commits

    public func commit(_ id: OID) throws(GitError) -> Commit {
        var pointer: OpaquePointer? = nil
        var raw = id.raw
        try Libgit2.check("look up commit \(id.hex)") { git_commit_lookup(&pointer, handle, &raw) }
        defer { git_commit_free(pointer) }
        let count = git_commit_parentcount(pointer)
        let parents = (0..<count).map { OID(git_commit_parent_id(pointer, $0).pointee) }
        return Commit(
            id: id,
            tree: OID(git_commit_tree_id(pointer).pointee),
            parents: parents,
            author: Signature(git_commit_author(pointer)),
            committer: Signature(git_commit_committer(pointer)),
            message: git_commit_message(pointer).map { String(cString: $0) } ?? ""
        )
    }

    /// Whether `ancestor` is reachable from `descendant` (a commit counts as its own ancestor).
    /// For many questions about one descendant, `AncestorSet` walks once for all of them.
    public func isAncestor(_ ancestor: OID, of descendant: OID) throws(GitError) -> Bool {
        if ancestor == descendant { return true }
        return try AncestorSet(of: descendant, in: self).contains(ancestor)
    }

    /// Writes a commit object without moving any reference (callers move refs with compare-and-swap).
    public func createCommit(tree: OID, parents: [OID], author: Signature, committer: Signature,
                             message: String) throws(GitError) -> OID {
        var treePointer: OpaquePointer? = nil
        var treeRaw = tree.raw
        try Libgit2.check("look up tree \(tree.hex)") { git_tree_lookup(&treePointer, handle, &treeRaw) }
        defer { git_tree_free(treePointer) }
        var parentPointers: [OpaquePointer?] = []
        defer { parentPointers.forEach { git_commit_free($0) } }
        for parent in parents {
            var pointer: OpaquePointer? = nil
            var raw = parent.raw
            try Libgit2.check("look up commit \(parent.hex)") { git_commit_lookup(&pointer, handle, &raw) }
            parentPointers.append(pointer)
        }
        var out = git_oid()
        try author.withRaw { (authorRaw) throws(GitError) in
            try committer.withRaw { (committerRaw) throws(GitError) in
                try Libgit2.check("write commit") {
                    parentPointers.withUnsafeMutableBufferPointer { buffer in
                        git_commit_create(&out, handle, nil, authorRaw, committerRaw, "UTF-8", message,
                                          treePointer, parents.count, buffer.baseAddress)
                    }
                }
            }
        }
        return OID(out)
    }

    // MARK: - Tags

    /// Writes an annotated tag object for `target` without creating any ref under `refs/tags/`.
    public func createAnnotatedTagObject(name: String, target: OID, tagger: Signature,
                                         message: String) throws(GitError) -> OID {
        var object: OpaquePointer? = nil
        var raw = target.raw
        try Libgit2.check("look up \(target.hex)") { git_object_lookup(&object, handle, &raw, GIT_OBJECT_ANY) }
        defer { git_object_free(object) }
        var out = git_oid()
        try tagger.withRaw { (taggerRaw) throws(GitError) in
            try Libgit2.check("write tag object '\(name)'") {
                git_tag_annotation_create(&out, handle, name, object, taggerRaw, message)
            }
        }
        return OID(out)
    }

    /// Reads an annotated tag object. Throws `.notFound` when `id` is not a tag.
    ///
    /// Reads the raw object once and parses it in Swift (`AnnotatedTag(id:parsing:)`); a tag in
    /// a shape that parser leaves alone is read through libgit2's `git_tag_lookup` instead.
    public func annotatedTag(_ id: OID) throws(GitError) -> AnnotatedTag {
        if let tag = try withRawObject(id, { AnnotatedTag(id: id, parsing: $0) }) { return tag }
        return try annotatedTagThroughLibgit2(id)
    }

    /// Reads one tag object through the object database and hands `body` its raw bytes, which
    /// are only valid during the call. Throws `.notFound` when `id` is missing or not a tag.
    func withRawObject<T>(_ id: OID, _ body: (UnsafeRawBufferPointer) -> T) throws(GitError) -> T {
        var odb: OpaquePointer? = nil
        try Libgit2.check("open the object database") { git_repository_odb(&odb, handle) }
        defer { git_odb_free(odb) }
        var object: OpaquePointer? = nil
        var raw = id.raw
        try Libgit2.check("look up tag \(id.hex)") { git_odb_read(&object, odb, &raw) }
        defer { git_odb_object_free(object) }
        guard git_odb_object_type(object) == GIT_OBJECT_TAG else {
            throw GitError(operation: "look up tag \(id.hex)", code: .notFound,
                           message: "the requested type does not match the type in the ODB")
        }
        return body(UnsafeRawBufferPointer(start: git_odb_object_data(object), count: git_odb_object_size(object)))
    }

    /// libgit2's own tag parser: for tags outside the narrow shape `AnnotatedTag(id:parsing:)`
    /// accepts, and the reference its tests compare against.
    func annotatedTagThroughLibgit2(_ id: OID) throws(GitError) -> AnnotatedTag {
        var pointer: OpaquePointer? = nil
        var raw = id.raw
        try Libgit2.check("look up tag \(id.hex)") { git_tag_lookup(&pointer, handle, &raw) }
        defer { git_tag_free(pointer) }
        return AnnotatedTag(
            id: id,
            name: String(cString: git_tag_name(pointer)),
            target: OID(git_tag_target_id(pointer).pointee),
            targetIsCommit: git_tag_target_type(pointer) == GIT_OBJECT_COMMIT,
            tagger: git_tag_tagger(pointer).map { Signature($0) },
            message: git_tag_message(pointer).map { String(cString: $0) } ?? ""
        )
    }

    // MARK: - Blobs and trees

    public func createBlob(_ bytes: [UInt8]) throws(GitError) -> OID {
        var out = git_oid()
        try Libgit2.check("write blob") {
            bytes.withUnsafeBytes { git_blob_create_from_buffer(&out, handle, $0.baseAddress, $0.count) }
        }
        return OID(out)
    }

    public func blobContent(_ id: OID) throws(GitError) -> [UInt8] {
        var pointer: OpaquePointer? = nil
        var raw = id.raw
        try Libgit2.check("look up blob \(id.hex)") { git_blob_lookup(&pointer, handle, &raw) }
        defer { git_blob_free(pointer) }
        let size = Int(git_blob_rawsize(pointer))
        guard size > 0, let content = git_blob_rawcontent(pointer) else { return [] }
        return Array(UnsafeRawBufferPointer(start: content, count: size))
    }

    /// The id of the entry at `path` inside `tree`, or nil when there is none.
    public func treeEntry(_ path: String, in tree: OID) throws(GitError) -> OID? {
        var treePointer: OpaquePointer? = nil
        var raw = tree.raw
        try Libgit2.check("look up tree \(tree.hex)") { git_tree_lookup(&treePointer, handle, &raw) }
        defer { git_tree_free(treePointer) }
        var entry: OpaquePointer? = nil
        let result = PathBytes.withCString(path) { git_tree_entry_bypath(&entry, treePointer, $0) }
        if result == GIT_ENOTFOUND.rawValue { git_error_clear(); return nil }
        try Libgit2.check("look up \(path) in tree \(tree.hex)") { result }
        defer { git_tree_entry_free(entry) }
        return OID(git_tree_entry_id(entry).pointee)
    }

    /// Names of the entries directly inside the tree at `path` of `tree` (empty when missing).
    public func treeEntryNames(_ path: String, in tree: OID) throws(GitError) -> [String] {
        let directory: OID
        if path.isEmpty { directory = tree } else {
            guard let id = try treeEntry(path, in: tree) else { return [] }
            directory = id
        }
        var pointer: OpaquePointer? = nil
        var raw = directory.raw
        guard git_tree_lookup(&pointer, handle, &raw) == 0 else { git_error_clear(); return [] }
        defer { git_tree_free(pointer) }
        return (0..<git_tree_entrycount(pointer)).map {
            String(cString: git_tree_entry_name(git_tree_entry_byindex(pointer, $0)))
        }
    }

    /// A copy of `base` (or, when nil, of nothing) with each path set to a regular-file blob.
    /// Intermediate directories are created as needed.
    ///
    /// Writes only the trees the result reaches. With no base, libgit2 starts from an empty
    /// builder in memory: writing the empty tree first to start from, as this once did, left
    /// it dangling in every repository's first registry commit (`git fsck` reported it).
    public func tree(_ base: OID?, settingBlobs updates: [(path: String, blob: OID)]) throws(GitError) -> OID {
        try tree(base, settingEntries: updates.map { ($0.path, $0.blob, 0o100644) })
    }

    /// The same, each entry with its git file mode (0o100644, 0o100755 or 0o120000 for a symlink).
    public func tree(_ base: OID?, settingEntries updates: [(path: String, blob: OID, mode: UInt32)]) throws(GitError) -> OID {
        var basePointer: OpaquePointer? = nil
        if let base {
            var baseRaw = base.raw
            try Libgit2.check("look up tree \(base.hex)") { git_tree_lookup(&basePointer, handle, &baseRaw) }
        }
        defer { git_tree_free(basePointer) }
        // git_tree_update keeps a borrowed path pointer, so the C strings must outlive the call.
        let paths = updates.map { PathBytes.duplicate($0.path) }
        defer { paths.forEach { $0.deallocate() } }
        var raw = updates.enumerated().map { index, update in
            git_tree_update(action: GIT_TREE_UPDATE_UPSERT, id: update.blob.raw,
                            filemode: git_filemode_t(rawValue: update.mode), path: paths[index])
        }
        var out = git_oid()
        try Libgit2.check("write tree") {
            git_tree_create_updated(&out, handle, basePointer, raw.count, &raw)
        }
        return OID(out)
    }
}
