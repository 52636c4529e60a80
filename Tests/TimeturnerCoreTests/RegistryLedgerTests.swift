import GitKit
import Testing
import TestSupport
@testable import TimeturnerCore

@Suite struct RegistryLedgerTests {
    let ada = Attribution(name: "Ada Tester", email: "ada@example.com", time: Timestamp(secondsSinceEpoch: 1_795_000_000))

    @Test func shardPathsFollowTheStorageContract() {
        let time = Timestamp(secondsSinceEpoch: 1_795_000_000) // 2026-11-18
        #expect(RegistryLedger.journalShard(for: time) == "journal/2026-11.jsonl")
        #expect(RegistryLedger.marksShard(env: "production", for: time) == "marks/production/2026-11.jsonl")
    }

    @Test func appendWritesOneCommitReadableWithPlainGit() async throws {
        let scratch = try await ScratchRepository()
        _ = try await scratch.commit("one")
        let ledger = RegistryLedger(repository: try Repository.open(path: scratch.path))
        #expect(try ledger.head() == nil)
        #expect(try ledger.events(inShard: "journal/2026-11.jsonl").events.isEmpty)

        let written = try ledger.append([
            ("marks/production/2026-11.jsonl", ["type": "good", "commit": "abc", "note": "keep me"]),
            ("journal/2026-11.jsonl", ["type": "rollback", "from": "a", "to": "b", "id": "fixed-id"]),
            ("marks/production/2026-11.jsonl", ["type": "bad", "commit": "abc"]),
        ], message: "two marks and a journal entry\n\nbody", by: ada)
        #expect(written.count == 3)
        #expect(written[1]["id"] == "fixed-id")
        #expect(written[0]["v"] == .int(1) && written[0]["at"] == "2026-11-18T11:06:40Z" && written[0]["by"] == "Ada Tester <ada@example.com>")
        #expect(written[0]["id"] != written[2]["id"])

        // One commit, the message as given, author and committer from the attribution.
        #expect(try await scratch.git("rev-list", "--count", "refs/timeturner/registry").trimmed == "1")
        #expect(try await scratch.git("log", "-1", "--format=%an <%ae>|%cn|%at|%B", "refs/timeturner/registry").trimmed
            == "Ada Tester <ada@example.com>|Ada Tester|1795000000|two marks and a journal entry\n\nbody")
        let shown = try await scratch.git("show", "refs/timeturner/registry:marks/production/2026-11.jsonl")
        #expect(shown.lines == [written[0].canonicalLine, written[2].canonicalLine])
        #expect(shown.hasPrefix("{\"type\":\"good\",\"at\":"))
        #expect(try await scratch.git("show", "refs/timeturner/registry:journal/2026-11.jsonl").lines == [written[1].canonicalLine])

        let read = try ledger.events(inShard: "marks/production/2026-11.jsonl")
        #expect(read.events == [written[0], written[2]])
        #expect(read.skipped.isEmpty)
        #expect(read.events[0]["note"] == "keep me")

