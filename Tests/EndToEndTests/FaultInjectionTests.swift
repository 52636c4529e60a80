import Testing
import TestSupport
internal import Glibc

/// The fault-injection sweep: `TIMETURNER_TEST_FAULT=<step kind>:<fault>` makes the first step
/// of that kind fail as the operating system would (ENOSPC, EACCES) or delivers a signal
/// (SIGINT, SIGTERM, SIGHUP handled; SIGKILL not), for every step kind of a rollback with a tier
/// and a verification, and of its undo. Wherever the outcome says restored, the repository
/// (refs, index, work tree, ignored files, the tier's state) is exactly as before; after a
/// SIGKILL, `recover` makes it so (or completes a rollback that only lacked its journal).
@Suite struct FaultInjectionTests {
    static let faults = ["ENOSPC", "EACCES", "SIGINT", "SIGTERM", "SIGHUP", "SIGKILL"]
    static let rollbackKinds = ["lock", "capture", "safety-ref", "move-ref", "work-tree", "tiers", "verify", "journal"]
    static let undoKinds = ["lock", "capture", "safety-ref", "restore", "tiers", "journal"]

    /// The exit status a fault before a step of `kind` must end in.
    static func expectedStatus(_ fault: String, _ kind: String) -> Int32 {
        switch fault {
        case "SIGKILL": return 128 + SIGKILL
        case "SIGINT": return kind == "journal" ? 0 : 130
        case "SIGTERM": return kind == "journal" ? 0 : 143
        case "SIGHUP": return kind == "journal" ? 0 : 129
        default:
            switch kind {
            case "journal": return 0                       // the rollback stands; the journal is a warning
            case "tiers", "verify": return 5               // a tier or verification step failed: restored
            default: return 1                              // an I/O failure; restored or nothing changed
            }
        }
    }

