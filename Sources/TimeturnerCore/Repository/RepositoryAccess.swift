public import GitKit

/// Opening a repository and the checks that must happen before any work, with the errors
/// users need to see instead of libgit2's.
public enum RepositoryAccess {
    /// Opens the repository at `path`, or the one git would use from the environment and the
    /// current directory when `path` is nil.
    public static func open(path: String?) throws(TimeturnerError) -> Repository {
        do {
            return try Repository.open(path: path)
        } catch where error.code == .notFound {
            throw TimeturnerError(.failure, "not a git repository: \(path ?? "the current directory") (or any parent)",
                                  hint: "run inside a git repository, or use 'git -C <path> timeturner …'")
        } catch where error.code == .owner {
            throw TimeturnerError(.refused, "the repository at \(path ?? "the current directory") is owned by another user, so git refuses to trust it",
                                  hint: "if you trust it: git config --global --add safe.directory <its absolute path> (libgit2 1.5.1 ignores safe.directory=*)",
                                  causes: [error.description])
        } catch {
            throw TimeturnerError(error, doing: "open the repository")
        }
    }

    /// Refuses a repository without commits, with words instead of "reference not found".
    public static func requireCommits(_ repository: Repository) throws(TimeturnerError) {
        if repository.isEmpty {
            throw TimeturnerError(.failure, "this repository has no commits yet, so there is nothing to point at",
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
            throw TimeturnerError(.failure, "unknown revision '\(revision)': no such commit in this repository",
                                  hint: "check the name with 'git log --oneline', or fetch the commit first")
        } catch {
            throw TimeturnerError(.failure, "'\(revision)' does not name a commit", causes: [error.description])
        }
    }
}
