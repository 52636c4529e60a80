internal import CLibgit2

/// One line of a reflog: a reference moved from `old` to `new` at `time`.
public struct ReflogEntry: Sendable, Equatable {
    public let old: OID
    public let new: OID
    /// Seconds since the epoch, as the committer line of the entry says.
    public let time: Int64
    public let message: String
}

extension Repository {
    /// The reflog of `reference` (e.g. `HEAD`), newest first; empty when it has none (reflogs are
    /// off in bare repositories by default, and `git reflog expire` may have emptied it).
    public func reflog(of reference: String) throws(GitError) -> [ReflogEntry] {
        var log: OpaquePointer? = nil
        try Libgit2.check("read the reflog of \(reference)") { git_reflog_read(&log, handle, reference) }
        defer { git_reflog_free(log) }
        let count = git_reflog_entrycount(log)
        var entries: [ReflogEntry] = []
        entries.reserveCapacity(count)
        // Index 0 is the newest entry.
        for index in 0..<count {
            guard let entry = git_reflog_entry_byindex(log, index) else { continue }
            let time = git_reflog_entry_committer(entry).map { Int64($0.pointee.when.time) } ?? 0
            let message = git_reflog_entry_message(entry).map { String(cString: $0) } ?? ""
            entries.append(ReflogEntry(old: OID(git_reflog_entry_id_old(entry).pointee), new: OID(git_reflog_entry_id_new(entry).pointee),
                                       time: time, message: message))
        }
        return entries
    }
}
