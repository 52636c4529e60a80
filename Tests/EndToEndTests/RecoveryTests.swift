import Testing
import TestSupport
internal import Glibc

/// Crashes, races and locks: the test-only hook `TIMETURNER_TEST_PAUSE_AT=<step>` holds a
/// rollback before a step so a test can kill it there or act in between.
@Suite struct RecoveryTests {
    func history(_ repo: ScratchRepository) async throws -> [String] {
        var ids: [String] = []
        for (index, name) in ["a", "b", "c", "d"].enumerated() {
            ids.append(try await repo.commit("change \(name)", files: ["\(name).txt": "\(name)\n", "common.txt": "version \(index + 1)\n"]))
        }
        return ids
    }

    @Test(arguments: ["safety-ref", "move-ref", "work-tree", "verify", "restore"])
    func killedMidRollbackIsRestoredByRecover(step: String) async throws {
        let repo = try await ScratchRepository()
        let ids = try await history(repo)
        try repo.write("a.txt", "uncommitted a\n")
        try repo.write("untracked.txt", "untracked\n")
        let before = try await repo.fingerprint()
        let verify = step == "restore" ? "false" : "true"
        let status = try await repo.timeturnerPaused(["rollback", "--to", ids[1], "--mode", "reset", "--verify", verify, "--yes"],
                                                     before: step) { pid, _ in
            kill(pid, SIGKILL)
        }
        #expect(status == 128 + SIGKILL)

        let shown = try await repo.timeturner("status", "--json")
        #expect(shown.status == 0, "\(shown)")
        #expect(shown.stdout.contains("\"interrupted\": true"), "\(shown)")
        #expect(shown.stdout.contains("\"step\": \"\(step)\""))
        let text = try await repo.timeturner("status")
        #expect(text.stdout.contains("git timeturner recover"))

        let recover = try await repo.timeturner("recover", "--yes", "--json")
        #expect(recover.status == 0, "\(recover)")
        #expect(recover.stdout.contains(step == "safety-ref" || step == "move-ref" ? "nothing-changed" : "restored"), "\(recover)")
        #expect(try await repo.fingerprint() == before)
        // No commit became unreachable, and the lock and state are gone.
        #expect(try await repo.git("rev-parse", "main").trimmed == ids[3])
        #expect(try await repo.gitResult(["fsck", "--no-progress", "--strict"]).status == 0)
        #expect(!repo.exists(".git/timeturner/lock") && !repo.exists(".git/timeturner/state.jsonl"))
        let again = try await repo.timeturner("recover", "--yes")
        #expect(again.stdout.contains("Nothing to recover"))
    }

    @Test func killedAfterVerificationPassedIsCompletedByRecover() async throws {
        let repo = try await ScratchRepository()
        let ids = try await history(repo)
        let status = try await repo.timeturnerPaused(["rollback", "--to", ids[1], "--verify", "true", "--yes"], before: "journal") { pid, _ in
            kill(pid, SIGKILL)
        }
        #expect(status == 128 + SIGKILL)
        let recover = try await repo.timeturner("recover", "--yes", "--json")
        #expect(recover.stdout.contains("completed"), "\(recover)")
        #expect(try await repo.git("rev-parse", "HEAD^{tree}").trimmed == repo.git("rev-parse", "\(ids[1])^{tree}").trimmed)
        #expect(try await repo.git("status", "--porcelain").isEmpty)
        let history = try await repo.timeturner("history", "--json")
        #expect(history.stdout.contains("\"status\": \"succeeded\"") && history.stdout.contains("\"recoveredAt\""), "\(history)")
    }

    @Test func secondRollbackIsRefusedNamingTheHolder() async throws {
        let repo = try await ScratchRepository()
        let ids = try await history(repo)
        let second = ResultBox()
        let status = try await repo.timeturnerPaused(["rollback", "--to", ids[2], "--yes"], before: "move-ref") { pid, marker in
            let run = try await repo.timeturner("rollback", "--to", ids[0], "--yes")
            let shown = try await repo.timeturner("status")
            second.set(run, shown, pid)
            unlink(marker)
        }
        #expect(status == 0)
        let (run, shown, pid) = try #require(second.value)
        #expect(run.status == 4, "\(run)")
        #expect(run.stderr.contains("rollback") && run.stderr.contains("pid \(pid)"))
        #expect(shown.stdout.contains("time-turner active") && shown.stdout.contains("step move-ref"), "\(shown)")
        // The first one finished; the second changed nothing.
        #expect(try await repo.git("rev-parse", "HEAD^{tree}").trimmed == repo.git("rev-parse", "\(ids[2])^{tree}").trimmed)
        #expect(try await repo.git("rev-parse", "HEAD^").trimmed == ids[3])
    }

