import Testing
import TestSupport
internal import Glibc

/// The write-ahead rule of `state.json` (docs/rollback.md), watched with `strace` on a real
/// rollback: before each change (the branch ref, the index, a work-tree file, the journal's ref)
/// the newest `state.json` is on disk: its temporary file was fsynced before the rename and the
/// directory after it, both before the change. Only the records of steps that change nothing
/// may skip the syncs; a power loss after a change would otherwise find an older record that
/// does not mention it.
@Suite struct StateDurabilityTests {
    /// One system call of the trace that matters here.
    enum Event {
        case synced(path: String)
        case renamed(from: String, to: String)
        case created(path: String)
    }

    /// Parses `strace -f -qq -e trace=openat,fsync,rename` output: file descriptors are mapped to
    /// the paths they were opened with, and a call split by another thread is joined again.
    static func events(_ log: String) -> [Event] {
        var events: [Event] = [], paths: [String: String] = [:], pending: [String: String] = [:]
        for raw in log.split(separator: "\n").map(String.init) {
            guard let space = raw.firstIndex(of: " ") else { continue }
            let pid = String(raw[..<space])
            // strace pads the pid to a width ("5232  openat(" but "26671 openat(").
            var line = String(raw[raw.index(after: space)...].drop { $0 == " " })
            if line.hasSuffix("<unfinished ...>") { pending[pid] = String(line.dropLast("<unfinished ...>".count)); continue }
            if line.hasPrefix("<..."), let head = pending.removeValue(forKey: pid), let close = line.firstRange(of: "resumed>") {
                line = head + line[close.upperBound...]
            }
            guard let equals = line.ranges(of: " = ").last else { continue }  // strace pads short calls: "fsync(6)      = 0"
            let result = line[equals.upperBound...].prefix { $0 != " " }
            guard let value = Int(result), value >= 0 else { continue }
            let quoted = line.split(separator: "\"", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
            if line.hasPrefix("openat(") {
                guard let path = quoted.first else { continue }
                paths[String(value)] = path
                if line.contains("O_CREAT") { events.append(.created(path: path)) }
            } else if line.hasPrefix("fsync(") {
                let descriptor = String(line.dropFirst("fsync(".count).prefix { $0 != ")" })
                if let path = paths[descriptor] { events.append(.synced(path: path)) }
            } else if line.hasPrefix("rename("), quoted.count >= 2 {
                events.append(.renamed(from: quoted[0], to: quoted[1]))
            }
        }
        return events
    }

    func traced(_ repo: ScratchRepository, _ arguments: [String]) async throws -> [Event] {
        let log = repo.siblingDirectory("trace") + "/strace.log"
        let run = try await runProcess("strace", ["-f", "-qq", "-e", "trace=openat,fsync,rename", "-o", log, TimeturnerBinary.path] + arguments,
                                       environment: repo.environment, in: repo.path)
        #expect(run.status == 0, "\(run)")
        let bytes = try #require(readFile(log), "strace wrote no log at \(log)")
        return Self.events(String(decoding: bytes, as: UTF8.self))
    }

    /// Checks the rule over a whole trace; returns how many changes it checked.
    func expectDurableBeforeEveryChange(_ events: [Event], repo: ScratchRepository, label: String) -> Int {
        let gitDirectory = repo.path + "/.git"
        let stateDirectory = gitDirectory + "/timeturner"
        let state = stateDirectory + "/state.json"
        var lastStateRename: Int? = nil, changes = 0
        for (index, event) in events.enumerated() {
            if case .renamed(_, let to) = event, to == state { lastStateRename = index; continue }
            let change: String?
            switch event {
            case .renamed(_, let to) where to.hasPrefix(gitDirectory + "/refs/heads/") || to == gitDirectory + "/index"
                || to == gitDirectory + "/refs/timeturner/registry":
                change = to
            case .created(let path) where path.hasPrefix(repo.path + "/") && !path.hasPrefix(gitDirectory + "/"):
                change = path
            default:
                change = nil
            }
            guard let change else { continue }
            changes += 1
            guard let renamed = lastStateRename, case .renamed(let temporary, _) = events[renamed] else {
                Issue.record("\(label): \(change) changed before any state.json was written")
                continue
            }
            let fileSynced = events[..<renamed].contains { if case .synced(let path) = $0 { path == temporary } else { false } }
            let directorySynced = events[(renamed + 1)..<index].contains { if case .synced(let path) = $0 { path == stateDirectory } else { false } }
            #expect(fileSynced, "\(label): the state.json before the change of \(change) was not fsynced before its rename")
            #expect(directorySynced, "\(label): the rename of the state.json before the change of \(change) was not made durable first")
        }
        return changes
    }

    func repository() async throws -> ScratchRepository {
        let repo = try await ScratchRepository()
        try await repo.commit("v1", files: ["app.txt": "v1\n", "lib/util.txt": "u1\n"])
        #expect(try await repo.timeturner("point", "--name", "p1", "-m", "v1").status == 0)
        try await repo.commit("v2", files: ["app.txt": "v2\n", "lib/util.txt": "u2\n", "lib/new.txt": "new\n"])
        try await repo.commit("v3", files: ["app.txt": "v3\n"])
        try repo.write("untracked.txt", "keep me\n")
        return repo
    }

    /// The parser on strace's own shapes: short pids padded, a call split by another thread,
    /// padded results, failed calls ignored.
    @Test func parsesStraceOutput() {
        let log = """
        5232  openat(AT_FDCWD, "/r/.git/timeturner/state.json.tmp-1", O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC, 0644) = 6
        5232  fsync(6)                          = 0
        5232  rename("/r/.git/timeturner/state.json.tmp-1", "/r/.git/timeturner/state.json" <unfinished ...>
        5233  openat(AT_FDCWD, "/missing", O_RDONLY) = -1 ENOENT (No such file or directory)
        5232  <... rename resumed>)             = 0
        26671 openat(AT_FDCWD, "/r/app.txt", O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0100644) = 7
        """
        let events = Self.events(log)
        #expect(events.count == 4)
        if case .created(let path) = events[0] { #expect(path == "/r/.git/timeturner/state.json.tmp-1") } else { Issue.record("\(events)") }
        if case .synced(let path) = events[1] { #expect(path == "/r/.git/timeturner/state.json.tmp-1") } else { Issue.record("\(events)") }
        if case .renamed(let from, let to) = events[2] {
            #expect(from == "/r/.git/timeturner/state.json.tmp-1" && to == "/r/.git/timeturner/state.json")
        } else { Issue.record("\(events)") }
        if case .created(let path) = events[3] { #expect(path == "/r/app.txt") } else { Issue.record("\(events)") }
    }

    @Test(arguments: ["revert", "reset"])
    func everyChangeFollowsADurableRecord(mode: String) async throws {
        let repo = try await repository()
        let events = try await traced(repo, ["rollback", "--to", "p1", "--mode", mode, "--yes"])
        let changes = expectDurableBeforeEveryChange(events, repo: repo, label: mode)
        // The branch, the index, app.txt and lib/util.txt written, the journal: a trace that
        // saw fewer would check nothing.
        #expect(changes >= 5, "\(mode): only \(changes) changes seen in the trace")
        #expect(try await repo.git("show", "HEAD:app.txt") == "v1\n")
        #expect(try await repo.git("status", "--porcelain") == "?? untracked.txt\n")
    }

    /// What a power loss can leave of the records that are not synced: the operation killed
    /// before the branch moves (its lock and safety ref written), then its state file lost, or
    /// put back to the lock's first record. `recover` clears the lock, nothing else changed, and
    /// the safety ref still holds the commit it was written for.
    @Test(arguments: ["missing", "the lock's record"])
    func aPowerLossBeforeTheFirstChangeLosesNothing(state: String) async throws {
        let repo = try await repository()
        let before = try await repo.fingerprint()
        let head = try await repo.git("rev-parse", "HEAD").trimmed
        let statePath = repo.path + "/.git/timeturner/state.json"
        let status = try await repo.timeturnerPaused(["rollback", "--to", "p1", "--yes"], before: "move-ref") { pid, _ in
            kill(pid, SIGKILL)
        }
        #expect(status == 128 + SIGKILL)
        if state == "missing" {
            unlink(statePath)
        } else {
            // The lock's record: the operation's first, before any step was done.
            let script = """
            import json, sys
            state = json.load(open(sys.argv[1]))
            state.update(step="lock", stepsDone=[], doneCount=0)
            state.pop("stepLabel", None)
            json.dump(state, open(sys.argv[1], "w"))
            """
            let written = try await runProcess("python3", ["-c", script, statePath], environment: repo.environment, in: repo.path)
            #expect(written.status == 0, "\(written)")
        }
        let safety = try await repo.git("for-each-ref", "--format=%(refname) %(objectname)", "refs/timeturner/safety/").trimmed
        #expect(!safety.isEmpty, "the safety ref was written before the kill")
        let recover = try await repo.timeturner("recover", "--yes")
        #expect(recover.status == 0, "\(state): \(recover)")
        #expect(try await repo.fingerprint() == before, "\(state): \(recover)")
        #expect(!repo.exists(".git/timeturner/lock"))
        // The safety ref is kept, and its commit's first parent is the HEAD it was taken of.
        #expect(try await repo.git("for-each-ref", "--format=%(refname) %(objectname)", "refs/timeturner/safety/").trimmed == safety)
        let safetyRef = String(safety.split(separator: " ")[0])
        #expect(try await repo.git("rev-parse", safetyRef + "^1").trimmed == head)
        #expect(try await repo.gitResult(["fsck", "--no-progress"]).status == 0)
    }

    @Test func undoFollowsTheSameRule() async throws {
        let repo = try await repository()
        #expect(try await repo.timeturner("rollback", "--to", "p1", "--yes").status == 0)
        let events = try await traced(repo, ["undo", "--yes"])
        let changes = expectDurableBeforeEveryChange(events, repo: repo, label: "undo")
        #expect(changes >= 4, "undo: only \(changes) changes seen in the trace")
        #expect(try await repo.git("show", "HEAD:app.txt") == "v3\n")
    }
}
