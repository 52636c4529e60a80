import GitKit
import Testing
import TestSupport
@testable import TimeturnerCore

@Suite struct PointStoreTests {
    let ada = Attribution(name: "Ada Tester", email: "ada@example.com", time: Timestamp(secondsSinceEpoch: 1_795_000_000))

    @Test func messageRoundTripsThroughTrailers() {
        let message = PointMessage.compose(subject: "before the schema change", body: "details\nmore", id: "p1",
                                           severity: .high, environment: "production", tiers: ["code", "db"])
        #expect(message == "before the schema change\n\ndetails\nmore\n\nTimeturner-Point: p1\nTimeturner-Severity: high\nTimeturner-Env: production\nTimeturner-Tier: code\nTimeturner-Tier: db\n")
        let parsed = PointMessage.parse(message)
        #expect(parsed.subject == "before the schema change")
        #expect(parsed.body == "details\nmore")
        #expect(parsed.severity == .high)
        #expect(parsed.environment == "production")
        #expect(parsed.tiers == ["code", "db"])
    }

    @Test func prettyJSONArrayIsByteForByteThePrettyPrintedJSONValues() throws {
        let commit = try #require(OID(hex: String(repeating: "ab", count: 20)))
        let tag = try #require(OID(hex: String(repeating: "0f", count: 20)))
        func point(_ id: String, subject: String = "s", body: String = "", severity: Severity? = nil,
                   environment: String? = nil, tiers: [String] = ["code"], by: String = "A <a@b>") -> RollbackPoint {
            RollbackPoint(id: id, ref: StorageLayout.pointRef(id), tag: tag, commit: commit, subject: subject, body: body,
                          severity: severity, environment: environment, tiers: tiers, by: by,
                          at: Timestamp(secondsSinceEpoch: 1_795_000_000))
        }
        let points = [
            point("plain", severity: .high, environment: "production"),
            point("no-tiers", tiers: []),
            point("tiers", tiers: ["code", "db", "sys\"tem"]),
            point("body", subject: "quote \" and \u{1b}[31m", body: "line one\n\nline \u{2028} two\t", by: "Ünï <é@x>"),
            point("odd-env", severity: .critical, environment: "caf\u{e9}\u{85}"),
        ]
        for count in 0...points.count {
            let slice = Array(points.prefix(count))
            let expected = JSONValue.array(slice.map(\.json)).pretty()
            #expect(String(decoding: RollbackPoint.prettyJSONArray(slice), as: UTF8.self) == expected, "\(count) points")
        }
    }

    @Test func trailerKeysAreCaseInsensitive() {
        let parsed = PointMessage.parse("s\n\ntimeturner-point: p\nTIMETURNER-SEVERITY: low\ntimeTurner-env: e\nTimeturner-TIER: code\nTimeturner-Tiers: no\n")
        #expect(parsed.severity == .low)
        #expect(parsed.environment == "e")
        #expect(parsed.tiers == ["code"])
        #expect(!TrailerKey.matches("Timeturner-Tie", TrailerKey.tier))
        #expect(TrailerKey.matches("timeturner-tier", TrailerKey.tier))
    }

    @Test func aTrailerBlockInLowerCaseIsNotTakenForTheBody() {
        let parsed = PointMessage.parse("subject\n\nthe body\n\ntimeturner-point: p\ntimeturner-env: e\n")
        #expect(parsed.body == "the body")
        #expect(parsed.environment == "e")
    }

    @Test func paragraphsSplitLikeTheGenericSubstringSplit() {
        let messages = [
            "", "\n", "\n\n", "\n\n\n\n\n", "subject", "subject\n", "a\n\nb", "a\n\n\nb", "a\n\n\n\nb\n\n",
            "\n\nleading", "a\r\n\r\nb", "a\r\n\nb", "a\n\r\nb", "é\n\n日本\n\nx\u{301}\n\ny",
            "subject\n\nbody\nmore\n\nTimeturner-Point: p\nTimeturner-Tier: code\n",
        ]
        for message in messages {
            let expected = message.split(separator: "\n\n", omittingEmptySubsequences: true).map(String.init)
            #expect(PointMessage.paragraphs(message).map(String.init) == expected, "\(message.debugDescription)")
        }
        #expect(PointMessage.containsIgnoringASCIICase("x Timeturner-Point: p", TrailerKey.prefix))
        #expect(PointMessage.containsIgnoringASCIICase("Timeturner-", TrailerKey.prefix))
        #expect(PointMessage.containsIgnoringASCIICase("x TIMETURNER-point: p", TrailerKey.prefix))
        #expect(!PointMessage.containsIgnoringASCIICase("Timeturner", TrailerKey.prefix))
        #expect(!PointMessage.containsIgnoringASCIICase("Signed-off-by: A <a@b>", TrailerKey.prefix))
    }

