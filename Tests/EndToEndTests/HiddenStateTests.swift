import Testing
import TestSupport
internal import Glibc

/// What git status does not show must not be lost either: ignored files in the way, edits
/// hidden by assume-unchanged or skip-worktree, the index's own bytes (version, flags), and
/// the conditions git itself refuses to work under (its lock files, a branch checked out twice,
/// an operation interrupted and not recovered). Issue 9, items 1, 2, 6, 9, 10 and 13.
@Suite struct HiddenStateTests {
    /// v1 tracks .env and build/out.bin; v2 stops tracking them and ignores them; the machine
    /// has its real .env and a build output.
    func ignoredFilesTheOldCommitTracked() async throws -> (ScratchRepository, String) {
        let repo = try await ScratchRepository()
        let v1 = try await repo.commit("v1", files: ["app.txt": "v1\n", ".env": "SECRET=committed-by-mistake\n", "build/out.bin": "old build\n"])
        try await repo.git("rm", "-q", "--cached", ".env", "build/out.bin")
        try repo.write(".gitignore", ".env\nbuild/\n")
        try await repo.git("add", ".gitignore")
        try await repo.commit("v2: stop tracking secrets and build output", files: ["app.txt": "v2\n"])
        try repo.write(".env", "SECRET=the-real-one\n")
        try repo.write("build/out.bin", "today's build\n")
        return (repo, v1)
    }

    @Test func ignoredFilesInTheWayAreRefusedAndKeptByteForByte() async throws {
        let (repo, v1) = try await ignoredFilesTheOldCommitTracked()
        let before = try await repo.fingerprintIncludingIgnored()
        for command in [["rollback", "--to", v1, "--yes"], ["rollback", "--to", v1, "--dry-run"],
                        ["rollback", "--to", v1, "--verify", "false", "--yes"], ["rollback", "--to", v1, "--mode", "reset", "--yes"]] {
            let run = try await repo.timeturner(command)
            #expect(run.status == 3, "\(command): \(run)")
            #expect(run.stderr.contains("files git does not show (ignored, or inside a directory the rollback replaces) are in the way") && run.stderr.contains(".env") && run.stderr.contains("build/out.bin"), "\(run)")
            #expect(try await repo.fingerprintIncludingIgnored() == before, "\(command)")
        }
        #expect(repo.read(".env") == "SECRET=the-real-one\n" && repo.read("build/out.bin") == "today's build\n")
        #expect(try await repo.git("for-each-ref", "refs/timeturner").isEmpty)
    }

    @Test func anIgnoredFileWhereUndoPutsAFileBackIsRefused() async throws {
        let repo = try await ScratchRepository()
        try await repo.commit("v1", files: ["app.txt": "v1\n", ".gitignore": "cache.db\n"])
        let v1 = try await repo.git("rev-parse", "HEAD").trimmed
        try repo.write("cache.db", "tracked\n")
        try await repo.git("add", "-f", "cache.db")
        try await repo.commit("v2 adds a tracked cache.db (by mistake)")
        #expect(try await repo.timeturner("rollback", "--to", v1, "--yes").status == 0)
        #expect(!repo.exists("cache.db"))
        // The application writes its (ignored) cache where the undo would put the tracked file back.
        try repo.write("cache.db", "live data\n")
        let undo = try await repo.timeturner("undo", "--yes")
        #expect(undo.status == 3 && undo.stderr.contains("cache.db"), "\(undo)")
        #expect(repo.read("cache.db") == "live data\n")
    }

    @Test func hiddenLocalEditsAreRefusedNamingThem() async throws {
        let repo = try await ScratchRepository()
        let v1 = try await repo.commit("v1", files: ["config.yml": "mode: v1\n", "tuned.yml": "t: 1\n"])
        try await repo.commit("v2", files: ["config.yml": "mode: v2\n", "tuned.yml": "t: 2\n"])
        try repo.write("config.yml", "mode: my local edit\n")
        try await repo.git("update-index", "--assume-unchanged", "config.yml")
        try await repo.git("update-index", "--skip-worktree", "tuned.yml")
        #expect(try await repo.git("status", "--porcelain").isEmpty, "git status hides both")
        let run = try await repo.timeturner("rollback", "--to", v1, "--yes")
        #expect(run.status == 3, "\(run)")
        #expect(run.stderr.contains("skip-worktree") && run.stderr.contains("tuned.yml"), "\(run)")
        try await repo.git("update-index", "--no-skip-worktree", "tuned.yml")
        let again = try await repo.timeturner("rollback", "--to", v1, "--yes")
        #expect(again.status == 3 && again.stderr.contains("assume-unchanged") && again.stderr.contains("config.yml"), "\(again)")
        #expect(repo.read("config.yml") == "mode: my local edit\n")
    }

