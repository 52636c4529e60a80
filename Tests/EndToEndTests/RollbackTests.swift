import Testing
import TestSupport
internal import Glibc

/// `rollback` and `undo` run as the built binary against throwaway repositories; every result
/// is checked with the git CLI.
@Suite struct RollbackTests {
    /// Four commits on main: files a..d, plus `common.txt` changed by each.
    func history(_ repo: ScratchRepository) async throws -> [String] {
        var ids: [String] = []
        for (index, name) in ["a", "b", "c", "d"].enumerated() {
            ids.append(try await repo.commit("change \(name)", files: ["\(name).txt": "\(name)\n", "common.txt": "version \(index + 1)\n"]))
        }
        return ids
    }

    @Test func revertToAPointAddsOneCommitWithTheTargetTreeAndTrailers() async throws {
        let repo = try await ScratchRepository()
        let ids = try await history(repo)
        #expect(try await repo.timeturner("point", ids[1], "--name", "before-c").status == 0)
        // A merge commit inside the range: restoring the target's tree needs no mainline.
        try await repo.git("switch", "-q", "-c", "side", ids[3])
        try await repo.commit("side work", files: ["side.txt": "side\n"])
        try await repo.git("switch", "-q", "main")
        try await repo.git("merge", "-q", "--no-ff", "-m", "merge side", "side")
        let head = try await repo.git("rev-parse", "HEAD").trimmed

        let run = try await repo.timeturner("rollback", "--to", "before-c", "--yes", "--json", "--reason", "checkout 500s")
        #expect(run.status == 0, "\(run)")
        #expect(field("status", in: run.stdout) == "succeeded")
        #expect(field("from", in: run.stdout) == head)
        #expect(field("to", in: run.stdout) == ids[1])
        #expect(field("mode", in: run.stdout) == "revert")
        let id = try #require(field("id", in: run.stdout))

        // One new commit on top of the old HEAD, with exactly the target's tree.
        #expect(try await repo.git("rev-parse", "HEAD^").trimmed == head)
        #expect(try await repo.git("rev-parse", "HEAD^{tree}").trimmed == repo.git("rev-parse", "\(ids[1])^{tree}").trimmed)
        #expect(try await repo.git("diff", "HEAD", ids[1]).isEmpty)
        #expect(try await repo.git("status", "--porcelain").isEmpty)
        #expect(!repo.exists("c.txt") && !repo.exists("side.txt"))
        let message = try await repo.git("log", "-1", "--format=%B")
        #expect(message.contains("merge side") && message.contains("change c") && message.contains("checkout 500s"))
        let trailers = try await repo.git("log", "-1", "--format=%(trailers:key=Timeturner-Rollback,valueonly)%(trailers:key=Timeturner-From,valueonly)%(trailers:key=Timeturner-To,valueonly)")
        #expect(trailers.lines == [id, head, ids[1]])

        // The safety ref holds the old HEAD; the journal holds the event; git is happy.
        #expect(try await repo.git("rev-parse", "refs/timeturner/safety/\(id)^1").trimmed == head)
        let journal = try await repo.git("show", "refs/timeturner/registry:journal/2026-11.jsonl")
        #expect(journal.contains("\"id\":\"\(id)\"") && journal.contains("\"status\":\"succeeded\""))
        #expect(try await repo.gitResult(["fsck", "--no-progress", "--strict"]).status == 0)
        #expect(!repo.exists(".git/timeturner/lock") && !repo.exists(".git/timeturner/state.jsonl"))
    }

    /// A revision that names a blob or a tree is not "unknown": it was reported as "no such
    /// commit in this repository" though the object is there (adversarial run).
    @Test func aRevisionNamingABlobOrATreeSaysSo() async throws {
        let repo = try await ScratchRepository()
        _ = try await history(repo)
        let blob = try await repo.timeturner("rollback", "--to", "HEAD:a.txt", "--dry-run")
        #expect(blob.status == 1 && blob.stderr.contains("'HEAD:a.txt' names a blob (") && blob.stderr.contains("not a commit") && !blob.stderr.contains("no such commit"), "\(blob)")
        let tree = try await repo.timeturner("rollback", "--to", "HEAD^{tree}", "--dry-run")
        #expect(tree.status == 1 && tree.stderr.contains("names a tree ("), "\(tree)")
    }

