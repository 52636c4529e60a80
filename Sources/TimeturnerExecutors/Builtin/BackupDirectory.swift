internal import Glibc
import TimeturnerCore

/// Where built-ins that write backups (files, postgres) put them: the `backupDir` setting, or
/// `.git/timeturner/backups/<tier>` in the repository, which git never tracks or pushes.
enum BackupDirectory {
    static func resolve(_ request: ExecutorRequest, context: BuiltinContext) throws(TimeturnerError) -> String {
        let directory: String
        if let configured = request.setting("backupDir") {
            directory = context.path(configured)
        } else if LocalFile.isDirectory(request.repository + "/.git") {
            directory = request.repository + "/.git/timeturner/backups/" + request.tier
        } else {
            _ = try context.required("backupDir", example: "/var/backups/timeturner")
            directory = ""
        }
        try LocalFile.makeDirectories(directory, mode: 0o700)
        return directory
    }

    /// A file name that sorts by time and says which point and tier it belongs to.
    static func fileName(_ request: ExecutorRequest, prefix: String = "", suffix: String) -> String {
        let stamp = UniqueID.stamped(at: Timestamp.now())
        let point = request.point.map { "-" + $0.id.filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." } } ?? ""
        return "\(prefix)\(stamp)\(point)-\(request.tier)\(suffix)"
    }

    /// The capture's file and checksum, refused (circuit breaker) when the file is missing or
    /// its content no longer matches what was recorded: restoring a truncated or swapped dump
    /// would turn a bad deploy into data loss.
    static func checkedFile(_ request: ExecutorRequest, key: String, context: BuiltinContext) throws(TimeturnerError) -> (path: String, sha256: String) {
        guard let path = request.capture?[key]?.stringValue, let expected = request.capture?["sha256"]?.stringValue else {
            throw context.fail("the capture has no \(key) and sha256 to restore from",
                               hint: "roll back to a point whose note has a capture line for the \(request.tier) tier (git timeturner show <point>)")
        }
        guard LocalFile.exists(path) else {
            throw TimeturnerError(.refused, "executor '\(request.executor)' refuses to roll back the \(request.tier) tier: \(path) is missing",
                                  hint: "restore the file from your backups, or roll back to another point")
        }
        let actual = SHA256.hex(ofFile: path) ?? "unreadable"
        guard actual == expected else {
            throw TimeturnerError(.refused, "executor '\(request.executor)' refuses to roll back the \(request.tier) tier: \(path) does not match its recorded checksum",
                                  hint: "the backup was changed or damaged since the point was made; nothing was restored",
                                  causes: ["recorded SHA-256 \(expected)", "actual SHA-256   \(actual)"])
        }
        return (path, expected)
    }
}
