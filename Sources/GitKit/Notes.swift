internal import CLibgit2

extension Repository {
    /// The note attached to `target` under `notesRef`, or nil when there is none.
    public func note(on target: OID, notesRef: String) throws(GitError) -> String? {
        var note: OpaquePointer? = nil
        var raw = target.raw
        let result = git_note_read(&note, handle, notesRef, &raw)
        if result == GIT_ENOTFOUND.rawValue { git_error_clear(); return nil }
        try Libgit2.check("read note on \(target.short) in \(notesRef)") { result }
        defer { git_note_free(note) }
        return git_note_message(note).map { String(cString: $0) } ?? ""
    }

    /// The note on `target` as of one notes commit (not necessarily the ref's current value).
    public func note(on target: OID, inNotesCommit notesCommit: OID) throws(GitError) -> String? {
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
        return git_note_message(note).map { String(cString: $0) } ?? ""
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
            var content = ""
            if let current, let existing = try note(on: target, inNotesCommit: current) {
                content = existing
                if !content.isEmpty && !content.hasSuffix("\n") { content += "\n" }
            }
            content += text
            return try noteCommit(parent: current, target: target, content: content, signature: signature)
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
