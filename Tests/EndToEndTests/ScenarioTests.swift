import Testing
import TestSupport
internal import Glibc

/// Scenarios from the shared list (docs/scenarios-coverage.md maps each to its tests) that no
/// other suite covered fully. Each runs the built binary against a throwaway repository and
/// checks the result with the git CLI.
@Suite struct ScenarioTests {
    /// Four commits on main: files a..d, plus `common.txt` changed by each.
    func history(_ repo: ScratchRepository) async throws -> [String] {
        var ids: [String] = []
        for (index, name) in ["a", "b", "c", "d"].enumerated() {
            ids.append(try await repo.commit("change \(name)", files: ["\(name).txt": "\(name)\n", "common.txt": "version \(index + 1)\n"]))
        }
        return ids
    }

    /// What a command must leave alone, read with git in any directory (clones included).
    func state(_ repo: ScratchRepository, in directory: String) async throws -> String {
        let script = "git rev-parse HEAD; git symbolic-ref -q HEAD || true; git for-each-ref; git status --porcelain -uall; git ls-files -s"
        let result = try await runProcess("/bin/sh", ["-c", script], environment: repo.environment, in: directory)
        guard result.status == 0 else { throw SetupError("state failed: \(result)") }
        return result.stdout
    }

    /// A failure a person can act on: `error: …` then `hint: …`, and never a Swift trap.
    func expectClearError(_ run: ProcessResult, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(run.status >= 1 && run.status < 100, "\(what): \(run)", sourceLocation: sourceLocation)
        #expect(run.stderr.hasPrefix("error: ") && run.stderr.contains("\nhint: "), "\(what): \(run)", sourceLocation: sourceLocation)
        #expect(!run.stderr.contains("Fatal error") && !run.stderr.contains("Stack dump"), "\(what): \(run)", sourceLocation: sourceLocation)
    }

    // MARK: - 4: a lock left by a process killed while taking it

    @Test func scenario4AnEmptyLockLeftByAKilledProcessIsRecoverableButAFreshOneIsNotBroken() async throws {
        let repo = try await ScratchRepository()
        let ids = try await history(repo)
        // Killed between creating the lock (O_EXCL) and writing its line: an empty file.
        try repo.write(".git/timeturner/lock", "")
        let before = try await repo.fingerprint()
        // Fresh, it may be a live process writing it right now: waited for, never broken.
        let young = try await repo.timeturner("rollback", "--to", ids[0], "--yes")
        #expect(young.status == 4 && young.stderr.contains(".git/timeturner/lock"), "\(young)")
        let refused = try await repo.timeturner("recover", "--yes")
        #expect(refused.status == 4, "\(refused)")
        #expect(repo.exists(".git/timeturner/lock"))

        // Old, it is abandoned: reported with the command that clears it, and cleared by it.
        _ = try await runProcess("touch", ["-d", "10 minutes ago", ".git/timeturner/lock"], environment: repo.environment, in: repo.path)
        let blocked = try await repo.timeturner("rollback", "--to", ids[0], "--yes")
        #expect(blocked.status == 4, "\(blocked)")
        #expect(blocked.stderr.contains("unreadable lock") && blocked.stderr.contains("git timeturner recover"), "\(blocked)")
        let status = try await repo.timeturner("status")
        #expect(status.stdout.contains("interrupted") && status.stdout.contains("git timeturner recover"), "\(status)")
        #expect(try await repo.fingerprint() == before)
        let recover = try await repo.timeturner("recover", "--yes")
        #expect(recover.status == 0 && recover.stdout.contains("stale lock"), "\(recover)")
        #expect(!repo.exists(".git/timeturner/lock"))
        let run = try await repo.timeturner("rollback", "--to", ids[0], "--yes")
        #expect(run.status == 0, "\(run)")
        #expect(try await repo.git("diff", "HEAD", ids[0]).isEmpty)
    }

    // MARK: - 13: untracked files in the way

