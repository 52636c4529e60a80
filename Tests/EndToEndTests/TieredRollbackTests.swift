import Foundation
import Testing
import TestSupport

/// `rollback --level/--tiers/--escalate`: code plus executor tiers, verified after each, and
/// restored in reverse order when one fails. Real PostgreSQL, real files, the built binary.
@Suite struct TieredRollbackTests {
    /// v1 is deployed with a good schema and a good config; a point is taken; v2 ships a bad
    /// migration and a bad config change.
    func deployedBadRelease(_ server: PostgresServer?) async throws -> ScratchRepository {
        let repo = try await ScratchRepository()
        try repo.write("config/app.env", "DB=primary\n", mode: 0o600)
        try await repo.git("config", "-f", ".timeturner", "timeturner.tier.config.executor", "files")
        try await repo.git("config", "-f", ".timeturner", "timeturner.tier.config.path", "config/app.env")
        if let server {
            try await server.sql("CREATE DATABASE shop")
            try await server.sql("CREATE TABLE orders (id int PRIMARY KEY, total numeric NOT NULL); INSERT INTO orders VALUES (1, 9.5), (2, 20)", database: "shop")
            try await repo.git("config", "-f", ".timeturner", "timeturner.tier.db.executor", "postgres")
            try await repo.git("config", "-f", ".timeturner", "timeturner.tier.db.url", server.url("shop"))
            try await repo.git("config", "-f", ".timeturner", "timeturner.tier.db.verifyQuery", "SELECT count(*) = 2 FROM orders")
        }
        try await repo.git("add", ".timeturner")
        try await repo.commit("v1", files: ["app.txt": "v1\n"])
        #expect(try await timeturner(repo, ["trust"], server).status == 0)
        let point = try await timeturner(repo, ["point", "--name", "pre-v2", "-m", "before v2"], server)
        #expect(point.status == 0, "\(point)")

        try await repo.commit("v2: migration 42", files: ["app.txt": "v2\n"])
        if let server { try await server.sql("ALTER TABLE orders DROP COLUMN total; INSERT INTO orders VALUES (3)", database: "shop") }
        try repo.write("config/app.env", "DB=replica-typo\n", mode: 0o644)
        return repo
    }

    func timeturner(_ repo: ScratchRepository, _ arguments: [String], _ server: PostgresServer?) async throws -> ProcessResult {
        let path = (server.map { $0.bin + ":" } ?? "") + (repo.environment["PATH"] ?? "/usr/bin:/bin")
        return try await repo.timeturner(arguments, extraEnvironment: ["PATH": path])
    }

    func head(_ repo: ScratchRepository) async throws -> String { try await repo.git("show", "HEAD:app.txt") }

