internal import Glibc
public import GitKit

/// Which clone wrote an event: a short random name kept in `<common git dir>/timeturner/clone-id`.
///
/// The registry and its journal are shared by every clone through `sync`, so "the last rollback"
/// must mean this clone's own: another clone's rollback cannot be undone here (its result commit
/// is not this clone's HEAD). Each journal event records the clone that wrote it, and `status`
/// and a bare `undo` pick this clone's events.
///
/// Why a file in the git directory and not git config: it is never copied by `git clone` or
/// pushed (so two clones never share one by accident), every worktree of a clone shares it (the
/// common directory), and it is created with O_EXCL, so two processes making it at the same
/// moment agree on one name (a config write is last-writer-wins, and the loser would already
/// have used its own). A copied `.git` directory (a cached CI workspace) keeps the name; delete
/// the file to get a new one, or write a name of your choice (letters, digits, `.`, `_`, `-`).
public enum CloneIdentity {
    /// `<common git dir>/timeturner/clone-id`
    public static func path(in repository: Repository) -> String {
        let common = repository.commonDirectory
        return (common.hasSuffix("/") ? common : common + "/") + "timeturner/clone-id"
    }

    /// This clone's name, made on first use.
    public static func current(in repository: Repository) throws(TimeturnerError) -> String {
        if let existing = try existing(in: repository) { return existing }
        let path = path(in: repository)
        let made = randomName()
        let descriptor = LocalFile.createExclusively(path)
        if descriptor < 0 {
            // Another process of this clone made it first: use that one.
            if errno == EEXIST, let raced = try existing(in: repository) { return raced }
            throw TimeturnerError(.failure, "could not create \(path)", hint: "check that the git directory is writable",
                                  causes: [String(cString: strerror(errno))])
        }
        let bytes = Array((made + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let cause = written < 0 ? LocalFile.describeErrno(errno) : "only \(written) of \(bytes.count) bytes written"
        close(descriptor)
        guard written == bytes.count else {
            unlink(path)
            throw TimeturnerError(.failure, "could not write \(path)", hint: "check that the disk is not full", causes: [cause])
        }
        return made
    }

    /// This clone's name if it has one (nil before its first journal event). Never writes.
    public static func existing(in repository: Repository) throws(TimeturnerError) -> String? {
        let path = path(in: repository)
        guard let bytes = LocalFile.read(path) else { return nil }
        // A file seen between its O_EXCL creation and its write is empty for an instant.
        let text = String(decoding: bytes, as: UTF8.self).withoutSurroundingWhitespace
        if text.isEmpty {
            for _ in 0..<50 {
                usleep(2_000)
                if let again = LocalFile.read(path), case let name = String(decoding: again, as: UTF8.self).withoutSurroundingWhitespace,
                   !name.isEmpty { return try validated(name, path: path) }
            }
            throw TimeturnerError(.failure, "\(path) is empty", hint: "delete it and a new clone id is made: rm \(path)")
        }
        return try validated(text, path: path)
    }

    static func validated(_ name: String, path: String) throws(TimeturnerError) -> String {
        guard isValid(name) else {
            throw TimeturnerError(.failure, "\(path) does not hold a clone id (1 to 64 letters, digits, '.', '_' or '-')",
                                  hint: "delete it and a new one is made (rm \(path)), or write a name of your choice into it")
        }
        return name
    }

    /// Usable as one ref component and safe to print: it appears in events and output.
    public static func isValid(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64 && !name.hasPrefix(".") && !name.hasPrefix("-") && !name.contains("..")
            && !name.hasSuffix(".lock")
            && name.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || "._-".unicodeScalars.contains($0) }
    }

    /// 64 random bits in hex: collisions between clones are not a practical concern.
    static func randomName() -> String {
        let value = UInt64.random(in: 0...UInt64.max)
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