    @Test func scenario13UntrackedFilesInTheWayAreNeverClobbered() async throws {
        let repo = try await ScratchRepository()
        let ids = try await history(repo)
        // The rollback deletes c.txt and d.txt; afterwards the user puts their own c.txt there.
        let run = try await repo.timeturner("rollback", "--to", ids[1], "--yes")
        #expect(run.status == 0, "\(run)")
        try repo.write("c.txt", "my own c\n")
        let rolledBack = try await repo.git("rev-parse", "HEAD").trimmed
        let undo = try await repo.timeturner("undo", "--yes")
        #expect(undo.status == 3, "\(undo)")
        #expect(undo.stderr.contains("c.txt"), "\(undo)")
        #expect(repo.read("c.txt") == "my own c\n")
        #expect(try await repo.git("rev-parse", "HEAD").trimmed == rolledBack)
        #expect(try await repo.git("status", "--porcelain").lines == ["?? c.txt"])

        // An untracked directory where the target has a file (d.txt/inner vs d.txt).
        _ = try await runProcess("rm", ["c.txt"], environment: repo.environment, in: repo.path)
        try repo.write("d.txt/inner", "nested work\n")
        let before = try await repo.fingerprint()
        let reset = try await repo.timeturner("rollback", "--to", ids[3], "--mode", "reset", "--yes")
        #expect(reset.status == 3, "\(reset)")
        #expect(reset.stderr.contains("d.txt"), "\(reset)")
        #expect(repo.read("d.txt/inner") == "nested work\n")
        #expect(try await repo.fingerprint() == before)
    }

    // MARK: - 14: an operation in progress

    @Test(arguments: ["revert", "rebase", "cherry-pick"])
    func scenario14ARepositoryMidOperationIsRefusedBeforeAnyChange(operation: String) async throws {
        let repo = try await ScratchRepository()
        let ids = try await history(repo)
        switch operation {
        case "revert":
            // Reverting "change b" conflicts on common.txt and stops with REVERT_HEAD.
            _ = try await repo.gitResult(["revert", "--no-edit", ids[1]])
            #expect(repo.exists(".git/REVERT_HEAD"))
        case "rebase":
            try await repo.git("switch", "-q", "-c", "side", ids[0])
            try await repo.commit("side", files: ["common.txt": "side\n"])
            _ = try await repo.gitResult(["rebase", "main"])
            #expect(repo.exists(".git/rebase-merge") || repo.exists(".git/rebase-apply"))
        default:
            try await repo.git("switch", "-q", "-c", "side", ids[0])
            let pick = try await repo.commit("side", files: ["common.txt": "side\n"])
            try await repo.git("switch", "-q", "main")
            _ = try await repo.gitResult(["cherry-pick", pick])
            #expect(repo.exists(".git/CHERRY_PICK_HEAD"))
        }
        let before = try await repo.fingerprint()
        let refsBefore = try await repo.git("for-each-ref")
        for command in [["rollback", "--to", ids[0], "--yes"], ["rollback", "--to", ids[0], "--dry-run"],
                        ["rollback", "--to", ids[0], "--mode", "reset", "--yes"]] {
            let run = try await repo.timeturner(command)
            #expect(run.status == 3, "\(command): \(run)")
            #expect(run.stderr.contains("\(operation) is in progress") && run.stderr.contains("hint: "), "\(command): \(run)")
        }
        #expect(try await repo.fingerprint() == before)
        #expect(try await repo.git("for-each-ref") == refsBefore)
    }

    // MARK: - 15: detached HEAD

    @Test func scenario15DetachedHeadIsRecordedAndRestoredDetachedAtTheSameCommit() async throws {
        let repo = try await ScratchRepository()
        let ids = try await history(repo)
        try await repo.git("switch", "-q", "--detach", ids[2])
        let before = try await repo.fingerprint()
        // A failed verification restores HEAD detached at the same commit, the branch untouched.
        let failed = try await repo.timeturner("rollback", "--to", ids[0], "--verify", "false", "--yes", "--json")
        #expect(failed.status == 5, "\(failed)")
        #expect(field("head", in: failed.stdout) == "detached")
        #expect(try await repo.fingerprint() == before)
        #expect(try await repo.gitResult(["symbolic-ref", "-q", "HEAD"]).status != 0)
        // Reset mode moves only the detached HEAD; the safety ref records it as detached.
        let reset = try await repo.timeturner("rollback", "--to", ids[0], "--mode", "reset", "--yes", "--json")
        #expect(reset.status == 0, "\(reset)")
        let id = try #require(field("id", in: reset.stdout))
        #expect(try await repo.git("rev-parse", "HEAD").trimmed == ids[0])
        #expect(try await repo.git("rev-parse", "main").trimmed == ids[3])
        let trailer = try await repo.git("log", "-1", "--format=%(trailers:key=Timeturner-Head,valueonly)", "refs/timeturner/safety/\(id)")
        #expect(trailer.trimmed == "detached")
        let undo = try await repo.timeturner("undo", "--yes")
        #expect(undo.status == 0, "\(undo)")
        #expect(try await repo.fingerprint() == before)
    }