    /// The reason can come from a check's output or a deploy hook; `git log` prints a commit
    /// message as it is, so escapes that would drive a terminal are written visibly.
    @Test func aReasonWithTerminalEscapesIsWrittenVisiblyIntoTheRevertCommit() async throws {
        let repo = try await ScratchRepository()
        let ids = try await history(repo)
        let run = try await repo.timeturner("rollback", "--to", ids[1], "--yes", "--reason", "5xx spike\u{1b}[2J\u{1b}]0;owned\u{07}\nsecond line")
        #expect(run.status == 0, "\(run)")
        let message = try await repo.git("log", "-1", "--format=%B")
        #expect(!message.contains("\u{1b}") && !message.contains("\u{07}"), "\(message)")
        #expect(message.contains("5xx spike\\e[2J\\e]0;owned\\x07\nsecond line"), "\(message)")
    }

    @Test func revertRefusesATargetThatIsNotAnAncestorAndResetMovesTheBranch() async throws {
        let repo = try await ScratchRepository()
        let ids = try await history(repo)
        try await repo.git("switch", "-q", "-c", "other", ids[0])
        let elsewhere = try await repo.commit("elsewhere", files: ["e.txt": "e\n"])
        try await repo.git("switch", "-q", "main")
        let before = try await repo.fingerprint()

        let refused = try await repo.timeturner("rollback", "--to", elsewhere, "--yes")
        #expect(refused.status == 3, "\(refused)")
        #expect(refused.stderr.contains("not an ancestor of HEAD") && refused.stderr.contains("--mode reset"))
        #expect(try await repo.fingerprint() == before)

        let reset = try await repo.timeturner("rollback", "--to", elsewhere, "--mode", "reset", "--yes", "--json")
        #expect(reset.status == 0, "\(reset)")
        #expect(try await repo.git("rev-parse", "main").trimmed == elsewhere)
        #expect(try await repo.git("symbolic-ref", "HEAD").trimmed == "refs/heads/main")
        #expect(try await repo.git("status", "--porcelain").isEmpty)
        #expect(repo.read("e.txt") == "e\n" && !repo.exists("d.txt"))
        // The commits that left the branch are still reachable from the safety ref.
        let id = try #require(field("id", in: reset.stdout))
        #expect(try await repo.git("rev-parse", "refs/timeturner/safety/\(id)^1").trimmed == ids[3])

        let resetBack = try await repo.timeturner("rollback", "--to", ids[2], "--mode", "reset", "--yes")
        #expect(resetBack.status == 0, "\(resetBack)")
        #expect(try await repo.git("rev-parse", "HEAD").trimmed == ids[2])
        #expect(repo.read("common.txt") == "version 3\n")
    }

    @Test func envRollsBackToTheLastGoodCommitInRevertAndResetMode() async throws {
        let repo = try await ScratchRepository()
        let ids = try await history(repo)
        #expect(try await repo.timeturner("good", ids[0], "--env", "production").status == 0)
        #expect(try await repo.timeturner("good", ids[2], "--env", "production").status == 0)
        #expect(try await repo.timeturner("bad", ids[2], "--env", "production").status == 0)
        #expect(try await repo.timeturner("good", ids[1], "--env", "staging").status == 0)

        // ids[2] was marked bad after good, so production's last good is ids[0].
        let dry = try await repo.timeturner("rollback", "--env", "production", "--dry-run", "--json")
        #expect(dry.status == 0, "\(dry)")
        #expect(field("to", in: dry.stdout) == ids[0] && field("target", in: dry.stdout) == "last-good (production)")

        let revert = try await repo.timeturner("rollback", "--env", "production", "--yes", "--json")
        #expect(revert.status == 0, "\(revert)")
        #expect(try await repo.git("diff", "HEAD", ids[0]).isEmpty)
        #expect(try await repo.git("rev-parse", "HEAD^").trimmed == ids[3])
        let journal = try await repo.git("show", "refs/timeturner/registry:journal/2026-11.jsonl")
        #expect(journal.contains("\"env\":\"production\""))

        let reset = try await repo.timeturner("rollback", "--to", "last-good", "--env", "staging", "--mode", "reset", "--yes")
        #expect(reset.status == 0, "\(reset)")
        #expect(try await repo.git("rev-parse", "HEAD").trimmed == ids[1])

        let none = try await repo.timeturner("rollback", "--env", "nowhere", "--yes")
        #expect(none.status != 0 && none.stderr.contains("nowhere"), "\(none)")
        let noEnv = try await repo.timeturner("rollback", "--to", "last-good", "--yes")
        #expect(noEnv.status == 64 && noEnv.stderr.contains("--env"), "\(noEnv)")
    }

