/// Where the tool keeps things in a repository. This is a public contract (docs/storage.md):
/// other people's scripts read these names with plain git.
///
/// Nothing is ever written under `refs/tags/` or `refs/heads/`: a tag there would hijack
/// `git describe` and be pushed by `git push --tags`.
public enum StorageLayout {
    public static let namespace = "refs/timeturner/"
    public static let pointsPrefix = "refs/timeturner/points/"
    public static let registryRef = "refs/timeturner/registry"
    public static let safetyPrefix = "refs/timeturner/safety/"
    /// Files someone changed while an operation ran, kept before its restore put them back
    /// (`RollbackEngine.keepChangesMadeMeanwhile`): one commit per operation that needed it.
    public static let editsPrefix = "refs/timeturner/edits/"
    public static let notesRef = "refs/notes/timeturner"
    /// Fetched copies of other clones' refs, per remote (`sync`). Deliberately outside
    /// `refs/timeturner/`, so a plain `git push <remote> 'refs/timeturner/*'` never sends them.
    public static let remotesPrefix = "refs/timeturner-remotes/"
    /// Per-clone copies of the registry and notes on a remote, with `timeturner.sync.publish=per-clone`
    /// (`refs/timeturner/clones/<clone-id>/registry`, `…/notes`): each clone pushes only its own.
    public static let clonesPrefix = "refs/timeturner/clones/"

    public static func pointRef(_ id: String) -> String { pointsPrefix + id }

    /// Current version of the JSON events written to notes and the registry (`"v"`).
    public static let eventVersion: Int64 = 1
}
