public import GitKit

/// Opening a repository and the checks that must happen before any work, with the errors
/// users need to see instead of libgit2's.
public enum RepositoryAccess {
    /// Opens the repository at `path`, or the one git would use from the environment and the
    /// current directory when `path` is nil. Refuses (exit 3) a repository owned by another user
    /// and one whose format or index libgit2 1.5.1 cannot handle, before anything is read through
    /// libgit2 or written.
    public static func open(path: String?) throws(TimeturnerError) -> Repository {
        let repository: Repository
        do {
            repository = try Repository.open(path: path)
        } catch where error.code == .notFound {
            throw TimeturnerError(.failure, "not a git repository: \(path ?? "the current directory") (or any parent)",
                                  hint: "run inside a git repository, or use 'git -C <path> timeturner …'")
        } catch where error.code == .owner {
            // The path libgit2 looks up in safe.directory, so the hint's command is the one that works.
            let key = Repository.locate(path: path)?.ownershipPath ?? path ?? "the current directory"
            throw TimeturnerError(.refused, "the repository at \(key) is owned by another user, so git refuses to trust it",
                                  hint: "if you trust it: git config --global --add safe.directory \(key) (libgit2 1.5.1 ignores safe.directory=*)",
                                  causes: [error.description])
        } catch {
            if let located = Repository.locate(path: path), let feature = Repository.unsupportedFormat(of: located) {
                throw unsupported(feature, causes: [error.description])
            }
            throw TimeturnerError(error, doing: "open the repository")
        }
        if let feature = repository.unsupportedIndexFeature {
            throw unsupported(feature, causes: [])
        }
        return repository
    }

    /// The refusal for a repository format libgit2 1.5.1 cannot handle: which feature, and the
    /// way out. docs/exit-codes.md lists them.
    static func unsupported(_ feature: UnsupportedRepositoryFeature, causes: [String]) -> TimeturnerError {
        let cannot = "which libgit2 1.5.1 (the git library git-timeturner is built on) cannot read; nothing was read or written"
        let (message, hint): (String, String) = switch feature {
        case .formatVersion(let version):
            ("this repository has format version \(version) (core.repositoryformatversion), \(cannot)",
             "git-timeturner works in repositories of format version 0 and 1")
        case .objectFormat(let format):
            ("this repository stores its objects with \(format.uppercased() == "SHA256" ? "SHA-256" : format) (extensions.objectFormat = \(format)), \(cannot)",
             "git-timeturner works only in SHA-1 repositories (the default of git init and git clone), and git cannot convert a repository in place")
        case .configExtension(let name, let value):
            switch name {
            case "extensions.partialclone":
                ("this is a partial clone (extensions.partialClone = \(value)), \(cannot)",
                 "make a full clone (git clone without --filter), or fetch every object and then: git config --unset extensions.partialClone")
            case "extensions.worktreeconfig":
                ("this repository has per-worktree configuration (extensions.worktreeConfig = \(value), set by git sparse-checkout or git worktree), \(cannot)",
                 "move the settings in .git/config.worktree (and .git/worktrees/*/config.worktree) into .git/config, then: git config --unset extensions.worktreeConfig")
            case "extensions.refstorage":
                ("this repository stores its refs as \(value) (extensions.refStorage), \(cannot)",
                 "convert it to files: git refs migrate --ref-format=files (git 2.46 or later)")
            case "extensions.preciousobjects":
                ("this repository protects its objects from pruning (extensions.preciousObjects = \(value)), \(cannot)",
                 "if nothing shares this repository's objects: git config --unset extensions.preciousObjects")
            default:
                ("this repository uses the extension \(name) = \(value), \(cannot)",
                 "git-timeturner cannot work in this repository while it is set; 'git help config' says what \(name) is for")
            }
        case .splitIndex(let index):
            ("the index \(index) is a split index (git update-index --split-index, or core.splitIndex), \(cannot)",
             "join it: git update-index --no-split-index (and git config core.splitIndex false, or git splits it again), then run this again")
        case .sparseIndex(let index):
            ("the index \(index) is a sparse index (index.sparse), \(cannot)",
             "expand it, keeping the sparse checkout and its patterns: git sparse-checkout reapply --no-sparse-index, then run this again")
        case .indexExtension(let signature, let index):
            ("the index \(index) has the mandatory extension '\(signature)', \(cannot)",
             "rewrite the index without it (git update-index --no-split-index; git read-tree HEAD if nothing is staged), then run this again")
        case .indexVersion(let version, let index):
            ("the index \(index) is in format version \(version), \(cannot)",
             "rewrite it in a version libgit2 reads: git update-index --index-version 4")
        }
        return TimeturnerError(.refused, message, hint: hint, causes: causes)
    }

    /// Refuses a repository without commits, with words instead of "reference not found".
    /// `nothing`: what the command would have done (`point at`, `mark`, `watch`).
    public static func requireCommits(_ repository: Repository, nothingTo action: String = "point at") throws(TimeturnerError) {
        if repository.isEmpty {
            throw TimeturnerError(.failure, "this repository has no commits yet, so there is nothing to \(action)",
                                  hint: "make a first commit, then try again")
        }
    }

    /// Refuses a shallow clone for operations that walk history: libgit2 1.5.1 reports the
    /// missing parents as "object not found" halfway through, which would leave a rollback
    /// half-planned. Detected before anything is read or written.
    public static func requireFullHistory(_ repository: Repository, for operation: String) throws(TimeturnerError) {
        if repository.isShallow {
            throw TimeturnerError(.refused, "this is a shallow clone; \(operation) needs the full history",
                                  hint: "git fetch --unshallow (in CI: fetch-depth: 0), then run it again")
        }
    }

    /// Resolves a revision to a commit with a message that names it.
    public static func resolveCommit(_ revision: String, in repository: Repository) throws(TimeturnerError) -> OID {
        do {
            return try repository.resolveCommit(revision)
        } catch where error.code == .unbornBranch {
            throw TimeturnerError(.failure, "'\(revision)' has no commit yet (the branch is unborn)",
                                  hint: "make a first commit, then try again")
        } catch where error.code == .ambiguous {
            throw TimeturnerError(.failure, "'\(revision)' is ambiguous", hint: "use more hex digits or a full commit id")
        } catch where (error.code == .notFound || error.code == .invalidSpec) && revision.hasPrefix("HEAD") && repository.isHeadUnborn {
            // libgit2 reports "HEAD" on an unborn branch (an orphan branch in a repository with
            // other commits) as not found; say what is actually the matter.
            throw TimeturnerError(.failure, "'\(revision)' has no commit yet: HEAD is on a branch without commits (an unborn branch)",
                                  hint: "make a first commit on it, switch to a branch with commits, or name a commit")
        } catch where error.code == .notFound || error.code == .invalidSpec {
            // An object id that cannot be found is also what a damaged pack index looks like
            // (its table of ids is searched, not read whole): the hint says how to tell.
            let isObjectID = OID(hex: revision) != nil
            throw TimeturnerError(.failure, "unknown revision '\(revision)': no such commit in this repository",
                                  hint: isObjectID ? "fetch the commit first; if it should be here, 'git fsck' tells whether the repository is damaged"
                                                   : "check the name with 'git log --oneline', or fetch the commit first")
        } catch {
            throw TimeturnerError(.failure, "'\(revision)' does not name a commit", causes: [error.description])
        }
    }
}
