internal import CLibgit2
internal import Glibc

/// Opening a repository from `GIT_DIR` / `GIT_WORK_TREE` the way git does (git's setup.c, the
/// cases of git's t1510), where libgit2 1.5.1 does not:
///
/// - `GIT_WORK_TREE` is refused by 1.5.1's `GIT_REPOSITORY_OPEN_FROM_ENV` ("GIT_WORK_TREE
///   unimplemented"), so `git --git-dir X --work-tree Y timeturner …` could not run at all.
/// - With `GIT_DIR` alone, 1.5.1 takes the directory that *holds* the git dir as the work tree;
///   git takes the current directory (unless `core.worktree` or `core.bare` says otherwise). A
///   separate git dir (`GIT_DIR=/srv/app.git`, run from the checkout) made a rollback write
///   into `/srv` and see the real checkout as deleted.
///
/// Relative values are relative to the current directory, as git passes them on unchanged
/// (`git --git-dir=.git timeturner …` sets `GIT_DIR=.git`).
enum RepositoryEnvironment {
    static func variable(_ name: String) -> String? {
        guard let value = getenv(name).map({ String(cString: $0) }), !value.isEmpty else { return nil }
        return value
    }

    static var currentDirectory: String? {
        guard let cwd = getcwd(nil, 0) else { return nil }
        defer { free(cwd) }
        return String(cString: cwd)
    }

    /// `path` made absolute against the current directory (not resolved: it may not exist yet).
    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        return (currentDirectory ?? ".") + "/" + path
    }

    static func open() throws(GitError) -> Repository {
        Libgit2.ensureInitialised()
        let operation = "open the repository from the environment"
        if variable("GIT_COMMON_DIR") != nil {
            throw GitError(operation: operation, code: .other(-1),
                           message: "GIT_COMMON_DIR is set, and libgit2 1.5.1 cannot open a repository through it; unset it (GIT_DIR, or running inside the worktree, is enough)")
        }
        let gitDir = variable("GIT_DIR").map(absolute)
        guard let workTreeVariable = variable("GIT_WORK_TREE") else {
            var pointer: OpaquePointer? = nil
            try Libgit2.check("open repository at the current directory") {
                git_repository_open_ext(&pointer, nil, GIT_REPOSITORY_OPEN_FROM_ENV.rawValue, nil)
            }
            let repository = Repository(handle: pointer!, location: Repository.Location(path: nil))
            // git: an explicit GIT_DIR without GIT_WORK_TREE or core.worktree makes the current
            // directory the top of the work tree (t1510 #2, #10); core.bare makes it bare.
            if gitDir != nil, !repository.isBare, (try? repository.configString("core.worktree")) == nil,
               let cwd = currentDirectory {
                try repository.setWorkTree(cwd, operation: operation)
            }
            return repository
        }

        // GIT_WORK_TREE: open the git dir ourselves (GIT_DIR, or found upward from here like
        // FROM_ENV does), then point the handle at the work tree.
        for unsupported in ["GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES"]
        where variable(unsupported) != nil {
            throw GitError(operation: operation, code: .other(-1),
                           message: "\(unsupported) together with GIT_WORK_TREE is not supported by git-timeturner; unset one of them")
        }
        let workTree = absolute(workTreeVariable)
        var status = stat()
        guard stat(workTree, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR else {
            throw GitError(operation: operation, code: .other(-1),
                           message: "GIT_WORK_TREE '\(workTreeVariable)' is not a directory (\(String(cString: strerror(errno == 0 ? ENOTDIR : errno))))")
        }
        var flags: UInt32 = 0
        if gitDir != nil {
            flags |= GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue | GIT_REPOSITORY_OPEN_NO_DOTGIT.rawValue
        } else if let across = variable("GIT_DISCOVERY_ACROSS_FILESYSTEM"), ["1", "true", "yes", "on"].contains(across.lowercased()) {
            flags |= GIT_REPOSITORY_OPEN_CROSS_FS.rawValue
        }
        var pointer: OpaquePointer? = nil
        let start = gitDir ?? "."
        let ceiling = gitDir == nil ? variable("GIT_CEILING_DIRECTORIES") : nil
        try Libgit2.check("open repository at \(gitDir ?? "the current directory")") {
            git_repository_open_ext(&pointer, start, flags, ceiling)
        }
        let repository = Repository(handle: pointer!, location: Repository.Location(path: nil))
        if let namespace = variable("GIT_NAMESPACE") {
            try Libgit2.check("set the namespace from GIT_NAMESPACE") { git_repository_set_namespace(repository.handle, namespace) }
        }
        try repository.setWorkTree(workTree, operation: operation)
        return repository
    }
}

extension Repository {
    /// Points this handle at `directory` as its work tree, in memory only: libgit2 writes
    /// `core.worktree` to the config when asked to update the gitlink, which is never wanted here.
    func setWorkTree(_ directory: String, operation: String) throws(GitError) {
        try Libgit2.check("\(operation): use \(directory) as the work tree") {
            git_repository_set_workdir(handle, directory, 0)
        }
    }
}