    // MARK: - 20: merge commit in the range

    @Test func scenario20AMergeInTheRangeIsHandledByRestoringTheTargetTreeAndSaysSo() async throws {
        let repo = try await ScratchRepository()
        let ids = try await history(repo)
        try await repo.git("switch", "-q", "-c", "side", ids[1])
        try await repo.commit("side work", files: ["side.txt": "side\n"])
        try await repo.git("switch", "-q", "main")
        try await repo.git("merge", "-q", "--no-ff", "-m", "merge side", "side")
        let merge = try await repo.git("rev-parse", "HEAD").trimmed

        let dry = try await repo.timeturner("rollback", "--to", ids[1], "--dry-run")
        #expect(dry.status == 0, "\(dry)")
        #expect(dry.stdout.contains("1 merge: the target's tree is restored, no mainline needed"), "\(dry)")
        #expect(dry.stdout.contains("merge side (merge)"))
        let json = try await repo.timeturner("rollback", "--to", ids[1], "--dry-run", "--json")
        #expect(json.stdout.contains("\"merge\": true"), "\(json)")
        // Reverting only the merge needs a mainline, and the refusal says which flag.
        let refused = try await repo.timeturner("rollback", "--commits", merge, "--yes")
        #expect(refused.status == 3 && refused.stderr.contains("--mainline"), "\(refused)")

        let run = try await repo.timeturner("rollback", "--to", ids[1], "--yes")
        #expect(run.status == 0, "\(run)")
        #expect(try await repo.git("rev-parse", "HEAD^").trimmed == merge)
        #expect(try await repo.git("diff", "HEAD", ids[1]).isEmpty)
        #expect(!repo.exists("side.txt") && !repo.exists("c.txt"))
        #expect(try await repo.gitResult(["fsck", "--no-progress", "--strict"]).status == 0)
    }

    // MARK: - 16: empty repository, unborn branch

    static let everyCommand: [[String]] = [
        ["point"], ["points"], ["show", "HEAD"], ["delete", "nothing"], ["good", "--env", "production"],
        ["bad", "--env", "production"], ["last-good", "--env", "production"], ["registry", "list"], ["registry", "log"],
        ["history"], ["status"], ["recover", "--yes"], ["undo", "--yes"], ["rollback", "--to", "HEAD", "--yes"],
        ["rollback", "--env", "production", "--yes"], ["rollback", "--to", "main", "--dry-run"],
    ]
    /// Commands that need a commit on HEAD and must say so.
    static let needingHead: Set<String> = ["point", "good", "bad", "last-good", "undo", "rollback", "show", "delete"]

    @Test(arguments: [false, true])
    func scenario16EmptyRepositoryAndUnbornBranchGiveClearErrors(unbornBranchWithHistory: Bool) async throws {
        let repo = try await ScratchRepository()
        if unbornBranchWithHistory {
            _ = try await history(repo)
            try await repo.git("switch", "-q", "--orphan", "fresh")
        }
        let refsBefore = try await repo.git("for-each-ref")
        for command in Self.everyCommand {
            let run = try await repo.timeturner(command)
            if Self.needingHead.contains(command[0]) {
                expectClearError(run, command.joined(separator: " "))
            } else {
                #expect(run.status == 0 && !run.stderr.contains("error"), "\(command): \(run)")
            }
        }
        if unbornBranchWithHistory {
            let point = try await repo.timeturner("point")
            #expect(point.stderr.contains("unborn branch"), "\(point)")
        }
        #expect(try await repo.git("for-each-ref") == refsBefore, "nothing was written")
        #expect(try await repo.git("symbolic-ref", "HEAD").trimmed == (unbornBranchWithHistory ? "refs/heads/fresh" : "refs/heads/main"))
        #expect(!repo.exists(".git/timeturner/lock"))
    }

    // MARK: - 17: depth-1 clone

