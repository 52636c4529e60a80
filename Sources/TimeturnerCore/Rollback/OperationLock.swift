internal import FoundationEssentials
internal import Glibc
public import GitKit

/// Who holds `.git/timeturner/lock`: written once, with O_EXCL, by the process that took it.
public struct LockHolder: Sendable, Equatable {
    public let pid: Int32
    public let host: String
    public let start: Timestamp
    public let operation: String
    public let id: String
    /// The lock file is empty or unreadable and old: its process was killed between creating
    /// the file and writing it (a live holder writes it right after creating it).
    public let abandoned: Bool
    /// A guard's lock says until when it watches (its window plus a margin): past it, the guard
    /// counts as gone even if its process cannot be seen, so it never stays pending forever.
    public let deadline: Timestamp?

    var json: JSONValue {
        var fields: [String: JSONValue] = ["pid": .int(Int64(pid)), "host": .string(host), "start": .string(start.rfc3339),
                                           "operation": .string(operation), "id": .string(id)]
        if let deadline { fields["deadline"] = .string(deadline.rfc3339) }
        return .object(fields)
    }

    init(pid: Int32, host: String, start: Timestamp, operation: String, id: String, abandoned: Bool = false, deadline: Timestamp? = nil) {
        self.pid = pid
        self.host = host
        self.start = start
        self.operation = operation
        self.id = id
        self.abandoned = abandoned
        self.deadline = deadline
    }

    /// How long an unreadable lock file must be left unchanged before it counts as abandoned.
    /// The holder writes its line immediately after creating the file, so this is generous.
    static let abandonedAfterSeconds: Int64 = 60

    init?(json: JSONValue) {
        guard let pid = json["pid"]?.intValue, let host = json["host"]?.stringValue,
              let start = json["start"]?.stringValue.flatMap(Timestamp.init(rfc3339:)),
              let operation = json["operation"]?.stringValue else { return nil }
        self.init(pid: Int32(truncatingIfNeeded: pid), host: host, start: start, operation: operation,
                  id: json["id"]?.stringValue ?? "", deadline: json["deadline"]?.stringValue.flatMap(Timestamp.init(rfc3339:)))
    }

    /// The holder a lock file at `path` names; nil when it is missing or does not read.
    static func written(at path: String) -> LockHolder? {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path)),
              let value = try? JSONDecoder().decode(JSONValue.self, from: data) else { return nil }
        return LockHolder(json: value)
    }

    /// Whether the holder is a process on this host that no longer exists. A holder on another
    /// host (a shared file system) is never judged stale: we cannot see its processes.
    public var isStale: Bool {
        if abandoned { return true }
        if let deadline, Timestamp.now().secondsSinceEpoch > deadline.secondsSinceEpoch { return true }
        guard host == OperationDirectory.hostName else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    public var description: String {
        if abandoned {
            return "an unreadable lock (empty or corrupt, unchanged since \(start.rfc3339)) left by a process killed while taking it"
        }
        return "\(operation) \(id) (pid \(pid) on \(host), since \(start.rfc3339))"
    }
}

/// `.git/timeturner/` of this worktree: the lock and the in-progress state. Never committed,
/// never pushed; per worktree because each worktree has its own HEAD and index.
public struct OperationDirectory: Sendable {
    public let path: String

    public init(repository: Repository) {
        var gitDirectory = repository.gitDirectory
        if gitDirectory.hasSuffix("/") { gitDirectory.removeLast() }
        path = gitDirectory + "/timeturner"
    }

    public var lockPath: String { path + "/lock" }
    /// The records of the operation in progress (`StateLog`).
    public var statePath: String { path + "/state.jsonl" }
    /// Where earlier versions kept the state, one JSON document: read, never written.
    public var legacyStatePath: String { path + "/state.json" }

    static let hostName: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    // MARK: - Lock

    /// Takes the lock or throws `.locked` naming the holder. Waits a bounded time for a live
    /// holder (a short operation such as `undo` may be about to finish); a stale lock is
    /// reported at once with the command that clears it. A live lock is never broken.
    public func acquire(operation: String, id: String, now: Timestamp, wait: TimeSpan = TimeSpan(seconds: 2),
                        deadline: Timestamp? = nil) throws(TimeturnerError) -> OperationLock {
        let holder = LockHolder(pid: getpid(), host: OperationDirectory.hostName, start: now, operation: operation, id: id, deadline: deadline)
        let bytes = Array((holder.json.canonicalLine + "\n").utf8)
        let deadline = ContinuousClock.now + .seconds(wait.seconds)
        while true {
            let descriptor = LocalFile.createExclusively(lockPath)
            if descriptor >= 0 {
                let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
                close(descriptor)
                guard written == bytes.count else {
                    let reason = written < 0 ? String(cString: strerror(errno)) : "short write"
                    unlink(lockPath)
                    throw TimeturnerError(.failure, "could not write the lock \(lockPath): \(reason)", hint: "check the free space of \(path)")
                }
                return OperationLock(path: lockPath, holder: holder, directory: path)
            }
            guard errno == EEXIST else {
                throw TimeturnerError(.failure, "could not create the lock \(lockPath): \(String(cString: strerror(errno)))",
                                      hint: "the tool keeps its lock and progress in \(path); check the permissions and free space of \(path.dropLast("/timeturner".count))")
            }
            let current = currentHolder()
            if let current, current.isStale {
                // A holder that has just finished removed its lock after we read it and exited
                // before we looked for its process: read the lock again before calling it stale.
                guard currentHolder() == current else { continue }
                throw TimeturnerError(.locked, "\(lockPath) is left over from \(current.description), which no longer runs",
                                      hint: "run 'git timeturner recover' to finish or undo what it was doing and clear the lock")
            }
            if ContinuousClock.now >= deadline {
                guard let current else {
                    throw TimeturnerError(.locked, "another timeturner operation may hold the lock: \(unreadableLockDescription)",
                                          hint: unreadableLockHint)
                }
                throw TimeturnerError(.locked, "another timeturner operation holds \(lockPath): \(current.description)",
                                      hint: "wait for it to finish ('git timeturner status' shows its progress); a lock of a live process is never broken")
            }
            usleep(100_000)
        }
    }

