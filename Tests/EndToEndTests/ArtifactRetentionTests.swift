import Foundation
import Testing
import TestSupport

/// `artifacts list|prune` against real captures made by the built binary: the `files` tier's
/// archives of several points in two environments, a rollback that can still be undone, stray
/// files and files that are not ours. Prune must keep every artifact that a kept point, the
/// newest good commit's point or an undoable rollback refers to, and delete only what it lists.
@Suite struct ArtifactRetentionTests {
    @Test func pruneKeepsWhatPointsAndUndoableRollbacksNeedAndNothingElse() async throws {
        let repo = try await ScratchRepository()
        let etc = repo.siblingDirectory("etc")
        let shared = repo.siblingDirectory("shared-artifacts")
        try writeFile(etc + "/app.env", Array("V=1\n".utf8))
        try await repo.git("config", "timeturner.tier.config.executor", "files")
        try await repo.git("config", "timeturner.tier.config.path", etc + "/app.env")
        // Relative to the work tree root: ../shared-artifacts.
        try await repo.git("config", "timeturner.artifacts.dir", "../shared-artifacts")

        let v1 = try await repo.commit("v1", files: ["app.txt": "v1\n"])
        #expect(try await repo.timeturner("point", "--name", "p1", "--env", "production").status == 0)
        #expect(try await repo.timeturner("good", v1, "--env", "production", "--evidence", "smoke").status == 0)
        try await repo.commit("v2", files: ["app.txt": "v2\n"])
        try writeFile(etc + "/app.env", Array("V=2\n".utf8))
        #expect(try await repo.timeturner("point", "--name", "p2", "--env", "production").status == 0)
        try await repo.commit("v3", files: ["app.txt": "v3\n"])
        try writeFile(etc + "/app.env", Array("V=3\n".utf8))
        #expect(try await repo.timeturner("point", "--name", "p3", "--env", "production").status == 0)
        #expect(try await repo.timeturner("point", "--name", "s1", "--env", "staging").status == 0)

        let rolledBack = try await repo.timeturner(["rollback", "--to", "p2", "--tiers", "code,config", "--yes", "--json"])
        #expect(rolledBack.status == 0, "\(rolledBack)")
        let rollback = try #require(parseJSON(rolledBack.stdout)?["id"] as? String)
        #expect(readFile(etc + "/app.env") == Array("V=2\n".utf8))

        // Stray files: two of ours that nothing refers to, two that are not ours at all.
        for name in ["config/20261101T000000Z-0000.tar", "db/safety-20261101T000000Z-db.dump", "config/notes.txt", "config/custom.tar"] {
            try writeFile(shared + "/" + name, Array("x\n".utf8))
        }
        // Everything is older than prune's grace hour, except one unreferenced file written now.
        let aged = try await runProcess("/bin/sh", ["-c", "find . -type f -exec touch -d '3 hours ago' {} +"], environment: repo.environment, in: shared)
        #expect(aged.status == 0, "\(aged)")
        try writeFile(shared + "/config/20261201T000000Z-ffff.tar", Array("fresh\n".utf8))

        let names = ["config/before-\(rollback).tar", "config/point-p1.tar", "config/point-p2.tar", "config/point-p3.tar", "config/point-s1.tar"]
        let listed = try await repo.timeturner(["artifacts", "list", "-c", "timeturner.artifacts.keep=1", "--json"])
        #expect(listed.status == 0, "\(listed)")
        let inventory = try #require(parseJSON(listed.stdout))
        #expect(inventory["directory"] as? String == shared)
        let artifacts = try #require(inventory["artifacts"] as? [[String: Any]])
        #expect(Set(artifacts.compactMap { $0["reference"] as? String })
                == Set(names + ["config/20261101T000000Z-0000.tar", "config/20261201T000000Z-ffff.tar", "db/safety-20261101T000000Z-db.dump"]),
                "files that are not ours must never be listed: \(artifacts)")

        let planned = try await repo.timeturner(["artifacts", "prune", "-c", "timeturner.artifacts.keep=1", "--dry-run", "--json"])
        #expect(planned.status == 0, "\(planned)")
        let plan = try #require(parseJSON(planned.stdout))
        let removable = Set((plan["removed"] as? [[String: Any]] ?? []).compactMap { $0["reference"] as? String })
        // p3 and s1: the newest of each environment; p1: on production's newest good commit;
        // before-<rollback>: the rollback can still be undone; the fresh file: inside the grace hour.
        #expect(removable == ["config/point-p2.tar", "config/20261101T000000Z-0000.tar", "db/safety-20261101T000000Z-db.dump"], "\(plan)")
        let reasons = Dictionary(uniqueKeysWithValues: (plan["kept"] as? [[String: Any]] ?? []).compactMap { entry in
            (entry["reference"] as? String).map { ($0, entry["keptBecause"] as? String ?? "") }
        })
        #expect(reasons["config/point-p1.tar"]?.contains("newest good commit of production") == true, "\(reasons)")
        #expect(reasons["config/before-\(rollback).tar"] == "rollback \(rollback) can still be undone")
        #expect(reasons["config/point-s1.tar"] == "one of the newest 1 points in staging")
        #expect(LocalFileProbe.exists(shared + "/config/point-p2.tar"), "a dry run deleted something")

