import Testing
import TestSupport

/// Commands that record something write only objects their refs reach: `git fsck` finds
/// nothing dangling and the object database holds nothing the refs do not reach.
@Suite struct ObjectHygieneTests {
    /// What `git fsck` calls unreachable, ignoring reflogs (which keep old registry tips alive).
    func unreachable(_ repo: ScratchRepository) async throws -> String {
        try await repo.git("fsck", "--unreachable", "--no-reflogs", "--no-progress")
    }

    /// Objects stored (loose and packed) and objects reachable from every ref.
    func storedAndReachable(_ repo: ScratchRepository) async throws -> (stored: Int, reachable: Int) {
        let counts = try await repo.git("count-objects", "-v").lines
        func value(_ key: String) -> Int { counts.first { $0.hasPrefix(key + ": ") }.flatMap { Int($0.dropFirst(key.count + 2)) } ?? -1 }
        let reachable = try await repo.git("rev-list", "--objects", "--all").lines.count
        return (value("count") + value("in-pack"), reachable)
    }

    @Test func pointGoodBadAndImportLeaveNothingUnreachable() async throws {
        let repo = try await ScratchRepository()
        let ids = try await repo.commits(3)
        let before = try await storedAndReachable(repo)
        #expect(before.stored == before.reachable, "the scratch repository itself: \(before)")

        let steps: [[String]] = [
            ["point", "-m", "before the deploy"],
            ["point", "-m", "named", "--name", "p1", "--env", "production"],
            ["good", "HEAD~1", "--env", "production", "--evidence", "checks passed"],
            ["bad", "HEAD", "--env", "production", "--reason", "errors"],
            ["good", "HEAD", "--env", "staging"],
        ]
        for step in steps {
            let result = try await repo.timeturner(step)
            #expect(result.status == 0, "\(step): \(result)")
            #expect(try await unreachable(repo) == "", "after \(step)")
        }

        let file = repo.siblingDirectory("import") + ".json"
        try writeFile(file, Array("""
            {"version": 1, "commits": [
              {"hash": "\(ids[0])", "date": "2026-11-01T10:00:00Z", "description": "release 1", "verified": true},
              {"hash": "\(ids[1])", "date": "2026-11-02T10:00:00Z", "description": "release 2", "verified": true}
            ]}
            """.utf8))
        let imported = try await repo.timeturner("registry", "import", file, "--env", "canary")
        #expect(imported.status == 0, "\(imported)")
        #expect(try await unreachable(repo) == "", "after registry import")

        let after = try await storedAndReachable(repo)
        #expect(after.stored == after.reachable, "\(after)")
        #expect(after.stored > before.stored)
    }

    @Test func aRefusedPointNameWritesNoTagObject() async throws {
        let repo = try await ScratchRepository()
        _ = try await repo.commits(1)
        #expect(try await repo.timeturner("point", "-m", "first", "--name", "p1").status == 0)
        let before = try await storedAndReachable(repo)
        let again = try await repo.timeturner("point", "-m", "second", "--name", "p1")
        #expect(again.status == 1 && again.stderr.contains("already exists"), "\(again)")
        #expect(try await unreachable(repo) == "")
        #expect(try await storedAndReachable(repo) == before)
    }

    /// A dry run writes nothing at all, not even unreachable objects: the revert commits are
    /// built in memory only. Then a real rollback and its undo leave nothing unreachable.
    @Test func aDryRunWritesNoObjectAndARollbackAndUndoLeaveNothingUnreachable() async throws {
        let repo = try await ScratchRepository()
        try await repo.commit("base", files: ["keep.txt": "keep\n"])
        let ids = try await repo.commits(4)
        try repo.write("keep.txt", "uncommitted\n")
        try repo.write("untracked.txt", "untracked\n")
        let counts = try await repo.git("count-objects", "-v")
        let fsck = try await unreachable(repo)
        let dryRuns: [[String]] = [
            ["rollback", "--to", ids[0], "--dry-run"],
            ["rollback", "--to", ids[0], "--dry-run", "--json"],
            ["rollback", "--to", ids[1], "--mode", "reset", "--dry-run"],
            ["rollback", "--commits", "\(ids[0])..\(ids[2])", "--dry-run"],
            ["rollback", "--commits", ids[2], "--dry-run", "--json"],
        ]
        for dry in dryRuns {
            let result = try await repo.timeturner(dry)
            #expect(result.status == 0, "\(dry): \(result)")
            #expect(try await repo.git("count-objects", "-v") == counts, "\(dry) wrote objects")
            #expect(try await unreachable(repo) == fsck, "\(dry)")
        }
        #expect(try await repo.git("for-each-ref", "refs/timeturner").isEmpty)

        for step in [["rollback", "--commits", ids[2], "--yes"], ["undo", "--yes"], ["rollback", "--to", ids[0], "--yes"], ["undo", "--yes"]] {
            let result = try await repo.timeturner(step)
            #expect(result.status == 0, "\(step): \(result)")
            #expect(try await unreachable(repo) == "", "after \(step)")
        }
        #expect(repo.read("keep.txt") == "uncommitted\n" && repo.read("untracked.txt") == "untracked\n")
        #expect(try await repo.gitResult(["fsck", "--no-progress", "--strict"]).status == 0)
    }
}
