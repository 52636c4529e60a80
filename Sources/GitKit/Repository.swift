internal import CLibgit2

/// An open git repository. Owns the libgit2 handle and frees it in `deinit`.
///
/// Not `Sendable`: a libgit2 repository handle must stay in one isolation domain.
/// Every method is synchronous, like libgit2 itself.
public final class Repository {
    let handle: OpaquePointer

    /// How this repository was opened, to open another handle on it (for another thread).
    public let location: Location

    /// The configuration as this handle first read it, kept for the handle's life, as git
    /// reads its configuration once per command. A libgit2 snapshot checks the three files
    /// again and copies every entry each time: the ten settings a rollback reads made ten.
    private var configuration: OpaquePointer? = nil

    init(handle: OpaquePointer, location: Location) {
        self.handle = handle
        self.location = location
    }

    /// What `open(path:)` was given. A handle must stay on one thread, but this value may cross
    /// threads: opening it again in the same process (same environment, same working directory)
    /// finds the same repository.
    public struct Location: Sendable, Equatable {
        let path: String?

        /// A new, independent handle on the same repository.
        public func open() throws(GitError) -> Repository { try Repository.open(path: path) }
    }

    deinit {
        git_config_free(configuration)
        git_repository_free(handle)
    }

    /// Opens a repository the way the `git` command line does.
    ///
    /// - `path == nil`: honour `GIT_DIR`, `GIT_WORK_TREE`, `GIT_CEILING_DIRECTORIES`, … and otherwise
    ///   discover upward from the current directory.
    /// - `path != nil`: discover upward from `path` (work tree, `.git` directory, linked worktree or
    ///   bare repository), ignoring the environment; this is what tests and library callers want.
    ///
    /// Throws `GitError` with `.notFound` when there is no repository and `.owner` when libgit2's
    /// ownership check refuses it (libgit2 1.5.1 honours `safe.directory=<path>` but not `*`).
    ///
    /// The environment is read as git reads it, including `GIT_WORK_TREE`, which 1.5.1 itself
    /// refuses (see `RepositoryEnvironment`).
    public static func open(path: String? = nil) throws(GitError) -> Repository {
        Libgit2.ensureInitialised()
        do {
            guard let path else { return try RepositoryEnvironment.open() }
            var pointer: OpaquePointer? = nil
            try Libgit2.check("open repository at \(path)") { git_repository_open_ext(&pointer, path, 0, nil) }
            return Repository(handle: pointer!, location: Location(path: path))
        } catch where error.code == .notFound {
            // 1.5.1 turns its own ownership refusal into "not found" when no safe.directory is
            // configured at all (its lookup of the key fails with GIT_ENOTFOUND, and that code is
            // returned instead of GIT_EOWNER), so a foreign repository read as "not a git repository".
            if let located = locate(path: path), located.ownedByAnotherUser {
                throw GitError(operation: error.operation, code: .owner, errorClass: error.errorClass,
                               message: "repository path '\(located.ownershipPath)' is not owned by current user")
            }
            throw error
        }
    }

    /// Creates a new repository (used by tests and benchmarks; the tool itself never initialises one).
    public static func create(at path: String, bare: Bool = false) throws(GitError) -> Repository {
        Libgit2.ensureInitialised()
        var pointer: OpaquePointer? = nil
        try Libgit2.check("initialise repository at \(path)") {
            git_repository_init(&pointer, path, bare ? 1 : 0)
        }
        return Repository(handle: pointer!, location: Location(path: path))
    }

    /// The git directory of this worktree (`.git/`, `.git/worktrees/<name>/`, or the bare repository).
    /// Per-worktree state such as locks belongs here.
    public var gitDirectory: String { String(cString: git_repository_path(handle)) }

    /// The directory shared by all worktrees (objects, refs).
    public var commonDirectory: String { String(cString: git_repository_commondir(handle)) }

