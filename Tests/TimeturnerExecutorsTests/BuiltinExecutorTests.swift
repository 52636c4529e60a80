import Synchronization
import Testing
import TestSupport
import TimeturnerCore
@testable import TimeturnerExecutors
internal import Glibc

/// The `command`, `files` and `release-dir` built-ins against real files, real shells and a
/// real HTTP server on 127.0.0.1.
@Suite struct BuiltinExecutorTests {
    let directory: String
    let runner: ExecutorTierDriver

    init() throws {
        directory = try makeTemporaryDirectory("builtins")
        runner = ExecutorTierDriver(environment: ["PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": directory, "LC_ALL": "C"],
                                    repositoryPath: directory) { _, _ in }
    }

    func sh(_ command: String) async throws -> String {
        let result = try await runProcess("/bin/sh", ["-c", command], environment: ["PATH": "/usr/local/bin:/usr/bin:/bin"], in: directory)
        guard result.status == 0 else { throw CommandFailed(command: [command], result: result) }
        return result.stdout
    }

    // MARK: - command

    @Test func commandCapturesStandardOutputAndHandsItBackToRollback() async throws {
        let assignment = TierAssignment(tier: "deploy", executor: "command", settings: [
            "capture": ["echo release-42"],
            "rollback": [#"printf '%s|%s' "$TIMETURNER_CAPTURE" "$TIMETURNER_POINT" > restored.txt"#],
            "verify": ["test -f restored.txt"],
        ])
        let captured = try await runner.capture(assignment, point: PointReference(id: "p1", commit: "c"), dryRun: false)
        #expect(captured.capture == ["output": "release-42"])
        await #expect(throws: TimeturnerError.self) { try await runner.verify(assignment, dryRun: false) }
        // A dry run changes nothing.
        _ = try await runner.rollback(assignment, to: captured.capture!, point: PointReference(id: "p1", commit: "c"), dryRun: true)
        #expect(readFile(directory + "/restored.txt") == nil)
        _ = try await runner.rollback(assignment, to: captured.capture!, point: PointReference(id: "p1", commit: "c"), dryRun: false)
        #expect(String(decoding: readFile(directory + "/restored.txt") ?? [], as: UTF8.self) == "release-42|p1")
        let verified = try await runner.verify(assignment, dryRun: false)
        #expect(verified.message == "verified with test -f restored.txt")
    }

    @Test func commandFailuresNameTheCommandAndItsStatus() async throws {
        let failing = TierAssignment(tier: "system", executor: "command", settings: ["verify": ["echo disk full >&2; exit 7"]])
        do {
            _ = try await runner.verify(failing, dryRun: false)
            Issue.record("a failing verify command passed")
        } catch {
            #expect(error.message == "executor 'command' failed to verify the system tier: verify command 'echo disk full >&2; exit 7' exited with status 7")
            #expect(error.causes == ["command: disk full"])
        }
        do {
            _ = try await runner.rollback(TierAssignment(tier: "system", executor: "command"), to: [:], point: nil, dryRun: false)
            Issue.record("rollback without a command passed")
        } catch {
            #expect(error.kind == .usage)
            #expect(error.hint?.contains("timeturner.tier.system.rollback") == true)
        }
    }

    // MARK: - files

    @Test func filesRestoresExactBytesModesAndAbsence() async throws {
        try writeFile(directory + "/config/app.yml", Array("db: primary\n".utf8), mode: 0o640)
        try writeFile(directory + "/.env", [0x53, 0x45, 0x43, 0x52, 0x45, 0x54, 0x3d, 0x00, 0xff, 0x0a], mode: 0o600)
        try writeFile(directory + "/conf.d/a.conf", Array("a\n".utf8), mode: 0o644)
        let backups = directory + "/backups"
        let assignment = TierAssignment(tier: "config", executor: "files", settings: [
            "path": ["config/app.yml", ".env", "conf.d", "later.txt"], "backupdir": [backups],
        ])
        let captured = try await runner.capture(assignment, point: PointReference(id: "p1", commit: "c"), dryRun: false)
        let capture = try #require(captured.capture)
        let archive = try #require(capture["archive"]?.stringValue)
        #expect(archive.hasPrefix(backups + "/"))
        #expect(archive == backups + "/point-p1.tar")
        #expect(capture["sha256"]?.stringValue == String(try await sh("sha256sum '\(archive)'").prefix(64)))
        #expect(capture["size"]?.intValue == LocalFile.size(archive))
        #expect(capture["paths"]?.arrayValue?.count == 4)

        // A bad config change: new content and mode, a deleted secret, an added file, a new path.
        try writeFile(directory + "/config/app.yml", Array("db: replica-that-does-not-exist\n".utf8), mode: 0o666)
        unlink(directory + "/.env")
        try writeFile(directory + "/conf.d/b.conf", Array("b\n".utf8))
        try writeFile(directory + "/later.txt", Array("new\n".utf8))

        // As the engine does: the present state first, named after the operation.
        let before = try #require(try await runner.capture(assignment, point: PointReference(id: "p1", commit: "c"), context: TierCallContext(purpose: .beforeOperation("op1")), dryRun: false).capture)
        #expect(before["archive"]?.stringValue == backups + "/before-op1.tar")
        let rolledBack = try await runner.rollback(assignment, to: capture, point: nil, dryRun: false)
        #expect(readFile(directory + "/config/app.yml") == Array("db: primary\n".utf8))
        #expect(readFile(directory + "/.env") == [0x53, 0x45, 0x43, 0x52, 0x45, 0x54, 0x3d, 0x00, 0xff, 0x0a])
        #expect(try await sh("stat -c %a config/app.yml .env").lines == ["640", "600"])
        #expect(readFile(directory + "/conf.d/a.conf") == Array("a\n".utf8))
        #expect(!LocalFile.exists(directory + "/conf.d/b.conf"))
        #expect(!LocalFile.exists(directory + "/later.txt"))
        // No archive of its own: one per attempt, the engine's.
        #expect(rolledBack.capture == nil)
        #expect(LocalFile.names(in: backups) == ["before-op1.tar", "point-p1.tar"])
        _ = try await runner.rollback(assignment, to: before, point: nil, dryRun: false)
        #expect(readFile(directory + "/later.txt") == Array("new\n".utf8))
        #expect(try await sh("stat -c %a config/app.yml").trimmed == "666")
    }

    @Test func filesRefersToArtifactsRelativeToTheArtifactsDirectory() async throws {
        try writeFile(directory + "/app.env", Array("A=1\n".utf8))
        let artifacts = directory + "/artifacts"
        let relative = ExecutorTierDriver(environment: runner.environment, repositoryPath: directory, artifactDirectory: artifacts) { _, _ in }
        let assignment = TierAssignment(tier: "config", executor: "files", settings: ["path": ["app.env"]])
        let capture = try #require(try await relative.capture(assignment, point: PointReference(id: "p7", commit: "c"), context: TierCallContext(purpose: .point("p7")), dryRun: false).capture)
        #expect(capture["archive"]?.stringValue == "config/point-p7.tar")
        // The same artifacts under another directory (a clone elsewhere) restore as well.
        #expect(rename(artifacts, directory + "/moved") == 0)
        try writeFile(directory + "/app.env", Array("A=2\n".utf8))
        let moved = ExecutorTierDriver(environment: runner.environment, repositoryPath: directory, artifactDirectory: directory + "/moved") { _, _ in }
        _ = try await moved.rollback(assignment, to: capture, point: nil, dryRun: false)
        #expect(readFile(directory + "/app.env") == Array("A=1\n".utf8))
        // Where it is not: refused, naming the path.
        do {
            _ = try await relative.rollback(assignment, to: capture, point: nil, dryRun: false)
            Issue.record("a missing archive was restored")
        } catch {
            #expect(error.kind == .refused)
            #expect(error.message.contains(artifacts + "/config/point-p7.tar is missing"))
        }
    }

    @Test func filesRefusesAnArchiveWhoseChecksumDoesNotMatch() async throws {
        try writeFile(directory + "/app.env", Array("A=1\n".utf8))
        let assignment = TierAssignment(tier: "config", executor: "files", settings: ["path": ["app.env"], "backupdir": [directory + "/b"]])
        let capture = try #require(try await runner.capture(assignment, point: PointReference(id: "p", commit: "c"), dryRun: false).capture)
        try writeFile(directory + "/app.env", Array("A=2\n".utf8))
        _ = try await sh("printf x >> '\(capture["archive"]!.stringValue!)'")
        do {
            _ = try await runner.rollback(assignment, to: capture, point: nil, dryRun: false)
            Issue.record("a damaged archive was restored")
        } catch {
            #expect(error.kind == .refused)
            #expect(error.message.contains("does not match its recorded checksum"))
        }
        #expect(readFile(directory + "/app.env") == Array("A=2\n".utf8), "nothing may change when the archive is refused")
    }

    // MARK: - release-dir

    @Test func releaseDirSwapsCurrentAtomicallyAndHealthFollowsTheRelease() async throws {
        let root = directory + "/app"
        try writeFile(root + "/releases/v1/health", Array("ok v1\n".utf8))
        try writeFile(root + "/releases/v1/index.html", Array("v1\n".utf8))
        try writeFile(root + "/releases/v2/index.html", Array("v2 (broken: no health endpoint)\n".utf8))
        symlink("releases/v1", root + "/current")

        let port = try freePort()
        // A real server on 127.0.0.1 serving whatever `current` points at, request by request.
        let pid = try await sh("python3 -m http.server \(port) --bind 127.0.0.1 --directory '\(root)/current' >/dev/null 2>&1 & echo $!").trimmed
        defer { kill(Int32(pid) ?? 0, SIGKILL) }
        let health = "curl -fsS --max-time 5 http://127.0.0.1:\(port)/health"
        var up = false
        for _ in 0..<100 where !up {
            up = (try? await sh(health)) != nil
            if !up { try await Task.sleep(for: .milliseconds(50)) }
        }
        try #require(up, "the HTTP server did not come up")

        let assignment = TierAssignment(tier: "deploy", executor: "release-dir", settings: [
            "root": [root], "health": [health],
            "restart": [#"echo "$TIMETURNER_RELEASE" >> "$TIMETURNER_RELEASE_PATH/../../restarts""#],
        ])
        let capture = try #require(try await runner.capture(assignment, point: PointReference(id: "p", commit: "c"), dryRun: false).capture)
        #expect(capture == ["release": "v1", "target": "releases/v1"])
        _ = try await runner.verify(assignment, dryRun: false)

        // A bad deploy: current → v2, whose health check fails.
        _ = try await sh("ln -sfn releases/v2 '\(root)/current'")
        await #expect(throws: TimeturnerError.self) { try await runner.verify(assignment, dryRun: false) }

        let outcome = try await runner.rollback(assignment, to: capture, point: nil, dryRun: false)
        #expect(outcome.message == "current → releases/v1 (was releases/v2)")
        // The state it replaced is the engine's present-state capture, not part of the reply.
        #expect(outcome.capture == nil)
        #expect(LocalFile.linkTarget(root + "/current") == "releases/v1")
        #expect(String(decoding: readFile(root + "/restarts") ?? [], as: UTF8.self) == "v1\n")
        #expect(try await sh(health).trimmed == "ok v1")
        _ = try await runner.verify(assignment, dryRun: false)
        // No temporary links left behind.
        #expect(try await sh("ls -A '\(root)'").lines.sorted() == ["current", "releases", "restarts"])

        // A pruned release is refused before anything changes.
        do {
            _ = try await runner.rollback(assignment, to: ["release": "v0"], point: nil, dryRun: false)
            Issue.record("rolled back to a release that does not exist")
        } catch {
            #expect(error.kind == .refused)
        }
        #expect(LocalFile.linkTarget(root + "/current") == "releases/v1")
    }
}

/// An empty health or verify command must not report a healthy tier without checking anything.
@Suite struct EmptyCheckCommandTests {
    @Test func anEmptyHealthCommandIsReportedAsNoCheck() async throws {
        let directory = try makeTemporaryDirectory("empty-health")
        try writeFile(directory + "/app/releases/v1/index.html", Array("v1\n".utf8))
        #expect(symlink("releases/v1", directory + "/app/current") == 0)
        let runner = ExecutorTierDriver(environment: ["PATH": "/usr/bin:/bin", "HOME": directory], repositoryPath: directory) { _, _ in }
        let empty = TierAssignment(tier: "deploy", executor: "release-dir", settings: ["root": ["app"], "health": [""]])
        let verified = try await runner.verify(empty, dryRun: false)
        #expect(verified.message == "current points at release v1; health is empty, so no health check ran")
        #expect(verified.message?.contains("healthy") == false)
        let unset = TierAssignment(tier: "deploy", executor: "release-dir", settings: ["root": ["app"]])
        #expect(try await runner.verify(unset, dryRun: false).message == "current points at release v1; no health command configured")
        let command = TierAssignment(tier: "system", executor: "command", settings: ["verify": ["  "]])
        #expect(try await runner.verify(command, dryRun: false).message == "verify is empty, so no check ran")
    }
}
