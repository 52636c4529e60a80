import Testing
import TestSupport

/// The registry commands through the built binary, cross-checked with the git CLI.
@Suite struct RegistryCommandTests {
    @Test func goodBadLastGoodAndListThroughTheBinary() async throws {
        let repo = try await ScratchRepository()
        let ids = try await repo.commits(3)

        let good = try await repo.timeturner("good", "HEAD~1", "--env", "production", "--evidence", "health checks passed")
        #expect(good.status == 0, "\(good)")
        #expect(good.stdout.hasPrefix("Marked \(ids[1].prefix(7)) good in production: health checks passed"))
        let json = try await repo.timeturner("good", "HEAD", "--env", "production", "--json")
        #expect(json.stdout.contains("\"commit\": \"\(ids[2])\"") && json.stdout.contains("\"env\": \"production\""))

        #expect(try await repo.timeturner("last-good", "--env", "production").stdout.trimmed == ids[2])
        let bad = try await repo.timeturner("bad", "--env", "production", "--reason", "error rate 12%")
        #expect(bad.status == 0, "\(bad)")
        #expect(try await repo.timeturner("last-good", "--env", "production").stdout.trimmed == ids[1])
        let lastJSON = try await repo.timeturner("last-good", "--env", "production", "--json").stdout
        for field in ["\"commit\": \"\(ids[1])\"", "\"env\": \"production\"", "\"at\": \"2026-11-18T11:06:40Z\"", "\"by\": \"Ada Tester <ada@example.com>\""] {
            #expect(lastJSON.contains(field), "\(lastJSON)")
        }

        let none = try await repo.timeturner("last-good", "--env", "staging")
        #expect(none.status == 1 && none.stdout.isEmpty)
        #expect(none.stderr.contains("error: no last good commit in environment 'staging'") && none.stderr.contains("hint: "))

        let list = try await repo.timeturner("registry", "list", "--env", "production")
        #expect(list.stdout.lines.count == 4)
        #expect(list.stdout.lines[1].hasPrefix("bad   \(ids[2].prefix(7))  production"))

        // The audit trail: one registry commit per change, readable with plain git.
        let log = try await repo.git("log", "--format=%s", "refs/timeturner/registry").lines
        #expect(log == ["bad \(ids[2].prefix(7)) production: error rate 12%", "good \(ids[2].prefix(7)) production",
                        "good \(ids[1].prefix(7)) production: health checks passed"])
        let registryLog = try await repo.timeturner("registry", "log")
        #expect(registryLog.stdout.lines.count == 4 && registryLog.stdout.contains("Ada Tester <ada@example.com>"))
        #expect(try await repo.timeturner("registry", "log", "-n", "1", "--json").stdout.contains("\"subject\": \"bad "))
        let shard = try await repo.git("show", "refs/timeturner/registry:marks/production/2026-11.jsonl")
        #expect(shard.lines.count == 3 && shard.lines.allSatisfy { $0.hasPrefix("{\"type\":\"") })
        #expect(try await repo.gitResult(["fsck", "--no-progress", "--strict"]).status == 0)
        // Nothing under refs/tags or refs/heads.
        #expect(try await repo.git("for-each-ref", "--format=%(refname)").lines.sorted() == ["refs/heads/main", "refs/timeturner/registry"])
    }

    @Test func refusedInputWritesNothing() async throws {
        let repo = try await ScratchRepository()
        _ = try await repo.commits(1)
        for arguments in [["good", "--env=-prod"], ["good", "--env", "a..b"], ["bad", "--env", "$(id)"],
                          ["good", "--env", "prod uction"], ["good", "nope", "--env", "production"],
                          ["good", "0123456789abcdef0123456789abcdef01234567", "--env", "production"]] {
            let result = try await repo.timeturner(arguments)
            #expect(result.status != 0, "\(arguments): \(result)")
            #expect(result.stderr.contains("error: "), "\(arguments): \(result)")
        }
        #expect(try await repo.gitResult(["rev-parse", "--verify", "-q", "refs/timeturner/registry"]).status != 0)
        #expect(try await repo.timeturner("last-good", "--env", "production", "--max-age", "soon").status == 64)
        #expect(try await repo.timeturner("registry", "list", "--since", "someday").status == 64)
    }

    @Test func maxAgeFailsWhenTheLastGoodMarkIsStale() async throws {
        let repo = try await ScratchRepository()
        _ = try await repo.commits(1)
        // Marked on 2020-01-01 (the tool honours GIT_COMMITTER_DATE like git does): years old by any clock.
        let old = ["GIT_COMMITTER_DATE": "@1577836800 +0000"]
        #expect(try await repo.timeturner(["good", "--env", "production"], extraEnvironment: old).status == 0)
        let stale = try await repo.timeturner(["last-good", "--env", "production", "--max-age", "1h"])
        #expect(stale.status == 1 && stale.stdout.isEmpty, "\(stale)")
        #expect(stale.stderr.contains("(\(try await repo.git("rev-parse", "--short", "HEAD").trimmed), marked 2020-01-01T00:00:00Z)"), "\(stale)")
        #expect(stale.stderr.contains("more than --max-age 1h"), "\(stale)")
        let fresh = try await repo.timeturner(["last-good", "--env", "production", "--max-age", "1040w"])
        #expect(fresh.status == 0, "\(fresh)")
    }

    @Test func brokenLinesWrittenByHandAreSkippedWithAWarningAndKept() async throws {
        let repo = try await ScratchRepository()
        let ids = try await repo.commits(2)
        #expect(try await repo.timeturner("good", ids[0], "--env", "production").status == 0)
        let original = try await repo.git("show", "refs/timeturner/registry:marks/production/2026-11.jsonl")
        // A person appends a truncated line, a NUL, invalid UTF-8 and a line of wrong types with plain git.
        var bytes = Array(original.utf8)
        bytes += Array("{\"type\":\"good\",\"commit\":\"\(ids[1])\",\"at\":\n".utf8) + [0x7b, 0x00, 0x7d, 0x0a, 0xc3, 0x28, 0x0a]
        bytes += Array("{\"type\":\"bad\",\"commit\":[],\"id\":1}\n".utf8)
        let work = repo.siblingDirectory("hand")
        try writeFile(work + "/shard", bytes)
        let blob = try await repo.git("hash-object", "-w", work + "/shard").trimmed
        let tree = try await repo.git("mktree", input: "040000 tree \(try await treeWith(repo, blob: blob))\tmarks\n").trimmed
        let parent = try await repo.git("rev-parse", "refs/timeturner/registry").trimmed
        let commit = try await repo.git("commit-tree", tree, "-p", parent, "-m", "hand edit").trimmed
        try await repo.git("update-ref", "refs/timeturner/registry", commit)

        let answer = try await repo.timeturner("last-good", "--env", "production")
        #expect(answer.status == 0 && answer.stdout.trimmed == ids[0], "\(answer)")
        let list = try await repo.timeturner("registry", "list")
        #expect(list.status == 0)
        for line in 2...5 {
            #expect(list.stderr.contains("warning: refs/timeturner/registry:marks/production/2026-11.jsonl:\(line): "), "\(list.stderr)")
        }
        // A later append keeps every earlier byte.
        #expect(try await repo.timeturner("good", ids[1], "--env", "production").status == 0)
        let after = Array(try await repo.gitBytes(["show", "refs/timeturner/registry:marks/production/2026-11.jsonl"]))
        #expect(Array(after.prefix(bytes.count)) == bytes)
        #expect(try await repo.timeturner("last-good", "--env", "production").stdout.trimmed == ids[1])
        #expect(try await repo.gitResult(["fsck", "--no-progress"]).status == 0)
    }

    @Test func exportThenImportIntoAFreshRepositoryRoundTrips() async throws {
        let repo = try await ScratchRepository()
        let ids = try await repo.commits(3)
        for (commit, verdict) in [(ids[0], "good"), (ids[1], "good"), (ids[1], "bad"), (ids[2], "good")] {
            #expect(try await repo.timeturner(verdict, commit, "--env", "production").status == 0)
        }
        let exported = try await repo.timeturner("registry", "export")
        #expect(exported.status == 0)
        #expect(exported.stdout.contains("\"hash\": \"\(ids[2])\"") && exported.stdout.contains("\"hash\": \"\(ids[0])\""))
        #expect(!exported.stdout.contains(ids[1]))
        let file = repo.siblingDirectory("export") + "/known-good-commits.json"
        try writeFile(file, Array(exported.stdout.utf8))

        let clone = repo.siblingDirectory("fresh") + "/repo"
        try await repo.git("clone", "-q", repo.path, clone)
        let first = try await repo.timeturner(["registry", "import", file], in: clone)
        #expect(first.status == 0 && first.stdout.contains("Imported 2 good mark(s) into production; 0 already present"), "\(first)")
        let second = try await repo.timeturner(["registry", "import", file, "--env", "production"], in: clone)
        #expect(second.stdout.contains("Imported 0 good mark(s) into production; 2 already present"), "\(second)")
        let reexported = try await repo.timeturner(["registry", "export", "--env", "production"], in: clone)
        #expect(withoutLastUpdated(reexported.stdout) == withoutLastUpdated(exported.stdout))
        #expect(try await repo.timeturner(["last-good", "--env", "production"], in: clone).stdout.trimmed == ids[2])
        let cloneLog = try await runProcess("git", ["log", "--format=%s", "refs/timeturner/registry"], environment: repo.environment, in: clone)
        #expect(cloneLog.stdout.lines == ["import 2 good mark(s) into production from \(file)"])
        #expect(try await runProcess("git", ["fsck", "--no-progress"], environment: repo.environment, in: clone).status == 0)

        // The same file on standard input (`-`) goes into another environment.
        let piped = try await repo.timeturner(["registry", "import", "-", "--env", "staging"], input: exported.stdout, in: clone)
        #expect(piped.status == 0 && piped.stdout.contains("Imported 2 good mark(s) into staging; 0 already present"), "\(piped)")
        let missing = try await repo.timeturner(["registry", "import", clone + "/no-such-file.json"], in: clone)
        #expect(missing.status == 1 && missing.stderr.contains("cannot read") && missing.stderr.contains("No such file"), "\(missing)")
    }

    @Test func showListsMarksInEveryEnvironment() async throws {
        let repo = try await ScratchRepository()
        _ = try await repo.commits(2)
        #expect(try await repo.timeturner("good", "HEAD~1", "--env", "staging", "--evidence", "smoke \u{1b}[2J ok").status == 0)
        #expect(try await repo.timeturner("bad", "HEAD~1", "--env", "production", "--reason", "timeouts").status == 0)
        let shown = try await repo.timeturner("show", "HEAD~1")
        #expect(shown.stdout.contains("marks in refs/timeturner/registry:"))
        #expect(shown.stdout.contains("bad in production  2026-11-18T11:06:40Z  by Ada Tester <ada@example.com>: timeouts"))
        #expect(shown.stdout.contains("good in staging") && shown.stdout.contains("smoke \\e[2J ok"))
        #expect(!shown.stdout.contains("\u{1b}"))
        #expect(try await repo.timeturner("show", "HEAD", "--json").stdout.contains("\"marks\": []"))
    }

    @Test func postDeployHookMarksGoodOrBadAndExitsWithTheCheckStatus() async throws {
        let repo = try await ScratchRepository()
        let ids = try await repo.commits(2)
        let hook = RegistryCommandTests.hookPath
        let env = ["GIT_TIMETURNER": TimeturnerBinary.path]
        let passed = try await runProcess(hook, ["production", "--", "sh", "-c", "echo all healthy"],
                                          environment: repo.environment.merging(env) { $1 }, in: repo.path)
        #expect(passed.status == 0, "\(passed)")
        #expect(passed.stdout.contains("all healthy") && passed.stdout.contains("Marked \(ids[1].prefix(7)) good in production"))

        let failed = try await runProcess(hook, ["production", "--commit", ids[0], "--by", "Deploy Bot <bot@example.com>", "--",
                                                 "sh", "-c", "echo 'GET /health: 503'; exit 7"],
                                          environment: repo.environment.merging(env) { $1 }, in: repo.path)
        #expect(failed.status == 7, "\(failed)")
        #expect(failed.stdout.contains("GET /health: 503"))
        let list = try await repo.timeturner("registry", "list", "--json")
        #expect(list.stdout.contains("\"reason\": \"post-deploy check failed (exit 7): sh -c echo 'GET /health: 503'; exit 7\\nGET /health: 503\\n\"")
                || list.stdout.contains("post-deploy check failed (exit 7)"), "\(list.stdout)")
        #expect(list.stdout.contains("\"by\": \"Deploy Bot <bot@example.com>\""))
        #expect(try await repo.timeturner("last-good", "--env", "production").stdout.trimmed == ids[1])

        // Marking fails (no such environment name allowed) while the check passes: the job fails too.
        let unrecorded = try await runProcess(hook, ["bad name", "--", "true"], environment: repo.environment.merging(env) { $1 }, in: repo.path)
        #expect(unrecorded.status != 0 && unrecorded.stderr.contains("NOT recorded"), "\(unrecorded)")
        let usage = try await runProcess(hook, ["production"], environment: repo.environment.merging(env) { $1 }, in: repo.path)
        #expect(usage.status == 64)
    }

    @Test func marksWorkInABareRepository() async throws {
        let work = try await ScratchRepository()
        let ids = try await work.commits(2)
        let bare = work.siblingDirectory("bare") + "/repo.git"
        try await work.git("clone", "-q", "--bare", work.path, bare)
        let good = try await work.timeturner(["good", "HEAD~1", "--env", "production"], in: bare)
        #expect(good.status == 0, "\(good)")
        #expect(try await work.timeturner(["last-good", "--env", "production"], in: bare).stdout.trimmed == ids[0])
        let shard = try await runProcess("git", ["show", "refs/timeturner/registry:marks/production/2026-11.jsonl"],
                                         environment: work.environment, in: bare)
        #expect(shard.stdout.contains("\"commit\":\"\(ids[0])\""))
    }

    @Test func byStandsInForAMissingGitIdentity() async throws {
        let repo = try await ScratchRepository()
        _ = try await repo.commits(1)
        // A fresh CI runner: no identity in the environment or in any configuration.
        let anonymous = ["GIT_COMMITTER_NAME": "", "GIT_COMMITTER_EMAIL": ""]
        let refused = try await repo.timeturner(["good", "--env", "production"], extraEnvironment: anonymous)
        #expect(refused.status == 1 && refused.stderr.contains("no git identity"), "\(refused)")
        let marked = try await repo.timeturner(["good", "--env", "production", "--by", "CI Runner <ci@example.com>"], extraEnvironment: anonymous)
        #expect(marked.status == 0, "\(marked)")
        #expect(try await repo.git("log", "-1", "--format=%an <%ae>", "refs/timeturner/registry").trimmed == "CI Runner <ci@example.com>")
        #expect(try await repo.timeturner("last-good", "--env", "production", "--json").stdout.contains("\"by\": \"CI Runner <ci@example.com>\""))
    }

    static let hookPath: String = {
        // Tests/EndToEndTests/<this file> → the package root.
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path + "/hooks/post-deploy"
    }()

    func withoutLastUpdated(_ text: String) -> [String] { text.lines.filter { !$0.contains("\"last_updated\"") } }

    func treeWith(_ repo: ScratchRepository, blob: String) async throws -> String {
        let production = try await repo.git("mktree", input: "100644 blob \(blob)\t2026-11.jsonl\n").trimmed
        return try await repo.git("mktree", input: "040000 tree \(production)\tproduction\n").trimmed
    }
}

extension ScratchRepository {
    /// Git's stdout as raw bytes would need another runner; shards here are valid UTF-8 up to the
    /// deliberately broken lines, so compare through a file instead.
    func gitBytes(_ arguments: [String]) async throws -> [UInt8] {
        let out = siblingDirectory("bytes") + "/out"
        let result = try await runProcess("sh", ["-c", "git \"$@\" > '\(out)'", "git"] + arguments, environment: environment, in: path)
        guard result.status == 0 else { throw SetupError("git \(arguments) failed: \(result)") }
        return readFile(out) ?? []
    }
}