    /// The work tree root with a trailing slash, or nil for a bare repository.
    public var workTree: String? { git_repository_workdir(handle).map { String(cString: $0) } }

    public var isBare: Bool { git_repository_is_bare(handle) == 1 }

    /// A shallow clone: libgit2 1.5.1 cannot walk its history (parents come back "not found").
    public var isShallow: Bool { git_repository_is_shallow(handle) == 1 }

    /// No commits at all: HEAD is unborn and no reference exists. (libgit2 1.5.1's
    /// `git_repository_is_empty` answers false when HEAD names any branch but its idea of the
    /// initial one, e.g. after `git init -b main`, so it is not used.)
    public var isEmpty: Bool {
        guard isHeadUnborn else { return false }
        return ((try? references(matching: "refs/*")) ?? []).isEmpty
    }

    /// HEAD names a branch that has no commit yet.
    public var isHeadUnborn: Bool { git_repository_head_unborn(handle) == 1 }

    public var isHeadDetached: Bool { git_repository_head_detached(handle) == 1 }

    /// An operation that git itself has in progress (merge, rebase, revert, cherry-pick, bisect…).
    public var inProgressOperation: InProgressOperation? {
        InProgressOperation(state: git_repository_state(handle))
    }

    public enum InProgressOperation: String, Sendable {
        case merge, revert, cherryPick = "cherry-pick", bisect, rebase, applyMailbox = "am"

        init?(state: Int32) {
            switch git_repository_state_t(UInt32(state)) {
            case GIT_REPOSITORY_STATE_NONE: return nil
            case GIT_REPOSITORY_STATE_MERGE: self = .merge
            case GIT_REPOSITORY_STATE_REVERT, GIT_REPOSITORY_STATE_REVERT_SEQUENCE: self = .revert
            case GIT_REPOSITORY_STATE_CHERRYPICK, GIT_REPOSITORY_STATE_CHERRYPICK_SEQUENCE: self = .cherryPick
            case GIT_REPOSITORY_STATE_BISECT: self = .bisect
            case GIT_REPOSITORY_STATE_APPLY_MAILBOX, GIT_REPOSITORY_STATE_APPLY_MAILBOX_OR_REBASE: self = .applyMailbox
            default: self = .rebase
            }
        }
    }

    // MARK: - Configuration

    /// The snapshot every read of this handle's configuration uses (see `configuration`).
    func configurationSnapshot() throws(GitError) -> OpaquePointer {
        if let configuration { return configuration }
        var config: OpaquePointer? = nil
        try Libgit2.check("read configuration") { git_repository_config_snapshot(&config, handle) }
        configuration = config
        return config!
    }

    /// A string from the repository's effective configuration (repository, global, system), or nil.
    public func configString(_ key: String) throws(GitError) -> String? {
        let config = try configurationSnapshot()
        var value: UnsafePointer<CChar>? = nil
        let result = git_config_get_string(&value, config, key)
        if result == GIT_ENOTFOUND.rawValue { git_error_clear(); return nil }
        try Libgit2.check("read configuration value \(key)") { result }
        return value.map { String(cString: $0) }
    }

    /// Every value of a multi-valued key (`timeturner.verify`), in configuration order.
    public func configStrings(_ key: String) throws(GitError) -> [String] {
        let config = try configurationSnapshot()
        var iterator: OpaquePointer? = nil
        let result = git_config_multivar_iterator_new(&iterator, config, key, nil)
        if result == GIT_ENOTFOUND.rawValue { git_error_clear(); return [] }
        try Libgit2.check("read configuration values \(key)") { result }
        defer { git_config_iterator_free(iterator) }
        var values: [String] = []
        var entry: UnsafeMutablePointer<git_config_entry>? = nil
        while git_config_next(&entry, iterator) == 0, let entry {
            values.append(String(cString: entry.pointee.value))
        }
        git_error_clear()
        return values
    }
}