    @Test func theIndexComesBackByteForByteAfterARestoreAndAnUndo() async throws {
        let repo = try await ScratchRepository()
        try await repo.commit("base", files: ["keep.txt": "keep\n", "flagged.txt": "flag\n"])
        let v1 = try await repo.commit("v1", files: ["app.txt": "v1\n"])
        try await repo.commit("v2", files: ["app.txt": "v2\n"])
        try await repo.git("update-index", "--index-version", "4")
        try await repo.git("update-index", "--skip-worktree", "flagged.txt")
        try await repo.git("update-index", "--assume-unchanged", "keep.txt")
        let index = try #require(readFile(repo.path + "/.git/index"))
        let flags = try await repo.git("ls-files", "-v")

        let failed = try await repo.timeturner("rollback", "--to", v1, "--verify", "false", "--yes")
        #expect(failed.status == 5, "\(failed)")
        let restoredIndex = readFile(repo.path + "/.git/index") == index
        #expect(restoredIndex, "the index differs after the restore (cmp .git/index)")
        #expect(try await repo.git("ls-files", "-v") == flags)

        #expect(try await repo.timeturner("rollback", "--to", v1, "--yes").status == 0)
        #expect(repo.read("app.txt") == "v1\n")
        let undo = try await repo.timeturner("undo", "--yes")
        #expect(undo.status == 0, "\(undo)")
        let undoneIndex = readFile(repo.path + "/.git/index") == index
        #expect(undoneIndex, "the index differs after the undo (cmp .git/index)")
        #expect(try await repo.git("ls-files", "-v") == flags)
        #expect(try await repo.git("status", "--porcelain").isEmpty)
    }

    @Test func aSparseCheckoutRollsBackInsideTheConeAndRefusesOutsideIt() async throws {
        let repo = try await ScratchRepository()
        let v1 = try await repo.commit("v1", files: ["web/app.txt": "v1\n", "docs/guide.md": "g1\n"])
        let v2 = try await repo.commit("v2 docs", files: ["docs/guide.md": "g2\n"])
        try await repo.commit("v3 web", files: ["web/app.txt": "v3\n"])
        try await repo.git("sparse-checkout", "set", "--cone", "web")
        #expect(!repo.exists("docs/guide.md"))
        #expect(try await repo.git("status", "--porcelain").isEmpty)
        // Only web/ changes: inside the cone, and the files outside stay absent.
        let inside = try await repo.timeturner("rollback", "--to", v2, "--yes")
        #expect(inside.status == 0, "\(inside)")
        #expect(repo.read("web/app.txt") == "v1\n" && !repo.exists("docs/guide.md"))
        #expect(try await repo.git("status", "--porcelain").isEmpty)
        // docs/ would change too: refused, naming it.
        let outside = try await repo.timeturner("rollback", "--to", v1, "--yes")
        #expect(outside.status == 3 && outside.stderr.contains("docs/guide.md") && outside.stderr.contains("sparse"), "\(outside)")
    }

    @Test func gitsOwnLockFilesAreRefusedBeforeAnythingChanges() async throws {
        let repo = try await ScratchRepository()
        let ids = try await repo.commits(3)
        let before = try await repo.fingerprint()
        for lock in [".git/index.lock", ".git/refs/heads/main.lock", ".git/HEAD.lock"] {
            try repo.write(lock, "")
            let run = try await repo.timeturner("rollback", "--to", ids[0], "--yes")
            #expect(run.status == 3, "\(lock): \(run)")
            #expect(run.stderr.contains(repo.path + "/" + lock) && run.stderr.contains("a git command is writing, or one crashed"), "\(run)")
            #expect(try await repo.fingerprint() == before)
            unlink(repo.path + "/" + lock)
        }
        #expect(try await repo.git("for-each-ref", "refs/timeturner").isEmpty)
    }

