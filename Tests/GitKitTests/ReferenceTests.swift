import GitKit
import Testing
import TestSupport

@Suite struct ReferenceTests {
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

    @Test func concurrentCreatorsOfOneRefHaveExactlyOneWinner() async throws {
        // Threads in one process; the cross-process race that git_reference_create(force: 0) lost
        // in libgit2 1.5.1 is exercised end to end in RegistryConcurrencyTests.
        let scratch = try await ScratchRepository()
        var commits: [OID] = []
        for i in 0..<8 { commits.append(try #require(OID(hex: try await scratch.commit("c\(i)")))) }
        let path = scratch.path
        for round in 0..<5 {
            let name = "refs/timeturner/race-\(round)"
            let winners = try await withThrowingTaskGroup(of: OID?.self) { group in
                for commit in commits {
                    group.addTask {
                        let repository = try Repository.open(path: path)
                        do {
                            try repository.setReference(name, to: commit, expecting: nil, logMessage: "race")
                            return commit
                        } catch let error as GitError where error.code == .exists || error.code == .locked {
                            return nil
                        }
                    }
                }
                return try await group.reduce(into: [OID]()) { if let w = $1 { $0.append(w) } }
            }
            #expect(winners.count == 1, "round \(round): \(winners)")
            #expect(try Repository.open(path: path).reference(name)?.target == winners.first)
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