    @Test func scenario17ShallowCloneRefusesEveryHistoryWalkingCommandAndChangesNothing() async throws {
        let origin = try await ScratchRepository()
        _ = try await history(origin)
        let clone = origin.siblingDirectory("ci") + "/checkout"
        try await origin.git("clone", "-q", "--depth", "1", "file://" + origin.path, clone)
        func inClone(_ arguments: String...) async throws -> ProcessResult {
            try await origin.timeturner(arguments, in: clone)
        }
        // Recording works (nothing walks history): a CI job can mark what it deployed.
        #expect(try await inClone("good", "--env", "production").status == 0)
        let before = try await state(origin, in: clone)

        for command in [["rollback", "--to", "HEAD~1", "--yes"], ["rollback", "--env", "production", "--yes"],
                        ["rollback", "--to", "HEAD", "--dry-run"], ["undo", "--yes"], ["last-good", "--env", "production"]] {
            let run = try await origin.timeturner(command, in: clone)
            #expect(run.status == 3, "\(command): \(run)")
            #expect(run.stderr.hasPrefix("error: this is a shallow clone"), "\(command): \(run)")
            #expect(run.stderr.contains("hint: git fetch --unshallow"), "\(command): \(run)")
        }
        // last-good without the ancestry check needs no history.
        let any = try await inClone("last-good", "--env", "production", "--any")
        let originHead = try await origin.git("rev-parse", "HEAD").trimmed
        #expect(any.status == 0 && any.stdout.trimmed == originHead, "\(any)")
        #expect(try await state(origin, in: clone) == before)
        #expect(!origin.exists("../ci/checkout/.git/timeturner/lock"))
    }

    // MARK: - 18: bare repository

    @Test func scenario18BareRepositoryKeepsPointsMarksAndJournalButRefusesACodeRollback() async throws {
        let work = try await ScratchRepository()
        let ids = try await history(work)
        // A journal written in a clone with a work tree, then mirrored into the bare repository.
        #expect(try await work.timeturner("rollback", "--to", ids[2], "--yes", "--reason", "journal me").status == 0)
        let bare = work.siblingDirectory("server") + "/repo.git"
        try await work.git("clone", "-q", "--mirror", work.path, bare)
        func inBare(_ arguments: String...) async throws -> ProcessResult { try await work.timeturner(arguments, in: bare) }
        func gitInBare(_ arguments: String...) async throws -> String {
            try await runProcess("git", arguments, environment: work.environment, in: bare).stdout
        }

        #expect(try await inBare("point", ids[1], "--name", "in-bare", "-m", "made on the server").status == 0)
        #expect(try await inBare("points").stdout.contains("in-bare"))
        #expect(try await inBare("show", "in-bare").stdout.contains("made on the server"))
        #expect(try await gitInBare("cat-file", "-t", "refs/timeturner/points/in-bare").trimmed == "tag")
        #expect(try await inBare("good", ids[1], "--env", "production").status == 0)
        #expect(try await inBare("last-good", "--env", "production").stdout.trimmed == ids[1])
        #expect(try await gitInBare("show", "refs/timeturner/registry:marks/production/2026-11.jsonl").contains(ids[1]))
        let history = try await inBare("history")
        #expect(history.status == 0 && history.stdout.contains("journal me"), "\(history)")
        #expect(try await inBare("status").status == 0)

        let refsBefore = try await gitInBare("for-each-ref")
        for command in [["rollback", "--to", "in-bare", "--yes"], ["rollback", "--env", "production", "--dry-run"], ["undo", "--yes"]] {
            let run = try await work.timeturner(command, in: bare)
            #expect(run.status == 3, "\(command): \(run)")
            #expect(run.stderr.contains("bare repository") && run.stderr.contains("hint: "), "\(command): \(run)")
        }
        #expect(try await gitInBare("for-each-ref") == refsBefore)
        #expect(try await runProcess("git", ["fsck", "--no-progress"], environment: work.environment, in: bare).status == 0)
    }

    // MARK: - 19: symlinks, executable bits, submodules