        let pruned = try await repo.timeturner(["artifacts", "prune", "-c", "timeturner.artifacts.keep=1"])
        #expect(pruned.status == 0, "\(pruned)")
        #expect(pruned.stdout.contains("Deleted 3 artifact(s)"), "\(pruned)")
        let left = try await runProcess("/bin/sh", ["-c", "find . -type f | sort"], environment: repo.environment, in: shared)
        #expect(left.stdout.lines.map { String($0.dropFirst(2)) }
                == ["config/20261201T000000Z-ffff.tar", "config/before-\(rollback).tar", "config/custom.tar", "config/notes.txt",
                    "config/point-p1.tar", "config/point-p3.tar", "config/point-s1.tar"], "\(left.stdout)")

        // What was kept still works: the undo needs the state before the rollback, and finds it.
        let undone = try await repo.timeturner(["undo", "--yes"])
        #expect(undone.status == 0, "\(undone)")
        #expect(readFile(etc + "/app.env") == Array("V=3\n".utf8))
        // Undone, that capture is no longer needed (aged past the grace hour first).
        _ = try await runProcess("touch", ["-d", "3 hours ago", shared + "/config/before-\(rollback).tar"], environment: repo.environment, in: shared)
        let after = try await repo.timeturner(["artifacts", "prune", "-c", "timeturner.artifacts.keep=1", "--dry-run", "--json"])
        let now = Set((parseJSON(after.stdout)?["removed"] as? [[String: Any]] ?? []).compactMap { $0["reference"] as? String })
        #expect(now.contains("config/before-\(rollback).tar"), "\(after)")
        #expect(!now.contains("config/point-p1.tar") && !now.contains("config/point-p3.tar"))
    }

    @Test func anUntrustedSharedFileCannotChooseTheDirectoryToPrune() async throws {
        let repo = try await ScratchRepository()
        try await repo.git("config", "-f", ".timeturner", "timeturner.artifacts.dir", "/")
        try await repo.git("add", ".timeturner")
        try await repo.commit("v1")
        let refused = try await repo.timeturner("artifacts", "prune", "--dry-run")
        #expect(refused.status == 3, "\(refused)")
        #expect(refused.stderr.contains("the artifacts directory (timeturner.artifacts.dir) is configured in .timeturner, which is not trusted"))
    }
}

