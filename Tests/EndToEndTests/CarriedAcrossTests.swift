import Glibc
import Testing
import TestSupport

/// Untracked files a rollback carries across untouched must come out of a restore and an undo
/// untouched too. The safety backup holds them (`S^{tree}`), but writing them back is not the
/// restore's business: found by an adversarial run, a file that the rolled-back `.gitignore`
/// now ignores made every restore fail (exit 6, and `recover` failed the same way each time),
/// made undo fail, and the restore of that failed undo deleted it while saying nothing was lost;
/// an untracked symlink made undo refuse as if it had been changed.
@Suite struct CarriedAcrossTests {
    /// c1 ignores *.tmp, c2 does not; an untracked a.tmp sits in the work tree at c2.
    func repositoryWithAFileTheTargetIgnores() async throws -> (ScratchRepository, String) {
        let repo = try await ScratchRepository()
        let first = try await repo.commit("c1", files: ["f": "a\n", ".gitignore": "*.tmp\n"])
        try await repo.git("rm", "-q", ".gitignore")
        try await repo.git("commit", "-q", "-m", "c2")
        try repo.write("a.tmp", "precious\n")
        return (repo, first)
    }

    @Test(arguments: ["reset", "revert"])
    func aFileTheTargetIgnoresSurvivesRollbackAndUndo(mode: String) async throws {
        let (repo, first) = try await repositoryWithAFileTheTargetIgnores()
        let before = try await repo.fingerprint()
        let rollback = try await repo.timeturner("rollback", "--to", first, "--mode", mode, "--yes")
        #expect(rollback.status == 0, "\(rollback)")
        #expect(try await repo.git("status", "--porcelain", "--ignored").contains("!! a.tmp"), "ignored now")
        let undo = try await repo.timeturner("undo", "--yes")
        #expect(undo.status == 0, "\(mode): \(undo)")
        #expect(repo.read("a.tmp") == "precious\n")
        if mode == "reset" { #expect(try await repo.fingerprint() == before, "exactly as before") }
        #expect(try await repo.timeturner("undo", "--yes").stderr.contains("no rollback to undo"), "the undo is recorded as done")
    }

    @Test(arguments: ["reset", "revert"])
    func aFailedVerificationRestoresOverAFileTheTargetIgnores(mode: String) async throws {
        let (repo, first) = try await repositoryWithAFileTheTargetIgnores()
        let before = try await repo.fingerprint()
        let run = try await repo.timeturner("rollback", "--to", first, "--mode", mode, "--verify", "false", "--yes")
        #expect(run.status == 5, "restored, not stuck (exit 6): \(run)")
        #expect(try await repo.fingerprint() == before)
        #expect(!repo.exists(".git/timeturner/state.jsonl") && !repo.exists(".git/timeturner/lock"))
    }

    @Test func anUntrackedSymlinkDoesNotBlockUndo() async throws {
        let repo = try await ScratchRepository()
        let first = try await repo.commit("c1", files: ["f": "a\n"])
        try await repo.commit("c2", files: ["f": "b\n"])
        #expect(symlink("f", repo.path + "/link") == 0)
        let before = try await repo.fingerprint()
        #expect(try await repo.timeturner("rollback", "--to", first, "--mode", "reset", "--yes").status == 0)
        let undo = try await repo.timeturner("undo", "--yes")
        #expect(undo.status == 0, "\(undo)")
        #expect(try await repo.fingerprint() == before)
    }

    /// An untracked repository inside the work tree (a tool cloned into a subdirectory) made
    /// every rollback fail writing its safety backup ("invalid path: 'tool/'"). It is left out
    /// of the snapshot and alone, like any other repository.
    @Test func anUntrackedNestedRepositoryDoesNotBlockARollback() async throws {
        let repo = try await ScratchRepository()
        let first = try await repo.commit("c1", files: ["f": "a\n"])
        try await repo.commit("c2", files: ["f": "b\n"])
        _ = try await runProcess("/bin/sh", ["-c", "git init -q tool && cd tool && echo t >t && git add t && git commit -qm t"],
                                 environment: repo.environment, in: repo.path)
        try repo.write("untracked.txt", "u\n")
        let before = try await repo.fingerprint()
        let rollback = try await repo.timeturner("rollback", "--to", first, "--yes")
        #expect(rollback.status == 0 && repo.read("f") == "a\n", "\(rollback)")
        let safety = try await repo.git("for-each-ref", "--format=%(refname)", "refs/timeturner/safety/").trimmed
        #expect(try await repo.git("show", "\(safety):untracked.txt") == "u\n", "the other untracked files are captured")
        #expect(try await repo.gitResult(["cat-file", "-e", "\(safety):tool"]).status != 0, "the nested repository is not")
        #expect(try await repo.timeturner("undo", "--yes").status == 0)
        #expect(try await repo.fingerprint() == before)
    }

    /// A file the rollback wrote, changed again while its verification ran (by the command, or
    /// by a person): the restore puts back the state from before, as it says, but the changed
    /// bytes were in no ref and no object, and were destroyed. Now they are kept first.
    @Test(arguments: ["reset", "revert"])
    func aFileChangedWhileVerificationRanIsKeptBeforeTheRestore(mode: String) async throws {
        let repo = try await ScratchRepository()
        let first = try await repo.commit("c1", files: ["f": "a\n", "k": "k\n"])
        try await repo.commit("c2", files: ["f": "b\n"])
        let before = try await repo.fingerprint()
        let run = try await repo.timeturner("rollback", "--to", first, "--mode", mode, "--verify", "printf 'precious edit\\n' > f; false", "--yes")
        #expect(run.status == 5, "\(run)")
        #expect(try await repo.fingerprint() == before, "restored exactly")
        let ref = try await repo.git("for-each-ref", "--format=%(refname)", "refs/timeturner/edits/").trimmed
        #expect(ref.hasPrefix("refs/timeturner/edits/") && run.stderr.contains("f changed while the rollback ran") && run.stderr.contains(ref), "\(run)")
        #expect(try await repo.git("show", "\(ref):f") == "precious edit\n", "the changed bytes are kept")
        #expect(try await repo.gitResult(["cat-file", "-e", "\(ref):k"]).status != 0, "only the changed file")
        #expect(try await repo.gitResult(["fsck", "--no-progress", "--strict"]).status == 0)
        // A verification that changes nothing keeps nothing.
        let plain = try await repo.timeturner("rollback", "--to", first, "--mode", mode, "--verify", "false", "--yes")
        #expect(plain.status == 5 && !plain.stderr.contains("changed while"), "\(plain)")
        #expect(try await repo.git("for-each-ref", "refs/timeturner/edits/").lines.count == 1)
    }

    /// A tracked file the undo does not write, changed after the rollback (or only reading as
    /// changed: the rollback took away the `.gitattributes` that gave it CRLF), is left as it
    /// is, its change kept as uncommitted: undo refused before, though it would overwrite nothing.
    @Test func aChangeElsewhereDoesNotBlockUndo() async throws {
        let repo = try await ScratchRepository()
        let first = try await repo.commit("c1", files: ["f.txt": "a\n", "k": "k\n"])
        try await repo.commit("c2", files: [".gitattributes": "*.txt eol=crlf\n"])
        unlink(repo.path + "/f.txt")
        try await repo.git("checkout", "--", "f.txt")
        #expect(repo.read("f.txt") == "a\r\n")
        let before = try await repo.fingerprint()
        #expect(try await repo.timeturner("rollback", "--to", first, "--mode", "reset", "--yes").status == 0)
        let undo = try await repo.timeturner("undo", "--yes")
        #expect(undo.status == 0, "\(undo)")
        #expect(try await repo.fingerprint() == before)

        #expect(try await repo.timeturner("rollback", "--to", first, "--mode", "reset", "--yes").status == 0)
        try repo.write("k", "edited after the rollback\n")
        let again = try await repo.timeturner("undo", "--yes")
        #expect(again.status == 0, "\(again)")
        #expect(repo.read("k") == "edited after the rollback\n" && repo.read(".gitattributes") == "*.txt eol=crlf\n")
        #expect(try await repo.git("status", "--porcelain").contains(" M k"))
    }

    /// What a verification command can leave where the restore writes, found by a second
    /// adversarial run: a symbolic link at a file's path or on a directory's way (libgit2's
    /// forced checkout wrote through it, over files outside the repository), a directory where a
    /// file was (its files were deleted without a word), a file where a directory was, a FIFO
    /// (the restore blocked for good), a file the rolled-back .gitignore ignores (the restore
    /// failed, and recover with it). Each is kept in refs/timeturner/edits/<id>, with its mode,
    /// then removed without being followed; the restore then puts everything back (exit 5).
    @Test(arguments: ["symlinks", "directory at a file", "file at a directory", "fifo", "ignored", "executable"])
    func whatAVerificationLeavesInTheRestoresWayIsKeptAndNothingOutsideIsWritten(case kind: String) async throws {
        let repo = try await ScratchRepository()
        let outside = repo.siblingDirectory("outside")
        try writeFile(outside + "/precious", Array("PRECIOUS\n".utf8))
        mkdir(outside + "/dir", 0o755)
        try writeFile(outside + "/dir/s", Array("OUTSIDE\n".utf8))
        let first = try await repo.commit("c1", files: ["a.txt": "a\n", ".gitignore": "*.gen\n", "run.sh": "#!/bin/sh\n"])
        try await repo.commit("c2", files: ["a.txt": "b\n", "sub/s": "s\n", "run.sh": "#!/bin/sh\necho 2\n"])
        try repo.write("t.gen", "tracked\n")
        try await repo.git("add", "-f", "t.gen")
        try await repo.git("commit", "-q", "-m", "c3")
        let before = try await repo.fingerprint()
        let edit: String
        switch kind {
        case "symlinks": edit = "rm a.txt; ln -s '\(outside)/precious' a.txt; rm -r sub; ln -s '\(outside)/dir' sub"
        case "directory at a file": edit = "rm a.txt; mkdir a.txt; echo UNIQUE > a.txt/inner"
        case "file at a directory": edit = "rm -r sub; echo FILE > sub"
        case "fifo": edit = "rm a.txt; mkfifo a.txt"
        case "ignored": edit = "echo ign > t.gen"
        default: edit = "echo x >> run.sh; chmod +x run.sh"
        }
        let run = try await repo.timeturner("rollback", "--to", first, "--mode", "reset", "--verify", edit + "; false", "--yes")
        #expect(run.status == 5, "\(kind): \(run)")
        #expect(try await repo.fingerprint() == before, "\(kind): restored exactly")
        #expect(readFile(outside + "/precious") == Array("PRECIOUS\n".utf8) && readFile(outside + "/dir/s") == Array("OUTSIDE\n".utf8),
                "\(kind): nothing outside the work tree was written")
        let ref = try await repo.git("for-each-ref", "--format=%(refname)", "refs/timeturner/edits/").trimmed
        let kept = ref.isEmpty ? "" : try await repo.git("ls-tree", "-r", ref)
        switch kind {
        case "symlinks": #expect(kept.contains("120000 blob") && kept.contains("\ta.txt") && kept.contains("\tsub"), "\(kept)")
        case "directory at a file": #expect(try await repo.git("show", "\(ref):a.txt/inner") == "UNIQUE\n")
        case "file at a directory": #expect(try await repo.git("show", "\(ref):sub") == "FILE\n")
        case "fifo": #expect(run.stderr.contains("a.txt appeared while the rollback ran and is not a file"), "\(run)")
        case "ignored": #expect(try await repo.git("show", "\(ref):t.gen") == "ign\n")
        default: #expect(kept.contains("100755 blob") && kept.contains("\trun.sh"), "\(kept)")
        }
        #expect(try await repo.gitResult(["fsck", "--no-progress", "--strict"]).status == 0)
    }