    @Test func scenario19SymlinksAndExecutableBitsComeBackExactly() async throws {
        let repo = try await ScratchRepository()
        try await repo.git("config", "core.symlinks", "true")
        try repo.write("tool.sh", "#!/bin/sh\necho tool\n", mode: 0o755)
        try repo.write("config", "real file\n")
        _ = try await runProcess("ln", ["-s", "tool.sh", "current"], environment: repo.environment, in: repo.path)
        let target = try await repo.commit("layout", files: ["base.txt": "base\n"])
        // Later: the executable loses its bit, the file becomes a symlink, the symlink a file.
        _ = try await runProcess("chmod", ["644", "tool.sh"], environment: repo.environment, in: repo.path)
        _ = try await runProcess("rm", ["config", "current"], environment: repo.environment, in: repo.path)
        _ = try await runProcess("ln", ["-s", "base.txt", "config"], environment: repo.environment, in: repo.path)
        try repo.write("current", "now a file\n")
        try await repo.commit("reshape", files: ["later.txt": "later\n"])
        let before = try await repo.fingerprint()

        let run = try await repo.timeturner("rollback", "--to", target, "--yes")
        #expect(run.status == 0, "\(run)")
        let targetTree = try await repo.git("ls-tree", "-r", target)
        #expect(try await repo.git("ls-tree", "-r", "HEAD") == targetTree)
        #expect(try await repo.git("status", "--porcelain").isEmpty)
        #expect(try await runProcess("stat", ["-c", "%a", "tool.sh"], environment: repo.environment, in: repo.path).stdout.trimmed == "755")
        #expect(try await runProcess("readlink", ["current"], environment: repo.environment, in: repo.path).stdout.trimmed == "tool.sh")
        #expect(try await runProcess("test", ["!", "-L", "config"], environment: repo.environment, in: repo.path).status == 0)
        #expect(repo.read("config") == "real file\n")

        let undo = try await repo.timeturner("undo", "--yes")
        #expect(undo.status == 0, "\(undo)")
        #expect(try await repo.fingerprint() == before)
    }

    @Test func scenario19SubmoduleInTheRangeLosesNothingAndSaysWhatItDoesNotDo() async throws {
        let library = try await ScratchRepository()
        let first = try await library.commit("library 1", files: ["lib.txt": "1\n"])
        let second = try await library.commit("library 2", files: ["lib.txt": "2\n"])

        let repo = try await ScratchRepository()
        try await repo.commit("base", files: ["app.txt": "app\n"])
        try await repo.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", "file://" + library.path, "lib")
        let target = try await repo.commit("add lib at library 2")
        let pin = try await runProcess("git", ["checkout", "-q", first], environment: repo.environment, in: repo.path + "/lib")
        try #require(pin.status == 0, "\(pin)")
        try await repo.git("add", "lib")
        try await repo.commit("pin lib to library 1", files: ["app.txt": "app 2\n"])
        #expect(try await repo.git("ls-tree", "HEAD", "lib").contains(first))
        // Work inside the submodule that must survive whatever the rollback does.
        try repo.write("lib/scratch.txt", "mine\n")

        let run = try await repo.timeturner("rollback", "--to", target, "--yes")
        #expect(run.status == 0, "\(run)")
        // The gitlink is rolled back in the commit and the index, and the user is told that the
        // submodule's checkout is not.
        #expect(try await repo.git("ls-tree", "HEAD", "lib").contains(second))
        #expect(try await repo.git("ls-files", "-s", "lib").contains(second))
        #expect(run.stderr.contains("warning: submodule 'lib'") && run.stderr.contains("git submodule update --init -- lib"), "\(run)")
        let inLibrary = try await runProcess("git", ["rev-parse", "HEAD"], environment: repo.environment, in: repo.path + "/lib")
        #expect(inLibrary.stdout.trimmed == first, "the submodule's checkout is left where it was")
        #expect(repo.read("lib/scratch.txt") == "mine\n" && repo.read("lib/lib.txt") == "1\n")
        #expect(repo.read("app.txt") == "app\n")

        let dry = try await repo.timeturner("rollback", "--to", "HEAD~1", "--dry-run")
        #expect(dry.stderr.contains("warning: submodule 'lib'"), "\(dry)")
        // Undo puts the gitlink back, warns the same way, and still leaves the checkout alone.
        let undo = try await repo.timeturner("undo", "--yes")
        #expect(undo.status == 0, "\(undo)")
        #expect(undo.stderr.contains("warning: submodule 'lib': the undo changes the commit it records"), "\(undo)")
        #expect(try await repo.git("ls-tree", "HEAD", "lib").contains(first))
        #expect(repo.read("lib/scratch.txt") == "mine\n" && repo.read("app.txt") == "app 2\n")
        let afterUndo = try await runProcess("git", ["rev-parse", "HEAD"], environment: repo.environment, in: repo.path + "/lib")
        #expect(afterUndo.stdout.trimmed == first)
        #expect(try await repo.gitResult(["fsck", "--no-progress"]).status == 0)
    }

