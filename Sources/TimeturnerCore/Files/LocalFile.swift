// Public only for `mode_t` in writeAtomically's signature.
public import Glibc

/// The few file-system operations the domain needs (trust records, snapshots, dumps), over
/// POSIX calls so that Core stays free of Foundation.
public enum LocalFile {
    /// The whole file, or nil when it does not exist or cannot be read.
    public static func read(_ path: String) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        return readAll(from: descriptor)
    }

    /// Everything left to read from an open descriptor (a file, or standard input for `-`),
    /// or nil on a read error (errno says which).
    public static func readAll(from descriptor: Int32) -> [UInt8]? {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { return out }
            out.append(contentsOf: buffer[0..<count])
        }
    }

    /// Replaces the file at `path` with `bytes` so that a reader, a crash or a power cut sees the
    /// old content or the new one, never a mix, and so that the new content survives a crash
    /// once this returns. The one atomic write of the project (trust records, state files).
    ///
    /// A temporary file in the same directory (rename is atomic only within one file system),
    /// written in a loop (short writes, EINTR), fsync'd, renamed over `path`, then the
    /// directory fsync'd so that the rename itself is on disk. On every failure the temporary
    /// is removed and `path` is untouched; the error names the path, the step and the
    /// operating system's error. `mode` is the new file's permission bits, less the umask,
    /// as with `open(2)`. `durable: false` skips both fsyncs, for a file rewritten after every
    /// measurement that nothing needs after a crash (a guard's status): still never a mix, but a
    /// crash may leave the old content, and it costs no disk flush per write.
    /// `makingParent`: the parent directory is made if missing (`createExclusively`).
    public static func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644, durable: Bool = true,
                                       makingParent: Bool = false) throws(TimeturnerError) {
        let directory = parentDirectory(of: path)
        let temporary = path + ".tmp-\(getpid())-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        var descriptor = makingParent ? createExclusively(temporary, mode: mode)
                                      : open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw writeFailure(path, "could not create the temporary file \(temporary)") }
        var renamed = false
        defer {
            if descriptor >= 0 { close(descriptor) }
            if !renamed { unlink(temporary) }
        }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 && errno == EINTR { continue }
            // write(2) returns 0 only for a count of 0; treat it as the error it would be next.
            guard written > 0 else { throw writeFailure(path, "could not write \(temporary)", errorNumber: written == 0 ? EIO : errno) }
            offset += written
        }
        guard !durable || retryingOnInterrupt({ fsync(descriptor) }) == 0 else { throw writeFailure(path, "could not sync \(temporary) to disk") }
        // close(2) is where some file systems (NFS) report a failed write; it is not retried on
        // EINTR because Linux has released the descriptor either way.
        let closed = close(descriptor)
        descriptor = -1
        guard closed == 0 else { throw writeFailure(path, "could not close \(temporary)") }
        guard rename(temporary, path) == 0 else { throw writeFailure(path, "could not rename \(temporary) to \(path)") }
        renamed = true
        if durable { try syncDirectory(directory, of: path) }
    }

    /// Creates `path` for writing, failing if it exists (O_EXCL), and its parent directory first
    /// if that is missing (one level: the git directory above `.git/timeturner/` always exists).
    /// The parent may be removed again before the file is made in it (a lock's release removes
    /// an empty `.git/timeturner/`, `OperationLock.release`): it is then made again, a bounded
    /// number of times, each retry meaning that another operation has just ended. Returns the
    /// descriptor, or -1 with `errno` set (by `mkdir` if the directory could not be made).
    public static func createExclusively(_ path: String, mode: mode_t = 0o644) -> Int32 {
        let directory = parentDirectory(of: path)
        for _ in 0..<5 {
            guard mkdir(directory, 0o755) == 0 || errno == EEXIST else { return -1 }
            let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
            if descriptor >= 0 || errno != ENOENT { return descriptor }
        }
        return -1
    }

    /// Makes a rename or a file's creation in `directory` durable. File systems that cannot sync
    /// a directory (EINVAL: some FUSE and network ones) have nothing to make durable this way.
    static func syncDirectory(_ directory: String, of path: String) throws(TimeturnerError) {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw writeFailure(path, "wrote it, but could not open \(directory) to sync its entry there") }
        defer { close(descriptor) }
        guard retryingOnInterrupt({ fsync(descriptor) }) == 0 || errno == EINVAL || errno == EOPNOTSUPP else {
            throw writeFailure(path, "wrote it, but could not sync \(directory) to disk")
        }
    }

    /// A call repeated while it fails with EINTR (a signal arrived), as `fsync` must be.
    static func retryingOnInterrupt(_ call: () -> Int32) -> Int32 {
        while true {
            let result = call()
            if result == 0 || errno != EINTR { return result }
        }
    }

    /// `/a/b` for `/a/b/c`, `/` for `/c`, `.` for `c`.
    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// "could not write <path>", caused by the step and the OS error (`Permission denied (EACCES)`),
    /// read from `errorNumber` (errno at the failing call) before anything else can change it.
    private static func writeFailure(_ path: String, _ step: String, errorNumber: Int32 = errno) -> TimeturnerError {
        TimeturnerError(.failure, "could not write \(path)", causes: [step + ": " + describeErrno(errorNumber)])
    }

    /// `No space left on device (ENOSPC)`.
    static func describeErrno(_ number: Int32) -> String {
        let text = String(cString: strerror(number))
        let names: [Int32: String] = [EACCES: "EACCES", EPERM: "EPERM", ENOSPC: "ENOSPC", EDQUOT: "EDQUOT", EROFS: "EROFS",
                                      ENOENT: "ENOENT", ENOTDIR: "ENOTDIR", EEXIST: "EEXIST", EIO: "EIO", EISDIR: "EISDIR",
                                      EXDEV: "EXDEV", EBUSY: "EBUSY", ENAMETOOLONG: "ENAMETOOLONG"]
        return names[number].map { "\(text) (\($0))" } ?? text
    }

    /// `mkdir -p`. A directory made or seen on the way may be removed again before the next one
    /// is made in it (a lock's release removes `.git/timeturner/` when that leaves it empty,
    /// `OperationLock.release`): the walk then starts over, a bounded number of times.
    public static func makeDirectories(_ path: String, mode: UInt32 = 0o755) throws(TimeturnerError) {
        var attempts = 0
        walk: while true {
            var current = path.hasPrefix("/") ? "" : "."
            for component in path.split(separator: "/") {
                current += "/" + component
                guard mkdir(current, mode_t(mode)) != 0 && errno != EEXIST else { continue }
                if errno == ENOENT && attempts < 3 {
                    attempts += 1
                    continue walk
                }
                throw failure("create directory \(current)")
            }
            break
        }
        guard isDirectory(path) else {
            throw TimeturnerError(.failure, "\(path) exists but is not a directory")
        }
    }

    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    public enum Kind: String, Sendable { case file, directory, symlink, other }

    /// What is at `path` without following a final symlink, and its permission bits; nil when nothing is.
    public static func kindAndMode(_ path: String) -> (kind: Kind, mode: UInt32)? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        let kind: Kind
        switch info.st_mode & S_IFMT {
        case S_IFREG: kind = .file
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symlink
        default: kind = .other
        }
        return (kind, UInt32(info.st_mode & 0o7777))
    }

    /// Size in bytes, or nil when it does not exist.
    public static func size(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int64(info.st_size)
    }

    /// The absolute path with symlinks resolved, or nil when it does not exist.
    public static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// What a symbolic link points to, as stored (not resolved); nil when `path` is not a link.
    public static func linkTarget(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink(path, &buffer, buffer.count - 1)
        guard length >= 0 else { return nil }
        return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `path` made absolute against `base` when it is relative.
    public static func absolute(_ path: String, relativeTo base: String) -> String {
        if path.hasPrefix("/") { return path }
        return base.hasSuffix("/") ? base + path : base + "/" + path
    }

    static func failure(_ what: String) -> TimeturnerError {
        TimeturnerError(.failure, "could not \(what)", causes: [String(cString: strerror(errno))])
    }
}
