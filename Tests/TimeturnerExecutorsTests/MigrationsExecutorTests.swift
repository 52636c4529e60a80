import Testing
import TestSupport
import TimeturnerCore
@testable import TimeturnerExecutors

/// The `migrations` built-in against real Alembic (from the Python package index, in the test
/// virtual environment) on a real PostgreSQL server, with the migration scripts of the real
/// application's v1, v2 and v3 trees as the checkouts a rollback hands it. One server for the
/// whole story, to keep the suite's time small.
@Suite(.enabled(if: PostgresServer.isAvailable, "PostgreSQL binaries are not installed (apt-get install postgresql)"))
struct MigrationsExecutorTests {
    /// The application's trees, as the engine checks them out for a call: exactly each commit's files.
    struct Trees {
        let app: RealApplication
        let v1: String, v2: String, v3: String
        let dumps: String

        init(_ server: PostgresServer) async throws {
            let repo = try await ScratchRepository()
            app = try await RealApplication(repo: repo, server: server)
            var trees: [String] = []
            for version in 1...3 {
                let commit = try await app.commitVersion(version)
                let tree = repo.siblingDirectory("tree-v\(version)")
                let result = try await runProcess("/bin/sh", ["-c", "git archive \"$1\" | tar -x -C \"$2\"", "archive", commit, tree],
                                                  environment: repo.environment, in: repo.path)
                #expect(result.status == 0, "\(result)")
                trees.append(tree)
            }
            (v1, v2, v3) = (trees[0], trees[1], trees[2])
            dumps = repo.siblingDirectory("dumps")
        }

        /// What a deploy does to the database: the release's scripts to their head.
        func migrate(_ tree: String, to revision: String = "head") async throws {
            let result = try await runProcess(app.pythonBin + "/alembic", ["upgrade", revision], environment: app.environment, in: tree)
            #expect(result.status == 0, "\(result)")
        }

        func settings(_ strategy: String) -> [String: JSONValue] {
            ["strategy": .string(strategy), "url": .string(app.server.url(app.database)), "backupdir": .string(dumps)]
        }

        func call(_ verb: ExecutorVerb, from: String, to: String? = nil, capture: JSONValue? = nil,
                  strategy: String = "downgrade,restore", dryRun: Bool = false) async throws(TimeturnerError) -> ExecutorResponse {
            let request = ExecutorRequest(verb: verb, tier: "db", executor: "migrations", repository: app.repo.path, dryRun: dryRun,
                                          capture: capture, settings: settings(strategy), from: "from-commit", to: to.map { _ in "to-commit" },
                                          checkouts: .init(from: from, to: to))
            let context = BuiltinContext(request: request, environment: ["PATH": app.path, "HOME": app.repo.home, "LC_ALL": "C", "TZ": "UTC"],
                                         timeout: .seconds(120), outputLimit: 1 << 20, log: { _ in })
            return try await MigrationsExecutor().perform(request, context: context)
        }

        func sql(_ statement: String) async throws -> [String] {
            try await app.server.sql(statement, database: app.database).lines
        }

        func columns() async throws -> [String] {
            try await sql("SELECT column_name FROM information_schema.columns WHERE table_name = 'accounts' ORDER BY column_name")
        }

        func dumpCount() async throws -> Int {
            try await runProcess("ls", ["-A", dumps], environment: app.repo.environment, in: "/").stdout.lines.count
        }
    }