    // MARK: - 23: bad note and registry lines

    @Test func scenario23BrokenNoteLinesAreSkippedWithTheirPlaceAndKeptByteForByte() async throws {
        let repo = try await ScratchRepository()
        let head = try await repo.commit("one", files: ["a.txt": "a\n"])
        let short = try await repo.git("rev-parse", "--short", "HEAD").trimmed
        #expect(try await repo.timeturner("point", "--name", "first").status == 0)
        // Someone (another tool, a hand edit) adds lines the tool did not write, with plain git.
        var bytes = try await repo.gitBytes(["notes", "--ref=timeturner", "show", "HEAD"])
        bytes += Array("{\"type\":\"capture\",\"v\":1,\"trunc\":\n".utf8)                   // 2 truncated
        bytes += Array("{\"v\":1}\n".utf8)                                                  // 3 no type
        bytes += [0x7b, 0x00, 0x7d, 0x0a]                                                   // 4 NUL
        bytes += [0xc3, 0x28, 0x0a]                                                         // 5 invalid UTF-8
        bytes += Array("not json\n".utf8)                                                   // 6
        bytes += Array("{\"type\":\"capture\",\"v\":\"one\"}\n".utf8)                       // 7 wrong type
        bytes += Array("[1,2]\n".utf8)                                                      // 8 not an object
        bytes += Array("{\"type\":\"capture\",\"v\":1,\"command\":\"$(touch pwned)\",\"future\":{\"x\":1}}\n".utf8) // 9 unknown fields
        let file = repo.siblingDirectory("hand") + "/note"
        try writeFile(file, bytes)
        let blob = try await repo.git("hash-object", "-w", file).trimmed
        try await repo.git("notes", "--ref=timeturner", "add", "-f", "-C", blob, "HEAD")
        #expect(try await repo.gitBytes(["notes", "--ref=timeturner", "show", "HEAD"]) == bytes)

        for command in [["show", "HEAD"], ["show", "first"], ["show", "HEAD", "--json"]] {
            let run = try await repo.timeturner(command)
            #expect(run.status == 0, "\(command): \(run)")
            for line in 2...8 {
                #expect(run.stderr.contains("warning: refs/notes/timeturner on \(short):\(line): "), "\(command) line \(line): \(run.stderr)")
            }
            #expect(!run.stderr.contains(":9: ") && !run.stderr.contains(":1: "), "\(command): \(run.stderr)")
        }
        let shown = try await repo.timeturner("show", "HEAD")
        #expect(shown.stdout.contains("\"future\":{\"x\":1}"), "a line with unknown fields is kept and shown: \(shown)")
        #expect(shown.stdout.contains("first"))

        // A later point on the same commit appends after every earlier byte, NUL and all.
        #expect(try await repo.timeturner("point", "--name", "second").status == 0)
        let after = try await repo.gitBytes(["notes", "--ref=timeturner", "show", "HEAD"])
        #expect(Array(after.prefix(bytes.count)) == bytes)
        #expect(String(decoding: after.dropFirst(bytes.count), as: UTF8.self).contains("\"id\":\"second\""))
        let both = try await repo.timeturner("show", "HEAD", "--json")
        #expect(both.stdout.contains("\"second\"") && both.stdout.contains("\"first\""), "\(both)")
        #expect(try await repo.timeturner("points").stdout.contains("second"))
        #expect(!repo.exists("pwned"), "nothing in a note is ever executed")
        #expect(try await repo.git("rev-parse", "HEAD").trimmed == head)
        #expect(try await repo.gitResult(["fsck", "--no-progress", "--strict"]).status == 0)
    }