    @Test(.enabled(if: PostgresServer.isAvailable, "PostgreSQL binaries are not installed (apt-get install postgresql)"))
    func levelTwoRestoresCodeDatabaseAndConfigAndVerifies() async throws {
        try await PostgresServer.with { server in
            let repo = try await deployedBadRelease(server)

            let plan = try await timeturner(repo, ["rollback", "--to", "pre-v2", "--level", "2", "--dry-run"], server)
            #expect(plan.status == 0, "\(plan)")
            for call in ["config: files capture (the present state", "db: postgres capture (the present state",
                         "config: files rollback to the state captured with point pre-v2", "config: files verify",
                         "db: postgres rollback to the state captured with point pre-v2", "would pg_restore --clean --if-exists", "db: postgres verify",
                         "data loss: rolling back the db tier discards every write to postgresql://postgres@127.0.0.1:"] {
                #expect((plan.stdout + plan.stderr).contains(call), "plan lacks \(call): \(plan.stdout)\(plan.stderr)")
            }
            #expect(try await head(repo) == "v2\n", "a dry run changed the code")

            // Restoring the dump discards what was written since: --yes alone does not accept that.
            let unaccepted = try await timeturner(repo, ["rollback", "--to", "pre-v2", "--level", "2", "--yes"], server)
            #expect(unaccepted.status == 3, "\(unaccepted)")
            #expect(unaccepted.stderr.contains("this rollback discards data: the db tier every write to"), "\(unaccepted.stderr)")
            #expect(unaccepted.stderr.contains("--accept-data-loss"))
            #expect(try await head(repo) == "v2\n")

            let done = try await timeturner(repo, ["rollback", "--to", "pre-v2", "--level", "2", "--yes", "--accept-data-loss", "--json",
                                                   "--verify", "grep -q primary config/app.env"], server)
            #expect(done.status == 0, "\(done)")
            #expect(try await head(repo) == "v1\n")
            #expect(repo.read("config/app.env") == "DB=primary\n")
            #expect(try await server.sql("SELECT id || ':' || total FROM orders ORDER BY id", database: "shop").lines == ["1:9.5", "2:20"])
            // The journal event lists each tier with its outcome and duration.
            let event = try #require(parseJSON(done.stdout))
            let tiers = try #require(event["tiers"] as? [[String: Any]])
            // In the order they ran: the data, then the configuration, then the code.
            #expect(tiers.map { $0["tier"] as? String } == ["db", "config", "code"])
            #expect(tiers.allSatisfy { $0["status"] as? String == "succeeded" && $0["durationMs"] is Int })
            #expect(event["status"] as? String == "succeeded")
            // One dump per attempt, named by what it holds: the point's, and the present state
            // captured just before this rollback (no second "safety" dump by the executor).
            let id = try #require(event["id"] as? String)
            let dumps = try await runProcess("/bin/sh", ["-c", "cd .git/timeturner/artifacts && ls db config"], environment: repo.environment, in: repo.path)
            #expect(dumps.stdout.lines.filter { $0.hasSuffix(".dump") || $0.hasSuffix(".tar") }.sorted()
                    == ["before-\(id).dump", "before-\(id).tar", "point-pre-v2.dump", "point-pre-v2.tar"], "\(dumps.stdout)")
            let captured = try #require(event["captures"] as? [[String: Any]])
            #expect(captured.compactMap { ($0["capture"] as? [String: Any])?["dump"] as? String } == ["db/before-\(id).dump"])
            // The journal records what was discarded, and since when.
            let loss = try #require((event["dataLoss"] as? [[String: Any]])?.first)
            #expect(loss["tier"] as? String == "db" && loss["capturedAt"] is String && (loss["discards"] as? String)?.contains("made after") == true)
        }
    }

    @Test(.enabled(if: PostgresServer.isAvailable, "PostgreSQL binaries are not installed (apt-get install postgresql)"))
    func aFailingDatabaseRestoreRollsCodeAndFilesBackToo() async throws {
        try await PostgresServer.with { server in
            let repo = try await deployedBadRelease(server)
            // The dump the point recorded is damaged: the preflight (the executor's dry run) finds
            // it, in --dry-run and before a real run, and nothing changes.
            let dumps = try await runProcess("/bin/sh", ["-c", "ls .git/timeturner/artifacts/db/point-*.dump"], environment: repo.environment, in: repo.path)
            let dump = try #require(dumps.stdout.lines.first)
            let sh = { (script: String) async throws -> Void in
                _ = try await runProcess("/bin/sh", ["-c", script], environment: repo.environment, in: repo.path)
            }
            try await sh("cp '\(dump)' dump.orig && printf corrupt >> '\(dump)'")
            let untouched = try await repo.fingerprint()
            for extra in [["--dry-run"], ["--yes", "--accept-data-loss"]] {
                let refused = try await timeturner(repo, ["rollback", "--to", "pre-v2", "--level", "2"] + extra, server)
                #expect(refused.status == 3, "\(refused)")
                #expect(refused.stderr.contains("the preflight found that the rollback cannot be done; nothing was changed"), "\(refused.stderr)")
                #expect(refused.stderr.contains("does not match its recorded checksum"), "\(refused.stderr)")
            }
            #expect(try await head(repo) == "v2\n" && repo.read("config/app.env") == "DB=replica-typo\n")
            #expect(try await repo.git("for-each-ref", "refs/timeturner/safety").isEmpty)
            #expect(try await repo.fingerprint() == untouched, "the preflight's refusal changed something")

            // The dump is intact again, but a view on the table (made after the point) stops
            // pg_restore from dropping it, so the restore fails when it runs. Moved after the
            // configuration and the code (the user's own git config), the database fails once
            // they have changed: they are put back.
            try await sh("mv dump.orig '\(dump)'")
            try await server.sql("CREATE VIEW order_ids AS SELECT id FROM orders", database: "shop")
            try await repo.git("config", "timeturner.tier.db.order", "60")
            let failed = try await timeturner(repo, ["rollback", "--to", "pre-v2", "--level", "2", "--yes", "--accept-data-loss", "--json"], server)
            #expect(failed.status == 5, "\(failed)")
            #expect(failed.stderr.contains("pg_restore"), "\(failed.stderr)")
            // Everything is as it was before the rollback: v2 code, the bad config, the migrated table.
            #expect(try await head(repo) == "v2\n")
            #expect(repo.read("config/app.env") == "DB=replica-typo\n")
            #expect(try await runProcess("stat", ["-c", "%a", "config/app.env"], environment: repo.environment, in: repo.path).stdout.trimmed == "644")
            #expect(try await server.sql("SELECT count(*) FROM orders", database: "shop").trimmed == "3")
            let event = try #require(parseJSON(failed.stdout))
            #expect((event["tiers"] as? [[String: Any]])?.map { "\($0["tier"]!) \($0["status"]!)" } == ["config succeeded", "code succeeded", "db failed"])
            // Newest change first: the database (its failed restore ran inside one transaction, but
            // a fresh dump never equals the old one, so it is put back too), then the configuration.
            #expect((event["tierRestores"] as? [[String: Any]])?.map { "\($0["tier"]!) \($0["action"]!) \($0["status"]!)" } == ["db restore succeeded", "config restore succeeded"])
            let status = try await repo.gitResult(["status", "--porcelain"]).stdout
            #expect(status.lines == [" M config/app.env"], "\(status)")  // tracked, and back to its bad pre-rollback content
        }
    }

    @Test func escalationMovesToTheNextLevelWhenVerificationFails() async throws {
        let repo = try await deployedBadRelease(nil)
        let plan = try await timeturner(repo, ["rollback", "--to", "pre-v2", "--tiers", "code,config", "--dry-run", "--json"], nil)
        #expect(parseJSON(plan.stdout)?["tierCalls"] as? [String] != nil)
        #expect((parseJSON(plan.stdout)?["tierCalls"] as? [String])?.count == 3)

        // Level 1 is code only here (no deploy tier): the config check still fails, so it is
        // restored and level 2 (code and config) runs and passes.
        let run = try await timeturner(repo, ["rollback", "--to", "pre-v2", "--level", "1", "--escalate", "--yes",
                                              "--verify", "grep -q primary config/app.env"], nil)
        #expect(run.status == 0, "\(run)")
        #expect(run.stderr.contains("escalating: level 1 failed and was restored; trying level 2"))
        #expect(try await head(repo) == "v1\n")
        #expect(repo.read("config/app.env") == "DB=primary\n")

        let untrusted = try await timeturner(repo, ["rollback", "--to", "pre-v2", "--tiers", "code,db", "--dry-run"], nil)
        #expect(untrusted.status == 64)
        #expect(untrusted.stderr.contains("the db tier has no executor configured"))
    }

    @Test func aTierThatCannotBeRestoredExitsSixAndSaysWhich() async throws {
        let repo = try await ScratchRepository()
        // In .git/config: the user's own settings, no trust needed.
        try await repo.git("config", "timeturner.tier.deploy.executor", "command")
        try await repo.git("config", "timeturner.tier.deploy.capture", "cat deployed")
        try await repo.git("config", "timeturner.tier.deploy.rollback",
                           #"if [ "$TIMETURNER_CAPTURE" = v2-live ]; then echo cannot redeploy v2 >&2; exit 9; fi; printf '%s\n' "$TIMETURNER_CAPTURE" > deployed"#)
        try await repo.git("config", "timeturner.tier.system.executor", "command")
        try await repo.git("config", "timeturner.tier.system.capture", "echo kernel-1")
        try await repo.git("config", "timeturner.tier.system.rollback", "echo downgrade failed >&2; exit 4")
        // After the deploy tier (by default the system goes first), so the deploy has changed when it fails.
        try await repo.git("config", "timeturner.tier.system.order", "60")
        try repo.write("deployed", "v1\n")
        try await repo.commit("v1", files: ["app.txt": "v1\n", ".gitignore": "deployed\n"])
        #expect(try await repo.timeturner("point", "--name", "p").status == 0)
        try await repo.commit("v2", files: ["app.txt": "v2\n"])
        try repo.write("deployed", "v2-live\n")

        let run = try await repo.timeturner("rollback", "--to", "p", "--level", "3", "--yes")
        #expect(run.status == 6, "\(run)")
        #expect(run.stderr.contains("could not restore the deploy tier to its state before the rollback"))
        #expect(run.stderr.contains("git timeturner recover"))
        // The code is back; the deploy tier is left at the point's state, and the error says so.
        #expect(try await head(repo) == "v2\n")
        #expect(repo.read("deployed") == "v1\n")

        // Once the deploy can be restored, recover finishes the job. The rollback had journaled
        // its end already: recover writes its own line, with its own id, pointing at it.
        try await repo.git("config", "timeturner.tier.deploy.rollback", #"printf '%s\n' "$TIMETURNER_CAPTURE" > deployed"#)
        let recover = try await repo.timeturner("recover", "--yes")
        #expect(recover.status == 0, "\(recover)")
        #expect(repo.read("deployed") == "v2-live\n")
        let lines = try await repo.git("show", "refs/timeturner/registry:journal/2026-11.jsonl").lines.compactMap(parseJSON)
        let ids = lines.compactMap { $0["id"] as? String }
        #expect(ids.count == 2 && Set(ids).count == 2, "\(ids)")
        #expect(lines.last?["recovers"] as? String == ids.first && lines.first?["status"] as? String == "restore-failed")
    }

    @Test func verifyCommandsFromTheSharedFileRunOnlyWhenTrusted() async throws {
        let repo = try await ScratchRepository()
        let marker = repo.siblingDirectory("markers") + "/verified"
        try await repo.git("config", "-f", ".timeturner", "timeturner.verify", "touch \(marker)")
        try await repo.commit("v1", files: ["app.txt": "v1\n"])
        try await repo.git("add", ".timeturner")
        try await repo.commit("share verification")
        try await repo.commit("v2", files: ["app.txt": "v2\n"])

        let refused = try await repo.timeturner("rollback", "--to", "HEAD~1", "--yes")
        #expect(refused.status == 3, "\(refused)")
        #expect(refused.stderr.contains("verification (timeturner.verify) is configured in .timeturner, which is not trusted"))
        #expect(readFile(marker) == nil)
        #expect(try await head(repo) == "v2\n")

        #expect(try await repo.timeturner("trust").status == 0)
        let plan = try await repo.timeturner("rollback", "--to", "HEAD~1", "--dry-run")
        #expect(plan.stdout.contains("verify   touch \(marker)"))
        let done = try await repo.timeturner("rollback", "--to", "HEAD~1", "--yes")
        #expect(done.status == 0, "\(done)")
        #expect(readFile(marker) != nil)
        #expect(try await head(repo) == "v1\n")
    }
}
