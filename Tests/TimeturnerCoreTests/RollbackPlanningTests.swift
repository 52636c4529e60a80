import GitKit
import Testing
@testable import TimeturnerCore
import TestSupport

/// The pure parts of rollback planning and reporting.
@Suite struct RollbackPlanningTests {
    @Test func collisionsCoverSamePathsParentsAndChildren() {
        let touched = ["src/app.c", "docs/new/guide.md", "README"]
        #expect(WorkTreeGuard.colliding(["src/app.c", "src/other.c"], with: touched) == ["src/app.c"])
        // An untracked file where the rollback needs a directory, and an untracked directory's
        // file where the rollback writes a file.
        #expect(WorkTreeGuard.colliding(["docs/new", "docs/newer"], with: touched) == ["docs/new"])
        #expect(WorkTreeGuard.colliding(["README/notes.txt"], with: touched) == ["README/notes.txt"])
        #expect(WorkTreeGuard.colliding([], with: touched).isEmpty)
    }

    @Test func percentilesAreNearestRank() {
        #expect(JournalStatistics.percentile([], 50) == 0)
        #expect(JournalStatistics.percentile([7], 95) == 7)
        #expect(JournalStatistics.percentile([1, 2, 3, 4], 50) == 2)
        #expect(JournalStatistics.percentile(Array(1...100), 95) == 95)
        #expect(JournalStatistics.percentile(Array(1...20), 95) == 19)
    }

    @Test func statisticsCountRollbacksByModeAndIgnoreUndos() throws {
        func entry(_ type: String, _ mode: String, _ status: String, _ ms: Int64) throws -> JournalEntry {
            try #require(JournalEntry(.object(["type": .string(type), "id": .string("\(type)\(ms)"), "mode": .string(mode),
                                               "status": .string(status), "durationMs": .int(ms),
                                               "start": "2026-11-23T10:00:00Z"])))
        }
        let stats = JournalStatistics([
            try entry("rollback", "revert", "succeeded", 100), try entry("rollback", "revert", "verification-failed-restored", 300),
            try entry("rollback", "reset", "succeeded", 50), try entry("undo", "undo", "succeeded", 10),
        ])
        #expect(stats.overall.count == 3 && stats.overall.succeeded == 2)
        #expect(stats.byMode.map(\.name) == ["reset", "revert"])
        #expect(stats.byMode[1].medianMilliseconds == 100 && stats.byMode[1].p95Milliseconds == 300)
    }

    @Test func revertMessageListsCommitsAndEndsWithTrailers() throws {
        let from = try #require(OID(hex: String(repeating: "a", count: 40)))
        let target = try #require(OID(hex: String(repeating: "b", count: 40)))
        let commits = (1...3).map { PlannedCommit(id: from, summary: "change \($0)", isMerge: false) }
        let message = RevertBuilder.revertMessage(id: "r1", head: .branch("refs/heads/main"), from: from, target: target,
                                                    targetName: "point p1", commits: commits, reason: "500s")
        #expect(message.hasPrefix("Roll back main to bbbbbbb (point p1)\n\n500s\n\nThis undoes 3 commits:\n"))
        let trailers = Trailers.parse(message)
        #expect(trailers.map(\.key) == ["Timeturner-Rollback", "Timeturner-From", "Timeturner-To"])
        #expect(trailers.map(\.value) == ["r1", from.hex, target.hex])
    }
}
