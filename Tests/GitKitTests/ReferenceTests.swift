import Dispatch
import GitKit
import Testing
import TestSupport

@Suite struct ReferenceTests {
    /// The names read from packed-refs and loose files are the names libgit2 lists: packed,
    /// loose, both, nested, after a packed ref is deleted, in a linked worktree, and nothing
    /// outside the namespace.
    @Test func referenceNamesFromFilesMatchLibgit2() async throws {
        let scratch = try await ScratchRepository()
        let head = try await scratch.commit("one")
        for name in ["a", "b", "c/d"] { try await scratch.git("update-ref", "refs/timeturner/points/\(name)", head) }
        try await scratch.git("update-ref", "refs/timeturner/pointsx", head)
        try await scratch.git("tag", "-a", "-m", "peeled", "v1")
        try await scratch.git("update-ref", "refs/timeturner/points/peeled", "v1")
        try await scratch.git("pack-refs", "--all")
        try await scratch.git("update-ref", "refs/timeturner/points/loose", head)
        try await scratch.git("update-ref", "refs/timeturner/points/a", head)     // packed and loose
        try await scratch.git("update-ref", "-d", "refs/timeturner/points/b")     // deleted from packed-refs
        let worktree = scratch.siblingDirectory("linked")
        try await scratch.git("worktree", "add", "-q", worktree + "/tree")
        for path in [scratch.path, worktree + "/tree"] {
            let repository = try Repository.open(path: path)
            let fromLibgit2 = try repository.referenceNames(matching: "refs/timeturner/points/*").sorted()
            #expect(fromLibgit2 == ["refs/timeturner/points/a", "refs/timeturner/points/c/d", "refs/timeturner/points/loose",
                                    "refs/timeturner/points/peeled"])
            #expect(repository.referenceNamesInFiles(under: "refs/timeturner/points/")?.sorted()
                    == fromLibgit2.map { String($0.dropFirst("refs/timeturner/points/".count)) }, "\(path)")
            #expect(repository.referenceNamesInFiles(under: "refs/timeturner/points/", startingWith: "c/")?.sorted() == ["c/d"])
            #expect(repository.referenceNamesInFiles(under: "refs/timeturner/points/", startingWith: "lo")?.sorted() == ["loose"])
        }
    }

    /// `show <commit>` without a note finds the points on the commit from packed-refs' peeled
    /// lines: candidates are the packed refs peeling to it and every loose ref, never others.
    @Test func referencesPeelingToACommitComeFromPeeledLines() async throws {
        let scratch = try await ScratchRepository()
        let ids = try await scratch.commits(3)
        for (name, commit) in [("a", 0), ("b", 1), ("c/d", 1), ("e", 2)] {
            try await scratch.git("tag", "-a", "-m", name, "t-\(name)", ids[commit])
            try await scratch.git("update-ref", "refs/timeturner/points/\(name)", "t-\(name)")
            try await scratch.git("tag", "-d", "t-\(name)")
        }
        try await scratch.git("pack-refs", "--all")
        try await scratch.git("tag", "-a", "-m", "new", "t-new", ids[0])
        try await scratch.git("update-ref", "refs/timeturner/points/new", "t-new")
        let repository = try Repository.open(path: scratch.path)
        let on = { (i: Int) in repository.referenceNamesInFiles(under: "refs/timeturner/points/", peelingTo: OID(hex: ids[i])!)?.sorted() }
        #expect(on(1) == ["b", "c/d", "new"])
        #expect(on(2) == ["e", "new"])
        // Without the fully-peeled trait nothing can be ruled out.
        let packed = scratch.path + "/.git/packed-refs"
        let text = String(decoding: try #require(readFile(packed)), as: UTF8.self)
        try writeFile(packed, Array(text.replacing(" fully-peeled", with: "").utf8))
        #expect(on(2) == ["a", "b", "c/d", "e", "new"])
    }

    @Test func createExpectingAbsentRefusesAnExistingRef() async throws {
        let scratch = try await ScratchRepository()
        let head = try await scratch.commit("one")
        let repository = try Repository.open(path: scratch.path)
        let oid = try #require(OID(hex: head))
        try repository.setReference("refs/timeturner/test", to: oid, expecting: nil, logMessage: "test")
        #expect(throws: GitError.self) {
            try repository.setReference("refs/timeturner/test", to: oid, expecting: nil, logMessage: "test")
        }
        do {
            try repository.setReference("refs/timeturner/test", to: oid, expecting: nil, logMessage: "test")
        } catch {
            #expect(error.code == .exists)
        }
        #expect(try await scratch.git("rev-parse", "refs/timeturner/test").trimmed == head)
    }

    /// libgit2 1.5.1's plain create checks for an existing ref outside the ref's lock; creating
    /// with "must not exist" must still let exactly one of many concurrent creators win.
    @Test func concurrentCreatorsOfOneRefLeaveExactlyOneWinner() async throws {
        let scratch = try await ScratchRepository()
        let ids = try await scratch.commits(8).compactMap(OID.init(hex:))
        let path = scratch.path
        for round in 0..<25 {
            let name = "refs/timeturner/race-\(round)"
            let outcomes = Outcomes()
            DispatchQueue.concurrentPerform(iterations: ids.count) { index in
                do {
                    let repository = try Repository.open(path: path)
                    try repository.setReference(name, to: ids[index], expecting: nil, logMessage: "race")
                    outcomes.add("won \(index)")
                } catch let error as GitError where error.code == .exists || error.code == .locked {
                    outcomes.add("lost")
                } catch {
                    outcomes.add("error: \(error)")
                }
            }
            let winners = outcomes.all.filter { $0.hasPrefix("won ") }
            #expect(winners.count == 1 && outcomes.all.count == ids.count, "round \(round): \(outcomes.all)")
            // The ref holds what the one winner wrote, not what a silent loser wrote after it.
            if winners.count == 1, let index = Int(winners[0].dropFirst(4)) {
                let reopened = try Repository.open(path: path)
                #expect(try reopened.reference(name)?.target == ids[index], "round \(round)")
            }
        }
    }

    @Test func compareAndSwapRefusesAStaleExpectation() async throws {
        let scratch = try await ScratchRepository()
        let first = try #require(OID(hex: try await scratch.commit("one")))
        let second = try #require(OID(hex: try await scratch.commit("two")))
        let repository = try Repository.open(path: scratch.path)
        try repository.setReference("refs/timeturner/cas", to: first, expecting: nil, logMessage: "create")
        try repository.setReference("refs/timeturner/cas", to: second, expecting: first, logMessage: "move")
        // Expecting `first` again is stale now: must fail and leave the ref alone.
        do {
            try repository.setReference("refs/timeturner/cas", to: first, expecting: first, logMessage: "stale")
            Issue.record("a stale compare-and-swap succeeded")
        } catch {
            #expect(error.code == .modified)
        }
        #expect(try repository.reference("refs/timeturner/cas")?.target == second)
    }

    @Test func deleteWithStaleExpectationKeepsTheRef() async throws {
        let scratch = try await ScratchRepository()
        let first = try #require(OID(hex: try await scratch.commit("one")))
        let second = try #require(OID(hex: try await scratch.commit("two")))
        let repository = try Repository.open(path: scratch.path)
        try repository.setReference("refs/timeturner/d", to: second, expecting: nil, logMessage: "create")
        #expect(throws: GitError.self) { try repository.deleteReference("refs/timeturner/d", expecting: first) }
        #expect(try repository.reference("refs/timeturner/d")?.target == second)
        try repository.deleteReference("refs/timeturner/d", expecting: second)
        #expect(try repository.reference("refs/timeturner/d") == nil)
    }

    @Test func globListsOnlyMatchingRefs() async throws {
        let scratch = try await ScratchRepository()
        let head = try #require(OID(hex: try await scratch.commit("one")))
        let repository = try Repository.open(path: scratch.path)
        for name in ["a", "b", "c"] {
            try repository.setReference("refs/timeturner/points/\(name)", to: head, expecting: nil, logMessage: "t")
        }
        try repository.setReference("refs/timeturner/other", to: head, expecting: nil, logMessage: "t")
        let names = try repository.references(matching: "refs/timeturner/points/*").map(\.name).sorted()
        #expect(names == ["refs/timeturner/points/a", "refs/timeturner/points/b", "refs/timeturner/points/c"])
    }

    @Test func updateReferenceRetriesUntilItWins() async throws {
        let scratch = try await ScratchRepository()
        let first = try #require(OID(hex: try await scratch.commit("one")))
        let second = try #require(OID(hex: try await scratch.commit("two")))
        let repository = try Repository.open(path: scratch.path)
        let other = try Repository.open(path: scratch.path)
        try repository.setReference("refs/timeturner/r", to: first, expecting: nil, logMessage: "create")
        var calls = 0
        // On the first build, another writer moves the ref: the first CAS must fail and the build rerun.
        let written = try repository.updateReference("refs/timeturner/r", logMessage: "t") { (current: OID?) throws(GitError) -> OID in
            calls += 1
            if calls == 1 {
                try other.setReference("refs/timeturner/r", to: second, expecting: first, logMessage: "interloper")
            }
            return current == second ? first : second
        }
        #expect(calls == 2)
        #expect(written == first)
        #expect(try repository.reference("refs/timeturner/r")?.target == first)
    }
}

final class Outcomes: @unchecked Sendable {
    private let lock = DispatchQueue(label: "outcomes")
    private var stored: [String] = []
    func add(_ outcome: String) { lock.sync { stored.append(outcome) } }
    var all: [String] { lock.sync { stored } }
}
