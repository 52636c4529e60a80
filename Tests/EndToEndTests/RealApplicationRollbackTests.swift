import Foundation
import Testing
import TestSupport

/// The scenario of issue 10 on a real application (Tests/Fixtures/app): a Python HTTP service on
/// 127.0.0.1 whose /health queries PostgreSQL, Alembic migrations from the Python package index,
/// a configuration read at start-up and a Capistrano-style release directory. Tiers: deploy =
/// release-dir, config = files, db = migrations (downgrade, then the dump), and
/// `timeturner.activate` restarts the app once every tier is in place. One PostgreSQL server and
/// one story, to keep the time small.
@Suite(.enabled(if: PostgresServer.isAvailable, "PostgreSQL binaries are not installed (apt-get install postgresql)"))
struct RealApplicationRollbackTests {
    struct Deployed {
        let app: RealApplication
        let v1: String, v2: String, v3: String
    }

    /// v1 deployed and marked good with captures; a point; v2 deployed (writes made while it is
    /// live); the broken v3 deployed and marked bad.
    func deployThreeVersions(_ server: PostgresServer) async throws -> Deployed {
        let repo = try await ScratchRepository()
        let app = try await RealApplication(repo: repo, server: server)
        let settings: [(String, String)] = [
            ("timeturner.tier.deploy.executor", "release-dir"),
            ("timeturner.tier.deploy.root", app.root),
            ("timeturner.tier.config.executor", "files"),
            ("timeturner.tier.config.path", app.root + "/shared/config/app.ini"),
            ("timeturner.tier.db.executor", "migrations"),
            ("timeturner.tier.db.strategy", "downgrade,restore"),
            ("timeturner.tier.db.url", server.url(app.database)),
            ("timeturner.activate", app.restartCommand),
        ]
        for (key, value) in settings { try await repo.git("config", "-f", ".timeturner", key, value) }
        let v1 = try await app.commitVersion(1)
        #expect(try await timeturner(app, ["trust"]).status == 0)
        try await app.deploy(v1)
        _ = try await server.sql("INSERT INTO accounts (name, email) VALUES ('ada', 'ada@example.com'), ('grace', 'grace@example.com')",
                                 database: app.database)
        #expect(try await app.health().status == 200)
        // What hooks/post-deploy does: captures on the deployed commit, then the good mark.
        try await expectSuccess(app, ["good", "--env", "production", "--capture", "--evidence", "health 200"])
        try await expectSuccess(app, ["point", "--name", "pre-v2", "-m", "before v2"])

        let v2 = try await app.commitVersion(2)
        try await app.deploy(v2)
        _ = try await server.sql("INSERT INTO accounts (display_name) VALUES ('linus')", database: app.database)
        #expect(try await app.health().status == 200)

        let v3 = try await app.commitVersion(3)
        try await app.deploy(v3)
        let broken = try await app.health()
        #expect(broken.status == 500 && broken.body.contains("\"code\": \"v3\""), "\(broken)")
        try await expectSuccess(app, ["bad", "--env", "production"])
        return Deployed(app: app, v1: v1, v2: v2, v3: v3)
    }

    func timeturner(_ app: RealApplication, _ arguments: [String]) async throws -> ProcessResult {
        try await app.repo.timeturner(arguments, extraEnvironment: ["PATH": app.path])
    }

    func expectSuccess(_ app: RealApplication, _ arguments: [String]) async throws {
        let result = try await timeturner(app, arguments)
        #expect(result.status == 0, "\(arguments.joined(separator: " ")): \(result)")
    }

    /// Every tier on `version` (1 or 3), and the app answering as that version does.
    func expectEverything(on version: Int, _ deployed: Deployed, healthy: Bool, _ comment: String) async throws {
        let app = deployed.app
        let commit = version == 1 ? deployed.v1 : deployed.v3
        #expect(app.currentRelease == commit, "\(comment): release")
        #expect(app.liveConfigVersion == "v\(version)", "\(comment): live config")
        #expect(try await app.schemaRevision() == (version == 1 ? "001" : "003"), "\(comment): schema")
        let health = try await app.health()
        #expect(health.status == (healthy ? 200 : 500), "\(comment): \(health)")
        #expect(health.body.contains("\"code\": \"v\(version)\"") && health.body.contains("\"config\": \"v\(version)\""), "\(comment): \(health)")
    }

    func activations(_ output: String) -> [String] {
        ((parseJSON(output)?["activation"] as? [[String: Any]]) ?? []).map { "\($0["status"] ?? "?")" }
    }

