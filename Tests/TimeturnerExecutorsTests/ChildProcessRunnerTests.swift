import Synchronization
import Testing
import TestSupport
@testable import TimeturnerExecutors
internal import Glibc

/// Real child processes: exit codes, streams, the time limit and the output limit.
@Suite struct ChildProcessRunnerTests {
    let environment = ["PATH": "/usr/local/bin:/usr/bin:/bin", "LC_ALL": "C"]

    final class Lines: Sendable {
        let lines = Mutex<[ChildOutputLine]>([])
        func append(_ line: ChildOutputLine) { lines.withLock { $0.append(line) } }
        var all: [ChildOutputLine] { lines.withLock { $0 } }
    }

    @Test func capturesStandardOutputStreamsStandardErrorAndPassesInput() async throws {
        let seen = Lines()
        let child = ChildProcess(executable: "/bin/sh", arguments: ["-c", "cat; echo oops >&2; printf 'no newline' >&2; exit 3"],
                                 environment: environment, workingDirectory: "/", input: Array("{\"verb\":\"verify\"}\n".utf8))
        let result = try await ChildProcessRunner.run(child) { seen.append($0) }
        #expect(result.ending == .exited(3))
        #expect(!result.succeeded)
        #expect(String(decoding: result.standardOutput, as: UTF8.self) == "{\"verb\":\"verify\"}\n")
        #expect(seen.all == [.standardError("oops"), .standardError("no newline")])
        #expect(result.standardErrorTail == ["oops", "no newline"])
    }

    @Test func shellCommandsStreamBothStreamsAndRunInTheWorkingDirectory() async throws {
        let directory = try makeTemporaryDirectory("runner")
        let seen = Lines()
        let child = ChildProcess.shell("pwd; echo err >&2", environment: environment, workingDirectory: directory, timeout: .seconds(30))
        let result = try await ChildProcessRunner.run(child) { seen.append($0) }
        #expect(result.succeeded)
        #expect(result.standardOutput.isEmpty)
        #expect(seen.all.contains(.standardOutput(directory)))
        #expect(seen.all.contains(.standardError("err")))
    }

    @Test func aHangingChildIsKilledWithEverythingItStarted() async throws {
        let directory = try makeTemporaryDirectory("runner")
        // The grandchild writes its pid, then both hang; the time limit must kill both.
        let child = ChildProcess.shell("sleep 300 & echo $! > grandchild.pid; wait", environment: environment,
                                       workingDirectory: directory, timeout: .milliseconds(500))
        let result = try await ChildProcessRunner.run(child)
        #expect(result.ending == .timedOut(.milliseconds(500)))
        let pidText = String(decoding: readFile(directory + "/grandchild.pid") ?? [], as: UTF8.self).trimmed
        let pid = try #require(Int32(pidText))
        // Give the kernel a moment to deliver SIGKILL, then the grandchild must be gone.
        var alive = true
        for _ in 0..<50 where alive {
            alive = kill(pid, 0) == 0 && !isZombie(pid)
            if alive { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(!alive, "grandchild \(pid) survived the time-out")
    }

    @Test func floodingOutputIsStoppedAtTheLimit() async throws {
        let child = ChildProcess(executable: "/bin/sh", arguments: ["-c", "yes flood"], environment: environment,
                                 workingDirectory: "/", timeout: .seconds(30), outputLimit: 64 * 1024)
        let result = try await ChildProcessRunner.run(child)
        #expect(result.ending == .outputLimitExceeded(64 * 1024))
        #expect(result.standardOutput.count <= 64 * 1024)
    }

    @Test func aMissingProgramIsALaunchErrorNamingIt() async throws {
        let child = ChildProcess(executable: "git-timeturner-exec-does-not-exist", environment: environment, workingDirectory: "/")
        await #expect(throws: ChildProcessLaunchError.self) { try await ChildProcessRunner.run(child) }
        do { _ = try await ChildProcessRunner.run(child) } catch {
            #expect(error.description.contains("git-timeturner-exec-does-not-exist"))
        }
    }

    @Test func theEnvironmentIsExactlyWhatWasGiven() async throws {
        setenv("TIMETURNER_LEAK_PROBE", "leaked", 1)
        defer { unsetenv("TIMETURNER_LEAK_PROBE") }
        let child = ChildProcess(executable: "/usr/bin/env", environment: ["ONLY": "this"], workingDirectory: "/")
        let result = try await ChildProcessRunner.run(child)
        #expect(String(decoding: result.standardOutput, as: UTF8.self) == "ONLY=this\n")
    }

    private func isZombie(_ pid: Int32) -> Bool {
        guard let stat = readFile("/proc/\(pid)/stat") else { return true }
        let text = String(decoding: stat, as: UTF8.self)
        guard let close = text.lastIndex(of: ")") else { return false }
        return text[text.index(close, offsetBy: 2)...].hasPrefix("Z")
    }
}
