/// How captures refer to the files that tiers write (dumps, archives): by a path relative to the
/// artifacts directory (`timeturner.artifacts.dir`), so that a clone elsewhere with the same
/// directory contents can use them. Absolute references, written by older versions or for a
/// tier with its own `backupDir` outside the artifacts directory, resolve as they are.
public enum ArtifactLocation {
    /// The capture fields that hold an artifact's path; `sha256` holds its checksum.
    public static let referenceKeys = ["dump", "archive", "artifact"]

    /// The default directory: in the common git directory, so that every worktree of a clone
    /// shares it, and git never tracks or pushes it.
    public static func defaultDirectory(commonGitDirectory: String) -> String {
        var base = commonGitDirectory
        while base.count > 1 && base.hasSuffix("/") { base.removeLast() }
        return base + "/timeturner/artifacts"
    }

    /// The file a reference names.
    public static func path(of reference: String, in directory: String) -> String {
        reference.hasPrefix("/") ? reference : LocalFile.absolute(reference, relativeTo: directory)
    }

    /// How a capture refers to `path`: relative when it lies inside `directory`, else absolute.
    public static func reference(to path: String, in directory: String) -> String {
        var root = directory
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        guard path.hasPrefix(root + "/") else { return path }
        return String(path.dropFirst(root.count + 1))
    }

    /// The artifact a capture refers to, with its recorded checksum, if it names one.
    public static func referenced(by capture: JSONValue) -> (reference: String, sha256: String?)? {
        for key in referenceKeys {
            if let reference = capture[key]?.stringValue, !reference.isEmpty {
                return (reference, capture["sha256"]?.stringValue)
            }
        }
        return nil
    }

    /// A name component made of safe characters only (ids are validated, but a file name must
    /// never carry a `/` or `..` whatever an executor is handed).
    public static func safeComponent(_ text: String) -> String {
        let kept = text.filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }
        let trimmed = kept.drop { $0 == "." }
        return trimmed.isEmpty ? "unnamed" : String(trimmed)
    }
}