    /// An untracked file changed after the rollback is the user's newer work: undo leaves it
    /// as it is now (the safety backup keeps the version from before the rollback).
    @Test func anUntrackedFileChangedAfterTheRollbackIsLeftAsItIsNow() async throws {
        let repo = try await ScratchRepository()
        let first = try await repo.commit("c1", files: ["f": "a\n"])
        try await repo.commit("c2", files: ["f": "b\n"])
        try repo.write("notes.txt", "before\n")
        #expect(try await repo.timeturner("rollback", "--to", first, "--yes").status == 0)
        try repo.write("notes.txt", "after\n")
        let undo = try await repo.timeturner("undo", "--yes")
        #expect(undo.status == 0, "\(undo)")
        #expect(repo.read("notes.txt") == "after\n" && repo.read("f") == "b\n")
        var kept: [String] = []
        for ref in try await repo.git("for-each-ref", "--format=%(refname)", "refs/timeturner/safety/").lines {
            kept.append(try await repo.git("show", "\(ref):notes.txt"))
        }
        #expect(kept.sorted() == ["after\n", "before\n"], "the rollback's backup keeps the version from before, the undo's the one after")
    }
}

/// A rollback (or undo) that removes a gitlink: libgit2's checkout deletes the submodule's
/// directory with everything in it. An adversarial run lost a repository made with `git init` in
/// place (its `.git` and its only commit) and an absorbed submodule's ignored files, with exit 0
/// and a warning that said the checkout was left alone. Now refused while the directory holds
/// anything; an empty one (never checked out) is removed as before.
@Suite struct SubmoduleRemovalTests {
    @Test(arguments: ["reset", "revert"])
    func aRollbackThatRemovesACheckedOutSubmoduleIsRefused(mode: String) async throws {
        let repo = try await ScratchRepository()
        let first = try await repo.commit("c1", files: ["f": "a\n"])
        let embedded = repo.path + "/emb"
        _ = try await runProcess("/bin/sh", ["-c", "git init -q emb && cd emb && echo e >e && git add e && git commit -qm only-copy && echo s >.git/x.log"],
                                 environment: repo.environment, in: repo.path)
        let only = try await runProcess("git", ["rev-parse", "HEAD"], environment: repo.environment, in: embedded).stdout.trimmed
        try await repo.git("add", "emb")
        try await repo.git("commit", "-q", "-m", "c2")
        let head = try await repo.git("rev-parse", "HEAD").trimmed
        let before = try await repo.fingerprint()
        let run = try await repo.timeturner("rollback", "--to", first, "--mode", mode, "--yes")
        #expect(run.status == 3 && run.stderr.contains("removes the submodule emb") && run.stderr.contains("nothing was changed"), "\(run)")
        #expect(try await repo.git("rev-parse", "HEAD").trimmed == head)
        #expect(try await repo.fingerprint() == before)
        let kept = try await runProcess("git", ["cat-file", "-t", only], environment: repo.environment, in: embedded)
        #expect(kept.stdout.trimmed == "commit" && repo.read("emb/.git/x.log") == "s\n", "the nested repository is whole")
        // The directory moved away, as the hint says: the rollback goes ahead.
        #expect(rename(embedded, repo.path + "/../emb-aside") == 0)
        #expect(try await repo.timeturner("rollback", "--to", first, "--mode", mode, "--yes").status == 0)
    }
}