    func deployed() async throws -> ScratchRepository {
        let repo = try await ScratchRepository()
        try await repo.git("config", "timeturner.tier.deploy.executor", "command")
        try await repo.git("config", "timeturner.tier.deploy.capture", "cat deployed")
        try await repo.git("config", "timeturner.tier.deploy.rollback", #"printf '%s\n' "$TIMETURNER_CAPTURE" > deployed"#)
        try repo.write("deployed", "v1\n")
        try await repo.commit("v1", files: ["app.txt": "v1\n", "keep.txt": "keep\n", ".gitignore": "deployed\n"])
        #expect(try await repo.timeturner("point", "--name", "p1", "-m", "v1").status == 0)
        try await repo.commit("v2", files: ["app.txt": "v2\n", "new.txt": "new\n"])
        try repo.write("deployed", "v2\n")
        try repo.write("keep.txt", "uncommitted\n")
        try repo.write("untracked.txt", "untracked\n")
        return repo
    }

    @Test(arguments: rollbackKinds)
    func everyFaultBeforeEveryRollbackStep(kind: String) async throws {
        for fault in Self.faults {
            let repo = try await deployed()
            let before = try await repo.fingerprintIncludingIgnored()
            let run = try await repo.timeturner(["rollback", "--to", "p1", "--level", "1", "--verify", "true", "--yes"],
                                                extraEnvironment: ["TIMETURNER_TEST_FAULT": "\(kind):\(fault)"])
            let label = "\(kind):\(fault)"
            #expect(run.status == Self.expectedStatus(fault, kind), "\(label): \(run)")
            if fault == "SIGKILL" {
                let recover = try await repo.timeturner("recover", "--yes")
                #expect(recover.status == 0, "\(label): \(recover)")
            }
            if kind == "journal" {
                // Everything had been done: the rollback stands (completed by recover after a SIGKILL).
                #expect(repo.read("app.txt") == "v1\n" && repo.read("deployed") == "v1\n", "\(label)")
                if fault.hasPrefix("E") {
                    // The event was not written, so undo cannot find it: the summary must not offer
                    // the undo command, but the safety backup, which is there.
                    #expect(run.stderr.contains("could not write the journal event"), "\(label): \(run)")
                    #expect(!run.stdout.contains("undo it:       git timeturner undo") && run.stdout.contains("not with 'git timeturner undo'"), "\(label): \(run)")
                    let safety = try await repo.git("for-each-ref", "--format=%(refname)", "refs/timeturner/safety/").trimmed
                    #expect(!safety.isEmpty && run.stdout.contains(safety), "\(label): \(run)")
                }
            } else {
                #expect(try await repo.fingerprintIncludingIgnored() == before, "\(label)")
                if fault.hasPrefix("E") && !["lock", "capture", "safety-ref", "move-ref"].contains(kind) {
                    #expect(run.stderr.contains(fault == "ENOSPC" ? "No space left on device" : "Permission denied"), "\(label): \(run)")
                }
            }
            #expect(!repo.exists(".git/timeturner/lock") && !repo.exists(".git/timeturner/state.jsonl"), "\(label)")
            #expect(try await repo.gitResult(["fsck", "--no-progress"]).status == 0, "\(label)")
        }
    }

    @Test(arguments: undoKinds)
    func everyFaultBeforeEveryUndoStep(kind: String) async throws {
        for fault in Self.faults {
            let repo = try await deployed()
            #expect(try await repo.timeturner("rollback", "--to", "p1", "--level", "1", "--yes").status == 0)
            let before = try await repo.fingerprintIncludingIgnored()
            let run = try await repo.timeturner(["undo", "--yes"], extraEnvironment: ["TIMETURNER_TEST_FAULT": "\(kind):\(fault)"])
            let label = "undo \(kind):\(fault)"
            let expected: Int32 = kind == "restore" && fault.hasPrefix("E") ? 1 : Self.expectedStatus(fault, kind)
            #expect(run.status == expected, "\(label): \(run)")
            if fault == "SIGKILL" { #expect(try await repo.timeturner("recover", "--yes").status == 0, "\(label)") }
            if kind == "journal" {
                #expect(repo.read("app.txt") == "v2\n" && repo.read("deployed") == "v2\n", "\(label)")
            } else {
                #expect(try await repo.fingerprintIncludingIgnored() == before, "\(label)")
            }
            #expect(!repo.exists(".git/timeturner/lock") && !repo.exists(".git/timeturner/state.jsonl"), "\(label)")
        }
    }
}

/// Signals from outside, and a kill that leaves a verification command running.
@Suite struct SignalTests {
    /// Starts the built binary in the background in the repository (through `sh -c 'cd … && exec …'`,
    /// since the test process's own directory is shared by every test); returns its pid.
    func spawn(_ repo: ScratchRepository, _ arguments: [String]) -> pid_t {
        var pid: pid_t = 0
        let script = "cd \"$1\" && shift && exec \"$@\""
        let argv = (["/bin/sh", "-c", script, "sh", repo.path, TimeturnerBinary.path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let environment = repo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { environment.forEach { free($0) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        _ = posix_spawn(&pid, "/bin/sh", &actions, nil, argv, environment)
        return pid
    }

    func waitFor(_ condition: () -> Bool) async throws {
        for _ in 0..<500 where !condition() { try await Task.sleep(for: .milliseconds(20)) }
    }

    @Test(arguments: [SIGINT, SIGTERM, SIGHUP])
    func aSignalDuringVerificationKillsItsGroupAndRestores(signal: Int32) async throws {
        let repo = try await ScratchRepository()
        let ids = try await repo.commits(3)
        try repo.write("dirty.txt", "untracked\n")
        let before = try await repo.fingerprint()
        let late = repo.siblingDirectory("late") + "/marker"
        let pid = spawn(repo, ["rollback", "--to", ids[0], "--verify", "sleep 3 && touch \(late)", "--yes"])
        try await waitFor { repo.exists(".git/timeturner/child-group") }
        #expect(repo.exists(".git/timeturner/child-group"))
        kill(pid, signal)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        #expect((status >> 8) & 0xff == 128 + signal, "exit status \(status)")
        #expect(try await repo.fingerprint() == before)
        try await Task.sleep(for: .seconds(3.5))
        #expect(readFile(late) == nil, "the verification command outlived the rollback")
        let history = try await repo.timeturner("history", "--json")
        #expect(history.stdout.contains("interrupted-restored"), "\(history)")
    }

    /// With `--yes` the lock is held from before the plan is made: a signal before the first
    /// step still ends the rollback with nothing changed, and leaves no lock for `recover`.
    @Test(arguments: ["rollback", "undo"])
    func aSignalWhileTheLockIsHeldBeforeTheFirstStepLeavesNoLock(operation: String) async throws {
        let repo = try await ScratchRepository()
        let ids = try await repo.commits(3)
        if operation == "undo" { #expect(try await repo.timeturner("rollback", "--to", ids[0], "--yes").status == 0) }
        let before = try await repo.fingerprint()
        let arguments = operation == "undo" ? ["undo", "--yes"] : ["rollback", "--to", ids[0], "--yes"]
        let status = try await repo.timeturnerPaused(arguments, before: "lock") { pid, marker in
            #expect(repo.exists(".git/timeturner/lock"), "with --yes the lock is held from before the plan")
            kill(pid, SIGTERM)
            try await Task.sleep(for: .milliseconds(200))
            unlink(marker)
        }
        #expect(status == 128 + SIGTERM, "exit status \(status)")
        #expect(!repo.exists(".git/timeturner/lock") && !repo.exists(".git/timeturner/state.jsonl"))
        #expect(try await repo.fingerprint() == before)
        let again = try await repo.timeturner(arguments)
        #expect(again.status == 0, "\(again)")
    }

    /// A guard's rollback with `--yes` is approved in advance too: the lock (the rollback's, the
    /// guard's own released) is held from before the rollback's plan is made, and a signal there
    /// ends it with nothing rolled back and no lock left.
    @Test func aGuardsRollbackWithYesIsPlannedUnderItsLock() async throws {
        let repo = try await ScratchRepository()
        try await repo.commit("good", files: ["state": "ok\n"])
        #expect(try await repo.timeturner("good", "--env", "prod").status == 0)
        try await repo.commit("bad", files: ["state": "down\n"])
        for (key, value) in [("kind", "command"), ("command", "grep -q ok state"), ("count", "2"), ("interval", "100ms")] {
            _ = try await repo.git("config", "timeturner.check.state.\(key)", value)
        }
        let arguments = ["guard", "--env", "prod", "--check", "state", "--on-fail", "rollback", "--yes"]
        let status = try await repo.timeturnerPaused(arguments, before: "lock") { pid, marker in
            let holder = repo.read(".git/timeturner/lock") ?? ""
            #expect(holder.contains("\"operation\":\"rollback\""), "the rollback's lock is not held before its plan: \(holder)")
            kill(pid, SIGTERM)
            try await Task.sleep(for: .milliseconds(200))
            unlink(marker)
        }
        #expect(status != 0, "exit status \(status)")
        #expect(!repo.exists(".git/timeturner/lock") && !repo.exists(".git/timeturner/state.jsonl"))
        #expect(try await repo.git("show", "HEAD:state") == "down\n", "the rollback went on after the signal")
    }

    @Test func recoverEndsAVerificationGroupThatOutlivedAKilledRollback() async throws {
        let repo = try await ScratchRepository()
        let ids = try await repo.commits(3)
        let before = try await repo.fingerprint()
        let late = repo.siblingDirectory("late") + "/marker"
        let pid = spawn(repo, ["rollback", "--to", ids[0], "--verify", "sleep 3 && touch \(late)", "--yes"])
        try await waitFor { repo.exists(".git/timeturner/child-group") }
        let group = try #require(repo.read(".git/timeturner/child-group").flatMap { Int32($0.filter(\.isNumber)) })
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        #expect(kill(-group, 0) == 0, "the verification group should still run after SIGKILL of the tool")
        let recover = try await repo.timeturner("recover", "--yes")
        #expect(recover.status == 0 && recover.stderr.contains("ended the verification command"), "\(recover)")
        #expect(try await repo.fingerprint() == before)
        try await Task.sleep(for: .seconds(3.5))
        #expect(readFile(late) == nil, "the verification command ran on after recover")
    }
}
