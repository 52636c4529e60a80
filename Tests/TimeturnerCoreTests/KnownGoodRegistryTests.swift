import GitKit
import Testing
import TestSupport
@testable import TimeturnerCore

@Suite struct KnownGoodRegistryTests {
    static let start: Int64 = 1_795_000_000 // 2026-11-18T11:06:40Z

    func ada(_ offset: Int64 = 0) -> Attribution {
        Attribution(name: "Ada Tester", email: "ada@example.com", time: Timestamp(secondsSinceEpoch: Self.start + offset))
    }

    func query(_ env: String = "production", any: Bool = false, maxAge: TimeSpan? = nil, now offset: Int64 = 3600) -> KnownGoodRegistry.LastGoodQuery {
        .init(env: env, any: any, maxAge: maxAge, now: Timestamp(secondsSinceEpoch: Self.start + offset))
    }

    @Test func markWritesOneReadableEventAndOneCommitWithAPlainMessage() async throws {
        let scratch = try await ScratchRepository()
        let ids = try await scratch.commits(2)
        let registry = KnownGoodRegistry(repository: try Repository.open(path: scratch.path))
        let mark = try registry.mark(.good, revision: "HEAD~1", env: "production", note: "health checks passed", attribution: ada())
        #expect(mark.commit.hex == ids[0] && mark.verdict == .good && mark.env == "production")
        #expect(mark.note == "health checks passed" && mark.by == "Ada Tester <ada@example.com>")
        #expect(mark.at.rfc3339 == "2026-11-18T11:06:40Z")

        let subject = try await scratch.git("log", "-1", "--format=%s", "refs/timeturner/registry").trimmed
        #expect(subject == "good \(ids[0].prefix(7)) production: health checks passed")
        let line = try await scratch.git("show", "refs/timeturner/registry:marks/production/2026-11.jsonl").trimmed
        #expect(line == "{\"type\":\"good\",\"at\":\"2026-11-18T11:06:40Z\",\"by\":\"Ada Tester <ada@example.com>\",\"commit\":\"\(ids[0])\",\"env\":\"production\",\"evidence\":\"health checks passed\",\"id\":\"\(mark.id)\",\"v\":1}")

        let bad = try registry.mark(.bad, revision: "HEAD", env: "production", note: "error rate 12%", by: "Deploy Bot <bot@example.com>", attribution: ada(60))
        #expect(bad.by == "Deploy Bot <bot@example.com>")
        #expect(bad.event["reason"] == "error rate 12%")
        // The registry commit is still authored by whoever ran it.
        #expect(try await scratch.git("log", "-1", "--format=%an", "refs/timeturner/registry").trimmed == "Ada Tester")
        #expect(try await scratch.gitResult(["fsck", "--no-progress", "--strict"]).status == 0)
    }