/// Each worktree has its own HEAD, index and work tree; an undo run in another one applied the
/// rollback's state there (it moved that worktree's HEAD and wrote the first one's untracked
/// file into it), and the first could then no longer undo its own rollback (adversarial run).
@Suite struct WorktreeUndoTests {
    @Test func anUndoOnlyUndoesARollbackOfItsOwnWorktree() async throws {
        let repo = try await ScratchRepository()
        let first = try await repo.commit("c1", files: ["f": "a\n"])
        try await repo.commit("c2", files: ["f": "b\n"])
        let a = repo.siblingDirectory("wt") + "/A", b = repo.siblingDirectory("wt") + "/B"
        try await repo.git("worktree", "add", "-q", "--detach", a, "main")
        try await repo.git("worktree", "add", "-q", "--detach", b, "main~1")
        try writeFile(a + "/only-in-A", Array("x\n".utf8))
        let rollback = try await repo.timeturner(["rollback", "--to", first, "--mode", "reset", "--yes", "--json"], in: a)
        #expect(rollback.status == 0, "\(rollback)")
        let id = try #require(rollback.stdout.firstMatch(of: /"id": "([^"]+)"/)?.1).description
        #expect(rollback.stdout.contains("\"worktree\": \"worktrees/A\""), "the event names the worktree: \(rollback)")
        let headOfB = try await runProcess("git", ["rev-parse", "HEAD"], environment: repo.environment, in: b).stdout
        // B's status does not offer A's rollback as its last one.
        let statusOfB = try await repo.timeturner(["status"], in: b)
        #expect(statusOfB.stdout.contains("No rollback recorded yet.") && !statusOfB.stdout.contains(id), "\(statusOfB)")
        #expect(try await repo.timeturner(["status"], in: a).stdout.contains(id))
        let implicit = try await repo.timeturner(["undo", "--yes"], in: b)
        #expect(implicit.status == 1 && implicit.stderr.contains("a rollback made in another worktree is undone there"), "\(implicit)")
        let named = try await repo.timeturner(["undo", id, "--yes"], in: b)
        #expect(named.status == 3 && named.stderr.contains("changed the worktree 'worktrees/A'") && named.stderr.contains("nothing was changed"), "\(named)")
        #expect(try await runProcess("git", ["rev-parse", "HEAD"], environment: repo.environment, in: b).stdout == headOfB)
        #expect(access(b + "/only-in-A", F_OK) != 0, "nothing of A's was written into B")
        let own = try await repo.timeturner(["undo", "--yes"], in: a)
        #expect(own.status == 0, "A undoes its own: \(own)")
        #expect(readFile(a + "/f") == Array("b\n".utf8))
    }
}