    @Test func scenario23BrokenJournalLinesAreSkippedByHistoryAndStatusWithTheirPlace() async throws {
        let repo = try await ScratchRepository()
        let ids = try await history(repo)
        #expect(try await repo.timeturner("rollback", "--to", ids[2], "--yes").status == 0)
        let shard = "journal/2026-11.jsonl"
        var bytes = try await repo.gitBytes(["show", "refs/timeturner/registry:\(shard)"])
        bytes += Array("{\"type\":\"rollback\",\"id\":\n".utf8) + [0x7b, 0x00, 0x7d, 0x0a, 0xff, 0x0a]
        bytes += Array("{\"type\":\"rollback\",\"id\":7,\"status\":[]}\n".utf8)
        let file = repo.siblingDirectory("hand") + "/journal"
        try writeFile(file, bytes)
        let blob = try await repo.git("hash-object", "-w", file).trimmed
        let registry = try await repo.git("rev-parse", "refs/timeturner/registry").trimmed
        let tree = try await repo.git("rev-parse", "refs/timeturner/registry^{tree}").trimmed
        let journal = try await repo.git("mktree", input: "100644 blob \(blob)\t2026-11.jsonl\n").trimmed
        let others = try await repo.git("ls-tree", tree).lines.filter { !$0.hasSuffix("\tjournal") }
        let root = try await repo.git("mktree", input: (others + ["040000 tree \(journal)\tjournal"]).joined(separator: "\n") + "\n").trimmed
        let commit = try await repo.git("commit-tree", root, "-p", registry, "-m", "hand edit").trimmed
        try await repo.git("update-ref", "refs/timeturner/registry", commit, registry)

        let history = try await repo.timeturner("history")
        #expect(history.status == 0 && history.stdout.contains("succeeded"), "\(history)")
        for line in 2...5 {
            #expect(history.stderr.contains("warning: refs/timeturner/registry:\(shard):\(line): "), "line \(line): \(history.stderr)")
        }
        #expect(try await repo.timeturner("status").status == 0)
        // The next journal event is appended after every earlier byte.
        #expect(try await repo.timeturner("undo", "--yes").status == 0)
        let after = try await repo.gitBytes(["show", "refs/timeturner/registry:\(shard)"])
        #expect(Array(after.prefix(bytes.count)) == bytes)
        #expect(try await repo.gitResult(["fsck", "--no-progress"]).status == 0)
    }

    // MARK: - 24: terminal escapes