    @Test func aBranchCheckedOutInAnotherWorktreeIsRefused() async throws {
        let repo = try await ScratchRepository()
        let ids = try await repo.commits(3)
        let other = repo.siblingDirectory("other")
        try await repo.git("worktree", "add", "-q", "-f", other, "main")
        for mode in ["revert", "reset"] {
            let run = try await repo.timeturner("rollback", "--to", ids[0], "--mode", mode, "--yes")
            #expect(run.status == 3 && run.stderr.contains("also checked out in the worktree") && run.stderr.contains(other), "\(run)")
        }
        #expect(try await repo.git("rev-parse", "main").trimmed == ids[2])
        // A worktree on another branch does not block.
        try await repo.git("-C", other, "switch", "-q", "--detach")
        #expect(try await repo.timeturner("rollback", "--to", ids[0], "--yes").status == 0)
    }

    @Test func anInterruptedRollbackBlocksANewOneUntilRecover() async throws {
        let repo = try await ScratchRepository()
        let ids = try await repo.commits(3)
        _ = try await repo.timeturnerPaused(["rollback", "--to", ids[0], "--yes"], before: "work-tree") { pid, _ in kill(pid, SIGKILL) }
        let state = try #require(repo.read(".git/timeturner/state.jsonl"))
        let blocked = try await repo.timeturner("rollback", "--to", ids[1], "--yes")
        #expect(blocked.status == 3 && blocked.stderr.contains("was interrupted") && blocked.stderr.contains("git timeturner recover"), "\(blocked)")
        #expect(repo.read(".git/timeturner/state.jsonl") == state, "the interrupted state was overwritten")
        #expect(try await repo.timeturner("recover", "--yes").status == 0)
        #expect(try await repo.timeturner("rollback", "--to", ids[1], "--yes").status == 0)
    }

    @Test func aRollbackThatWouldChangeNothingWritesNothing() async throws {
        let repo = try await ScratchRepository()
        let ids = try await repo.commits(2)
        try await repo.git("revert", "--no-edit", "HEAD")  // the tree is back to ids[0]'s
        let counts = try await repo.git("count-objects", "-v")
        let run = try await repo.timeturner("rollback", "--to", ids[0], "--yes")
        #expect(run.status == 0 && run.stdout.contains("nothing to do, nothing was written"), "\(run)")
        // Not even the directory the lock was taken in.
        #expect(!repo.exists(".git/timeturner"), "an empty .git/timeturner was left behind")
        let json = try await repo.timeturner("rollback", "--to", ids[0], "--yes", "--json")
        #expect(json.status == 0 && json.stdout.contains("\"nothingToDo\": true"), "\(json)")
        #expect(try await repo.git("count-objects", "-v") == counts)
        #expect(try await repo.git("for-each-ref", "refs/timeturner").isEmpty)
        let reset = try await repo.timeturner("rollback", "--to", "HEAD", "--mode", "reset", "--yes")
        #expect(reset.status == 0 && reset.stdout.contains("nothing to do"), "\(reset)")
        #expect(!repo.exists(".git/timeturner"))
    }

    @Test func aShortIdThatIsAlsoATagNameIsRefusedAsAmbiguous() async throws {
        let repo = try await ScratchRepository()
        let ids = try await repo.commits(3)
        let short = String(ids[0].prefix(7))
        try await repo.git("tag", short, ids[1])  // a tag named like the first commit's short id
        let run = try await repo.timeturner("rollback", "--to", short, "--yes")
        #expect(run.status == 3 && run.stderr.contains("ambiguous") && run.stderr.contains(ids[0]) && run.stderr.contains("refs/tags/\(short)"), "\(run)")
        #expect(try await repo.git("rev-parse", "HEAD").trimmed == ids[2])
        #expect(try await repo.timeturner("rollback", "--to", ids[0], "--yes").status == 0)
    }
}

extension ScratchRepository {
    /// `fingerprint()` plus every ignored file with its content hash.
    func fingerprintIncludingIgnored() async throws -> String {
        let ignored = try await git("ls-files", "--others", "--ignored", "--exclude-standard")
        var hashes = ""
        for path in ignored.lines where !path.isEmpty { hashes += path + " " + (try await git("hash-object", path)) }
        return try await fingerprint() + "--- ignored\n" + hashes
    }
}