    @Test func levelTwoRollbackConfigOnlyUndoAndAFailedVerificationOnARealApplication() async throws {
        try await PostgresServer.with { server in
            let deployed = try await deployThreeVersions(server)
            let app = deployed.app
            defer { app.stop() }
            let verify = "curl -fsS \(app.healthURL)"

            // The plan says what each tier would do, and nothing changes.
            let plan = try await timeturner(app, ["rollback", "--env", "production", "--level", "2", "--dry-run"])
            #expect(plan.status == 0, "\(plan)")
            #expect(plan.stdout.contains("migrations"), "\(plan.stdout)")
            try await expectEverything(on: 3, deployed, healthy: false, "after the dry run")

            // The dump restore loses what was written since v1's deploy: without consent, nothing runs.
            let refused = try await timeturner(app, ["rollback", "--env", "production", "--level", "2", "--yes", "--verify", verify])
            #expect(refused.status != 0 && refused.stderr.contains("--accept-data-loss"), "\(refused)")
            try await expectEverything(on: 3, deployed, healthy: false, "after the refusal")

            // The rollback: the database first, with v3's scripts (its downgrade cannot bring the
            // names back, so the dump taken at v1's deploy is restored), then the config, the code,
            // the release, one restart (activate), and a verification that only looks.
            let done = try await timeturner(app, ["rollback", "--env", "production", "--level", "2", "--yes", "--accept-data-loss", "--json",
                                                  "--verify", verify])
            #expect(done.status == 0, "\(done)")
            try await expectEverything(on: 1, deployed, healthy: true, "after the rollback")
            #expect(try await app.repo.git("show", "HEAD:VERSION") == "v1\n")
            // The accounts as they were at v1's deploy: the one written while v2 was live is lost.
            #expect(try await server.sql("SELECT name FROM accounts ORDER BY id", database: app.database).lines == ["ada", "grace"])
            #expect(activations(done.stdout) == ["passed"], "\(done.stdout)")
            let tiers = (parseJSON(done.stdout)?["tiers"] as? [[String: Any]])?.map { "\($0["tier"] ?? "?") \($0["status"] ?? "?")" }
            #expect(tiers == ["db succeeded", "config succeeded", "code succeeded", "deploy succeeded"], "\(done.stdout)")
            #expect(done.stderr.contains("restoring the dump instead"), "\(done.stderr)")

            // A bad edit of the live configuration alone: only the config tier goes back (the
            // branch, the release and the schema stay), and the app is restarted with it.
            try writeFile(app.root + "/shared/config/app.ini",
                          Array(String(decoding: readFile(app.root + "/shared/config/app.ini")!, as: UTF8.self)
                                .replacingOccurrences(of: "name_column = name", with: "name_column = nam").utf8))
            #expect(try await runProcess("/bin/sh", ["-c", app.restartCommand], environment: app.environment, in: app.root).status == 0)
            #expect(try await app.health().status == 500)
            let configOnly = try await timeturner(app, ["rollback", "--env", "production", "--tiers", "config", "--yes", "--json", "--verify", verify])
            #expect(configOnly.status == 0, "\(configOnly)")
            #expect((parseJSON(configOnly.stdout)?["tiers"] as? [[String: Any]])?.map { $0["tier"] as? String } == ["config"], "\(configOnly.stdout)")
            try await expectEverything(on: 1, deployed, healthy: true, "after the config-only rollback")
            #expect(try await app.repo.git("show", "HEAD:VERSION") == "v1\n")

            // Undo, twice: the config-only rollback (the bad edit is back), then the level-2 one,
            // which returns every tier to v3 (broken again, as it was) and restarts it.
            let configUndone = try await timeturner(app, ["undo", "--yes"])
            #expect(configUndone.status == 0, "\(configUndone)")
            #expect(readFile(app.root + "/shared/config/app.ini").map { String(decoding: $0, as: UTF8.self).contains("name_column = nam\n") } == true)
            let undone = try await timeturner(app, ["undo", "--yes", "--accept-data-loss", "--json"])
            #expect(undone.status == 0, "\(undone)")
            try await expectEverything(on: 3, deployed, healthy: false, "after the undo")
            #expect(try await app.repo.git("show", "HEAD:VERSION") == "v3\n")

            // A verification that fails puts every tier back, and activates the restored state.
            let failed = try await timeturner(app, ["rollback", "--env", "production", "--level", "2", "--yes", "--accept-data-loss", "--json",
                                                    "--verify", verify + " && test -e /nonexistent/approval"])
            #expect(failed.status == 5, "\(failed)")
            try await expectEverything(on: 3, deployed, healthy: false, "after the failed verification")
            #expect(try await app.repo.git("show", "HEAD:VERSION") == "v3\n")
            #expect(activations(failed.stdout) == ["passed", "passed"], "\(failed.stdout)")
        }
    }
}