    @Test func badInputIsRefusedAndNothingIsWritten() async throws {
        let scratch = try await ScratchRepository()
        _ = try await scratch.commits(1)
        let registry = KnownGoodRegistry(repository: try Repository.open(path: scratch.path))
        for env in ["-prod", "a..b", "prod uction", "$(rm -rf)", "a/b", "", "x\u{1b}y"] {
            #expect(throws: TimeturnerError.self) { try registry.mark(.good, revision: "HEAD", env: env, note: nil, attribution: ada()) }
        }
        let missing = #expect(throws: TimeturnerError.self) {
            try registry.mark(.good, revision: "0123456789012345678901234567890123456789", env: "production", note: nil, attribution: ada())
        }
        #expect(missing?.message.contains("unknown revision") == true)
        #expect(try RegistryLedger(repository: try Repository.open(path: scratch.path)).head() == nil)
    }

    @Test func lastGoodIsTheNewestGoodMarkWithoutALaterBadOne() async throws {
        let scratch = try await ScratchRepository()
        let ids = try await scratch.commits(4)
        let registry = KnownGoodRegistry(repository: try Repository.open(path: scratch.path))
        #expect(throws: TimeturnerError.self) { try registry.lastGood(query()) }

        _ = try registry.mark(.good, revision: ids[0], env: "production", note: nil, attribution: ada(1))
        _ = try registry.mark(.good, revision: ids[1], env: "production", note: nil, attribution: ada(2))
        _ = try registry.mark(.good, revision: ids[3], env: "staging", note: nil, attribution: ada(3))
        #expect(try registry.lastGood(query()).mark.commit.hex == ids[1])
        #expect(try registry.lastGood(query("staging")).mark.commit.hex == ids[3])

        // A bad mark after the good one removes that commit; the one before answers again.
        _ = try registry.mark(.bad, revision: ids[1], env: "production", note: "broke checkout", attribution: ada(4))
        #expect(try registry.lastGood(query()).mark.commit.hex == ids[0])
        // Marked good again after a fix: it is eligible again.
        _ = try registry.mark(.good, revision: ids[1], env: "production", note: "fixed config", attribution: ada(5))
        #expect(try registry.lastGood(query()).mark.note == "fixed config")
        // Everything bad: no answer, with a message that says why.
        _ = try registry.mark(.bad, revision: ids[1], env: "production", note: nil, attribution: ada(6))
        _ = try registry.mark(.bad, revision: ids[0], env: "production", note: nil, attribution: ada(7))
        let none = #expect(throws: TimeturnerError.self) { try registry.lastGood(query()) }
        #expect(none?.message.contains("marked bad later") == true)
    }

    @Test func lastGoodSkipsCommitsThatAreNotAncestorsOfHeadUnlessAny() async throws {
        let scratch = try await ScratchRepository()
        let base = try await scratch.commits(2)
        try await scratch.git("checkout", "-q", "-b", "experiment")
        let side = try await scratch.commit("experiment", files: ["x.txt": "x"])
        try await scratch.git("checkout", "-q", "main")
        let registry = KnownGoodRegistry(repository: try Repository.open(path: scratch.path))
        _ = try registry.mark(.good, revision: base[0], env: "production", note: nil, attribution: ada(1))
        _ = try registry.mark(.good, revision: side, env: "production", note: nil, attribution: ada(2))
        #expect(try registry.lastGood(query()).mark.commit.hex == base[0])
        #expect(try registry.lastGood(query(any: true)).mark.commit.hex == side)
        // On the experiment branch the side commit is an ancestor of HEAD.
        try await scratch.git("checkout", "-q", "experiment")
        #expect(try KnownGoodRegistry(repository: try Repository.open(path: scratch.path)).lastGood(query()).mark.commit.hex == side)
    }

    @Test func maxAgeRaisesTheStalenessAlarm() async throws {
        let scratch = try await ScratchRepository()
        _ = try await scratch.commits(1)
        let registry = KnownGoodRegistry(repository: try Repository.open(path: scratch.path))
        _ = try registry.mark(.good, revision: "HEAD", env: "production", note: nil, attribution: ada())
        #expect(try registry.lastGood(query(maxAge: TimeSpan(parsing: "12h"), now: 11 * 3600)).mark.env == "production")
        let stale = #expect(throws: TimeturnerError.self) {
            try registry.lastGood(query(maxAge: TimeSpan(parsing: "7d"), now: 8 * 86_400))
        }
        #expect(stale?.message.contains("more than --max-age 1w") == true)
        #expect(stale?.message.contains("8d old") == true)
    }

    @Test func aBadMarkInANewerMonthCancelsAGoodMarkInAnOlderOne() async throws {
        let scratch = try await ScratchRepository()
        let ids = try await scratch.commits(2)
        let registry = KnownGoodRegistry(repository: try Repository.open(path: scratch.path))
        _ = try registry.mark(.good, revision: ids[0], env: "production", note: nil, attribution: ada(-40 * 86_400)) // October
        _ = try registry.mark(.good, revision: ids[1], env: "production", note: nil, attribution: ada(-39 * 86_400)) // October
        _ = try registry.mark(.bad, revision: ids[1], env: "production", note: nil, attribution: ada()) // November
        let ledger = RegistryLedger(repository: try Repository.open(path: scratch.path))
        #expect(try ledger.shards(under: "marks/production") == ["marks/production/2026-10.jsonl", "marks/production/2026-11.jsonl"])
        #expect(try registry.lastGood(query()).mark.commit.hex == ids[0])
    }

    @Test func anAnswerFromTheNewestMonthDoesNotReadOlderMonths() async throws {
        let scratch = try await ScratchRepository()
        let ids = try await scratch.commits(2)
        let registry = KnownGoodRegistry(repository: try Repository.open(path: scratch.path))
        _ = try registry.mark(.good, revision: ids[0], env: "production", note: nil, attribution: ada(-40 * 86_400))
        _ = try registry.mark(.good, revision: ids[1], env: "production", note: nil, attribution: ada())
        // October holds only garbage now: reading it would produce warnings.
        try await handWrite(scratch, shard: "marks/production/2026-10.jsonl", content: "garbage\n{\"type\":\n")
        let fresh = KnownGoodRegistry(repository: try Repository.open(path: scratch.path))
        let answer = try fresh.lastGood(query())
        #expect(answer.mark.commit.hex == ids[1])
        #expect(answer.warnings.isEmpty)
        #expect(try fresh.marks(env: "production").warnings.count == 2)
        // Out-of-order lines within a month (an import of older marks) are ordered by time.
        _ = try fresh.importKnownGood(Array("{\"commits\":[{\"hash\":\"\(ids[0])\",\"date\":\"2026-11-02T00:00:00Z\"}]}".utf8),
                                      source: "f", env: "production", attribution: ada(60))
        #expect(try fresh.lastGood(query()).mark.commit.hex == ids[1])
    }

    @Test func brokenAndWronglyTypedLinesAreSkippedWithTheirPlace() async throws {
        let scratch = try await ScratchRepository()
        let ids = try await scratch.commits(2)
        let registry = KnownGoodRegistry(repository: try Repository.open(path: scratch.path))
        _ = try registry.mark(.good, revision: ids[0], env: "production", note: nil, attribution: ada())
        // Hand-appended lines: wrong types, truncated, unknown type; then a good mark with unknown fields.
        let shard = "marks/production/2026-11.jsonl"
        let existing = try await scratch.git("show", "refs/timeturner/registry:\(shard)")
        let extra = [
            "{\"type\":\"good\",\"commit\":42,\"id\":\"w1\",\"at\":\"2026-11-18T12:00:00Z\",\"by\":\"x\"}",
            "{\"type\":\"good\",\"commit\":\"\(ids[1])\",\"id\":\"w2\",\"at\":\"yesterday\",\"by\":\"x\"}",
            "{\"type\":\"good\",\"commit\":\"\(ids[1])\",",
            "{\"type\":\"meh\",\"commit\":\"\(ids[1])\",\"id\":\"w3\",\"at\":\"2026-11-18T12:00:00Z\",\"by\":\"x\"}",
            "{\"type\":\"good\",\"commit\":\"\(ids[1])\",\"id\":\"w4\",\"at\":\"2026-11-18T12:00:00Z\",\"by\":\"x\",\"ticket\":{\"n\":7}}",
        ]
        try await handWrite(scratch, shard: shard, content: existing + extra.joined(separator: "\n") + "\n")
        let fresh = KnownGoodRegistry(repository: try Repository.open(path: scratch.path))
        let answer = try fresh.lastGood(query())
        #expect(answer.mark.id == "w4")
        #expect(answer.mark.event["ticket"] == ["n": 7])
        let listing = try fresh.marks(env: "production")
        #expect(listing.marks.map(\.id).contains("w4") && listing.marks.count == 2)
        #expect(listing.warnings.map(\.lineNumber) == [2, 3, 4, 5])
        #expect(listing.warnings[0].description.contains("refs/timeturner/registry:marks/production/2026-11.jsonl:2: has no \"commit\" of 40 hex digits"))
        #expect(listing.warnings[3].reason.contains("\"meh\""))
    }

    @Test func listFiltersByEnvironmentAndSince() async throws {
        let scratch = try await ScratchRepository()
        _ = try await scratch.commits(1)
        let registry = KnownGoodRegistry(repository: try Repository.open(path: scratch.path))
        _ = try registry.mark(.good, revision: "HEAD", env: "production", note: "old", attribution: ada(-40 * 86_400))
        _ = try registry.mark(.good, revision: "HEAD", env: "staging", note: "new", attribution: ada())
        _ = try registry.mark(.bad, revision: "HEAD", env: "production", note: "newest", attribution: ada(60))
        #expect(try registry.marks(env: nil).marks.map(\.note) == ["newest", "new", "old"])
        #expect(try registry.marks(env: "production").marks.map(\.note) == ["newest", "old"])
        let since = try TimeBound.parse("2026-11-01", now: ada().time)
        #expect(try registry.marks(env: nil, since: since).marks.map(\.note) == ["newest", "new"])
        let lastHour = try TimeBound.parse("30s", now: Timestamp(secondsSinceEpoch: Self.start + 60))
        #expect(try registry.marks(env: nil, since: lastHour).marks.map(\.note) == ["newest"])
        #expect(throws: TimeturnerError.self) { try TimeBound.parse("last tuesday", now: ada().time) }
    }

    @Test func exportThenImportIntoAFreshRepositoryRoundTripsAndIsIdempotent() async throws {
        let scratch = try await ScratchRepository()
        let ids = try await scratch.commits(3)
        let registry = KnownGoodRegistry(repository: try Repository.open(path: scratch.path))
        _ = try registry.mark(.good, revision: ids[0], env: "production", note: "first", attribution: ada(1))
        _ = try registry.mark(.good, revision: ids[1], env: "production", note: "second", attribution: ada(2))
        _ = try registry.mark(.bad, revision: ids[1], env: "production", note: "broke", attribution: ada(3))
        _ = try registry.mark(.good, revision: ids[2], env: "production", note: nil, attribution: ada(4))
        _ = try registry.mark(.good, revision: ids[2], env: "staging", note: "other env", attribution: ada(5))
        let now = Timestamp(secondsSinceEpoch: Self.start + 100)
        let exported = try registry.exportKnownGood(env: "production", now: now).document
        let commits = try #require(exported["commits"]?.arrayValue)
        #expect(commits.map { $0["hash"] } == [.string(ids[2]), .string(ids[0])])
        #expect(commits[1]["description"] == "first" && commits[1]["verified"] == true && commits[1]["date"] == "2026-11-18T11:06:41Z")
        #expect(exported["version"] == "1.0" && exported["last_updated"] == "2026-11-18T11:08:20Z")

        // A fresh clone has the commits but no registry (clone does not copy refs/timeturner/*).
        let other = scratch.siblingDirectory("clone")
        _ = try await scratch.git("clone", "-q", scratch.path, other + "/repo")
        let fresh = KnownGoodRegistry(repository: try Repository.open(path: other + "/repo"))
        let bytes = Array(exported.pretty().utf8)
        let first = try fresh.importKnownGood(bytes, source: "known-good-commits.json", env: "production", attribution: ada(200))
        #expect(first.added.count == 2 && first.alreadyPresent == 0)
        #expect(try fresh.exportKnownGood(env: "production", now: now).document == exported)
        #expect(try fresh.lastGood(query()).mark.commit.hex == ids[2])
        let second = try fresh.importKnownGood(bytes, source: "known-good-commits.json", env: "production", attribution: ada(300))
        #expect(second.added.isEmpty && second.alreadyPresent == 2)
        // The same file into another environment: added there, with new ids (ids are unique registry-wide).
        let staging = try fresh.importKnownGood(bytes, source: "known-good-commits.json", env: "staging", attribution: ada(400))
        #expect(staging.added.count == 2 && staging.alreadyPresent == 0)
        #expect(Set(staging.added.map(\.id)).isDisjoint(with: Set(first.added.map(\.id))))
        #expect(try RegistryLedger(repository: try Repository.open(path: other + "/repo")).events(inShard: "marks/production/2026-11.jsonl").events.count == 2)
    }

    @Test func importOfAForeignFileKeepsExtraFieldsAndHonoursVerified() async throws {
        let scratch = try await ScratchRepository()
        let ids = try await scratch.commits(2)
        let registry = KnownGoodRegistry(repository: try Repository.open(path: scratch.path))
        let file = """
        {"version": "1.0", "last_updated": "2026-11-20T00:00:00Z", "commits": [
          {"hash": "\(ids[1].prefix(10))", "date": "2026-11-20T09:00:00Z", "description": "nightly", "verified": false, "build": 512},
          {"hash": "\(ids[0])", "date": "2026-10-02T09:00:00+02:00", "description": "release 1.0", "verified": true, "tags": ["v1.0"]}
        ]}
        """
        let outcome = try registry.importKnownGood(Array(file.utf8), source: "kg.json", env: "staging", attribution: ada())
        #expect(outcome.added.count == 2)
        // Recorded oldest first, whatever the order in the file.
        #expect(outcome.added[1].commit.hex == ids[1] && outcome.added[1].verified == false && outcome.added[1].event["build"] == .int(512))
        #expect(outcome.added[0].at.rfc3339 == "2026-10-02T07:00:00Z" && outcome.added[0].shard == "marks/staging/2026-10.jsonl")
        #expect(outcome.added[0].event["tags"] == ["v1.0"])
        // The unverified entry is listed but never the answer.
        #expect(try registry.lastGood(query("staging", any: true)).mark.commit.hex == ids[0])
        #expect(try await scratch.git("rev-list", "--count", "refs/timeturner/registry").trimmed == "1")
        #expect(try await scratch.git("log", "-1", "--format=%s", "refs/timeturner/registry").trimmed == "import 2 good mark(s) into staging from kg.json")
    }

    @Test func importRefusesBadFilesAndMissingCommitsWithoutWriting() async throws {
        let scratch = try await ScratchRepository()
        let ids = try await scratch.commits(1)
        let registry = KnownGoodRegistry(repository: try Repository.open(path: scratch.path))
        let bad = [
            "not json", "{\"commits\": 3}", "{\"commits\": [1]}", "{\"commits\": [{\"date\": \"2026-11-01\"}]}",
            "{\"commits\": [{\"hash\": \"\(ids[0])\", \"date\": \"soon\"}]}",
            "{\"commits\": [{\"hash\": \"\(ids[0])\"}, {\"hash\": \"1111111111111111111111111111111111111111\"}]}",
        ]
        for text in bad {
            #expect(throws: TimeturnerError.self, "\(text)") {
                try registry.importKnownGood(Array(text.utf8), source: "f.json", env: "production", attribution: ada())
            }
        }
        #expect(try RegistryLedger(repository: try Repository.open(path: scratch.path)).head() == nil)
    }

    @Test func showListsMarksAndJournalEventsOfTheCommit() async throws {
        let scratch = try await ScratchRepository()
        let ids = try await scratch.commits(2)
        let repository = try Repository.open(path: scratch.path)
        let registry = KnownGoodRegistry(repository: repository)
        _ = try registry.mark(.good, revision: ids[0], env: "production", note: nil, attribution: ada())
        _ = try registry.mark(.bad, revision: ids[0], env: "staging", note: nil, attribution: ada(1))
        _ = try registry.mark(.good, revision: ids[1], env: "production", note: nil, attribution: ada(2))
        // What the rollback engine will write; show finds it by from/to without knowing the type.
        try RegistryLedger(repository: repository).append([
            ("journal/2026-11.jsonl", ["type": "rollback", "from": .string(ids[1]), "to": .string(ids[0])]),
            ("journal/2026-11.jsonl", ["type": "drill", "from": .string(ids[1]), "to": .string(ids[1])]),
        ], message: "rollback", by: ada(3))
        let inspection = try Inspector(repository: repository).inspect(ids[0])
        #expect(inspection.marks.map { "\($0.verdict.rawValue) \($0.env)" } == ["bad staging", "good production"])
        #expect(inspection.journalEvents.map { $0["type"] } == ["rollback"])
        #expect(inspection.json["marks"]?.arrayValue?.count == 2)
        #expect(inspection.json["journal"]?.arrayValue?.count == 1)
    }

    @Test func changesAreTheAuditTrailNewestFirst() async throws {
        let scratch = try await ScratchRepository()
        _ = try await scratch.commits(1)
        let registry = KnownGoodRegistry(repository: try Repository.open(path: scratch.path))
        _ = try registry.mark(.good, revision: "HEAD", env: "production", note: "ok", attribution: ada())
        _ = try registry.mark(.bad, revision: "HEAD", env: "production", note: "not ok", attribution: ada(60))
        let changes = try registry.changes()
        #expect(changes.map(\.subject).map { String($0.prefix(4)) } == ["bad ", "good"])
        #expect(changes[0].subject.hasSuffix("production: not ok") && changes[0].by == "Ada Tester <ada@example.com>")
        #expect(changes[0].at.secondsSinceEpoch == Self.start + 60)
        #expect(try registry.changes(limit: 1).count == 1)
    }

    @Test func standInIdentityParses() {
        #expect(Attribution.parseIdentity("Deploy Bot <bot@example.com>")! == ("Deploy Bot", "bot@example.com"))
        #expect(Attribution.parseIdentity("ci")! == ("ci", ""))
        #expect(Attribution.parseIdentity("") == nil)
    }

    /// Replaces a shard with hand-written content using plain git plumbing, as a person might.
    func handWrite(_ scratch: ScratchRepository, shard: String, content: String) async throws {
        let work = scratch.siblingDirectory("hand")
        try writeFile(work + "/shard", Array(content.utf8))
        let blob = try await scratch.git("hash-object", "-w", work + "/shard").trimmed
        let parent = try await scratch.git("rev-parse", "refs/timeturner/registry").trimmed
        let env = scratch.environment.merging(["GIT_INDEX_FILE": work + "/index"]) { $1 }
        _ = try await runProcess("git", ["read-tree", parent], environment: env, in: scratch.path)
        _ = try await runProcess("git", ["update-index", "--add", "--cacheinfo", "100644,\(blob),\(shard)"], environment: env, in: scratch.path)
        let tree = try await runProcess("git", ["write-tree"], environment: env, in: scratch.path).stdout.trimmed
        let commit = try await scratch.git("commit-tree", tree, "-p", parent, "-m", "hand edit").trimmed
        try await scratch.git("update-ref", "refs/timeturner/registry", commit, parent)
    }
}
