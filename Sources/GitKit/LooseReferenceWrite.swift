internal import CLibgit2
internal import Glibc

/// Compare-and-swap of a loose reference file, done the way git and libgit2 do it, for the
/// tool's own namespaces.
///
/// Why not `git_reference_create_matching` alone: before it takes the ref's lock, libgit2 1.5.1
/// loads all of `packed-refs` into its ref cache to check for name conflicts, whatever the
/// write. In a repository whose refs were packed (`git gc`), that was the largest single cost of
/// `point` (6.5M of 46M instructions with 2,000 packed points) and it grows with every ref.
/// Here the same checks are a byte scan of the file.
///
/// Same protocol, so that git, libgit2 and this code exclude each other: the lock is
/// `<ref>.lock` created with `O_EXCL`; the current value is read under the lock (the loose file,
/// else its `packed-refs` line, read after locking); the new value is written to the lock file
/// and renamed over the ref. A name that is a directory prefix of an existing packed ref, or has
/// one, is refused as libgit2 refuses it (loose ones make the file system refuse). The reflog
/// entry is written when libgit2 would write one (`core.logAllRefUpdates`), byte for byte in
/// its format.
///
/// Anything this does not handle the same way returns false having changed nothing, and the
/// caller uses libgit2: names outside `refs/timeturner/` and `refs/notes/`, another ref storage,
/// `core.fsyncObjectFiles`, an unparseable setting or ref file, a directory where the ref goes,
/// HEAD pointing at the ref (libgit2 would log it in HEAD's reflog too).
extension Repository {
    func writeLooseReference(_ name: String, to target: OID, expecting expected: OID?,
                             logMessage: String) throws(GitError) -> Bool {
        guard name.hasPrefix("refs/timeturner/") || name.hasPrefix("refs/notes/"),
              Repository.isValidReferenceName(name),
              let settings = try LooseWriteSettings(self) else { return false }
        let base = commonDirectory.hasSuffix("/") ? String(commonDirectory.dropLast()) : commonDirectory
        let path = base + "/" + name
        var info = stat()
        if stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR { return false }
        if let head = readWholeFile(gitDirectory + "HEAD"),
           head.starts(with: Array("ref: \(name)".utf8)) { return false }

        guard Repository.makeDirectories(upTo: path) else { return false }
        let lockPath = path + ".lock"
        let lock = Glibc.open(lockPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        if lock < 0 {
            guard errno == EEXIST else { return false }
            throw GitError(operation: "update \(name)", code: .locked, errorClass: Int32(GIT_ERROR_OS.rawValue),
                           message: "failed to lock file '\(lockPath)' for writing")
        }
        var committed = false
        defer {
            Glibc.close(lock)
            if !committed { unlink(lockPath) }
        }

        // Under the lock: what the ref holds now, and whether its name collides.
        let current: LooseValue
        switch Repository.readLooseValue(path) {
        case .unreadable: return false
        case .absent:
            let packed = withFileBytes(base + "/packed-refs") { PackedScan($0, for: name) } ?? PackedScan()
            if packed.collides {
                throw GitError(operation: "update \(name)", code: .other(-1), errorClass: Int32(GIT_ERROR_REFERENCE.rawValue),
                               message: "path to reference '\(name)' collides with existing one")
            }
            current = packed.value.map(LooseValue.direct) ?? .absent
        case let found: current = found
        }
        switch (expected, current) {
        case (nil, .absent): break
        case (nil, _):
            throw GitError(operation: "create \(name)", code: .exists, errorClass: Int32(GIT_ERROR_REFERENCE.rawValue),
                           message: "\(name) was created by another writer meanwhile")
        case (.some, .absent):
            throw GitError(operation: "update \(name)", code: .notFound, errorClass: Int32(GIT_ERROR_REFERENCE.rawValue),
                           message: "reference '\(name)' not found")
        case let (.some(wanted), .direct(held)) where wanted == held: break
        default:
            throw GitError(operation: "update \(name)", code: .modified, errorClass: Int32(GIT_ERROR_REFERENCE.rawValue),
                           message: "old reference value does not match")
        }

        let line = Array((target.hex + "\n").utf8)
        guard Repository.writeAll(line, to: lock) else {
            throw GitError(operation: "update \(name)", code: .other(-1), errorClass: Int32(GIT_ERROR_OS.rawValue),
                           message: "could not write '\(lockPath)': \(String(cString: strerror(errno)))")
        }
        if settings.logs(name, in: base) {
            let old: OID = if case .direct(let held) = current { held } else { .zero }
            try appendReflog(base + "/logs/" + name, old: old, new: target, message: logMessage)
        }
        guard rename(lockPath, path) == 0 else {
            throw GitError(operation: "update \(name)", code: .other(-1), errorClass: Int32(GIT_ERROR_OS.rawValue),
                           message: "could not rename '\(lockPath)' to '\(path)': \(String(cString: strerror(errno)))")
        }
        committed = true
        return true
    }

    /// One reflog line as libgit2 1.5.1 writes it (`serialize_reflog_entry`): the identity is
    /// the repository's default signature, as `git_reference_create_matching` uses.
    private func appendReflog(_ path: String, old: OID, new: OID, message: String) throws(GitError) {
        var signature: UnsafeMutablePointer<git_signature>? = nil
        if git_signature_default(&signature, handle) < 0 {
            git_error_clear()
            try Libgit2.check("make the reflog signature") { git_signature_now(&signature, "unknown", "unknown") }
        }
        defer { git_signature_free(signature) }
        let who = signature!.pointee
        let offset = abs(Int(who.when.offset))
        let sign = who.when.offset < 0 || who.when.sign == CChar(UInt8(ascii: "-")) ? "-" : "+"
        let zone = sign + (offset / 60 < 10 ? "0" : "") + String(offset / 60) + (offset % 60 < 10 ? "0" : "") + String(offset % 60)
        var entry = Array("\(old.hex) \(new.hex) \(String(cString: who.name)) <\(String(cString: who.email))> \(UInt32(truncatingIfNeeded: who.when.time)) \(zone)".utf8)
        Repository.trimTrailingWhitespace(&entry)
        // libgit2 appends a tab and the message even when it is empty (then trims it away), and
        // turns newlines into spaces in all but the last two bytes.
        entry += [0x09] + Array(message.utf8)
        for index in entry.indices where index < entry.count - 2 && entry[index] == 0x0a { entry[index] = 0x20 }
        Repository.trimTrailingWhitespace(&entry)
        entry.append(0x0a)
        guard Repository.makeDirectories(upTo: path) else {
            throw GitError(operation: "write the reflog \(path)", code: .other(-1), errorClass: Int32(GIT_ERROR_OS.rawValue),
                           message: "could not create the directories of '\(path)'")
        }
        let descriptor = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else {
            throw GitError(operation: "write the reflog \(path)", code: .other(-1), errorClass: Int32(GIT_ERROR_OS.rawValue),
                           message: "could not open '\(path)': \(String(cString: strerror(errno)))")
        }
        defer { Glibc.close(descriptor) }
        guard Repository.writeAll(entry, to: descriptor) else {
            throw GitError(operation: "write the reflog \(path)", code: .other(-1), errorClass: Int32(GIT_ERROR_OS.rawValue),
                           message: "could not write '\(path)': \(String(cString: strerror(errno)))")
        }
    }

    private enum LooseValue { case absent, direct(OID), symbolic, unreadable }

    private static func readLooseValue(_ path: String) -> LooseValue {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 { return errno == ENOENT ? .absent : .unreadable }
        defer { Glibc.close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: 512)
        var count = 0
        while count < bytes.count {
            let read = bytes.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + count, $0.count - count) }
            if read < 0 { if errno == EINTR { continue }; return .unreadable }
            if read == 0 { break }
            count += read
        }
        let content = bytes[..<count]
        if content.starts(with: Array("ref: ".utf8)) { return .symbolic }
        guard count >= 40, count < bytes.count, count == 40 || [0x0a, 0x20, 0x09, 0x0d].contains(content[40]),
              let oid = OID(hex: String(decoding: content[0..<40], as: UTF8.self)) else { return .unreadable }
        return .direct(oid)
    }

    /// `mkdir -p` of the directories above `path` (mode 0777 before the umask, as libgit2).
    private static func makeDirectories(upTo path: String) -> Bool {
        var directory = ""
        let components = path.split(separator: "/", omittingEmptySubsequences: false).dropLast()
        for (index, component) in components.enumerated() {
            directory += (index == 0 ? "" : "/") + component
            if directory.isEmpty { continue }
            if mkdir(directory, 0o777) != 0 && errno != EEXIST { return false }
        }
        var info = stat()
        return directory.isEmpty || (stat(directory, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR)
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> Bool {
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if count < 0 { if errno == EINTR { continue }; return false }
            written += count
        }
        return true
    }
}