/// Undo puts back the index from before the rollback byte for byte. Something staged (or
/// flagged) after the rollback, in a file whose work-tree content had not changed, was dropped
/// without a word (adversarial run); now undo refuses, naming it. What the rollback itself left,
/// including entries it carried across (intent-to-add, an index of version 4), is not a change.
@Suite struct UndoIndexTests {
    @Test func somethingStagedOrFlaggedAfterTheRollbackIsRefusedNotDropped() async throws {
        let repo = try await ScratchRepository()
        let first = try await repo.commit("c1", files: ["f": "a\n", "k": "k\n"])
        try await repo.commit("c2", files: ["f": "b\n"])
        try repo.write("planned.txt", "later\n")
        try await repo.git("add", "-N", "planned.txt")
        try await repo.git("update-index", "--index-version", "4")
        let before = try await repo.fingerprint()
        #expect(try await repo.timeturner("rollback", "--to", first, "--mode", "reset", "--yes").status == 0)

        try repo.write("k", "staged-only\n")
        try await repo.git("add", "k")
        try repo.write("k", "k\n")
        let staged = try await repo.timeturner("undo", "--yes")
        #expect(staged.status == 3 && staged.stderr.contains("the index changed since the rollback (staged content or flags): k;") && staged.stderr.contains("nothing was changed"), "\(staged)")
        #expect(try await repo.git("show", ":k") == "staged-only\n", "still staged")
        try await repo.git("restore", "--staged", "k")

        try await repo.git("update-index", "--assume-unchanged", "f")
        let flagged = try await repo.timeturner("undo", "--yes")
        #expect(flagged.status == 3 && flagged.stderr.contains("changed since the rollback (staged content or flags): f;"), "\(flagged)")
        try await repo.git("update-index", "--no-assume-unchanged", "f")

        let undo = try await repo.timeturner("undo", "--yes")
        #expect(undo.status == 0, "\(undo)")
        #expect(try await repo.fingerprint() == before)
        #expect(try await repo.git("ls-files", "--debug", "planned.txt").contains("planned.txt"), "the intent-to-add entry is back")
    }
}