    @Test func aMessageWithoutTrailersKeepsItsLastParagraph() {
        let parsed = PointMessage.parse("subject\n\nfirst paragraph\n\nlast paragraph\n")
        #expect(parsed.subject == "subject")
        #expect(parsed.body == "first paragraph\n\nlast paragraph")
        #expect(parsed.severity == nil && parsed.tiers.isEmpty)
    }

    @Test func generatedIDsAreUniqueIDsStampedWithTheAttributionTime() async throws {
        let scratch = try await ScratchRepository()
        _ = try await scratch.commit("one")
        let point = try PointStore(repository: try Repository.open(path: scratch.path)).create(.init(message: "m"), by: ada)
        #expect(point.id.hasPrefix(ada.time.compactUTC + "-"))
        #expect(point.id.count == ada.time.compactUTC.count + 1 + UniqueID.suffixDigits)
    }

    @Test func createListShowAndDelete() async throws {
        let scratch = try await ScratchRepository()
        let ids = try await scratch.commits(2)
        let repository = try Repository.open(path: scratch.path)
        let store = PointStore(repository: repository)
        let first = try store.create(.init(revision: "HEAD~1", message: "first", name: "one"), by: ada)
        var later = ada
        later.time = Timestamp(secondsSinceEpoch: ada.time.secondsSinceEpoch + 60)
        let second = try store.create(.init(message: "second\n\nwith a body", severity: .critical, environment: "production"), by: later)

        #expect(first.commit.hex == ids[0])
        #expect(second.commit.hex == ids[1])
        #expect(second.body == "with a body")
        let listing = store.list()
        #expect(listing.warnings.isEmpty)
        #expect(listing.points.map(\.id) == [second.id, "one"])
        #expect(listing.points[0] == second)

        let notes = try store.noteEvents(on: first.commit)
        #expect(notes.events.count == 1)
        #expect(notes.events[0]["type"] == "point")
        #expect(notes.events[0]["id"] == "one")

        let deleted = try store.delete(id: "one", by: ada)
        #expect(deleted.tag == first.tag)
        #expect(try store.point(id: "one") == nil)
        #expect(try store.noteEvents(on: first.commit).events.map { $0["type"] } == ["point", "point-deleted"])
        #expect(try await scratch.git("rev-parse", "HEAD~1").trimmed == ids[0])
    }

    @Test func duplicateNameIsRefusedAndTheFirstPointSurvives() async throws {
        let scratch = try await ScratchRepository()
        _ = try await scratch.commits(2)
        let store = PointStore(repository: try Repository.open(path: scratch.path))
        let original = try store.create(.init(revision: "HEAD~1", name: "same"), by: ada)
        do {
            _ = try store.create(.init(name: "same"), by: ada)
            Issue.record("second point with the same name was accepted")
        } catch {
            #expect(error.message.contains("already exists"))
        }
        #expect(try store.point(id: "same") == original)
        // The refused attempt left no note line on HEAD.
        #expect(try store.noteEvents(on: try Repository.open(path: scratch.path).headCommit()).events.isEmpty)
    }

    @Test func invalidInputWritesNothing() async throws {
        let scratch = try await ScratchRepository()
        _ = try await scratch.commit("one")
        let store = PointStore(repository: try Repository.open(path: scratch.path))
        for request in [PointStore.Request(name: "-x"), .init(environment: "prod uction"), .init(revision: "nope"), .init(message: "\n\n")] {
            #expect(throws: TimeturnerError.self) { try store.create(request, by: ada) }
        }
        #expect(try await scratch.git("for-each-ref", "refs/timeturner", "refs/notes").isEmpty)
    }

    @Test func emptyRepositoryGetsAClearError() async throws {
        let scratch = try await ScratchRepository()
        let store = PointStore(repository: try Repository.open(path: scratch.path))
        do {
            _ = try store.create(.init(), by: ada)
            Issue.record("created a point in an empty repository")
        } catch {
            #expect(error.message.contains("no commits yet"))
        }
    }

    @Test func pointsWorkInABareRepository() async throws {
        let source = try await ScratchRepository()
        _ = try await source.commits(2)
        let bare = source.siblingDirectory("bare") + "/r.git"
        try await source.git("clone", "-q", "--bare", source.path, bare)
        let store = PointStore(repository: try Repository.open(path: bare))
        let point = try store.create(.init(revision: "main~1", message: "in bare"), by: ada)
        #expect(store.list().points.map(\.id) == [point.id])
    }

    @Test func aRefThatIsNotATagIsReportedNotFatal() async throws {
        let scratch = try await ScratchRepository()
        let head = try await scratch.commit("one")
        try await scratch.git("update-ref", "refs/timeturner/points/handmade", head)
        let store = PointStore(repository: try Repository.open(path: scratch.path))
        _ = try store.create(.init(name: "real"), by: ada)
        let listing = store.list()
        #expect(listing.points.map(\.id) == ["real"])
        #expect(listing.warnings.count == 1)
        #expect(listing.warnings[0].contains("handmade"))
    }

