import Testing
import TestSupport

/// Scenario 2 of shared/docs/scenarios.md: concurrent writers on the registry never lose a mark.
@Suite struct RegistryConcurrencyTests {
    @Test func twentyProcessesMarkingTenCommitsEachLeaveExactlyTwoHundredMarks() async throws {
        let repo = try await ScratchRepository()
        let commits = try await repo.commits(10)
        let failures = try await withThrowingTaskGroup(of: [ProcessResult].self) { group in
            for worker in 0..<20 {
                group.addTask {
                    var failed: [ProcessResult] = []
                    for commit in commits {
                        let result = try await repo.timeturner("good", commit, "--env", "production", "--evidence", "worker \(worker)")
                        if result.status != 0 { failed.append(result) }
                    }
                    return failed
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(failures.isEmpty, "\(failures)")

        let lines = try await repo.git("show", "refs/timeturner/registry:marks/production/2026-11.jsonl").lines
        #expect(lines.count == 200)
        let ids = lines.compactMap { line -> String? in
            // The canonical line has exactly one "id" key; its value follows `"id":"`.
            let parts = line.split(separator: "\"id\":\"", maxSplits: 1)
            return parts.count == 2 ? String(parts[1].prefix { $0 != "\"" }) : nil
        }
        #expect(ids.count == 200 && Set(ids).count == 200)
        // Each worker marked each commit exactly once.
        for worker in 0..<20 {
            #expect(lines.filter { $0.contains("\"evidence\":\"worker \(worker)\"") }.count == 10)
        }
        // One registry commit per mark, in one linear chain.
        #expect(try await repo.git("rev-list", "--count", "refs/timeturner/registry").trimmed == "200")
        #expect(try await repo.git("rev-list", "--merges", "refs/timeturner/registry").isEmpty)
        let listed = try await repo.timeturner("registry", "list", "--json")
        #expect(listed.stdout.lines.filter { $0.contains("\"type\": \"good\"") }.count == 200)
        #expect(try await repo.gitResult(["fsck", "--no-progress", "--strict"]).status == 0)
    }
}
