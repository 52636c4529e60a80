import Testing
import TestSupport
import TimeturnerCore
@testable import TimeturnerExecutors

/// The `postgres` built-in against a real PostgreSQL server started for the test.
/// Skipped (with a warning on standard error) only when no PostgreSQL binaries are installed;
/// .ci/deps installs them.
@Suite(.enabled(if: PostgresServer.isAvailable, "PostgreSQL binaries are not installed (apt-get install postgresql)"))
struct PostgresExecutorTests {
    @Test func captureRollbackVerifyAndTheChecksumCircuitBreaker() async throws {
        try await PostgresServer.with { server in
            try await server.sql("CREATE DATABASE app")
            try await server.sql("CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL); INSERT INTO users VALUES (1, 'ada'), (2, 'grace')", database: "app")
            let directory = try makeTemporaryDirectory("pg-executor")
            let runner = ExecutorTierDriver(environment: ["PATH": server.bin + ":/usr/bin:/bin", "HOME": directory, "LC_ALL": "C"],
                                            repositoryPath: directory) { _, _ in }
            let assignment = TierAssignment(tier: "db", executor: "postgres", settings: [
                "url": [server.url("app")], "backupdir": [directory + "/dumps"],
                "verifyquery": ["SELECT count(*) = 2 AND bool_and(name IS NOT NULL) FROM users"],
            ])
            _ = try await runner.verify(assignment, dryRun: false)

            let capture = try #require(try await runner.capture(assignment, point: PointReference(id: "pre-migration", commit: "c"), dryRun: false).capture)
            let dump = try #require(capture["dump"]?.stringValue)
            #expect(dump == directory + "/dumps/point-pre-migration.dump")
            let sum = try await runProcess("sha256sum", [dump], environment: ["PATH": "/usr/bin:/bin"], in: directory)
            #expect(capture["sha256"]?.stringValue == String(sum.stdout.prefix(64)))
            #expect(capture["size"]?.intValue == LocalFile.size(dump))
            #expect(capture["database"]?.stringValue == server.url("app"))
            // It is a custom-format dump pg_restore can list.
            let listing = try await runProcess(server.bin + "/pg_restore", ["-l", dump], environment: ["PATH": "/usr/bin:/bin"], in: directory)
            #expect(listing.stdout.contains("TABLE public users"))

            // A bad migration: a column dropped, a row added. Verification notices.
            try await server.sql("ALTER TABLE users DROP COLUMN name; INSERT INTO users VALUES (3)", database: "app")
            do {
                _ = try await runner.verify(assignment, dryRun: false)
                Issue.record("verify passed after the bad migration")
            } catch let error as TimeturnerError {
                #expect(error.message.contains("executor 'postgres' failed to verify the db tier"))
            }

            // The engine's present-state capture, named after the operation it precedes.
            let before = try #require(try await runner.capture(assignment, point: PointReference(id: "pre-migration", commit: "c"), context: TierCallContext(purpose: .beforeOperation("rb1")), dryRun: false).capture)
            #expect(before["dump"]?.stringValue == directory + "/dumps/before-rb1.dump")
            let outcome = try await runner.rollback(assignment, to: capture, point: nil, dryRun: false)
            #expect(try await server.sql("SELECT id || ':' || name FROM users ORDER BY id", database: "app").lines == ["1:ada", "2:grace"])
            _ = try await runner.verify(assignment, dryRun: false)
            // One dump per attempt: the executor takes no safety dump of its own.
            #expect(outcome.capture == nil)
            #expect(LocalFile.names(in: directory + "/dumps") == ["before-rb1.dump", "point-pre-migration.dump"])
            // The present-state dump holds the state before the rollback (three rows, no name column).
            _ = try await runner.rollback(assignment, to: before, point: nil, dryRun: false)
            #expect(try await server.sql("SELECT count(*) FROM users", database: "app").trimmed == "3")
            _ = try await runner.rollback(assignment, to: capture, point: nil, dryRun: false)

            // Circuit breaker: a dump changed after capture is refused and nothing is touched.
            try await server.sql("INSERT INTO users VALUES (9, 'marker')", database: "app")
            var damaged = readFile(dump) ?? []
            damaged[damaged.count / 2] ^= 0xff
            try writeFile(dump, damaged)
            do {
                _ = try await runner.rollback(assignment, to: capture, point: nil, dryRun: false)
                Issue.record("a dump with the wrong checksum was restored")
            } catch let error as TimeturnerError {
                #expect(error.kind == .refused)
                #expect(error.message.contains("does not match its recorded checksum"))
            }
            #expect(try await server.sql("SELECT count(*) FROM users WHERE id = 9", database: "app").trimmed == "1")

            // A restore that fails midway (checksum right, content not a dump) changes nothing.
            let bogus = directory + "/dumps/bogus.dump"
            try writeFile(bogus, Array("PGDMP but not really".utf8))
            do {
                _ = try await runner.rollback(assignment, to: ["dump": .string(bogus), "sha256": .string(SHA256.hex(ofFile: bogus)!)], point: nil, dryRun: false)
                Issue.record("a bogus dump was restored")
            } catch let error as TimeturnerError {
                #expect(error.message.contains("pg_restore of \(bogus)"))
            }
            #expect(try await server.sql("SELECT count(*) FROM users", database: "app").trimmed == "3")
        }
    }

    @Test func verifyFailsClearlyWhenTheServerIsUnreachable() async throws {
        let directory = try makeTemporaryDirectory("pg-down")
        let runner = ExecutorTierDriver(environment: ["PATH": (PostgresServer.binDirectory ?? "") + ":/usr/bin:/bin", "HOME": directory],
                                        repositoryPath: directory) { _, _ in }
        let port = try freePort()
        let assignment = TierAssignment(tier: "db", executor: "postgres", settings: ["url": ["postgresql://postgres@127.0.0.1:\(port)/app"]])
        do {
            _ = try await runner.verify(assignment, dryRun: false)
            Issue.record("verify passed with no server")
        } catch {
            #expect(error.message.hasPrefix("executor 'postgres' failed to verify the db tier: psql (SELECT 1) exited with status"))
            #expect(error.causes.contains { $0.contains("Connection refused") || $0.contains("connection to server") })
        }
    }
}