    @Test func pointsOnACommitComeFromItsNoteAndMatchAFullScan() async throws {
        let scratch = try await ScratchRepository()
        let commits = try await scratch.commits(3)
        let repository = try Repository.open(path: scratch.path)
        let store = PointStore(repository: repository)
        var clock = ada
        func make(_ name: String, on revision: String) throws -> RollbackPoint {
            clock.time = Timestamp(secondsSinceEpoch: clock.time.secondsSinceEpoch + 60)
            return try store.create(.init(revision: revision, message: name, name: name), by: clock)
        }
        _ = try make("a1", on: commits[0])
        _ = try make("a2", on: commits[0])
        _ = try make("b1", on: commits[1])
        _ = try make("moved", on: commits[0])
        // Deleted, then the same id made again on another commit: the first commit's note still
        // names it, but it is no longer a point on that commit.
        _ = try store.delete(id: "moved", by: clock)
        _ = try make("moved", on: commits[1])

        for hex in commits {
            let commit = try #require(OID(hex: hex))
            let notes = try store.noteEvents(on: commit)
            let direct = store.points(on: commit, noteEvents: notes.events)
            let scanned = store.list().points.filter { $0.commit == commit }
            #expect(direct.points == scanned, "\(hex)")
            #expect(direct.warnings.isEmpty)
        }
        let first = try #require(OID(hex: commits[0]))
        #expect(store.points(on: first, noteEvents: try store.noteEvents(on: first).events).points.map(\.id) == ["a2", "a1"])
    }

    @Test func aPointWithoutANoteIsStillFoundOnItsCommit() async throws {
        let scratch = try await ScratchRepository()
        let head = try await scratch.commit("one")
        // Made with plain git, as another tool (or a fetch without refs/notes/timeturner) would leave it.
        try await scratch.git("tag", "-a", "-m", "by hand\n\nTimeturner-Point: handmade", "handmade", head)
        try await scratch.git("update-ref", "refs/timeturner/points/handmade", "refs/tags/handmade")
        try await scratch.git("tag", "-d", "handmade")
        let repository = try Repository.open(path: scratch.path)
        let inspection = try Inspector(repository: repository).inspect("HEAD")
        #expect(inspection.noteEvents.isEmpty)
        #expect(inspection.points.map(\.id) == ["handmade"])
        #expect(inspection.points.first?.subject == "by hand")
    }

    @Test func listingIsNewestFirstWithTiesBrokenAndUnreadableRefsWarned() async throws {
        let scratch = try await ScratchRepository()
        let commits = try await scratch.commits(3)
        try await scratch.git("update-ref", "refs/timeturner/points/handmade", commits[0])
        let repository = try Repository.open(path: scratch.path)
        let store = PointStore(repository: repository)
        var clock = ada
        for index in 0..<9 {
            // Some in the same second, so that ties are broken by id on both paths.
            if index % 2 == 0 { clock.time = Timestamp(secondsSinceEpoch: clock.time.secondsSinceEpoch + 60) }
            _ = try store.create(.init(revision: commits[index % 3], message: "point \(index)", name: "p\(index)"), by: clock)
        }
        let listing = store.list()
        #expect(listing.points.count == 9)
        #expect(listing.points == listing.points.sorted(by: PointStore.newestFirst))
        #expect(listing.points.map(\.id).first == "p8" && listing.points.map(\.id).last == "p0")
        #expect(listing.warnings.count == 1 && listing.warnings[0].contains("handmade"))
    }
}

@Suite struct TrailerKeyTests {
    @Test func everyKeyStartsWithThePrefixAndMatchesInAnyCase() {
        let keys = [TrailerKey.point, TrailerKey.severity, TrailerKey.env, TrailerKey.tier, TrailerKey.rollback, TrailerKey.from,
                    TrailerKey.to, TrailerKey.reverts, TrailerKey.head, TrailerKey.dirty, TrailerKey.event, TrailerKey.commit]
        #expect(Set(keys).count == keys.count)
        for key in keys {
            #expect(key.hasPrefix(TrailerKey.prefix))
            #expect(TrailerKey.matches(key.lowercased(), key) && TrailerKey.matches(key.uppercased(), key))
            #expect(!TrailerKey.matches(key + "s", key) && !TrailerKey.matches(String(key.dropLast()), key))
        }
    }

    @Test func lastValueAndValuesIgnoreCase() {
        let trailers = Trailers.parse("s\n\ntimeturner-head: main\nTimeturner-Tier: code\nTIMETURNER-HEAD: detached\ntimeturner-tier: db\n")
        #expect(TrailerKey.lastValue(TrailerKey.head, in: trailers) == "detached")
        #expect(TrailerKey.values(TrailerKey.tier, in: trailers) == ["code", "db"])
        #expect(TrailerKey.lastValue(TrailerKey.dirty, in: trailers) == nil)
    }
}