    @Test func dryRunAndMissingConfirmationChangeNothing() async throws {
        let repo = try await ScratchRepository()
        let ids = try await history(repo)
        let before = try await repo.fingerprint()
        let dry = try await repo.timeturner("rollback", "--to", ids[1], "--dry-run", "--verify", "make smoke")
        #expect(dry.status == 0, "\(dry)")
        #expect(dry.stdout.contains("2 undone") && dry.stdout.contains("deleted      c.txt") && dry.stdout.contains("make smoke"))
        #expect(dry.stdout.contains("refs/timeturner/safety/"))
        let noTerminal = try await repo.timeturner("rollback", "--to", ids[1])
        #expect(noTerminal.status == 3, "\(noTerminal)")
        #expect(noTerminal.stderr.contains("--yes"))
        let noTarget = try await repo.timeturner("rollback", "--yes")
        #expect(noTarget.status == 64, "\(noTarget)")
        #expect(noTarget.stderr.contains("--to"))
        let unknown = try await repo.timeturner("rollback", "--to", "no-such-thing", "--yes")
        #expect(unknown.status == 1 && unknown.stderr.contains("unknown revision"))
        #expect(try await repo.fingerprint() == before)
        #expect(try await repo.git("for-each-ref", "refs/timeturner").isEmpty)
    }

    @Test func failedVerificationRestoresEverythingByteForByte() async throws {
        let repo = try await ScratchRepository()
        try repo.write("run.sh", "#!/bin/sh\necho v1\n", mode: 0o755)
        try await repo.git("add", "run.sh")
        try await repo.git("config", "core.symlinks", "true")
        _ = try await runProcess("ln", ["-s", "a.txt", "link"], environment: repo.environment, in: repo.path)
        let ids = try await history(repo)
        try repo.write("run.sh", "#!/bin/sh\necho v2\n", mode: 0o644)
        _ = try await runProcess("ln", ["-sfn", "b.txt", "link"], environment: repo.environment, in: repo.path)
        try await repo.commit("mode and link change", files: ["e.txt": "e\n"])
        // Uncommitted work: a staged change, an unstaged change and an untracked file, none in the rollback's way.
        try repo.write("a.txt", "a staged\n")
        try await repo.git("add", "a.txt")
        try repo.write("a.txt", "a staged then edited\n")
        try repo.write("notes/untracked.txt", "mine\n")
        let before = try await repo.fingerprint()

        let run = try await repo.timeturner("rollback", "--to", ids[0], "--verify", "true", "--verify", "echo checking >&2; exit 7", "--yes", "--json")
        #expect(run.status == 5, "\(run)")
        #expect(run.stderr.contains("exited with status 7") && run.stderr.contains("checking"))
        #expect(field("status", in: run.stdout) == "verification-failed-restored")
        #expect(try await repo.fingerprint() == before)
        #expect(try await repo.gitResult(["fsck", "--no-progress"]).status == 0)
        // The attempt is journaled with both commands, and there is nothing to undo for it.
        let history = try await repo.timeturner("history", "--json")
        #expect(history.stdout.contains("\"exitStatus\": 7") && history.stdout.contains("\"command\": \"true\""))
        let failedID = try #require(field("id", in: run.stdout))
        let undoFailed = try await repo.timeturner("undo", failedID, "--yes")
        #expect(undoFailed.status == 3 && undoFailed.stderr.contains("verification-failed-restored"), "\(undoFailed)")
        let nothing = try await repo.timeturner("undo", "--yes")
        #expect(nothing.status == 1 && nothing.stderr.contains("no rollback to undo"), "\(nothing)")

        // The same rollback succeeds with a passing check; the symlink and mode come back as at the target.
        let ok = try await repo.timeturner("rollback", "--to", ids[3], "--verify", "test -x run.sh", "--yes")
        #expect(ok.status == 0, "\(ok)")
        #expect(try await runProcess("readlink", ["link"], environment: repo.environment, in: repo.path).stdout.trimmed == "a.txt")
        #expect(try await repo.git("status", "--porcelain", "-uall").lines.sorted() == ["?? notes/untracked.txt", "MM a.txt"])
        #expect(repo.read("a.txt") == "a staged then edited\n")
        // And undo gives back the state before it, uncommitted changes included.
        let undo = try await repo.timeturner("undo", "--yes")
        #expect(undo.status == 0, "\(undo)")
        #expect(try await repo.fingerprint() == before)
    }

