import Testing
import TestSupport
internal import Glibc

/// Scenarios 33 and 35 (issue 9, items 5, 11, 12 and 14): repositories that are not a plain
/// `.git` directory below the work tree, formats libgit2 1.5.1 cannot read, a repository owned by
/// another user, and errors whose hints must point the right way. Each runs the built binary and
/// checks bytes and refs with the git CLI.
@Suite struct RepositoryShapeTests {
    /// Three commits: `f.txt` v1 → v3, and `g2.txt`, `g3.txt` added by the second and third.
    func history(_ repo: ScratchRepository) async throws -> [String] {
        [try await repo.commit("one", files: ["f.txt": "v1\n", "keep.txt": "keep\n"]),
         try await repo.commit("two", files: ["f.txt": "v2\n", "g2.txt": "g2\n"]),
         try await repo.commit("three", files: ["f.txt": "v3\n", "g3.txt": "g3\n"])]
    }

    func sh(_ script: String, _ repo: ScratchRepository, in directory: String,
            environment extra: [String: String] = [:]) async throws -> String {
        let result = try await runProcess("/bin/sh", ["-c", script], environment: repo.environment.merging(extra) { $1 }, in: directory)
        guard result.status == 0 else { throw SetupError("\(script): \(result)") }
        return result.stdout
    }

    /// Every file below `directory` (the git dir included) with its content hash: what a refused
    /// command must leave exactly as it was.
    func everyByte(_ repo: ScratchRepository, _ directory: String) async throws -> String {
        try await sh("find . -type f | LC_ALL=C sort | xargs sha1sum", repo, in: directory)
    }

    /// The work tree's files must be the target commit's blobs, byte for byte.
    func expectWorkTree(_ directory: String, matches commit: String, in repo: ScratchRepository,
                        gitEnvironment: [String: String], sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let wanted = try await sh("git ls-tree -r --format='%(objectname) %(path)' \(commit)", repo, in: directory, environment: gitEnvironment)
        let present = try await sh("find . -path ./.git -prune -o -type f -print | sed 's|^\\./||' | LC_ALL=C sort | while read -r f; do echo \"$(git hash-object --no-filters \"$f\") $f\"; done",
                                   repo, in: directory, environment: gitEnvironment)
        #expect(present.lines.sorted() == wanted.lines.sorted(), sourceLocation: sourceLocation)
    }

    // MARK: - 5: GIT_DIR, GIT_WORK_TREE, --git-dir/--work-tree

    @Test func aSeparateGitDirectoryFromTheEnvironmentRollsBackTheFilesOfTheRealWorkTree() async throws {
        let repo = try await ScratchRepository()
        let ids = try await history(repo)
        // The git dir lives elsewhere, with no .git in the work tree: only GIT_DIR finds it.
        let store = repo.siblingDirectory("store")
        _ = try await sh("mv .git '\(store)/app.git'", repo, in: repo.path)
        let gitDir = store + "/app.git"
        let git = ["GIT_DIR": gitDir]
        let storeBefore = try await sh("ls -A", repo, in: store)

        let rollback = try await repo.timeturner(["rollback", "--to", ids[0], "--yes"], extraEnvironment: git)
        #expect(rollback.status == 0, "\(rollback)")
        try await expectWorkTree(repo.path, matches: ids[0], in: repo, gitEnvironment: git)
        #expect(try await sh("git status --porcelain -uall", repo, in: repo.path, environment: git).isEmpty)
        #expect(try await sh("git diff --stat HEAD \(ids[0])", repo, in: repo.path, environment: git).isEmpty)
        // Nothing landed next to the git dir (libgit2 1.5.1 alone takes that for the work tree).
        #expect(try await sh("ls -A", repo, in: store) == storeBefore)
        #expect(try await sh("git for-each-ref --format='%(refname)' refs/timeturner/safety", repo, in: repo.path, environment: git).lines.count == 1)

        // `git --git-dir X --work-tree Y timeturner …` from elsewhere, with relative paths as git
        // passes them on: undo puts the third commit's files back in the work tree.
        var withBinary = repo.environment
        withBinary["PATH"] = String(TimeturnerBinary.path[..<TimeturnerBinary.path.lastIndex(of: "/")!]) + ":" + (withBinary["PATH"] ?? "")
        let parent = String(repo.path[..<repo.path.lastIndex(of: "/")!])
        let undo = try await runProcess("git", ["--git-dir", "store/app.git", "--work-tree", "repo", "timeturner", "undo", "--yes"],
                                        environment: withBinary, in: parent)
        #expect(undo.status == 0, "\(undo)")
        try await expectWorkTree(repo.path, matches: ids[2], in: repo, gitEnvironment: git)
        #expect(try await sh("git rev-parse HEAD", repo, in: repo.path, environment: git).trimmed == ids[2])
        #expect(try await sh("git status --porcelain -uall", repo, in: repo.path, environment: git).isEmpty)
        #expect(try await sh("ls -A", repo, in: store) == storeBefore)
        #expect(try await sh("ls -A", repo, in: parent).lines.sorted() == ["home", "repo", "store"])
    }