/// A directory that becomes a file and back, and a file that becomes a directory and back: the
/// rollback refused the first ("files git ignores are in the way", though nothing was ignored)
/// and undo refused the second ("files changed since the rollback"), though nothing had changed.
@Suite struct DirectoryAndFileTests {
    @Test(arguments: ["reset", "revert"])
    func aDirectoryThatBecomesAFileRoundTrips(mode: String) async throws {
        let repo = try await ScratchRepository()
        let first = try await repo.commit("c1", files: ["f": "a\n", "other": "o\n"])
        try await repo.git("rm", "-q", "f")
        try await repo.commit("c2", files: ["f/inner": "b\n", "f/deeper/x": "x\n"])
        let before = try await repo.fingerprint()
        let rollback = try await repo.timeturner("rollback", "--to", first, "--mode", mode, "--yes")
        #expect(rollback.status == 0 && repo.read("f") == "a\n", "\(rollback)")
        let undo = try await repo.timeturner("undo", "--yes")
        #expect(undo.status == 0 && repo.read("f/inner") == "b\n" && repo.read("f/deeper/x") == "x\n", "\(undo)")
        if mode == "reset" { #expect(try await repo.fingerprint() == before) }
    }

    /// The restore after a failed verification turns the file back into the directory; the file
    /// is the rollback's own, not something someone left there, so nothing is "kept".
    @Test(arguments: ["reset", "revert"])
    func aFailedVerificationPutsTheDirectoryBack(mode: String) async throws {
        let repo = try await ScratchRepository()
        let first = try await repo.commit("c1", files: ["f": "a\n"])
        try await repo.git("rm", "-q", "f")
        try await repo.commit("c2", files: ["f/inner": "b\n"])
        let before = try await repo.fingerprint()
        let run = try await repo.timeturner("rollback", "--to", first, "--mode", mode, "--verify", "false", "--yes")
        #expect(run.status == 5 && !run.stderr.contains("changed while"), "\(run)")
        #expect(try await repo.fingerprint() == before)
        #expect(try await repo.git("for-each-ref", "refs/timeturner/edits/").isEmpty)
    }

    @Test func aDirectoryHoldingAnUntrackedFileIsStillInTheWay() async throws {
        let repo = try await ScratchRepository()
        let first = try await repo.commit("c1", files: ["f": "a\n"])
        try await repo.git("rm", "-q", "f")
        try await repo.commit("c2", files: ["f/inner": "b\n"])
        try repo.write("f/mine.txt", "untracked\n")
        let run = try await repo.timeturner("rollback", "--to", first, "--mode", "reset", "--yes")
        #expect(run.status == 3 && run.stderr.contains("untracked files are in the way of paths the rollback would write: f/mine.txt"), "\(run)")
        #expect(repo.read("f/mine.txt") == "untracked\n" && repo.read("f/inner") == "b\n")
    }

    @Test func aFileThatBecomesADirectoryRoundTrips() async throws {
        let repo = try await ScratchRepository()
        let first = try await repo.commit("c1", files: ["f/inner": "b\n"])
        try await repo.git("rm", "-rq", "f")
        try await repo.commit("c2", files: ["f": "a\n"])
        let before = try await repo.fingerprint()
        #expect(try await repo.timeturner("rollback", "--to", first, "--mode", "reset", "--yes").status == 0)
        #expect(repo.read("f/inner") == "b\n")
        let undo = try await repo.timeturner("undo", "--yes")
        #expect(undo.status == 0, "\(undo)")
        #expect(try await repo.fingerprint() == before)
    }
}

/// A full disk while the checkout writes a large file: the half-written file had filled the disk,
/// so the restore's first write, the branch ref, failed, and every such rollback ended in exit 6
/// (adversarial run). The restore now puts the files back first when the ref cannot be written
/// for lack of space, which removes that file, then moves the ref. A real, small tmpfs: root only
/// (CI runs as root).
@Suite(.enabled(if: getuid() == 0, "mounts a tmpfs")) struct FullDiskRestoreTests {
    @Test(arguments: [48, 160])
    func aCheckoutThatFillsTheDiskIsRestored(freeKiB: Int) async throws {
        let scratch = try await ScratchRepository()
        let mountPoint = scratch.siblingDirectory("small-disk")
        let mounted = try await runProcess("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", mountPoint], environment: scratch.environment, in: scratch.path)
        try #require(mounted.status == 0, "\(mounted)")
        defer { _ = umount2(mountPoint, Int32(MNT_DETACH)) }
        let script = """
        set -e
        git init -q -b main r && cd r
        head -c 200000 /dev/urandom > big.bin; echo a > f.txt; git add -A; git commit -qm c1
        rm big.bin; echo b > f.txt; git add -A; git commit -qm c2
        free=$(df -k --output=avail . | tail -1)
        dd if=/dev/zero of=../fill bs=1k count=$((free - \(freeKiB))) 2>/dev/null
        """
        let made = try await runProcess("/bin/sh", ["-c", script], environment: scratch.environment, in: mountPoint)
        try #require(made.status == 0, "\(made)")
        let repo = mountPoint + "/r"
        let head = try await runProcess("git", ["rev-parse", "HEAD"], environment: scratch.environment, in: repo).stdout
        let run = try await runProcess(TimeturnerBinary.path, ["rollback", "--to", "HEAD~1", "--yes"], environment: scratch.environment, in: repo)
        #expect(run.status == 1, "restored, not exit 6: \(run)")
        #expect(run.stderr.contains("No space left on device") && run.stderr.contains("the state before the rollback was restored"), "\(run)")
        #expect(try await runProcess("git", ["rev-parse", "HEAD"], environment: scratch.environment, in: repo).stdout == head)
        #expect(try await runProcess("git", ["status", "--porcelain"], environment: scratch.environment, in: repo).stdout.isEmpty)
        #expect(access(repo + "/.git/timeturner/state.jsonl", F_OK) != 0, "nothing left for recover")
    }
}