    @Test func hangingVerificationIsKilledAtTheTimeoutAndRestored() async throws {
        let repo = try await ScratchRepository()
        let ids = try await history(repo)
        let before = try await repo.fingerprint()
        // The command starts a grandchild that would outlive it; the whole group is killed.
        let run = try await repo.timeturner("rollback", "--to", ids[0], "--verify", "sleep 600 & sleep 600", "--verify-timeout", "1s", "--yes", "--json")
        #expect(run.status == 5, "\(run)")
        #expect(run.stderr.contains("did not finish within 1s"))
        #expect(run.stdout.contains("\"status\": \"timed-out\""))
        #expect(try await repo.fingerprint() == before)
    }

    @Test func failedRestoreExitsSixKeepsEverythingAndNamesTheSafetyRef() async throws {
        let repo = try await ScratchRepository()
        let ids = try await history(repo)
        // The verification itself moves the branch, so restoring it by compare-and-swap must fail.
        let run = try await repo.timeturner("rollback", "--to", ids[1], "--verify", "git commit -q --allow-empty -m sneaky && false", "--yes")
        #expect(run.status == 6, "\(run)")
        let safety = try #require(try await repo.git("for-each-ref", "--format=%(refname)", "refs/timeturner/safety").lines.first)
        #expect(run.stderr.contains("verification failed") && run.stderr.contains("restore") && run.stderr.contains(safety))
        #expect(try await repo.git("rev-parse", "\(safety)^1").trimmed == ids[3])
        #expect(try await repo.git("log", "-1", "--format=%s").trimmed == "sneaky")
        // The state stays for status and recover; recover will not guess over the moved branch.
        #expect(repo.exists(".git/timeturner/state.jsonl"))
        let status = try await repo.timeturner("status")
        #expect(status.stdout.contains("interrupted"), "\(status)")
        let recover = try await repo.timeturner("recover", "--yes")
        #expect(recover.status == 3 && recover.stderr.contains(safety), "\(recover)")
        #expect(try await repo.gitResult(["fsck", "--no-progress"]).status == 0)
    }

    @Test func conflictingCommitsRevertIsAbortedCleanly() async throws {
        let repo = try await ScratchRepository()
        let ids = try await history(repo)
        let before = try await repo.fingerprint()
        // Reverting only "change b" conflicts: c and d changed common.txt after it.
        let run = try await repo.timeturner("rollback", "--commits", ids[1], "--yes")
        #expect(run.status == 3, "\(run)")
        #expect(run.stderr.contains("conflicts in: common.txt"))
        #expect(!repo.exists(".git/REVERT_HEAD") && !repo.exists(".git/MERGE_MSG") && !repo.exists(".git/MERGE_HEAD"))
        #expect(try await repo.fingerprint() == before)
        #expect(try await repo.git("for-each-ref", "refs/timeturner/safety").isEmpty)

        // A range whose reverts apply: one revert commit per commit, newest first.
        let range = try await repo.timeturner("rollback", "--commits", "\(ids[1])..\(ids[3])", "--yes")
        #expect(range.status == 0, "\(range)")
        #expect(try await repo.git("log", "--format=%s", "-2").lines == ["Revert \"change c\"", "Revert \"change d\""])
        // It says what it did: reverted those commits on top, not "rolled back to" the old HEAD.
        let tip = try await repo.git("rev-parse", "--short=7", "HEAD").trimmed
        #expect(range.stdout.contains("Reverted \(ids[1])..\(ids[3]) (2 commits) on main, now at \(tip),") && !range.stdout.contains("Rolled back"), "\(range)")
        #expect(!range.stderr.contains("  target   "), "no target line for --commits: \(range)")
        #expect(repo.read("common.txt") == "version 2\n" && !repo.exists("c.txt") && repo.exists("b.txt"))
        #expect(try await repo.git("status", "--porcelain").isEmpty)
    }

