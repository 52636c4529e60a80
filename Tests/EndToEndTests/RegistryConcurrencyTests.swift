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

    @Test func processesRacingToCreateTheRegistryAllKeepTheirMarks() async throws {
        // The first write creates refs/timeturner/registry; libgit2 1.5.1's plain "create" checked
        // for the ref before taking its lock, so one racing creator's root commit could silently
        // replace another's. Several fresh registries, each created by 12 processes at once.
        for round in 0..<20 {
            let repo = try await ScratchRepository()
            let commits = try await repo.commits(2)
            let results = try await withThrowingTaskGroup(of: ProcessResult.self) { group in
                for worker in 0..<12 {
                    group.addTask { try await repo.timeturner("good", commits[worker % 2], "--env", "production") }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.allSatisfy { $0.status == 0 }, "round \(round): \(results.filter { $0.status != 0 })")
            let lines = try await repo.git("show", "refs/timeturner/registry:marks/production/2026-11.jsonl").lines
            #expect(lines.count == 12, "round \(round)")
            #expect(try await repo.git("rev-list", "--count", "refs/timeturner/registry").trimmed == "12")
        }
    }
}