    @Test func verificationCommandsSeeTheSameRepositoryWhenGitWasGivenRelativePaths() async throws {
        let repo = try await ScratchRepository()
        let ids = try await history(repo)
        var withBinary = repo.environment
        withBinary["PATH"] = String(TimeturnerBinary.path[..<TimeturnerBinary.path.lastIndex(of: "/")!]) + ":" + (withBinary["PATH"] ?? "")
        let parent = String(repo.path[..<repo.path.lastIndex(of: "/")!])
        // git passes `repo/.git` and `repo` on as they are; the verification runs at the work-tree
        // root, where those relative paths would name nothing, so it must get them absolute.
        let check = "test \"$(git rev-parse HEAD)\" != \"\(ids[2])\" && test \"$GIT_WORK_TREE\" = \"$(pwd -P)\" && test -z \"$(git status --porcelain)\""
        let run = try await runProcess("git", ["--git-dir", "repo/.git", "--work-tree", "repo", "timeturner", "rollback", "--to", ids[0],
                                               "--verify", check, "--yes"], environment: withBinary, in: parent)
        #expect(run.status == 0, "\(run)")
        try await expectWorkTree(repo.path, matches: ids[0], in: repo, gitEnvironment: [:])
        #expect(try await repo.git("rev-parse", "HEAD^").trimmed == ids[2])
    }

    @Test func gitWorkTreeFromTheEnvironmentIsTheWorkTreeEvenFromAnotherDirectory() async throws {
        let repo = try await ScratchRepository()
        let ids = try await history(repo)
        let elsewhere = repo.siblingDirectory("elsewhere")
        let git = ["GIT_DIR": repo.path + "/.git", "GIT_WORK_TREE": repo.path]
        let before = try await repo.fingerprint()
        let dryRun = try await repo.timeturner(["rollback", "--to", ids[1], "--dry-run"], in: elsewhere, extraEnvironment: git)
        #expect(dryRun.status == 0 && dryRun.stdout.contains("deleted      g3.txt"), "\(dryRun)")
        #expect(try await repo.fingerprint() == before)
        let run = try await repo.timeturner(["rollback", "--to", ids[1], "--mode", "reset", "--yes"], in: elsewhere, extraEnvironment: git)
        #expect(run.status == 0, "\(run)")
        #expect(try await repo.git("rev-parse", "main").trimmed == ids[1])
        try await expectWorkTree(repo.path, matches: ids[1], in: repo, gitEnvironment: [:])
        #expect(try await repo.git("status", "--porcelain", "-uall").isEmpty)
        #expect(try await sh("ls -A", repo, in: elsewhere).isEmpty)

        // A work tree that does not exist is named, and nothing happens.
        let missing = try await repo.timeturner(["points"], in: elsewhere, extraEnvironment: ["GIT_WORK_TREE": "/no/such/tree"])
        #expect(missing.status == 1 && missing.stderr.contains("GIT_WORK_TREE '/no/such/tree' is not a directory"), "\(missing)")
    }