    @Test func revertingAMergeCommitNeedsAMainline() async throws {
        let repo = try await ScratchRepository()
        _ = try await history(repo)
        try await repo.git("switch", "-q", "-c", "feature")
        try await repo.commit("feature", files: ["feature.txt": "f\n"])
        try await repo.git("switch", "-q", "main")
        try await repo.commit("main moves on", files: ["main.txt": "m\n"])
        try await repo.git("merge", "-q", "--no-ff", "-m", "merge feature", "feature")
        let merge = try await repo.git("rev-parse", "HEAD").trimmed

        let refused = try await repo.timeturner("rollback", "--commits", merge, "--yes")
        #expect(refused.status == 3 && refused.stderr.contains("--mainline 1"), "\(refused)")
        let run = try await repo.timeturner("rollback", "--commits", merge, "--mainline", "1", "--yes")
        #expect(run.status == 0, "\(run)")
        #expect(!repo.exists("feature.txt") && repo.exists("main.txt"))
        #expect(try await repo.git("rev-parse", "HEAD^").trimmed == merge)
    }

    @Test func detachedHeadIsRolledBackAndRestoredDetached() async throws {
        let repo = try await ScratchRepository()
        let ids = try await history(repo)
        try await repo.git("switch", "-q", "--detach", ids[3])
        let run = try await repo.timeturner("rollback", "--to", ids[1], "--yes", "--json")
        #expect(run.status == 0, "\(run)")
        #expect(field("head", in: run.stdout) == "detached")
        #expect(try await repo.gitResult(["symbolic-ref", "-q", "HEAD"]).status != 0)
        #expect(try await repo.git("rev-parse", "HEAD^").trimmed == ids[3])
        #expect(try await repo.git("rev-parse", "main").trimmed == ids[3], "the branch is not touched")
        let undo = try await repo.timeturner("undo", "--yes")
        #expect(undo.status == 0, "\(undo)")
        #expect(try await repo.git("rev-parse", "HEAD").trimmed == ids[3])
        #expect(try await repo.gitResult(["symbolic-ref", "-q", "HEAD"]).status != 0)
    }

    @Test func uncommittedWorkInTheWayIsNeverOverwritten() async throws {
        let repo = try await ScratchRepository()
        let ids = try await history(repo)
        try await repo.git("rm", "-q", "d.txt")
        try await repo.commit("drop d")
        // An untracked file where the target has a tracked one.
        try repo.write("d.txt", "my own d\n")
        let collision = try await repo.timeturner("rollback", "--to", ids[3], "--yes")
        #expect(collision.status == 3, "\(collision)")
        #expect(collision.stderr.contains("untracked files are in the way") && collision.stderr.contains("d.txt"))
        #expect(repo.read("d.txt") == "my own d\n")
        _ = try await runProcess("rm", ["d.txt"], environment: repo.environment, in: repo.path)
        // A modified tracked file the rollback would change.
        try repo.write("common.txt", "local edit\n")
        let dirty = try await repo.timeturner("rollback", "--to", ids[0], "--yes")
        #expect(dirty.status == 3 && dirty.stderr.contains("common.txt"), "\(dirty)")
        #expect(repo.read("common.txt") == "local edit\n")
        #expect(try await repo.git("for-each-ref", "refs/timeturner/safety").isEmpty)
    }

