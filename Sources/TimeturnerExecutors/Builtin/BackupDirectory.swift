import TimeturnerCore

/// Where built-ins that write artifacts (files, postgres) put them, and what they call them.
///
/// The directory is the tier's `backupDir` setting, or `<artifactDir>/<tier>` with the request's
/// artifacts directory (`timeturner.artifacts.dir`; by default `<git dir>/timeturner/artifacts`,
/// which git never tracks or pushes). Captures refer to files inside the artifacts directory by a
/// path relative to it (`db/point-20261121T223000Z-7f3a.dump`), so that a clone elsewhere with
/// the same artifacts directory can restore from them; absolute references still resolve.
enum BackupDirectory {
    /// The artifacts directory for `request`: the one git-timeturner sent, else the default in
    /// the repository's `.git` (an executor run by hand), else none (a `backupDir` is required).
    static func artifactRoot(_ request: ExecutorRequest) -> String? {
        if let given = request.artifactDir, !given.isEmpty { return given }
        if LocalFile.isDirectory(request.repository + "/.git") {
            return ArtifactLocation.defaultDirectory(commonGitDirectory: request.repository + "/.git")
        }
        return nil
    }

    static func resolve(_ request: ExecutorRequest, context: BuiltinContext) throws(TimeturnerError) -> String {
        let directory: String
        if let configured = request.setting("backupDir"), !configured.isEmpty {
            directory = context.path(configured)
        } else if let root = artifactRoot(request) {
            directory = root + "/" + ArtifactLocation.safeComponent(request.tier)
        } else {
            _ = try context.required("backupDir", example: "/var/backups/timeturner")
            directory = ""
        }
        try LocalFile.makeDirectories(directory, mode: 0o700)
        return directory
    }

    /// A new file in the tier's directory named by what it will hold: `before-<operation>` (the
    /// present state just before that rollback or undo, even when the request names the point
    /// being returned to), `point-<id>` (a point's state), or a time stamp (a capture run by hand
    /// without a point). Never an existing file's name.
    static func newFile(_ request: ExecutorRequest, context: BuiltinContext, suffix: String) throws(TimeturnerError) -> String {
        let directory = try resolve(request, context: context)
        let base: String
        if request.purpose?.kind == "before", let operation = request.purpose?.operation {
            base = "before-" + ArtifactLocation.safeComponent(operation)
        } else if let point = request.point {
            base = "point-" + ArtifactLocation.safeComponent(point.id)
        } else {
            base = UniqueID.stamped(at: Timestamp.now())
        }
        var candidate = directory + "/" + base + suffix
        var attempt = 1
        while LocalFile.exists(candidate) {
            attempt += 1
            candidate = directory + "/" + base + "-\(attempt)" + suffix
        }
        return candidate
    }

    /// How the capture refers to `path` (relative to the artifacts directory when inside it).
    static func reference(to path: String, _ request: ExecutorRequest) -> String {
        guard let root = artifactRoot(request) else { return path }
        return ArtifactLocation.reference(to: path, in: root)
    }

    /// The capture's file and checksum, refused (circuit breaker) when the file is missing or
    /// its content no longer matches what was recorded: restoring a truncated or swapped dump
    /// would turn a bad deploy into data loss.
    static func checkedFile(_ request: ExecutorRequest, key: String, context: BuiltinContext) throws(TimeturnerError) -> (path: String, sha256: String) {
        guard let reference = request.capture?[key]?.stringValue, let expected = request.capture?["sha256"]?.stringValue else {
            throw context.fail("the capture has no \(key) and sha256 to restore from",
                               hint: "roll back to a point whose note has a capture line for the \(request.tier) tier (git timeturner show <point>)")
        }
        let path: String
        if reference.hasPrefix("/") {
            path = reference
        } else if let root = artifactRoot(request) {
            path = ArtifactLocation.path(of: reference, in: root)
        } else {
            throw context.fail("the capture refers to \(reference) relative to the artifacts directory, and none is known",
                               hint: "set timeturner.artifacts.dir to the directory holding it")
        }
        guard LocalFile.exists(path) else {
            throw TimeturnerError(.refused, "executor '\(request.executor)' refuses to roll back the \(request.tier) tier: \(path) is missing",
                                  hint: "restore the file from your backups (or set timeturner.artifacts.dir to where it is), or roll back to another point")
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