    @Test func aSeparateGitDirCloneAndALinkedWorktreeChangeOnlyTheirOwnFiles() async throws {
        let repo = try await ScratchRepository()
        let ids = try await history(repo)
        // `git clone --separate-git-dir`: the work tree has a .git file, the git dir is elsewhere.
        let root = String(repo.path[..<repo.path.lastIndex(of: "/")!])
        _ = try await sh("git clone -q --separate-git-dir '\(root)/sep.git' '\(repo.path)' '\(root)/sepwt'", repo, in: root)
        let separate = root + "/sepwt"
        let run = try await repo.timeturner(["rollback", "--to", ids[0], "--yes"], in: separate)
        #expect(run.status == 0, "\(run)")
        try await expectWorkTree(separate, matches: ids[0], in: repo, gitEnvironment: [:])
        #expect(try await sh("git status --porcelain -uall", repo, in: separate).isEmpty)
        #expect(!FileManagerLite.exists(root + "/sep.git/f.txt"))
        #expect(try await sh("test -f .git && echo file", repo, in: separate).trimmed == "file", "the .git file was replaced")

        // A linked worktree on its own branch: its files move, the main work tree stays as it was.
        _ = try await repo.git("worktree", "add", "-q", "-b", "side", root + "/linked")
        let linked = root + "/linked"
        let mainState = "git rev-parse main; git ls-files -s; git status --porcelain -uall; find . -path ./.git -prune -o -type f -print | LC_ALL=C sort | xargs sha1sum"
        let mainBefore = try await sh(mainState, repo, in: repo.path)
        let side = try await repo.timeturner(["rollback", "--to", ids[1], "--yes"], in: linked)
        #expect(side.status == 0, "\(side)")
        try await expectWorkTree(linked, matches: ids[1], in: repo, gitEnvironment: [:])
        #expect(try await sh("git status --porcelain -uall", repo, in: linked).isEmpty)
        #expect(try await repo.git("rev-parse", "side^").trimmed == ids[2])
        #expect(try await sh(mainState, repo, in: repo.path) == mainBefore)
        #expect(try await repo.git("rev-parse", "main").trimmed == ids[2])
        // Lock and state belong to the worktree's own git dir, never to the main one; only the
        // clone's identity (shared by all its worktrees, docs/storage.md) lives in the common dir.
        #expect(!FileManagerLite.exists(repo.path + "/.git/timeturner/lock") && !FileManagerLite.exists(repo.path + "/.git/timeturner/state.jsonl"))
        #expect(try await sh("ls -A .git/timeturner 2>/dev/null || true", repo, in: repo.path).trimmed.split(separator: "\n").allSatisfy { $0 == "clone-id" })
    }

    // MARK: - 11: formats libgit2 1.5.1 cannot handle

    /// Every command that opens a repository.
    static let everyCommand: [[String]] = [
        ["point", "-m", "x"], ["points"], ["show", "HEAD"], ["delete", "nope"], ["rollback", "--to", "HEAD~1", "--yes"],
        ["rollback", "--to", "HEAD~1", "--dry-run"], ["undo", "--yes"], ["status"], ["recover", "--yes"], ["history"],
        ["good", "HEAD", "--env", "production"], ["bad", "HEAD", "--env", "production"], ["last-good", "--env", "production"],
        ["registry", "list"], ["registry", "log"], ["registry", "export"], ["registry", "import", "/dev/null"],
        ["sync", "/nonexistent"], ["config"], ["trust"], ["executor", "list"],
    ]