/// Trust covers everything the shared file runs or reaches, and follows its content: a
/// `.timeturner` a rollback returns to is trusted if that exact content was trusted before.
@Suite struct TrustByContentTests {
    @Test func trustListsEveryCommandAndURLAndSurvivesARollbackToTrustedContent() async throws {
        let repo = try await ScratchRepository()
        let settings = [
            ("timeturner.tier.deploy.executor", "release-dir"), ("timeturner.tier.deploy.root", "/srv/app"),
            ("timeturner.tier.deploy.restart", "bin/restart --graceful"), ("timeturner.tier.deploy.health", "curl -fsS http://127.0.0.1:8080/health"),
            ("timeturner.activate", "echo reloaded"), ("timeturner.verify", "test -f app.txt"),
            ("timeturner.check.api.command", "bin/probe api"), ("timeturner.tier.db.url", "postgresql://app:s3cret@db.internal/app"),
            ("timeturner.executor.kubectl.command", "/opt/bin/kubectl-exec"), ("timeturner.artifacts.keep", "7"),
        ]
        for (key, value) in settings { try await repo.git("config", "-f", ".timeturner", key, value) }
        try await repo.commit("v1", files: ["app.txt": "v1\n"])

        let trusted = try await repo.timeturner("trust")
        #expect(trusted.status == 0, "\(trusted)")
        for line in ["  executors:", "    timeturner.tier.deploy.executor = release-dir", "    timeturner.executor.kubectl.command = /opt/bin/kubectl-exec",
                     "  commands it runs:", "    timeturner.tier.deploy.restart = bin/restart --graceful",
                     "    timeturner.tier.deploy.health = curl -fsS http://127.0.0.1:8080/health", "    timeturner.activate = echo reloaded",
                     "    timeturner.verify = test -f app.txt", "    timeturner.check.api.command = bin/probe api",
                     "  URLs it connects to:", "    timeturner.tier.db.url = postgresql://app:***@db.internal/app",
                     "  other settings:", "    timeturner.tier.deploy.root = /srv/app", "    timeturner.artifacts.keep = 7"] {
            #expect(trusted.stdout.contains(line + "\n"), "trust does not show '\(line)': \(trusted.stdout)")
        }
        #expect(!trusted.stdout.contains("s3cret"), "a password was printed")
        let shown = try #require(parseJSON(try await repo.timeturner("trust", "--show", "--json").stdout))
        let approves = try #require(shown["approves"] as? [String: [[String: String]]])
        #expect(approves.values.map(\.count).reduce(0, +) == settings.count, "\(approves)")

        // v2 changes a command: untrusted until trusted again.
        try await repo.git("config", "-f", ".timeturner", "timeturner.tier.deploy.health", "bin/healthcheck 20 1")
        try await repo.commit("v2", files: ["app.txt": "v2\n"])
        #expect(parseJSON(try await repo.timeturner("trust", "--show", "--json").stdout)?["trusted"] as? Bool == false)
        #expect(try await repo.timeturner("trust").status == 0)

        // Rolling back past the change returns to v1's content, trusted before: still trusted,
        // so the next command right after the incident is not refused.
        let rollback = try await repo.timeturner("rollback", "--to", "HEAD~1", "--yes")
        #expect(rollback.status == 0, "\(rollback)")
        #expect(repo.read(".timeturner")?.contains("curl -fsS") == true)
        let back = try #require(parseJSON(try await repo.timeturner("trust", "--show", "--json").stdout))
        #expect(back["trusted"] as? Bool == true, "\(back)")
        #expect(try await repo.timeturner("rollback", "--to", "HEAD~1", "--dry-run").status == 0)

        // A content never trusted stays untrusted, and the message says so.
        try await repo.git("config", "-f", ".timeturner", "timeturner.verify", "curl -fsS http://evil.example/")
        let never = try #require(parseJSON(try await repo.timeturner("trust", "--show", "--json").stdout))
        #expect(never["trusted"] as? Bool == false)
        #expect((never["detail"] as? String)?.contains("or any of 1 earlier content(s) you trusted") == true, "\(never)")
        let refused = try await repo.timeturner("point", "-m", "after the incident")
        #expect(refused.status == 3, "\(refused)")
        #expect(refused.stderr.contains("which is not trusted"), "\(refused)")
    }

    @Test func anEmptyVerifyCommandIsRefusedNotReportedAsVerified() async throws {
        let repo = try await ScratchRepository()
        try await repo.commit("v1", files: ["app.txt": "v1\n"])
        try await repo.commit("v2", files: ["app.txt": "v2\n"])
        let refused = try await repo.timeturner("rollback", "--to", "HEAD~1", "-c", "timeturner.verify=", "--yes")
        #expect(refused.status == 64, "\(refused)")
        #expect(refused.stderr.contains("timeturner.verify (from command line) is empty: it would pass without checking anything"))
        #expect(repo.read("app.txt") == "v2\n")
        // The same for --verify itself: an empty or blank command printed "verify:  passed".
        for blank in ["", " ", "\t"] {
            let run = try await repo.timeturner("rollback", "--to", "HEAD~1", "--verify", blank, "--yes")
            #expect(run.status == 64 && run.stderr.contains("--verify is given an empty command: it would pass without checking anything"), "\(run)")
            #expect(repo.read("app.txt") == "v2\n" && !run.stdout.contains("passed"))
        }
        let dry = try await repo.timeturner("rollback", "--to", "HEAD~1", "--verify", "", "--dry-run")
        #expect(dry.status == 64, "a dry run says so too: \(dry)")
    }

