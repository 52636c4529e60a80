internal import CLibgit2

extension Repository {
    /// The note attached to `target` under `notesRef`, byte for byte, or nil when there is none.
    ///
    /// Read from the note's blob, not `git_note_message`: that is a C string, which ends at the
    /// first NUL byte, and turning it into a `String` would replace invalid UTF-8. Notes written by
    /// hand or by other tools can contain both, and every byte must be seen and kept.
    public func noteBytes(on target: OID, notesRef: String) throws(GitError) -> [UInt8]? {
        var note: OpaquePointer? = nil
        var raw = target.raw
        let result = git_note_read(&note, handle, notesRef, &raw)
        if result == GIT_ENOTFOUND.rawValue { git_error_clear(); return nil }
        try Libgit2.check("read note on \(target.short) in \(notesRef)") { result }
        defer { git_note_free(note) }
        return try blobContent(OID(git_note_id(note).pointee))
    }

    /// The note on `target` as of one notes commit (not necessarily the ref's current value):
    /// its blob and its path in the notes tree (which may be fanned out as `ab/cdef…`).
    func storedNote(on target: OID, inNotesCommit notesCommit: OID) throws(GitError) -> (path: String, blob: OID)? {
        var commit: OpaquePointer? = nil
        var commitRaw = notesCommit.raw
        try Libgit2.check("look up notes commit \(notesCommit.hex)") { git_commit_lookup(&commit, handle, &commitRaw) }
        defer { git_commit_free(commit) }
        var note: OpaquePointer? = nil
        var raw = target.raw
        let result = git_note_commit_read(&note, handle, commit, &raw)
        if result == GIT_ENOTFOUND.rawValue { git_error_clear(); return nil }
        try Libgit2.check("read note on \(target.short)") { result }
        defer { git_note_free(note) }
        let blob = OID(git_note_id(note).pointee)
        let tree = OID(git_commit_tree_id(commit).pointee)
        // git fans notes out into two-character directories as they grow; find the level used.
        let hex = target.hex
        for level in 0..<(hex.count / 2) {
            var path = ""
            var rest = Substring(hex)
            for _ in 0..<level {
                path += rest.prefix(2) + "/"
                rest = rest.dropFirst(2)
            }
            path += rest
            if try treeEntry(path, in: tree) == blob { return (path, blob) }
        }
        throw GitError(operation: "find the note on \(target.short) in notes commit \(notesCommit.short)", code: .notFound,
                       message: "libgit2 read a note that is at no path of the notes tree")
    }

    /// Appends `text` to the note on `target`, safely under concurrency.
    ///
    /// `git_note_create` (and `git notes add`) overwrite the notes ref without checking its old
    /// value, so concurrent writers silently lose notes. Instead each attempt builds a new notes
    /// commit on top of the current one with `git_note_commit_create` and moves the notes ref with
    /// compare-and-swap, retrying on contention. The existing note is kept byte for byte; `text`
    /// goes after it on a new line.
    @discardableResult
    public func appendToNote(on target: OID, notesRef: String, text: String, signature: Signature,
                             policy: RetryPolicy = .standard) throws(UpdateError<GitError>) -> OID {
        try updateReference(notesRef, logMessage: "notes: append on \(target.short)", policy: policy) {
            (current: OID?) throws(GitError) -> OID in
            guard let current, let existing = try storedNote(on: target, inNotesCommit: current) else {
                return try noteCommit(parent: current, target: target, content: text, signature: signature)
            }
            // The existing note is kept as bytes and the new blob put at the same path, because
            // `git_note_commit_create` takes a C string: a NUL or invalid UTF-8 in someone
            // else's line would silently cut or change everything after it.
            var content = try blobContent(existing.blob)
            if !content.isEmpty && content.last != UInt8(ascii: "\n") { content.append(UInt8(ascii: "\n")) }
            content += Array(text.utf8)
            let blob = try createBlob(content)
            let tree = try tree(try commit(current).tree, settingBlobs: [(existing.path, blob)])
            return try createCommit(tree: tree, parents: [current], author: signature, committer: signature,
                                    message: "Notes appended on \(target.hex)\n")
        }
    }

    /// Writes a notes commit whose parent is `parent` and whose note on `target` is `content`.
    /// Moves no reference.
    public func noteCommit(parent: OID?, target: OID, content: String, signature: Signature) throws(GitError) -> OID {
        var parentPointer: OpaquePointer? = nil
        if let parent {
            var raw = parent.raw
            try Libgit2.check("look up notes commit \(parent.hex)") { git_commit_lookup(&parentPointer, handle, &raw) }
        }
        defer { git_commit_free(parentPointer) }
        var commitOut = git_oid(), blobOut = git_oid()
        var targetRaw = target.raw
        try signature.withRaw { (sig) throws(GitError) in
            try Libgit2.check("write note on \(target.short)") {
                git_note_commit_create(&commitOut, &blobOut, handle, parentPointer, sig, sig, &targetRaw, content, 1)
            }
        }
        return OID(commitOut)
    }
}