    @Test func unsafeRepositoriesAreRefusedBeforeAnyChange() async throws {
        // Mid-merge.
        let repo = try await ScratchRepository()
        let ids = try await history(repo)
        try await repo.git("switch", "-q", "-c", "side", ids[2])
        try await repo.commit("side", files: ["common.txt": "side\n"])
        try await repo.git("switch", "-q", "main")
        _ = try await repo.gitResult(["merge", "side"])
        #expect(repo.exists(".git/MERGE_HEAD"))
        let midMerge = try await repo.timeturner("rollback", "--to", ids[0], "--yes")
        #expect(midMerge.status == 3 && midMerge.stderr.contains("git merge is in progress"), "\(midMerge)")
        #expect(try await repo.git("rev-parse", "HEAD").trimmed == ids[3])

        // Empty repository.
        let empty = try await ScratchRepository()
        let none = try await empty.timeturner("rollback", "--to", "HEAD", "--yes")
        #expect(none.status == 1 && none.stderr.contains("no commits"), "\(none)")

        // Depth-1 clone.
        let clonePath = repo.siblingDirectory("shallow") + "/c"
        try await repo.git("clone", "-q", "--depth", "1", "file://" + repo.path, clonePath)
        let shallow = try await runProcess(TimeturnerBinary.path, ["rollback", "--to", "HEAD", "--yes"], environment: repo.environment, in: clonePath)
        #expect(shallow.status == 3 && shallow.stderr.contains("shallow clone") && shallow.stderr.contains("--unshallow"), "\(shallow)")

        // Bare repository.
        let bare = try await ScratchRepository(bare: true)
        let bareRun = try await bare.timeturner("rollback", "--to", "HEAD", "--yes")
        #expect(bareRun.status == 3 || bareRun.status == 1, "\(bareRun)")
        #expect(bareRun.stderr.contains("bare repository") || bareRun.stderr.contains("no commits"))
    }

    @Test func undoWorksAfterReflogExpiryAndGarbageCollection() async throws {
        let repo = try await ScratchRepository()
        let ids = try await history(repo)
        try repo.write("b.txt", "uncommitted b\n")
        try repo.write("scratch/untracked.txt", "untracked\n")
        let before = try await repo.fingerprint()
        let run = try await repo.timeturner("rollback", "--to", ids[1], "--mode", "reset", "--yes")
        #expect(run.status == 0, "\(run)")
        #expect(try await repo.git("rev-parse", "HEAD").trimmed == ids[1])
        try await repo.git("reflog", "expire", "--expire-unreachable=now", "--all")
        try await repo.git("gc", "-q", "--prune=now")
        // c and d are on no branch now; only the safety ref keeps them.
        #expect(try await repo.git("cat-file", "-t", ids[3]).trimmed == "commit")
        let undo = try await repo.timeturner("undo", "--yes", "--json")
        #expect(undo.status == 0, "\(undo)")
        #expect(try await repo.fingerprint() == before)
        #expect(try await repo.gitResult(["fsck", "--no-progress", "--strict"]).status == 0)
        let history = try await repo.timeturner("history")
        #expect(history.stdout.lines.dropFirst().first?.contains("undo") == true, "\(history)")
    }

    @Test func historyStatsCountByMode() async throws {
        let repo = try await ScratchRepository()
        let ids = try await history(repo)
        #expect(try await repo.timeturner("rollback", "--to", ids[2], "--yes").status == 0)
        #expect(try await repo.timeturner("rollback", "--to", ids[0], "--verify", "false", "--yes").status == 5)
        #expect(try await repo.timeturner("rollback", "--to", ids[1], "--mode", "reset", "--yes").status == 0)
        let stats = try await repo.timeturner("history", "--stats", "--json")
        #expect(stats.status == 0, "\(stats)")
        let parsed = try await runProcess("python3", ["-c", """
            import json,sys
            d = json.load(sys.stdin); s = d["stats"]
            print(s["overall"]["count"], s["overall"]["succeeded"], [(g["name"], g["count"]) for g in s["byMode"]], [e["status"] for e in d["entries"]])
            """], environment: repo.environment, in: repo.path, input: stats.stdout)
        #expect(parsed.stdout.trimmed == "3 2 [('reset', 1), ('revert', 2)] ['succeeded', 'verification-failed-restored', 'succeeded']", "\(parsed)")
        let text = try await repo.timeturner("history", "--stats")
        #expect(text.stdout.contains("67%"))
    }