    @Test func commitBetweenPlanAndMoveFailsTheCompareAndChangesNothing() async throws {
        let repo = try await ScratchRepository()
        let ids = try await history(repo)
        let status = try await repo.timeturnerPaused(["rollback", "--to", ids[0], "--mode", "reset", "--yes"], before: "move-ref") { _, marker in
            try await repo.commit("urgent fix", files: ["fix.txt": "fix\n"])
            unlink(marker)
        }
        #expect(status == 3)
        let head = try await repo.git("log", "-1", "--format=%s").trimmed
        #expect(head == "urgent fix")
        #expect(try await repo.git("status", "--porcelain").isEmpty)
        #expect(repo.read("common.txt") == "version 4\n" && repo.exists("fix.txt"))
        #expect(try await repo.git("for-each-ref", "refs/timeturner/safety").isEmpty)
        #expect(!repo.exists(".git/timeturner/lock") && !repo.exists(".git/timeturner/state.jsonl"))
    }

    @Test func staleLockIsReportedAndClearedByRecoverButALiveOneIsNot() async throws {
        let repo = try await ScratchRepository()
        let ids = try await history(repo)
        let host = try await runProcess("hostname", [], environment: repo.environment, in: repo.path).stdout.trimmed
        // A pid that cannot be alive: far above pid_max's default.
        try repo.write(".git/timeturner/lock", "{\"host\":\"\(host)\",\"id\":\"x\",\"operation\":\"rollback\",\"pid\":99999999,\"start\":\"2026-11-18T11:06:40Z\"}\n")
        let blocked = try await repo.timeturner("rollback", "--to", ids[0], "--yes")
        #expect(blocked.status == 4, "\(blocked)")
        #expect(blocked.stderr.contains("no longer runs") && blocked.stderr.contains("git timeturner recover"))
        let recover = try await repo.timeturner("recover", "--yes")
        #expect(recover.status == 0 && recover.stdout.contains("stale lock"), "\(recover)")
        #expect(!repo.exists(".git/timeturner/lock"))

        // A live holder (this test process) is never broken.
        try repo.write(".git/timeturner/lock", "{\"host\":\"\(host)\",\"id\":\"y\",\"operation\":\"rollback\",\"pid\":\(getpid()),\"start\":\"2026-11-18T11:06:40Z\"}\n")
        let live = try await repo.timeturner("recover", "--yes")
        #expect(live.status == 4, "\(live)")
        #expect(repo.exists(".git/timeturner/lock"))
        let shown = try await repo.timeturner("status", "--json")
        #expect(shown.stdout.contains("\"active\": true"))
    }
}

extension RecoveryTests {
    /// A lock file that names no holder (a process killed between creating and writing it):
    /// every command says so in the same words and how it ends, and once it is old enough to be
    /// abandoned, `recover` clears it. Before, `status` said nothing was running while `rollback`
    /// and `recover` called it a live operation.
    @Test func anUnreadableLockIsNamedAndClearedOnceAbandoned() async throws {
        let repo = try await ScratchRepository()
        let ids = try await history(repo)
        for content in ["", "garbage{\n"] {
            try repo.write(".git/timeturner/lock", content)
            let status = try await repo.timeturner("status")
            #expect(status.stdout.hasPrefix("lock unreadable: its lock file ") && status.stdout.contains("abandoned 60 s after"), "\(status)")
            let json = try await repo.timeturner("status", "--json")
            #expect(json.stdout.contains("\"lockUnreadable\": true") && json.stdout.contains("\"active\": false"), "\(json)")
            let blocked = try await repo.timeturner("rollback", "--to", ids[0], "--yes")
            #expect(blocked.status == 4 && blocked.stderr.contains("cannot be read (empty or corrupt)") && blocked.stderr.contains("'git timeturner recover' clears it"), "\(blocked)")
            let early = try await repo.timeturner("recover", "--yes")
            #expect(early.status == 4 && early.stderr.contains("cannot be read (empty or corrupt)") && !early.stderr.contains("still running"), "\(early)")
            #expect(try await repo.git("rev-parse", "HEAD").trimmed == ids[3] && repo.exists(".git/timeturner/lock"))

            // Unchanged for two minutes: abandoned.
            let old = time(nil) - 120
            var times = [timespec(tv_sec: old, tv_nsec: 0), timespec(tv_sec: old, tv_nsec: 0)]
            #expect(utimensat(AT_FDCWD, repo.path + "/.git/timeturner/lock", &times, 0) == 0)
            #expect(try await repo.timeturner("status").stdout.hasPrefix("interrupted: a stale lock"))
            let recover = try await repo.timeturner("recover", "--yes")
            #expect(recover.status == 0 && recover.stdout.contains("stale lock"), "\(recover)")
            #expect(!repo.exists(".git/timeturner/lock"))
        }
        #expect(try await repo.timeturner("rollback", "--to", ids[2], "--yes").status == 0)
    }

