internal import Glibc

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

    /// Writes `bytes` to a temporary file next to `path`, syncs it, then renames it over `path`,
    /// so a reader sees the old content or the new one, never half of it.
    public static func writeAtomically(_ path: String, _ bytes: [UInt8], mode: UInt32 = 0o644) throws(TimeturnerError) {
        let temporary = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(mode))
        guard descriptor >= 0 else { throw failure("create \(temporary)") }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                let error = failure("write \(temporary)")
                close(descriptor)
                unlink(temporary)
                throw error
            }
            offset += written
        }
        fsync(descriptor)
        close(descriptor)
        guard rename(temporary, path) == 0 else {
            let error = failure("rename \(temporary) to \(path)")
            unlink(temporary)
            throw error
        }
    }

    /// `mkdir -p`.
    public static func makeDirectories(_ path: String, mode: UInt32 = 0o755) throws(TimeturnerError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, mode_t(mode)) != 0 && errno != EEXIST { throw failure("create directory \(current)") }
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