    @Test func scenario24EscapeSequencesFromTheRepositoryAreShownEscapedEverywhere() async throws {
        let escape = "\u{1b}]0;pwned\u{07}\u{1b}[2J"
        let repo = try await ScratchRepository()
        let ids = try await history(repo)
        try await repo.commit("subject \(escape)", files: ["e.txt": "e\n"])
        #expect(try await repo.timeturner("point", ids[1], "--name", "p", "-m", "point \(escape)").status == 0)
        #expect(try await repo.timeturner("good", ids[1], "--env", "production", "--evidence", "evidence \(escape)").status == 0)
        #expect(try await repo.timeturner("bad", ids[2], "--env", "production", "--reason", "bad \(escape)").status == 0)
        // In a note: once JSON-escaped (valid JSON that decodes to ESC) and once raw (invalid JSON, skipped).
        try await repo.git("notes", "--ref=timeturner", "append", "-m", "{\"type\":\"capture\",\"v\":1,\"raw\":\"note \\u001b]0;pwned\\u0007\\u001b[2J\"}", ids[0])
        try await repo.git("notes", "--ref=timeturner", "append", "-m", "{\"type\":\"capture\",\"v\":1,\"raw\":\"note \(escape)\"}", ids[0])
        let rollback = try await repo.timeturner("rollback", "--to", "p", "--yes", "--reason", "reason \(escape)")
        #expect(rollback.status == 0, "\(rollback)")
        #expect(!rollback.stdout.contains("\u{1b}") && !rollback.stderr.contains("\u{1b}"), "\(rollback)")

        let commands: [[String]] = [
            ["points"], ["show", "p"], ["show", ids[0]], ["show", ids[1]], ["show", ids[2]], ["show", "HEAD"],
            ["registry", "list"], ["registry", "log"], ["history"], ["status"],
            ["last-good", "--env", "production"], ["rollback", "--to", ids[0], "--dry-run"], ["undo", "--yes"],
        ]
        var seen = ""
        for command in commands {
            let run = try await repo.timeturner(command)
            #expect(run.status == 0, "\(command): \(run)")
            #expect(!run.stdout.contains("\u{1b}") && !run.stderr.contains("\u{1b}") && !run.stdout.contains("\u{07}"),
                    "\(command) printed a raw escape: \(run)")
            seen += run.stdout + run.stderr
        }
        // Each kind of text is there, visibly escaped.
        for text in ["point", "evidence", "bad", "note", "reason", "subject"] {
            #expect(seen.contains("\(text) \\e]0;pwned\\x07\\e[2J") || seen.contains("\(text) \\u001b]0;pwned\\u0007\\u001b[2J"),
                    "\(text) was not shown escaped: \(seen)")
        }
    }

    // MARK: - 25: bad point and environment names

    @Test(arguments: ["-rf", "a..b", "two words", "$(reboot)", "esc\u{1b}[2J", "tab\there", "new\nline", "x/../y"])
    func scenario25BadEnvironmentNamesAreRefusedByEveryCommandWithTheRule(_ name: String) async throws {
        let repo = try await ScratchRepository()
        _ = try await history(repo)
        let before = try await repo.fingerprint()
        for command in [["good", "--env=\(name)"], ["bad", "--env=\(name)"], ["last-good", "--env=\(name)"],
                        ["rollback", "--env=\(name)", "--yes"], ["rollback", "--to", "last-good", "--env=\(name)", "--yes"],
                        ["point", "--env=\(name)"], ["point", "--name=\(name)"], ["registry", "list", "--env=\(name)"],
                        ["registry", "export", "--env=\(name)"], ["registry", "import", "/dev/null", "--env=\(name)"]] {
            let run = try await repo.timeturner(command)
            #expect(run.status == 64, "\(command): \(run)")
            #expect(run.stderr.hasPrefix("error: invalid ") && run.stderr.contains(": it ") && run.stderr.contains("\nhint: "),
                    "\(command): \(run)")
            #expect(!run.stderr.contains("\u{1b}"), "the raw escape reached the terminal")
        }
        #expect(try await repo.git("for-each-ref", "refs/timeturner", "refs/notes").isEmpty)
        #expect(try await repo.fingerprint() == before)
    }

    // MARK: - 27: a misbehaving executor, through the binary

    static let misbehaviour: [(mode: String, cause: String)] = [
        ("fail", "it exited with status 3"),
        ("invalid-json", "its output is not valid JSON"),
        ("flood", "bytes of output and was killed with its process group"),
        ("hang", "it did not answer within 1s and was killed with its process group"),
    ]

    @Test(arguments: [0, 1, 2, 3])
    func scenario27AMisbehavingExecutorIsNamedWithVerbAndCauseAndNothingChanges(_ index: Int) async throws {
        let (mode, cause) = Self.misbehaviour[index]
        let repo = try await ScratchRepository()
        let ids = try await history(repo)
        // The user's own .git/config: no trust needed.
        try await repo.git("config", "timeturner.tier.deploy.executor", "testing")
        try await repo.git("config", "timeturner.executor.testing.outputLimit", "65536")
        let path = ["PATH": Fixtures.executors + ":" + (repo.environment["PATH"] ?? "/usr/bin:/bin")]
        let first = try await repo.timeturner(["point", ids[1], "--name", "good-one"], extraEnvironment: path)
        #expect(first.status == 0, "\(first)")

        try await repo.git("config", "timeturner.executor.testing.mode", mode)
        // Only the hanging executor gets a short limit: a slow start on a busy machine is not a hang.
        if mode == "hang" { try await repo.git("config", "timeturner.executor.testing.timeout", "1") }
        let point = try await repo.timeturner(["point", "--name", "p2"], extraEnvironment: path)
        #expect(point.status == 1, "\(point)")
        #expect(point.stderr.contains("executor 'testing' failed to capture the deploy tier: ") && point.stderr.contains(cause), "\(point)")
        #expect(try await repo.gitResult(["rev-parse", "-q", "--verify", "refs/timeturner/points/p2"]).status != 0)

        // A rollback first asks the executor with a dry run (the preflight); when it misbehaves
        // there, the rollback stops before anything changed.
        let before = try await repo.fingerprint()
        let refsBefore = try await repo.git("for-each-ref", "refs/timeturner/safety")
        let rollback = try await repo.timeturner(["rollback", "--to", "good-one", "--tiers", "code,deploy", "--yes"], extraEnvironment: path)
        #expect(rollback.status == 3, "\(rollback)")
        #expect(rollback.stderr.contains("the preflight found that the rollback cannot be done; nothing was changed"), "\(rollback)")
        #expect(rollback.stderr.contains("executor 'testing' failed to rollback the deploy tier: ") && rollback.stderr.contains(cause), "\(rollback)")
        #expect(try await repo.fingerprint() == before)
        #expect(try await repo.git("for-each-ref", "refs/timeturner/safety") == refsBefore)
        #expect(try await repo.git("rev-parse", "HEAD").trimmed == ids[3])
    }
}