    /// Killed during its verification, after which the work tree holds a symbolic link where the
    /// rollback wrote a file: `recover` keeps the link and removes it before putting the file
    /// back, instead of writing through it into the file outside the repository.
    @Test func recoverDoesNotWriteThroughALinkLeftInTheWorkTree() async throws {
        let repo = try await ScratchRepository()
        let ids = try await history(repo)
        let outside = repo.siblingDirectory("outside") + "/precious"
        try writeFile(outside, Array("PRECIOUS\n".utf8))
        let before = try await repo.fingerprint()
        let status = try await repo.timeturnerPaused(["rollback", "--to", ids[1], "--verify", "true", "--yes"], before: "verify") { pid, _ in
            unlink(repo.path + "/common.txt")
            _ = symlink(outside, repo.path + "/common.txt")
            kill(pid, SIGKILL)
        }
        #expect(status == 128 + SIGKILL)
        let recover = try await repo.timeturner("recover", "--yes")
        #expect(recover.status == 0 && recover.stderr.contains("common.txt changed while the rollback ran"), "\(recover)")
        #expect(readFile(outside) == Array("PRECIOUS\n".utf8), "nothing outside was written")
        #expect(try await repo.fingerprint() == before)
        let ref = try await repo.git("for-each-ref", "--format=%(refname)", "refs/timeturner/edits/").trimmed
        #expect(try await repo.git("ls-tree", ref, "common.txt").hasPrefix("120000 blob"))
    }

    /// A lock file of the registry's left behind (a crash): a rollback refuses before it changes
    /// anything, as for git's other lock files, since it could not journal what it did; `good`
    /// names the lock file instead of blaming concurrent writers.
    @Test func aRegistryLockLeftBehindIsRefusedUpFrontAndNamed() async throws {
        let repo = try await ScratchRepository()
        let ids = try await history(repo)
        try repo.write(".git/refs/timeturner/registry.lock", "")
        let rollback = try await repo.timeturner("rollback", "--to", ids[1], "--yes")
        #expect(rollback.status == 3 && rollback.stderr.contains("refs/timeturner/registry.lock") && rollback.stderr.contains("nothing was changed"), "\(rollback)")
        #expect(try await repo.git("rev-parse", "HEAD").trimmed == ids[3])
        #expect(try await repo.git("for-each-ref", "refs/timeturner/").isEmpty, "no safety backup written")
        let good = try await repo.timeturner("good", "--env", "production")
        #expect(good.status == 1 && good.stderr.contains("refs/timeturner/registry.lock stayed in place") && good.stderr.contains("remove the stale"), "\(good)")
        #expect(!good.stderr.contains("kept changing under concurrent writers"), "\(good)")
    }

    /// A state file with no record is what a power loss before the first change leaves
    /// (StateDurabilityTests), but not when the branch has moved since the safety backup: records
    /// that were synced are gone. `recover` refuses and says where the state before it is,
    /// instead of clearing the lock and leaving a half-done rollback behind as if it had never run.
    @Test func anEmptyStateFileAfterTheSafetyBackupIsRefusedNotAbandoned() async throws {
        let repo = try await ScratchRepository()
        let ids = try await history(repo)
        let status = try await repo.timeturnerPaused(["rollback", "--to", ids[1], "--verify", "true", "--yes"], before: "verify") { pid, _ in
            kill(pid, SIGKILL)
        }
        #expect(status == 128 + SIGKILL)
        let moved = try await repo.git("rev-parse", "HEAD").trimmed
        #expect(moved != ids[3])
        try repo.write(".git/timeturner/state.jsonl", "")
        let recover = try await repo.timeturner("recover", "--yes")
        #expect(recover.status == 3, "\(recover)")
        #expect(recover.stderr.contains("left no readable record") && recover.stderr.contains("has moved from where its safety backup refs/timeturner/safety/") && recover.stderr.contains("nothing was changed"), "\(recover)")
        #expect(try await repo.git("rev-parse", "HEAD").trimmed == moved && repo.exists(".git/timeturner/lock"), "nothing cleared, nothing moved")
        let safety = try await repo.git("for-each-ref", "--format=%(refname)", "refs/timeturner/safety/").trimmed
        #expect(try await repo.git("rev-parse", "\(safety)^1").trimmed == ids[3], "the hint's safety ref holds where HEAD was")
    }
}

/// Carries results out of a `@Sendable` closure.
final class ResultBox: @unchecked Sendable {
    private let lock = NSLockLike()
    private var stored: (ProcessResult, ProcessResult, Int32)?
    func set(_ a: ProcessResult, _ b: ProcessResult, _ pid: Int32) { lock.locked { stored = (a, b, pid) } }
    var value: (ProcessResult, ProcessResult, Int32)? { lock.locked { stored } }
}

final class NSLockLike: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body()
    }
}