/// What `packed-refs` says about one name: its value, and whether a packed ref's name is a
/// directory prefix of it or it of one (`refs/x` against `refs/x/y`), which git refuses.
private struct PackedScan {
    var value: OID? = nil
    var collides = false

    init() {}

    init(_ bytes: UnsafeBufferPointer<UInt8>, for name: String) {
        let wanted = Array(name.utf8)
        let lines = PackedRefsLines(bytes)
        for case .reference(let hex, let found) in lines {
            let length = found.count
            guard memcmp(bytes.baseAddress! + found.lowerBound, wanted, min(length, wanted.count)) == 0 else { continue }
            if length == wanted.count {
                value = OID(hex: lines.string(hex..<(hex + 40)))
            } else {
                let next: UInt8 = length > wanted.count ? bytes[found.lowerBound + wanted.count] : wanted[length]
                if next == 0x2f { collides = true }   // '/'
            }
        }
    }
}

/// The settings that decide how libgit2 would write a loose ref, read once per write.
private struct LooseWriteSettings {
    enum LogAll { case no, yes, always }
    let logAll: LogAll

    /// Nil when libgit2 must do the write (another ref storage, fsync asked for, a value this
    /// does not read the way libgit2 does).
    init?(_ repository: Repository) throws(GitError) {
        if let storage = try repository.configString("extensions.refStorage"), storage != "files" { return nil }
        if let fsync = try repository.configString("core.fsyncObjectFiles"), fsync.lowercased() != "false" { return nil }
        switch try repository.configString("core.logAllRefUpdates")?.lowercased() {
        case nil: logAll = repository.isBare ? .no : .yes
        case "always": logAll = .always
        case "true", "yes", "on", "1", "": logAll = .yes
        case "false", "no", "off", "0": logAll = .no
        default: return nil
        }
    }

    /// libgit2's `should_write_reflog`: always, or with "true" for notes refs and refs that
    /// already have a reflog.
    func logs(_ name: String, in base: String) -> Bool {
        switch logAll {
        case .no: return false
        case .always: return true
        case .yes:
            var info = stat()
            return name.hasPrefix("refs/notes/") || stat(base + "/logs/" + name, &info) == 0
        }
    }
}

extension Repository {
    /// `git_str_rtrim`: drops trailing bytes for which C's `isspace` holds.
    fileprivate static func trimTrailingWhitespace(_ bytes: inout [UInt8]) {
        while let last = bytes.last, last == 0x20 || (0x09...0x0d).contains(last) { bytes.removeLast() }
    }
}