    public func currentHolder() -> LockHolder? { holder(at: lockPath) }

    private func holder(at lockPath: String) -> LockHolder? {
        if let holder = LockHolder.written(at: lockPath) { return holder }
        // Unreadable: being written this very moment, or abandoned by a process killed between
        // creating and writing it. Only an old one is abandoned; without this, nothing (not even
        // recover) could ever clear it.
        var info = stat()
        guard stat(lockPath, &info) == 0 else { return nil }
        let modified = Int64(info.st_mtim.tv_sec)
        guard Timestamp.now().secondsSinceEpoch - modified >= LockHolder.abandonedAfterSeconds else { return nil }
        return LockHolder(pid: 0, host: OperationDirectory.hostName, start: Timestamp(secondsSinceEpoch: modified),
                          operation: "unknown", id: "", abandoned: true)
    }

    public var lockExists: Bool { access(lockPath, F_OK) == 0 }

    /// A lock file that exists but names no holder (empty or not JSON) and is younger than
    /// `LockHolder.abandonedAfterSeconds`: an operation taking it this instant, or one killed
    /// between creating and writing it. The words every command uses for it.
    public var unreadableLockDescription: String {
        "its lock file \(lockPath) cannot be read (empty or corrupt): an operation is taking the lock this instant, or one was killed while taking it"
    }

    public var unreadableLockHint: String {
        "if no timeturner command is running, the lock counts as abandoned \(LockHolder.abandonedAfterSeconds) s after it was last written; then 'git timeturner recover' clears it"
    }

    /// Removes a lock whose holder is gone. Refuses a live one.
    public func clearStaleLock() throws(TimeturnerError) -> LockHolder? {
        guard lockExists else { return nil }
        let holder = currentHolder()
        guard let holder else { throw TimeturnerError(.locked, "the lock may be held: \(unreadableLockDescription)", hint: unreadableLockHint) }
        guard holder.isStale else {
            throw TimeturnerError(.locked, "\(lockPath) is held by \(holder.description)", hint: "wait for it to finish; a live lock is never broken")
        }
        // Another process may have cleared this same lock since we read it, and a new operation
        // taken the lock: removing whatever is at the path would break that live lock. So the lock
        // is moved aside (one atomic rename), and removed only if it is the one judged stale;
        // anything else is put back (`link` does not replace a lock taken meanwhile).
        let aside = lockPath + ".clearing.\(getpid())"
        guard rename(lockPath, aside) == 0 else {
            if errno == ENOENT { return holder }  // cleared by another process already
            throw TimeturnerError(.failure, "could not remove the stale lock \(lockPath): \(String(cString: strerror(errno)))",
                                  hint: "check the permissions of \(path)")
        }
        if self.holder(at: aside) == holder {
            unlink(aside)
            return holder
        }
        let taken = self.holder(at: aside)
        link(aside, lockPath)
        unlink(aside)
        throw TimeturnerError(.locked, "\(lockPath) was taken by \(taken?.description ?? "another operation") while its stale lock was being cleared",
                              hint: "wait for it to finish; a live lock is never broken")
    }
}

/// A held lock; `release` removes the file. Not released on a crash, on purpose: the stale lock
/// and `state.jsonl` are how the next run learns that something was interrupted.
public struct OperationLock: Sendable {
    let path: String
    public let holder: LockHolder
    /// `.git/timeturner/`, removed on release if that leaves it empty: an operation that wrote
    /// nothing else there (a rollback with nothing to do says "nothing was written") leaves no
    /// empty directory behind. `rmdir` removes only an empty directory, so whatever another
    /// process keeps there (its lock, the clone id, tier artifacts) keeps it; a process between
    /// its mkdir and its create makes it again (`LocalFile.createExclusively`,
    /// `LocalFile.makeDirectories`).
    let directory: String?

    init(path: String, holder: LockHolder, directory: String? = nil) {
        self.path = path
        self.holder = holder
        self.directory = directory
    }

    /// Removes the file if it is still this holder's. A lock whose deadline passed (a guard left
    /// waiting at its prompt) may meanwhile have been cleared as stale and taken by another
    /// operation, whose lock this must not remove.
    func release() {
        guard LockHolder.written(at: path)?.id == holder.id else { return }
        unlink(path)
        if let directory { rmdir(directory) }
    }

    /// Releases the lock (a guard hands it over before its rollback takes it again).
    public func releaseLock() { release() }
}