    @Test func captureDowngradeUpgradeFallbackAndDryRunOnRealAlembic() async throws {
        try await PostgresServer.with { server in
            let trees = try await Trees(server)
            defer { trees.app.stop() }
            // v1 is deployed: schema 001, two accounts.
            try await trees.migrate(trees.v1)
            _ = try await trees.sql("INSERT INTO accounts (name, email) VALUES ('ada', 'ada@example.com'), ('grace', 'grace@example.com')")

            // A dry-run capture reads the revision and writes nothing.
            let preview = try await trees.call(.capture, from: trees.v1, dryRun: true)
            #expect(preview.message?.contains("the database is at revision 001; would record it, and would dump") == true, "\(preview)")
            #expect(try await trees.dumpCount() == 0)

            // The capture at v1's deploy: the revision, a dump for the fallback, and what a rollback to it discards.
            let atV1 = try await trees.call(.capture, from: trees.v1)
            let capture = try #require(atV1.capture)
            #expect(capture["revision"]?.stringValue == "001")
            let dump = try #require(capture["dump"]?["dump"]?.stringValue)
            #expect(dump.hasPrefix(trees.dumps + "/") && LocalFile.exists(dump))
            #expect(capture["dump"]?["sha256"]?.stringValue == SHA256.hex(ofFile: dump))
            let discards = try #require(atV1.discards)
            #expect(discards.contains("a downgrade to revision 001 runs the down-migrations of every later revision"))
            #expect(discards.contains("restoring the dump loses every write to \(server.url(trees.app.database)) made after \(capture["capturedAt"]?.stringValue ?? "?")"))

            // v2 and the broken v3 are deployed: 003 nulls every display name.
            try await trees.migrate(trees.v3)
            #expect(try await trees.sql("SELECT count(display_name) FROM accounts") == ["0"])

            // A dry run says what it would run, with which scripts, and changes nothing.
            let plan = try await trees.call(.rollback, from: trees.v3, to: trees.v1, capture: capture, dryRun: true)
            #expect(plan.message?.contains("would run 'alembic downgrade '001'' in \(trees.v3) (down from 003 with the scripts being left") == true, "\(plan)")
            #expect(try await trees.app.schemaRevision() == "003")
            #expect(try await trees.dumpCount() == 1)

            // The real rollback: 003's downgrade fails (the names are gone), in one transaction,
            // so the dump is restored instead: revision 001 with both names.
            let fellBack = try await trees.call(.rollback, from: trees.v3, to: trees.v1, capture: capture)
            #expect(fellBack.message?.contains("the migration failed") == true, "\(fellBack)")
            #expect(fellBack.message?.contains("restored the dump taken at \(capture["capturedAt"]?.stringValue ?? "?") (revision 001)") == true, "\(fellBack)")
            #expect(try await trees.app.schemaRevision() == "001")
            #expect(try await trees.sql("SELECT name || ' ' || email FROM accounts ORDER BY id") == ["ada ada@example.com", "grace grace@example.com"])

            // Without the fallback, the same failure is an error naming the command, and nothing changed.
            try await trees.migrate(trees.v3)
            do {
                _ = try await trees.call(.rollback, from: trees.v3, to: trees.v1, capture: ["revision": "001"], strategy: "downgrade")
                Issue.record("the failing downgrade succeeded")
            } catch let error as TimeturnerError {
                #expect(error.message.contains("executor 'migrations' failed to rollback the db tier: 'alembic downgrade '001'' in \(trees.v3) exited with status"), "\(error)")
                #expect(error.causes.contains { $0.contains("contains null values") }, "\(error.causes)")
            }
            #expect(try await trees.app.schemaRevision() == "003")

            // A downgrade that works: at 003 with names written after it, back to 001 with the v3 scripts.
            _ = try await trees.sql("DELETE FROM accounts; INSERT INTO accounts (display_name) VALUES ('linus'), ('barbara')")
            let down = try await trees.call(.rollback, from: trees.v3, to: trees.v1, capture: ["revision": "001"], strategy: "downgrade")
            #expect(down.message?.contains("migrated from revision 003 to 001 with 'alembic downgrade '001'' in \(trees.v3)") == true, "\(down)")
            #expect(down.capture?["revision"]?.stringValue == "003")
            #expect(try await trees.app.schemaRevision() == "001")
            #expect(try await trees.columns() == ["email", "id", "name"])
            #expect(try await trees.sql("SELECT name || ':' || coalesce(email, 'lost') FROM accounts ORDER BY id") == ["linus:lost", "barbara:lost"])

            // Going forward, as an undo does: the v1 scripts do not know 003, so up with the v3 ones.
            let up = try await trees.call(.rollback, from: trees.v1, to: trees.v3, capture: ["revision": "003"], strategy: "downgrade")
            #expect(up.message?.contains("migrated from revision 001 to 003 with 'alembic upgrade '003'' in \(trees.v3) (up from 001") == true, "\(up)")
            #expect(try await trees.app.schemaRevision() == "003")
            let verified = try await trees.call(.verify, from: trees.v3)
            #expect(verified.message?.hasPrefix("the database is at revision 003") == true)

            // Already there: nothing runs.
            let same = try await trees.call(.rollback, from: trees.v3, to: trees.v1, capture: ["revision": "003"], strategy: "downgrade")
            #expect(same.message == "the database is already at revision 003")

            try await unknownMissingOrUnreachableRevisionsAreClearErrors(trees)
        }
    }