    /// `git -c timeturner.verify=… timeturner rollback` through git itself, which hands its `-c`
    /// on in GIT_CONFIG_PARAMETERS (libgit2 does not read it): the verification runs, and fails
    /// here, so the rollback is restored (exit 5). It used to run unverified, exit 0.
    @Test func settingsGivenToGitWithDashCReachTheTool() async throws {
        let repo = try await ScratchRepository()
        try await repo.commit("v1", files: ["app.txt": "v1\n"])
        let head = try await repo.commit("v2", files: ["app.txt": "v2\n"])
        let binaryDirectory = String(TimeturnerBinary.path[..<TimeturnerBinary.path.lastIndex(of: "/")!])
        repo.setEnvironment("PATH", binaryDirectory + ":" + (repo.environment["PATH"] ?? "/usr/bin:/bin"))
        let failing = try await repo.gitResult(["-c", "timeturner.verify=test \"$(cat app.txt)\" = v2", "timeturner", "rollback", "--to", "HEAD~1", "--yes"])
        #expect(failing.status == 5, "\(failing)")
        #expect(failing.stderr.contains("verify: test \"$(cat app.txt)\" = v2 failed"), "\(failing)")
        #expect(try await repo.git("rev-parse", "HEAD").trimmed == head && repo.read("app.txt") == "v2\n")
        let plan = try await repo.gitResult(["-c", "timeturner.verify=true", "timeturner", "rollback", "--to", "HEAD~1", "--dry-run"])
        #expect(plan.status == 0 && plan.stdout.contains("verify   true (timeout 5m, from git -c)"), "\(plan)")
        // The tool's own -c comes after git's and wins.
        let both = try await repo.gitResult(["-c", "timeturner.verify=false", "timeturner", "rollback", "-c", "timeturner.verify=true", "--to", "HEAD~1", "--yes"])
        #expect(both.status == 0, "\(both)")
        let noValue = try await repo.gitResult(["-c", "timeturner.verify", "timeturner", "rollback", "--to", "HEAD", "--dry-run"])
        #expect(noValue.status == 64 && noValue.stderr.contains("gives timeturner.verify no value"), "\(noValue)")
    }
}

/// `history` shows level and each tier's duration; `history --stats` the time to recovery
/// of each incident, from the first bad mark to the end of the rollback that recovered it.
@Suite struct RecoveryTimeTests {
    @Test func timeToRecoveryRunsFromTheFirstBadMarkToTheSucceededRollback() async throws {
        let repo = try await ScratchRepository()
        let v1 = try await repo.commit("v1", files: ["app.txt": "v1\n"])
        #expect(try await repo.timeturner("good", v1, "--env", "production").status == 0)
        let v2 = try await repo.commit("v2", files: ["app.txt": "v2\n"])
        let at = { (seconds: Int64) in ["GIT_COMMITTER_DATE": "@\(HermeticEnvironment.epoch + seconds) +0000"] }
        #expect(try await repo.timeturner(["bad", v2, "--env", "production", "--reason", "500s"], extraEnvironment: at(100)).status == 0)
        #expect(try await repo.timeturner(["bad", v2, "--env", "production", "--reason", "still 500s"], extraEnvironment: at(160)).status == 0)
        // A rollback that fails its verification does not end the incident.
        let failed = try await repo.timeturner(["rollback", "--to", v1, "--env", "production", "--verify", "false", "--yes"], extraEnvironment: at(200))
        #expect(failed.status == 5, "\(failed)")
        let done = try await repo.timeturner(["rollback", "--to", v1, "--env", "production", "--yes", "--json"], extraEnvironment: at(400))
        #expect(done.status == 0, "\(done)")
        let event = try #require(parseJSON(done.stdout))
        let id = try #require(event["id"] as? String)
        let duration = try #require(event["durationMs"] as? Int)
        // Another incident, in staging, not recovered yet.
        #expect(try await repo.timeturner(["bad", v1, "--env", "staging"], extraEnvironment: at(500)).status == 0)

        let stats = try await repo.timeturner("history", "--stats", "--json")
        #expect(stats.status == 0, "\(stats)")
        let recovery = try #require(parseJSON(stats.stdout)?["recovery"] as? [String: Any])
        let incidents = try #require(recovery["incidents"] as? [[String: Any]])
        #expect(incidents.count == 2, "\(incidents)")
        #expect(incidents[0]["env"] as? String == "production")
        #expect(incidents[0]["rollback"] as? String == id)
        #expect(incidents[0]["laterMarks"] as? Int == 1)
        #expect(incidents[0]["timeToRecoveryMs"] as? Int == 300_000 + duration)
        #expect(incidents[1]["env"] as? String == "staging")
        #expect(incidents[1]["recovered"] as? Bool == false)
        #expect(recovery["open"] as? Int == 1)

        let text = try await repo.timeturner("history", "--stats")
        #expect(text.stdout.contains("TIME TO RECOVERY"), "\(text)")
        #expect(text.stdout.contains("(open)"))
        #expect(text.stdout.contains("time to recovery: median"))
        #expect(text.stdout.contains("LEVEL") && text.stdout.contains("TIERS"))
        #expect(text.stdout.contains("code "), "each tier with its duration: \(text.stdout)")
    }
}