    /// A commit that a damaged pack index no longer finds reads as "no such commit" to libgit2,
    /// as it would to git (neither checks the index's checksum on every read): for an object id
    /// the error points at `git fsck`, which names the damage.
    @Test func aCommitLostToADamagedPackIndexPointsAtGitFsck() async throws {
        let repo = try await ScratchRepository()
        let ids = try await history(repo)
        try await repo.git("gc", "-q", "--prune=now")
        let found = try await runProcess("find", [repo.path + "/.git/objects/pack", "-name", "*.idx"], environment: repo.environment, in: repo.path)
        let index = try #require(found.stdout.split(separator: "\n").first.map(String.init))
        // The index lists every object of the repository (all packed now), sorted by id.
        let sorted = try await repo.git("cat-file", "--batch-all-objects", "--batch-check=%(objectname)").split(separator: "\n").map(String.init)
        let position = try #require(sorted.firstIndex(of: ids[1]))
        var bytes = try #require(readFile(index))
        chmod(index, 0o644)  // git writes it read-only
        bytes[8 + 1024 + 20 * position + 19] ^= 0x01  // the id's last byte, in the index's table of ids
        try writeFile(index, bytes)
        let run = try await repo.timeturner("rollback", "--to", ids[1], "--dry-run")
        #expect(run.status != 0 && run.stderr.contains("no such commit") && run.stderr.contains("git fsck"), "\(run)")
        let fsck = try await repo.gitResult(["fsck"])
        #expect(fsck.status != 0, "git fsck did not see the damaged index: \(fsck)")
        // A name that is not an object id keeps the usual hint.
        let named = try await repo.timeturner("rollback", "--to", "no-such-branch", "--dry-run")
        #expect(named.status != 0 && !named.stderr.contains("git fsck") && named.stderr.contains("git log --oneline"), "\(named)")
    }

    /// A blob of the target that cannot be read (a damaged loose object) fails the checkout, read
    /// ahead or not: the file written before it and the branch are put back, and the rollback says
    /// it failed. The blob read ahead on the plan's second thread is skipped there, not fatal.
    @Test func aDamagedBlobOfTheTargetStopsTheCheckoutAndEverythingIsPutBack() async throws {
        let repo = try await ScratchRepository()
        let first = try await repo.commit("one", files: ["a.txt": "a1\n", "b.txt": "b1\n", "c.txt": "c1\n"])
        let head = try await repo.commit("two", files: ["a.txt": "a2\n", "b.txt": "b2\n", "c.txt": "c2\n"])
        let blob = try await repo.git("rev-parse", "\(first):b.txt").trimmed
        try damageLooseObject(blob, in: repo, with: Array("not a zlib stream".utf8))
        let indexBefore = try await repo.git("ls-files", "-s")
        let refsBefore = try await repo.git("for-each-ref", "--format=%(refname) %(objectname)", "refs/heads/")
        for mode in ["reset", "revert"] {
            let run = try await repo.timeturner("rollback", "--to", first, "--mode", mode, "--yes")
            #expect(run.status != 0 && run.stderr.contains("could not update the work tree"), "\(mode): \(run)")
            #expect(run.stderr.contains("b.txt: blob \(blob) cannot be read") && run.stderr.contains("git fsck"), "\(mode): \(run)")
            #expect(!run.stderr.contains("a.txt:") && !run.stderr.contains("c.txt:"), "only the damaged one is named: \(run)")
            #expect(try await repo.git("rev-parse", "HEAD").trimmed == head, "\(mode)")
            #expect(repo.read("a.txt") == "a2\n" && repo.read("b.txt") == "b2\n" && repo.read("c.txt") == "c2\n", "\(mode)")
            #expect(try await repo.git("status", "--porcelain").isEmpty, "\(mode)")
            #expect(try await repo.git("ls-files", "-s") == indexBefore, "the index is as it was: \(mode)")
            #expect(try await repo.git("for-each-ref", "--format=%(refname) %(objectname)", "refs/heads/") == refsBefore, "\(mode)")
        }
        let journal = try await repo.timeturner("history", "--json")
        #expect(journal.status == 0 && journal.stdout.ranges(of: "\"failed-restored\"").count == 2, "\(journal)")
    }