    /// With the database at 003.
    func unknownMissingOrUnreachableRevisionsAreClearErrors(_ trees: Trees) async throws {
        // A revision no script knows: the tool's own words come through, nothing changed.
        do {
            _ = try await trees.call(.rollback, from: trees.v3, to: trees.v1, capture: ["revision": "999"], strategy: "downgrade")
            Issue.record("a rollback to an unknown revision succeeded")
        } catch {
            #expect(error.message.contains("'alembic downgrade '999'' in \(trees.v3) exited with status"), "\(error)")
            #expect(error.causes.contains { $0.contains("999") }, "\(error.causes)")
        }
        #expect(try await trees.app.schemaRevision() == "003")

        // A capture with no revision, or something that is not one.
        for capture: JSONValue in [["dump": "x"], ["revision": "001; rm -rf /"]] {
            do {
                _ = try await trees.call(.rollback, from: trees.v3, to: trees.v1, capture: capture, strategy: "downgrade")
                Issue.record("a capture without a usable revision was accepted: \(capture)")
            } catch {
                #expect(error.message.contains("the capture has no revision to return to") || error.message.contains("is not a revision name"), "\(error)")
            }
        }

        // Neither tree knows the database's revision (003): v1 and v2 scripts end before it.
        do {
            _ = try await trees.call(.rollback, from: trees.v1, to: trees.v2, capture: ["revision": "001"], strategy: "downgrade")
            Issue.record("a rollback with scripts older than the database succeeded")
        } catch {
            #expect(error.message.contains("neither the tree being left (\(trees.v1)) nor the tree returned to (\(trees.v2)) knows the database's present revision"), "\(error)")
        }

        // The restore strategy with its dump gone is refused before anything runs.
        do {
            _ = try await trees.call(.rollback, from: trees.v3, to: trees.v1,
                                     capture: ["revision": "001", "dump": ["dump": .string(trees.dumps + "/gone.dump"), "sha256": "00"]])
            Issue.record("a restore strategy without its dump was accepted")
        } catch {
            #expect(error.kind == .refused)
            #expect(error.message.contains("gone.dump is missing"), "\(error)")
        }
        #expect(try await trees.app.schemaRevision() == "003")
    }

    @Test func theRevisionParsingRuleAndSettings() throws {
        #expect(try MigrationTool.parseRevision("003 (head)\n", base: "base").get() == "003")
        #expect(try MigrationTool.parseRevision("\n  ae1027a6acf (head) (effective head)\n\n", base: "base").get() == "ae1027a6acf")
        #expect(try MigrationTool.parseRevision("", base: "base").get() == "base")
        if case .success = MigrationTool.parseRevision("001\n002\n", base: "base") { Issue.record("two heads were accepted") }
        if case .success = MigrationTool.parseRevision("ERROR: boom\n", base: "base") { Issue.record("'ERROR:' was read as a revision") }

        let request = ExecutorRequest(verb: .rollback, tier: "db", executor: "migrations", repository: "/r", settings: ["strategy": "downgrade,dump"])
        #expect(throws: TimeturnerError.self) { try MigrationSettings(request) }
        let needsURL = ExecutorRequest(verb: .rollback, tier: "db", executor: "migrations", repository: "/r", settings: ["strategy": "restore"])
        do {
            _ = try MigrationSettings(needsURL)
            Issue.record("the restore strategy without a url was accepted")
        } catch {
            #expect(error.message.contains("needs the setting 'url'"))
        }
        let defaults = try MigrationSettings(ExecutorRequest(verb: .capture, tier: "db", executor: "migrations", repository: "/r"))
        #expect(defaults.current == "alembic current" && defaults.strategies == [.downgrade] && defaults.directory == ".")
    }
}
