import Testing
import TestSupport

/// Scenarios 1 and 3 of shared/docs/scenarios.md, with real processes racing on one repository.
@Suite struct ConcurrencyTests {
    @Test func fortyProcessesOnFortyCommitsLeaveFortyPointsAndFortyNotes() async throws {
        let repo = try await ScratchRepository()
        let commits = try await repo.commits(40)
        let results = try await withThrowingTaskGroup(of: (String, ProcessResult).self) { group in
            for commit in commits {
                group.addTask { (commit, try await repo.timeturner("point", commit, "-m", "race", "--json")) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let succeeded = results.filter { $0.1.status == 0 }
        #expect(succeeded.count == 40, "\(results.filter { $0.1.status != 0 }.map(\.1))")

        let refs = try await repo.git("for-each-ref", "--format=%(refname) %(*objectname)", "refs/timeturner/points")
        #expect(refs.lines.count == 40)
        #expect(Set(refs.lines.map { String($0.split(separator: " ")[1]) }) == Set(commits))
        for (commit, result) in succeeded {
            let id = try #require(field("id", in: result.stdout))
            let note = try await repo.git("notes", "--ref=timeturner", "show", commit)
            #expect(note.lines.count == 1 && note.contains("\"id\":\"\(id)\""), "note on \(commit): \(note)")
        }
        #expect(try await repo.git("notes", "--ref=timeturner", "list").lines.count == 40)
        #expect(try await repo.gitResult(["fsck", "--no-progress"]).status == 0)
    }

    @Test func twoProcessesWithTheSameNameLeaveExactlyOne() async throws {
        let repo = try await ScratchRepository()
        let commits = try await repo.commits(2)
        let results = try await withThrowingTaskGroup(of: ProcessResult.self) { group in
            for commit in commits { group.addTask { try await repo.timeturner("point", commit, "--name", "contested") } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.map(\.status).sorted() == [0, 1], "\(results)")
        let loser = try #require(results.first { $0.status == 1 })
        #expect(loser.stderr.contains("already exists"))
        #expect(try await repo.git("for-each-ref", "refs/timeturner/points").lines.count == 1)
        // Only the winner's note line exists.
        #expect(try await repo.git("notes", "--ref=timeturner", "list").lines.count == 1)
    }

    /// A rollback with nothing to do removes the `.git/timeturner/` it created for its lock;
    /// processes racing it must never find the directory gone under them (their mkdir seeing it,
    /// their open of the lock failing): each takes the lock in turn or says who holds it.
    @Test func racingRollbacksThatRemoveTheLockDirectoryNeverFailToTakeTheLock() async throws {
        let repo = try await ScratchRepository()
        _ = try await repo.commits(2)
        let results = try await withThrowingTaskGroup(of: [ProcessResult].self) { group in
            for _ in 0..<6 {
                group.addTask {
                    var runs: [ProcessResult] = []
                    for _ in 0..<8 { runs.append(try await repo.timeturner("rollback", "--to", "HEAD", "--yes")) }
                    return runs
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let unexpected = results.filter { $0.status != 0 && !$0.stderr.contains("another timeturner operation holds") }
        #expect(unexpected.isEmpty, "\(unexpected)")
        #expect(results.contains { $0.status == 0 && $0.stdout.contains("nothing to do") })
        #expect(!repo.exists(".git/timeturner"), "the last one out left the directory")
    }
}