        // A second append is a second commit on top of the first.
        try ledger.append([("journal/2026-12.jsonl", ["type": "drill"])], message: "drill", by: ada)
        #expect(try await scratch.git("rev-list", "--count", "refs/timeturner/registry").trimmed == "2")
        #expect(try ledger.shards(under: "journal") == ["journal/2026-11.jsonl", "journal/2026-12.jsonl"])
        #expect(try ledger.shards(under: "marks/production") == ["marks/production/2026-11.jsonl"])
        #expect(try ledger.shards(under: "marks/staging").isEmpty)
        #expect(try ledger.directories(under: "marks") == ["production"])
        #expect(try await scratch.gitResult(["fsck", "--no-progress", "--strict"]).status == 0)
    }

    @Test func brokenLinesAreSkippedWithTheirPlaceAndSurviveAppendsByteForByte() async throws {
        let scratch = try await ScratchRepository()
        _ = try await scratch.commit("one")
        // A registry written by hand with plain git: valid, truncated, not JSON, NUL, invalid UTF-8,
        // a JSON array, and no newline at the end.
        let broken: [UInt8] = Array("{\"type\":\"good\",\"id\":\"h1\",\"commit\":\"x\"}\n{\"type\":\"good\",\"id\":\n".utf8)
            + Array("not json at all\n".utf8) + [0x7b, 0x00, 0x7d, 0x0a] + [0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x0a]
            + Array("[1,2]\n{\"type\":\"bad\",\"id\":\"h2\",\"unknown\":{\"deep\":[1]}}".utf8)
        let work = scratch.siblingDirectory("hand")
        try writeFile(work + "/marks/production/2026-11.jsonl", broken)
        let blob = try await scratch.git("hash-object", "-w", work + "/marks/production/2026-11.jsonl").trimmed
        try await scratch.git("update-index", "--add", "--cacheinfo", "100644,\(blob),marks/production/2026-11.jsonl")
        let tree = try await scratch.git("write-tree").trimmed
        try await scratch.git("rm", "-q", "--cached", "marks/production/2026-11.jsonl")
        let commit = try await scratch.git("commit-tree", tree, "-m", "written by hand").trimmed
        try await scratch.git("update-ref", "refs/timeturner/registry", commit)

        let ledger = RegistryLedger(repository: try Repository.open(path: scratch.path))
        let before = try ledger.events(inShard: "marks/production/2026-11.jsonl")
        #expect(before.events.map { $0["id"] } == ["h1", "h2"])
        #expect(before.events[1]["unknown"] == ["deep": [1]])
        #expect(before.skipped.map(\.lineNumber) == [2, 3, 4, 5, 6])
        #expect(before.skipped[0].description.hasPrefix("refs/timeturner/registry:marks/production/2026-11.jsonl:2: "))

        let written = try ledger.append([("marks/production/2026-11.jsonl", ["type": "good", "commit": "y"])],
                                        message: "good y", by: ada)
        let after = try #require(try ledger.contents(ofShard: "marks/production/2026-11.jsonl"))
        #expect(Array(after.prefix(broken.count)) == broken)
        #expect(Array(after.dropFirst(broken.count)) == Array(("\n" + written[0].canonicalLine + "\n").utf8))
        let reread = try ledger.events(inShard: "marks/production/2026-11.jsonl")
        #expect(reread.events.map { $0["id"] } == ["h1", "h2", written[0]["id"]])
        #expect(reread.skipped == before.skipped)
        #expect(try await scratch.git("rev-list", "--count", "refs/timeturner/registry").trimmed == "2")
    }

    @Test func shardPathsOutsideTheLayoutAreRefusedAndNothingIsWritten() async throws {
        let scratch = try await ScratchRepository()
        _ = try await scratch.commit("one")
        let ledger = RegistryLedger(repository: try Repository.open(path: scratch.path))
        for bad in ["../x.jsonl", "/abs/x.jsonl", "marks/x.json", "x.jsonl", "marks//x.jsonl", "marks/.hidden/x.jsonl"] {
            #expect(throws: TimeturnerError.self) {
                try ledger.append([(bad, ["type": "good"])], message: "m", by: ada)
            }
        }
        #expect(try ledger.head() == nil)
    }

    @Test func concurrentAppendersInOneProcessLoseNothing() async throws {
        let scratch = try await ScratchRepository()
        _ = try await scratch.commit("one")
        let path = scratch.path
        let time = ada.time
        // Each task opens its own repository handle (handles are not shared across threads).
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    let ledger = RegistryLedger(repository: try Repository.open(path: path))
                    for i in 0..<5 {
                        try ledger.append([("marks/production/2026-11.jsonl", ["type": "good", "commit": .string("w\(worker)-\(i)")])],
                                          message: "good w\(worker)-\(i)",
                                          by: Attribution(name: "W", email: "w@example.com", time: time))
                    }
                }
            }
            try await group.waitForAll()
        }
        let ledger = RegistryLedger(repository: try Repository.open(path: path))
        let events = try ledger.events(inShard: "marks/production/2026-11.jsonl").events
        #expect(events.count == 40)
        #expect(Set(events.compactMap { $0["id"]?.stringValue }).count == 40)
        #expect(try await scratch.git("rev-list", "--count", "refs/timeturner/registry").trimmed == "40")
    }
}
