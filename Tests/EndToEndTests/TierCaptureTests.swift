import Foundation
import Testing
import TestSupport

/// `point` capturing a real PostgreSQL database and configuration files through the built
/// binary, and `executor run … rollback` restoring them from what the note recorded.
@Suite(.enabled(if: PostgresServer.isAvailable, "PostgreSQL binaries are not installed (apt-get install postgresql)"))
struct TierCaptureTests {
    @Test func pointCapturesDatabaseAndFilesIntoTheNoteAndTheyRestoreFromIt() async throws {
        try await PostgresServer.with { server in
            try await server.sql("CREATE DATABASE shop")
            try await server.sql("CREATE TABLE orders (id int PRIMARY KEY, total numeric NOT NULL); INSERT INTO orders VALUES (1, 9.5)", database: "shop")
            let repo = try await ScratchRepository()
            try repo.write("config/app.env", "DB_POOL=10\n", mode: 0o600)
            try await repo.git("config", "-f", ".timeturner", "timeturner.tier.db.executor", "postgres")
            try await repo.git("config", "-f", ".timeturner", "timeturner.tier.db.url", server.url("shop"))
            try await repo.git("config", "-f", ".timeturner", "timeturner.tier.db.verifyQuery", "SELECT count(*) >= 1 FROM orders")
            try await repo.git("config", "-f", ".timeturner", "timeturner.tier.config.executor", "files")
            try await repo.git("config", "-f", ".timeturner", "timeturner.tier.config.path", "config/app.env")
            try await repo.git("add", ".timeturner")
            try await repo.commit("deploy v1")
            let path = ["PATH": server.bin + ":" + (repo.environment["PATH"] ?? "/usr/bin:/bin")]
            #expect(try await repo.timeturner(["trust"], extraEnvironment: path).status == 0)

            let made = try await repo.timeturner(["point", "--name", "pre-v2", "-m", "before v2", "--json"], extraEnvironment: path)
            #expect(made.status == 0, "\(made)")
            let note = try await repo.git("notes", "--ref=timeturner", "show", "HEAD")
            let captures = note.lines.compactMap { line -> [String: Any]? in
                guard let object = parseJSON(line), object["type"] as? String == "capture" else { return nil }
                return object
            }
            #expect(captures.map { $0["tier"] as? String } == ["config", "db"])
            let db = try #require(captures.last?["capture"] as? [String: Any])
            let dump = try #require(db["dump"] as? String)
            // Named by what it holds, relative to the artifacts directory in the git dir.
            #expect(dump == "db/point-pre-v2.dump")
            let sum = try await runProcess("sha256sum", [repo.path + "/.git/timeturner/artifacts/" + dump], environment: repo.environment, in: repo.path)
            #expect(db["sha256"] as? String == String(sum.stdout.prefix(64)))
            let trailers = try await repo.git("for-each-ref", "--format=%(trailers:key=Timeturner-Tier,valueonly)", "refs/timeturner/points/pre-v2")
            #expect(trailers.lines == ["code", "config", "db"])
            // Backups live under .git, never in the work tree (the .env is untracked on purpose).
            #expect(try await repo.gitResult(["status", "--porcelain", "--untracked-files=all"]).stdout.lines == ["?? config/app.env"])

            // A bad migration and a bad config change.
            try await server.sql("DROP TABLE orders", database: "shop")
            try repo.write("config/app.env", "DB_POOL=0\n", mode: 0o644)
            let broken = try await repo.timeturner(["executor", "run", "postgres", "verify", "--tier", "db"], extraEnvironment: path)
            #expect(broken.status == 1)
            #expect(broken.stderr.contains("executor 'postgres' failed to verify the db tier"))

            for capture in captures {
                let tier = try #require(capture["tier"] as? String), executor = try #require(capture["executor"] as? String)
                let json = String(decoding: try JSONSerialization.data(withJSONObject: capture["capture"]!), as: UTF8.self)
                let restored = try await repo.timeturner(["executor", "run", executor, "rollback", "--tier", tier, "--capture", json], extraEnvironment: path)
                #expect(restored.status == 0, "\(restored)")
            }
            #expect(try await server.sql("SELECT id || ':' || total FROM orders", database: "shop").trimmed == "1:9.5")
            #expect(repo.read("config/app.env") == "DB_POOL=10\n")
            #expect(try await runProcess("stat", ["-c", "%a", "config/app.env"], environment: repo.environment, in: repo.path).stdout.trimmed == "600")
            #expect(try await repo.timeturner(["executor", "run", "postgres", "verify", "--tier", "db"], extraEnvironment: path).status == 0)
        }
    }
}
