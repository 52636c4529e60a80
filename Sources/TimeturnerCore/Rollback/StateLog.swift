internal import Glibc

/// `.git/timeturner/state.jsonl`, written by the operation holding the lock: one JSON object per
/// line, each the whole `OperationState` as it was before a step, appended and never rewritten.
/// The newest whole line is the state (`OperationDirectory.readState`).
///
/// Appending replaced writing a temporary file and renaming it over `state.json` for every record
/// (seven per rollback): no file is created but the first, no rename (which ext4 follows with a
/// write-back of the renamed file, synced or not), and a durable record costs one `fdatasync`
/// instead of an `fsync` of the file and one of the directory. What a crash can leave:
///
/// - a last line cut short, without its newline (the process died or the power failed while it
///   was being written): readers skip it, so the state is the record before, the one the step
///   before wrote. That is what the write-ahead rule allows for: the step it was written for had
///   not started (records are written before their step), and every record a change depends on
///   was synced before that change (`RollbackStep.recordsDurably`).
/// - after a power loss, fewer lines (the ones not synced): the same, further back.
///
/// A write that fails part way (the disk full) is cut back to the last whole line, so the next
/// record is not glued to the half of one.
final class StateLog {
    let path: String
    private let directory: String
    private var descriptor: Int32 = -1
    /// Bytes of whole records written so far.
    private var size: off_t = 0
    /// Whether the directory entry of the file is known to be on disk.
    private var entrySynced = false

    init(path: String) {
        self.path = path
        directory = LocalFile.parentDirectory(of: path)
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    func append(_ state: OperationState, durable: Bool) throws(TimeturnerError) {
        try openIfNeeded()
        let bytes = Array((state.json.canonicalLine + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                let number = written == 0 ? EIO : errno
                if offset > 0 { _ = ftruncate(descriptor, size) }
                throw failure("append a record", number)
            }
            offset += written
        }
        size += off_t(bytes.count)
        guard durable else { return }
        guard LocalFile.retryingOnInterrupt({ fdatasync(descriptor) }) == 0 else { throw failure("sync it to disk", errno) }
        if !entrySynced {
            try LocalFile.syncDirectory(directory, of: path)
            entrySynced = true
        }
    }

    /// The first record of an operation starts the file afresh. Whatever was there could not be
    /// read as a state (the preflight, under the lock, refuses to start while a readable one is
    /// there for `recover`), and text after it would make the new records unreadable.
    private func openIfNeeded() throws(TimeturnerError) {
        guard descriptor < 0 else { return }
        try LocalFile.makeDirectories(directory)
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw failure("create it", errno) }
    }

    private func failure(_ step: String, _ number: Int32) -> TimeturnerError {
        TimeturnerError(.failure, "could not write \(path)",
                        hint: "the tool records the progress of a rollback there; check the free space and permissions of \(directory)",
                        causes: ["\(step): " + LocalFile.describeErrno(number)])
    }
}