    /// A file the rollback would replace whose committed blob does not read (an empty loose
    /// object, as a crash leaves): the work tree holds the only good copy, so the rollback is
    /// refused before anything is written, and following the hint repairs the object.
    @Test func aRollbackOverAFileWhoseCommittedBlobIsDamagedIsRefused() async throws {
        let repo = try await ScratchRepository()
        let first = try await repo.commit("one", files: ["a.txt": "a1\n", "b.txt": "b1\n"])
        let head = try await repo.commit("two", files: ["a.txt": "a2\n", "b.txt": "b2\n"])
        let blob = try await repo.git("rev-parse", "HEAD:b.txt").trimmed
        let object = try damageLooseObject(blob, in: repo, with: [])
        let indexBefore = try await repo.git("ls-files", "-s", "--debug")
        let refsBefore = try await repo.git("for-each-ref", "--format=%(refname) %(objectname)")
        for mode in ["reset", "revert"] {
            let run = try await repo.timeturner("rollback", "--to", first, "--mode", mode, "--yes")
            #expect(run.status != 0 && run.stderr.contains("cannot be read: b.txt;") && run.stderr.contains("nothing was changed"), "\(mode): \(run)")
            #expect(run.stderr.contains("git hash-object -w -- b.txt") && !run.stderr.contains("a.txt"), "\(mode): \(run)")
            #expect(try await repo.git("rev-parse", "HEAD").trimmed == head && repo.read("b.txt") == "b2\n" && repo.read("a.txt") == "a2\n")
            #expect(try await repo.git("for-each-ref", "--format=%(refname) %(objectname)") == refsBefore, "no ref written (no safety backup, no journal): \(mode)")
            #expect(try await repo.git("ls-files", "-s", "--debug") == indexBefore, "the index, stat data included, untouched: \(mode)")
            #expect(!repo.exists(".git/timeturner/state.jsonl") && !repo.exists(".git/timeturner/lock"), "no operation state left: \(mode)")
        }
        // The hint, followed: the object moved aside and written again from the file.
        _ = try await runProcess("mv", [object, object + ".damaged"], environment: repo.environment, in: repo.path)
        #expect(try await repo.git("hash-object", "-w", "--", "b.txt").trimmed == blob)
        let again = try await repo.timeturner("rollback", "--to", first, "--mode", "reset", "--yes")
        #expect(again.status == 0 && repo.read("b.txt") == "b1\n", "\(again)")

        // Undo replaces the files the rollback wrote; one of those blobs damaged, undo refuses too.
        try damageLooseObject(try await repo.git("rev-parse", "HEAD:b.txt").trimmed, in: repo, with: [])
        let indexBeforeUndo = try await repo.git("ls-files", "-s", "--debug")
        let refsBeforeUndo = try await repo.git("for-each-ref", "--format=%(refname) %(objectname)")
        let undo = try await repo.timeturner("undo", "--yes")
        #expect(undo.status == 3 && undo.stderr.contains("files the undo would replace cannot be read: b.txt;"), "\(undo)")
        #expect(try await repo.git("rev-parse", "HEAD").trimmed == first && repo.read("b.txt") == "b1\n", "\(undo)")
        #expect(try await repo.git("ls-files", "-s", "--debug") == indexBeforeUndo && repo.read("a.txt") == "a1\n", "\(undo)")
        #expect(try await repo.git("for-each-ref", "--format=%(refname) %(objectname)") == refsBeforeUndo, "undo wrote no ref: \(undo)")
    }
}

/// Overwrites the loose object `id` with `bytes` (empty: as a crash can leave it) and returns its
/// path. git writes objects read-only, so the file is made writable first.
@discardableResult
private func damageLooseObject(_ id: String, in repo: ScratchRepository, with bytes: [UInt8]) throws -> String {
    let object = repo.path + "/.git/objects/" + id.prefix(2) + "/" + id.dropFirst(2)
    chmod(object, 0o644)
    try writeFile(object, bytes)
    return object
}