    func expectEveryCommandRefused(_ repo: ScratchRepository, naming feature: String, hint: String,
                                   sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let before = try await everyByte(repo, repo.path)
        for command in Self.everyCommand {
            let run = try await repo.timeturner(command)
            #expect(run.status == 3, "\(command): \(run)", sourceLocation: sourceLocation)
            #expect(run.stderr.hasPrefix("error: ") && run.stderr.contains(feature) && run.stderr.contains("libgit2 1.5.1"),
                    "\(command): \(run)", sourceLocation: sourceLocation)
            #expect(run.stderr.contains("\nhint: ") && run.stderr.contains(hint), "\(command): \(run)", sourceLocation: sourceLocation)
            #expect(run.stderr.lines.filter { $0.hasPrefix("error: ") }.count == 1, "one error: \(run)", sourceLocation: sourceLocation)
        }
        #expect(try await everyByte(repo, repo.path) == before, "a refused command wrote something", sourceLocation: sourceLocation)
    }

    /// A loose object cut short (a copy or a disk that stopped part way): the rollback that must
    /// check it out fails with the reason, puts everything back and exits 1. libgit2 1.5.1 alone
    /// inflated such an object forever (docs/design-decisions.md, "A damaged loose object").
    @Test func aTruncatedObjectTheRollbackNeedsFailsItCleanlyAndLosesNothing() async throws {
        let repo = try await ScratchRepository()
        let content = (0..<40).map { "line \($0) of a file\n" }.joined()
        let target = try await repo.commit("big file", files: ["big.txt": content])
        try await repo.commit("change it", files: ["big.txt": "changed\n", "other.txt": "other\n"])
        let blob = try await repo.git("rev-parse", "\(target):big.txt").trimmed
        let loose = repo.path + "/.git/objects/\(blob.prefix(2))/\(blob.dropFirst(2))"
        let pristine = try #require(readFile(loose))
        try writeFile(loose, Array(pristine.dropLast(10)))
        let before = try await repo.fingerprint()
        let run = try await repo.timeturner("rollback", "--to", target, "--mode", "reset", "--yes")
        #expect(run.status == 1, "\(run)")
        #expect(run.stderr.contains("the state before the rollback was restored"), "\(run)")
        #expect(run.stderr.contains("the compressed data ends before the object does"), "\(run)")
        #expect(try await repo.fingerprint() == before)
        #expect(!repo.exists(".git/timeturner/lock") && !repo.exists(".git/timeturner/state.jsonl"))
        // Put back, the object reads again and the same rollback goes through.
        try writeFile(loose, pristine, mode: 0o444)
        #expect(try await repo.timeturner("rollback", "--to", target, "--mode", "reset", "--yes").status == 0)
        #expect(repo.read("big.txt") == content && !repo.exists("other.txt"))
    }

    @Test func aSHA256RepositoryIsRefusedByEveryCommandNamingTheObjectFormat() async throws {
        let repo = try await ScratchRepository()
        _ = try await sh("rm -rf .git && git init -q -b main --object-format=sha256 .", repo, in: repo.path)
        _ = try await history(repo)
        try await expectEveryCommandRefused(repo, naming: "SHA-256 (extensions.objectFormat = sha256)", hint: "only in SHA-1 repositories")
        // The cause (libgit2's words) comes before the hint, which is printed last.
        let run = try await repo.timeturner("points")
        let lines = run.stderr.lines
        #expect(lines.count == 3 && lines[1].hasPrefix("caused by: ") && lines[1].contains("extensions.objectformat") && lines[2].hasPrefix("hint: "),
                "\(run)")
    }

    @Test func aSplitIndexIsRefusedByEveryCommandAndTheHintIsTheWayOut() async throws {
        let repo = try await ScratchRepository()
        let ids = try await history(repo)
        try await repo.git("update-index", "--split-index")
        #expect(try await sh("ls .git | grep -c '^sharedindex\\.'", repo, in: repo.path).trimmed == "1")
        try await expectEveryCommandRefused(repo, naming: "is a split index", hint: "git update-index --no-split-index")
        #expect(try await repo.git("for-each-ref", "refs/timeturner", "refs/notes").isEmpty)

        // The hint's command is the way out: afterwards the rollback runs.
        try await repo.git("update-index", "--no-split-index")
        let run = try await repo.timeturner("rollback", "--to", ids[0], "--yes")
        #expect(run.status == 0, "\(run)")
        try await expectWorkTree(repo.path, matches: ids[0], in: repo, gitEnvironment: [:])
    }

    @Test func aSparseIndexIsRefusedAndReapplyWithoutItKeepsTheSparseCheckout() async throws {
        let repo = try await ScratchRepository()
        _ = try await repo.commit("tree", files: ["a/x.txt": "x\n", "b/y.txt": "y\n", "top.txt": "top\n"])
        try await repo.git("sparse-checkout", "set", "--cone", "--sparse-index", "a")
        try await expectEveryCommandRefused(repo, naming: "is a sparse index", hint: "git sparse-checkout reapply --no-sparse-index")
        try await repo.git("sparse-checkout", "reapply", "--no-sparse-index")
        #expect(try await repo.git("sparse-checkout", "list").lines == ["a"])
        #expect(try await repo.timeturner("points").status == 0)
    }

    static let otherFormats: [(settings: [String], feature: String, hint: String)] = [
        (["core.repositoryformatversion=2"], "format version 2 (core.repositoryformatversion)", "format version 0 and 1"),
        (["core.repositoryformatversion=1", "extensions.frobnicate=yes"], "the extension extensions.frobnicate = yes", "git help config"),
        (["core.repositoryformatversion=1", "extensions.partialClone=origin"], "a partial clone (extensions.partialClone = origin)", "git clone without --filter"),
        (["core.repositoryformatversion=1", "extensions.worktreeConfig=true"], "per-worktree configuration", "git config --unset extensions.worktreeConfig"),
    ]

    @Test(arguments: 0..<otherFormats.count)
    func otherFormatsAndExtensionsAreRefusedByName(_ index: Int) async throws {
        let (settings, feature, hint) = Self.otherFormats[index]
        let repo = try await ScratchRepository()
        _ = try await history(repo)
        for setting in settings {
            let parts = setting.split(separator: "=", maxSplits: 1).map(String.init)
            try await repo.git("config", parts[0], parts[1])
        }
        try await expectEveryCommandRefused(repo, naming: feature, hint: hint)
    }

    // MARK: - 12: owned by another user, no safe.directory

    @Test func aRepositoryOwnedByAnotherUserIsRefusedWithTheSafeDirectoryCommandThatWorks() async throws {
        guard geteuid() == 0 else {
            let message = "warning: not root: cannot chown a repository to another user; the ownership test is SKIPPED\n"
            _ = message.withCString { write(STDERR_FILENO, $0, strlen($0)) }
            return
        }
        let repo = try await ScratchRepository()
        let ids = try await history(repo)
        // An unused uid: git and libgit2 both see "someone else's repository".
        _ = try await sh("chown -R 12345:12345 .", repo, in: repo.path)
        _ = try await sh("mkdir sub", repo, in: repo.path)
        let before = try await everyByte(repo, repo.path)
        let realPath = try await sh("pwd -P", repo, in: repo.path).trimmed
        #expect(!FileManagerLite.exists(repo.home + "/.gitconfig"), "no safe.directory at all")
        for directory in [repo.path, repo.path + "/sub"] {
            for command in [["points"], ["rollback", "--to", ids[0], "--yes"], ["good", "HEAD", "--env", "production"]] {
                let run = try await repo.timeturner(command, in: directory)
                #expect(run.status == 3, "\(command) in \(directory): \(run)")
                #expect(run.stderr.contains("is owned by another user") && !run.stderr.contains("not a git repository"), "\(run)")
                #expect(run.stderr.contains("hint: if you trust it: git config --global --add safe.directory \(realPath) "), "\(run)")
            }
        }
        // safe.directory=* is not enough for libgit2 1.5.1: still refused, with the same hint.
        _ = try await sh("git config --global --add safe.directory '*'", repo, in: repo.home)
        let star = try await repo.timeturner("points")
        #expect(star.status == 3 && star.stderr.contains("safe.directory \(realPath) "), "\(star)")
        #expect(try await everyByte(repo, repo.path) == before)

        // The hint's command, as printed, is the way out.
        _ = try await sh("git config --global --add safe.directory '\(realPath)'", repo, in: repo.home)
        let trusted = try await repo.timeturner("rollback", "--to", ids[0], "--yes")
        #expect(trusted.status == 0, "\(trusted)")
        try await expectWorkTree(repo.path, matches: ids[0], in: repo, gitEnvironment: [:])
    }

    // MARK: - 14: errors that point the right way

    @Test func syncToAPathThatDoesNotExistSaysSoAndWritesNothing() async throws {
        let repo = try await ScratchRepository()
        _ = try await history(repo)
        let before = try await everyByte(repo, repo.path)
        for remote in ["/nonexistent/remote.git", "file:///nonexistent/remote.git", "not-a-remote"] {
            let run = try await repo.timeturner("sync", remote)
            #expect(run.status == 1, "\(remote): \(run)")
            #expect(run.stderr.contains("is not a configured remote, and the path ") && run.stderr.contains(" does not exist"), "\(run)")
            #expect(!run.stderr.contains("unsupported URL protocol"), "\(run)")
        }
        #expect(try await everyByte(repo, repo.path) == before)
    }

    @Test func aRegistryImportOfAFileThatIsNoKnownGoodListIsAnErrorNotAUsageError() async throws {
        let repo = try await ScratchRepository()
        _ = try await history(repo)
        let file = repo.siblingDirectory("files") + "/list.json"
        for (content, words) in [("", "is empty"), ("not json", "is not valid JSON"), ("{\"commits\": 3}", "has no \"commits\" list"),
                                 ("{\"commits\": [{\"date\": \"2026-11-01T00:00:00Z\"}]}", "has no string \"hash\"")] {
            try writeFile(file, Array(content.utf8))
            let run = try await repo.timeturner("registry", "import", file)
            #expect(run.status == 1, "\(content): \(run)")
            #expect(run.stderr.contains(words) && run.stderr.contains("nothing imported"), "\(run)")
        }
        let devNull = try await repo.timeturner("registry", "import", "/dev/null")
        #expect(devNull.status == 1 && devNull.stderr.contains("/dev/null is empty"), "\(devNull)")
        #expect(try await repo.git("for-each-ref", "refs/timeturner").isEmpty)
        // A bad command line is still 64.
        #expect(try await repo.timeturner("registry", "import").status == 64)
    }
}

/// `access(2)` without Foundation.
enum FileManagerLite {
    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }
}
