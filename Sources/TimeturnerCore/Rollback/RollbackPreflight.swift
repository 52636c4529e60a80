internal import Glibc
import GitKit

/// What the preflight found for one tier: its executor's own words for what the rollback will
/// do (asked with `dryRun: true`, so artifacts are checked for existence and checksum by the
/// executor that will use them), how long it took before, and what stops it.
public struct TierPreflight: Sendable, Equatable {
    public let tier: String
    public let executor: String
    /// The executor's dry-run answer (`would pg_restore --clean --if-exists …`).
    public let action: String?
    /// The mean of this tier's last successful rollbacks with this executor, from the journal.
    public let expectedMilliseconds: Int64?
    /// Why the rollback of this tier cannot go ahead (nil: nothing found).
    public let problem: String?
}

/// Asks every tier's executor, before anything runs (in `--dry-run` too), whether the rollback
/// can be done, and checks that the artifacts directory has room for the present-state
/// captures the rollback takes first. A plan with a problem is refused before the prompt.
struct RollbackPreflight {
    let repository: Repository
    let tiers: any TierDriver

    func check(_ plan: RollbackPlan) async -> [TierPreflight] {
        let history = expectedDurations()
        var found: [TierPreflight] = []
        for tier in plan.tiers {
            var action: String?, problem: String?
            do {
                let context = TierCallContext(from: plan.code.from, to: tier.targetCommit ?? plan.code.target)
                action = try await tiers.rollback(tier.assignment, to: tier.target, point: tier.point, context: context, dryRun: true).message
            } catch {
                problem = ([error.message] + error.causes).joined(separator: "; ")
            }
            found.append(TierPreflight(tier: tier.name, executor: tier.assignment.executor, action: action,
                                       expectedMilliseconds: history["\(tier.name) \(tier.assignment.executor)"], problem: problem))
        }
        if let space = spaceProblem(plan), let first = found.first {
            found[0] = TierPreflight(tier: first.tier, executor: first.executor, action: first.action,
                                     expectedMilliseconds: first.expectedMilliseconds,
                                     problem: [first.problem, space].compactMap { $0 }.joined(separator: "; "))
        }
        return found
    }

    /// Mean duration of the last five successful rollbacks of each tier and executor.
    private func expectedDurations() -> [String: Int64] {
        guard let entries = try? RollbackJournal(repository: repository).entries().entries else { return [:] }
        var seen: [String: [Int64]] = [:]
        for entry in entries.reversed() {
            for record in entry.typed?.tiers ?? [] where record.succeeded && record.tier != Tier.code {
                let key = "\(record.tier) \(record.executor ?? "")"
                if (seen[key]?.count ?? 0) < 5 { seen[key, default: []].append(record.durationMs) }
            }
        }
        return seen.mapValues { $0.reduce(0, +) / Int64($0.count) }
    }

    /// The present-state captures are about the size of the captures the tiers return to (a
    /// dump of the same database): the file system holding them needs that much, and a margin.
    private func spaceProblem(_ plan: RollbackPlan) -> String? {
        let needed = plan.tiers.compactMap { $0.target["size"]?.intValue }.reduce(0, +)
        guard needed > 0 else { return nil }
        let directory = OperationDirectory(repository: repository).path
        var info = statvfs()
        let probe = LocalFile.exists(directory) ? directory : repository.gitDirectory
        guard statvfs(probe, &info) == 0 else { return nil }
        let free = Int64(info.f_bavail) * Int64(info.f_frsize)
        guard free < needed + needed / 5 else { return nil }
        return "only \(free / 1_048_576) MiB are free in \(probe), and the captures of the present state taken first need about \(needed / 1_048_576 + 1) MiB; free some space first"
    }
}

extension RollbackEngine {
    /// The plan with every tier's dry-run answer; refused (nothing changed) when a tier says it
    /// cannot be rolled back, or the captures taken first would not fit.
    public func preflighted(_ plan: RollbackPlan) async throws(TimeturnerError) -> RollbackPlan {
        guard !plan.tiers.isEmpty else { return plan }
        var plan = plan
        plan.preflight = await RollbackPreflight(repository: repository, tiers: tiers).check(plan)
        let problems = plan.preflight.filter { $0.problem != nil }
        guard problems.isEmpty else {
            throw TimeturnerError(.refused, "the preflight found that the rollback cannot be done; nothing was changed",
                                  hint: "fix what is named, then plan again (--dry-run runs the same checks)",
                                  causes: problems.map { "\($0.tier) (\($0.executor)): \($0.problem ?? "")" })
        }
        return plan
    }

}
