import Testing
import TestSupport
internal import Glibc

/// The write-ahead rule of `state.jsonl` (docs/rollback.md), watched with `strace` on a real
/// rollback: before each change (the branch ref, the index, a work-tree file, the journal's ref)
/// the newest record is on disk: it was appended to the file and the file synced (`fdatasync`)
/// after it, and the file's directory entry was synced once the file was created, all before the
/// change. Only the records of steps that change nothing may skip the syncs; a power loss after a
/// change would otherwise find an older record that does not mention it.
@Suite struct StateDurabilityTests {
    /// One system call of the trace that matters here.
    enum Event {
        case synced(path: String)
        case written(path: String)
        case renamed(from: String, to: String)
        case created(path: String)
    }

    /// Parses `strace -f -qq -e trace=openat,write,fsync,fdatasync,rename` output: file
    /// descriptors are mapped to the paths they were opened with, and a call split by another
    /// thread is joined again.
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
            func descriptor(after call: String) -> String { String(line.dropFirst(call.count).prefix { $0 != ")" && $0 != "," }) }
            if line.hasPrefix("openat(") {
                guard let path = quoted.first else { continue }
                paths[String(value)] = path
                if line.contains("O_CREAT") { events.append(.created(path: path)) }
            } else if line.hasPrefix("fsync(") || line.hasPrefix("fdatasync(") {
                if let path = paths[descriptor(after: line.hasPrefix("fsync(") ? "fsync(" : "fdatasync(")] { events.append(.synced(path: path)) }
            } else if line.hasPrefix("write(") {
                if let path = paths[descriptor(after: "write(")], value > 0 { events.append(.written(path: path)) }
            } else if line.hasPrefix("rename("), quoted.count >= 2 {
                events.append(.renamed(from: quoted[0], to: quoted[1]))
            }
        }
        return events
    }

    func traced(_ repo: ScratchRepository, _ arguments: [String]) async throws -> [Event] {
        let log = repo.siblingDirectory("trace") + "/strace.log"
        let run = try await runProcess("strace", ["-f", "-qq", "-e", "trace=openat,write,fsync,fdatasync,rename", "-o", log, TimeturnerBinary.path] + arguments,
                                       environment: repo.environment, in: repo.path)
        #expect(run.status == 0, "\(run)")
        let bytes = try #require(readFile(log), "strace wrote no log at \(log)")
        return Self.events(String(decoding: bytes, as: UTF8.self))
    }

    /// Checks the rule over a whole trace; returns how many changes it checked.
    func expectDurableBeforeEveryChange(_ events: [Event], repo: ScratchRepository, label: String) -> Int {
        let gitDirectory = repo.path + "/.git"
        let stateDirectory = gitDirectory + "/timeturner"
        let state = stateDirectory + "/state.jsonl"
        var lastRecord: Int? = nil, created: Int? = nil, changes = 0
        for (index, event) in events.enumerated() {
            if case .written(let path) = event, path == state { lastRecord = index; continue }
            if case .created(let path) = event, path == state { created = index; continue }
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
            guard let record = lastRecord, let created else {
                Issue.record("\(label): \(change) changed before any state.jsonl record was written")
                continue
            }
            let fileSynced = events[record..<index].contains { if case .synced(let path) = $0 { path == state } else { false } }
            let entrySynced = events[created..<index].contains { if case .synced(let path) = $0 { path == stateDirectory } else { false } }
            #expect(fileSynced, "\(label): the record before the change of \(change) was not synced to disk before it")
            #expect(entrySynced, "\(label): state.jsonl's directory entry was not made durable before the change of \(change)")
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
    /// padded results, failed calls ignored, writes and syncs mapped to their files.
    @Test func parsesStraceOutput() {
        let log = """
        5232  openat(AT_FDCWD, "/r/.git/timeturner/state.jsonl", O_WRONLY|O_CREAT|O_TRUNC|O_APPEND|O_CLOEXEC, 0644) = 6
        5232  write(6, "{\\"operation\\":\\"rollback\\""..., 812 <unfinished ...>
        5233  openat(AT_FDCWD, "/missing", O_RDONLY) = -1 ENOENT (No such file or directory)
        5232  <... write resumed>)              = 812
        5232  fdatasync(6)                      = 0
        5232  openat(AT_FDCWD, "/r/.git/timeturner", O_RDONLY|O_CLOEXEC|O_DIRECTORY) = 7
        5232  fsync(7)                          = 0
        5232  rename("/r/.git/refs/heads/main.lock", "/r/.git/refs/heads/main") = 0
        26671 openat(AT_FDCWD, "/r/app.txt", O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0100644) = 8
        """
        let events = Self.events(log)
        #expect(events.count == 6, "\(events)")
        guard events.count == 6 else { return }
        if case .created(let path) = events[0] { #expect(path == "/r/.git/timeturner/state.jsonl") } else { Issue.record("\(events)") }
        if case .written(let path) = events[1] { #expect(path == "/r/.git/timeturner/state.jsonl") } else { Issue.record("\(events)") }
        if case .synced(let path) = events[2] { #expect(path == "/r/.git/timeturner/state.jsonl") } else { Issue.record("\(events)") }
        if case .synced(let path) = events[3] { #expect(path == "/r/.git/timeturner") } else { Issue.record("\(events)") }
        if case .renamed(let from, let to) = events[4] {
            #expect(from == "/r/.git/refs/heads/main.lock" && to == "/r/.git/refs/heads/main")
        } else { Issue.record("\(events)") }
        if case .created(let path) = events[5] { #expect(path == "/r/app.txt") } else { Issue.record("\(events)") }
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
    /// cut back to its first line, the lock's record. `recover` clears the lock, nothing else changed, and
    /// the safety ref still holds the commit it was written for.
    @Test(arguments: ["missing", "the lock's record"])
    func aPowerLossBeforeTheFirstChangeLosesNothing(state: String) async throws {
        let repo = try await repository()
        let before = try await repo.fingerprint()
        let head = try await repo.git("rev-parse", "HEAD").trimmed
        let statePath = repo.path + "/.git/timeturner/state.jsonl"
        let status = try await repo.timeturnerPaused(["rollback", "--to", "p1", "--yes"], before: "move-ref") { pid, _ in
            kill(pid, SIGKILL)
        }
        #expect(status == 128 + SIGKILL)
        if state == "missing" {
            unlink(statePath)
        } else {
            // The lock's record: the operation's first line, before any step was done.
            let script = """
            import json, sys
            lines = open(sys.argv[1], "rb").read().split(b"\\n")
            first = json.loads(lines[0])
            assert first["step"] == "lock" and first["stepsDone"] == [], first
            assert len(lines) > 2, "only one record before the kill"
            open(sys.argv[1], "wb").write(lines[0] + b"\\n")
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

    /// A rollback killed just before its work-tree step: the branch has moved, the files not
    /// yet; `state.jsonl`'s newest record is the one written before that step.
    func killedBeforeTheWorkTree(_ repo: ScratchRepository) async throws {
        let status = try await repo.timeturnerPaused(["rollback", "--to", "p1", "--yes"], before: "work-tree") { pid, _ in
            kill(pid, SIGKILL)
        }
        #expect(status == 128 + SIGKILL)
    }

    /// Appends `bytes` to the state file, as a crash or damage would leave them.
    func append(_ bytes: String, to path: String) {
        let descriptor = open(path, O_WRONLY | O_APPEND)
        #expect(descriptor >= 0, "\(path)")
        let raw = Array(bytes.utf8)
        #expect(write(descriptor, raw, raw.count) == raw.count)
        close(descriptor)
    }

    /// A process killed while it appended a record leaves the line cut short, without its
    /// newline. Readers skip it: the state is the record before, which `status` reports and
    /// `recover` puts back, and nothing is lost. (Were the cut line not skipped the state would
    /// read as absent, and a half-done rollback would look like no operation at all.)
    @Test func aRecordCutShortIsSkipped() async throws {
        let repo = try await repository()
        let before = try await repo.fingerprint()
        let statePath = repo.path + "/.git/timeturner/state.jsonl"
        try await killedBeforeTheWorkTree(repo)
        // The next record as it would have been, two thirds of it written.
        let script = """
        import json, sys
        path = sys.argv[1]
        data = open(path, "rb").read()
        assert data.endswith(b"\\n"), "the last record is not whole"
        last = json.loads(data.rstrip(b"\\n").split(b"\\n")[-1])
        assert last["step"] == "work-tree", last["step"]
        last.update(step="journal", stepsDone=last["stepsDone"] + ["work-tree"], doneCount=last["doneCount"] + 1)
        line = json.dumps(last, separators=(",", ":")).encode()
        open(path, "ab").write(line[: len(line) * 2 // 3])
        """
        let cut = try await runProcess("python3", ["-c", script, statePath], environment: repo.environment, in: repo.path)
        #expect(cut.status == 0, "\(cut)")
        let shown = try await repo.timeturner("status", "--json")
        #expect(shown.stdout.contains("\"interrupted\": true") && shown.stdout.contains("\"step\": \"work-tree\""), "\(shown)")
        let recover = try await repo.timeturner("recover", "--yes")
        #expect(recover.status == 0, "\(recover)")
        #expect(try await repo.fingerprint() == before, "\(recover)")
        #expect(!repo.exists(".git/timeturner/state.jsonl") && !repo.exists(".git/timeturner/lock"))
    }

    /// A whole record that does not read (damage, not a crash while appending) is skipped as
    /// well, so that `recover` still restores from the record before (no state at all would
    /// abandon the half-done rollback), but not silently: `status` and `recover` warn that
    /// steps after it may have run.
    @Test func aDamagedRecordIsSkippedWithAWarning() async throws {
        let repo = try await repository()
        let before = try await repo.fingerprint()
        let statePath = repo.path + "/.git/timeturner/state.jsonl"
        try await killedBeforeTheWorkTree(repo)
        append("{\"operation\":\"rollback\",\u{0}\u{0}\u{0}\n", to: statePath)
        let shown = try await repo.timeturner("status")
        #expect(shown.stderr.contains("the newest record of \(statePath) could not be read (damaged)"), "\(shown)")
        #expect(shown.stdout.contains("stopped at step work-tree"), "\(shown)")
        let shownJSON = try await repo.timeturner("status", "--json")
        #expect(shownJSON.stdout.contains("\"damagedStateRecords\": 1"), "\(shownJSON)")
        let recover = try await repo.timeturner("recover", "--yes")
        #expect(recover.status == 0, "\(recover)")
        #expect(recover.stderr.contains("could not be read (damaged)") && recover.stderr.contains("written before step work-tree"), "\(recover)")
        #expect(try await repo.fingerprint() == before, "\(recover)")
        #expect(!repo.exists(".git/timeturner/state.jsonl") && !repo.exists(".git/timeturner/lock"))
        // A record cut short is not damage: no warning for it.
        try await killedBeforeTheWorkTree(repo)
        append("{\"operation\":\"rol", to: statePath)
        let quiet = try await repo.timeturner("status")
        #expect(!quiet.stderr.contains("damaged") && quiet.stdout.contains("stopped at step work-tree"), "\(quiet)")
        #expect(try await repo.timeturner("recover", "--yes").status == 0)
        #expect(try await repo.fingerprint() == before)
    }

    /// A state file none of whose records reads: what the operation did is unknown, so
    /// `recover` refuses to clear the lock (that would abandon it), names the file and the
    /// safety backup, and changes nothing; once the file is removed it clears the lock.
    @Test func aStateFileWithNoReadableRecordIsNotAbandonedSilently() async throws {
        let repo = try await repository()
        let statePath = repo.path + "/.git/timeturner/state.jsonl"
        try await killedBeforeTheWorkTree(repo)
        let killed = try await repo.fingerprint()
        #expect(truncate(statePath, 0) == 0)
        append("{\"operation\":\u{0}\n{\"stepsDone\n", to: statePath)
        let shown = try await repo.timeturner("status", "--json")
        #expect(shown.stderr.contains("no record of \(statePath) could be read (2 records damaged)"), "\(shown)")
        #expect(shown.stdout.contains("\"damagedStateRecords\": 2"), "\(shown)")
        let refused = try await repo.timeturner("recover", "--yes")
        #expect(refused.status == 3 && refused.stderr.contains("what the interrupted operation did is unknown; nothing was changed")
                && refused.stderr.contains("refs/timeturner/safety/"), "\(refused)")
        #expect(try await repo.fingerprint() == killed, "recover changed something though it refused")
        #expect(repo.exists(".git/timeturner/lock") && repo.read(".git/timeturner/state.jsonl") != nil)
        unlink(statePath)
        // The file removed, but the branch still where the rollback moved it: no record says
        // what happened, so recover still refuses (it would abandon a half-done rollback).
        let moved = try await repo.timeturner("recover", "--yes")
        #expect(moved.status == 3 && moved.stderr.contains("has moved from where its safety backup"), "\(moved)")
        // Put back by hand, as the hint says (it was killed before the work tree: only the branch moved).
        let safety = try await repo.git("for-each-ref", "--format=%(refname)", "refs/timeturner/safety/").trimmed
        try await repo.git("update-ref", "refs/heads/main", "\(safety)^1")
        let cleared = try await repo.timeturner("recover", "--yes")
        #expect(cleared.status == 0 && cleared.stdout.contains("Removed the stale lock"), "\(cleared)")
        #expect(!repo.exists(".git/timeturner/lock"))
    }

    /// The state file of an earlier version (`state.json`, one JSON document) left by an
    /// operation it did not finish is still read: `status` shows it, a new rollback refuses to
    /// start over it, `recover` puts the state back and removes it.
    @Test func anEarlierVersionsStateFileIsStillRecovered() async throws {
        let repo = try await repository()
        let before = try await repo.fingerprint()
        let directory = repo.path + "/.git/timeturner"
        try await killedBeforeTheWorkTree(repo)
        let script = """
        import json, os, sys
        directory = sys.argv[1]
        last = json.loads(open(directory + "/state.jsonl", "rb").read().rstrip(b"\\n").split(b"\\n")[-1])
        with open(directory + "/state.json", "w") as out:
            json.dump(last, out, indent=2, sort_keys=True)
            out.write("\\n")
        os.unlink(directory + "/state.jsonl")
        """
        let converted = try await runProcess("python3", ["-c", script, directory], environment: repo.environment, in: repo.path)
        #expect(converted.status == 0, "\(converted)")
        let shown = try await repo.timeturner("status", "--json")
        #expect(shown.stdout.contains("\"interrupted\": true") && shown.stdout.contains("\"step\": \"work-tree\""), "\(shown)")
        let blocked = try await repo.timeturner("rollback", "--to", "p1", "--yes")
        #expect(blocked.status == 3 && blocked.stderr.contains("was interrupted"), "\(blocked)")
        let recover = try await repo.timeturner("recover", "--yes")
        #expect(recover.status == 0, "\(recover)")
        #expect(try await repo.fingerprint() == before, "\(recover)")
        #expect(!repo.exists(".git/timeturner/state.json") && !repo.exists(".git/timeturner/state.jsonl"))
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
