import GitKit
import Testing
import TestSupport
@testable import TimeturnerCore

/// Issue 12: each clone has its own name, recorded in every journal event, so that `status` and a
/// bare `undo` look at this clone's rollbacks only once sync has brought in everyone else's.
@Suite struct CloneIdentityTests {
    let ada = Attribution(name: "Ada Tester", email: "ada@example.com", time: Timestamp(secondsSinceEpoch: 1_795_000_000))

    @Test func madeOnFirstUseStableAndSharedByTheClonesWorktrees() async throws {
        let repo = try await ScratchRepository()
        _ = try await repo.commit("one")
        let repository = try Repository.open(path: repo.path)
        #expect(try CloneIdentity.existing(in: repository) == nil)
        let name = try CloneIdentity.current(in: repository)
        #expect(name.count == 16 && CloneIdentity.isValid(name))
        #expect(try CloneIdentity.current(in: repository) == name)
        #expect(CloneIdentity.path(in: repository).hasSuffix(".git/timeturner/clone-id"))
        #expect(repo.read(".git/timeturner/clone-id") == name + "\n")

        let linked = repo.siblingDirectory("linked") + "/wt"
        try await repo.git("worktree", "add", "-q", linked, "-b", "side")
        #expect(try CloneIdentity.current(in: try Repository.open(path: linked)) == name)

        // A clone of this repository gets a name of its own: nothing copies it.
        let other = repo.siblingDirectory("other") + "/clone"
        try await repo.git("clone", "-q", repo.path, other)
        let otherName = try CloneIdentity.current(in: try Repository.open(path: other))
        #expect(otherName != name)
    }

    @Test func processesCreatingItAtOnceAgreeOnOneName() async throws {
        let repo = try await ScratchRepository()
        _ = try await repo.commit("one")
        let path = repo.path
        let names = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<16 {
                group.addTask { try CloneIdentity.current(in: try Repository.open(path: path)) }
            }
            var all: [String] = []
            for try await name in group { all.append(name) }
            return all
        }
        #expect(names.count == 16 && Set(names).count == 1, "\(names)")
    }

    @Test func aNameOfYourChoiceIsKeptAndABrokenFileIsReportedWithItsPath() async throws {
        let repo = try await ScratchRepository()
        _ = try await repo.commit("one")
        let repository = try Repository.open(path: repo.path)
        try repo.write(".git/timeturner/clone-id", "ci-runner-7\n")
        #expect(try CloneIdentity.current(in: repository) == "ci-runner-7")
        try repo.write(".git/timeturner/clone-id", "not a name; rm -rf /\n")
        let error = try #require(throws: TimeturnerError.self) { try CloneIdentity.current(in: repository) }
        #expect(error.message.contains(".git/timeturner/clone-id") && error.message.contains("does not hold a clone id"))
        #expect(error.hint?.contains("rm ") == true)
    }

    /// Events are written straight to the ledger (not through RollbackJournal.append, whose
    /// signature belongs to the rollback pipeline): that append fills `clone` in, which the
    /// end-to-end SyncCloneJournalTests checks in `rollback --json`.
    @Test func aBareSelectionPrefersThisClonesRollbacksAndCountsOldEventsAsOwn() async throws {
        let repo = try await ScratchRepository()
        _ = try await repo.commit("one")
        let repository = try Repository.open(path: repo.path)
        let journal = RollbackJournal(repository: repository)
        let mine = try CloneIdentity.current(in: repository)
        func rollback(_ id: String, at seconds: Int64, clone: String?) throws {
            let time = Timestamp(secondsSinceEpoch: seconds)
            var event: [String: JSONValue] = ["type": "rollback", "id": .string(id), "status": "succeeded", "mode": "revert",
                                              "start": .string(time.rfc3339)]
            if let clone { event["clone"] = .string(clone) }
            try RegistryLedger(repository: repository).append([(shard: RegistryLedger.journalShard(for: time), event: event)],
                                                             message: "journal: rollback \(id)", by: ada)
        }
        try rollback("legacy", at: 1_795_000_000, clone: nil)  // written before clones were recorded
        try rollback("mine", at: 1_795_000_100, clone: mine)
        try rollback("theirs", at: 1_795_000_200, clone: "another-clone")
        let entries = try journal.entries().entries
        #expect(entries.map(\.id) == ["theirs", "mine", "legacy"])
        #expect(entries.map(\.clone) == ["another-clone", mine, nil])
        #expect(try journal.entry(id: nil)?.id == "mine", "the newest is another clone's; a bare selection skips it")
        #expect(try journal.entry(id: "theirs")?.id == "theirs", "named, another clone's rollback is still found")
        #expect(try journal.thisClone(entries).map(\.id) == ["mine", "legacy"], "events from before count as this clone's, as they did")
    }
}
