import GitKit
import Testing
@testable import TimeturnerCore
import TestSupport
internal import Glibc

/// A rollback approved in advance (`--yes`) takes the lock before it is planned and does not
/// read the work tree a second time. These tests hold that to what the second reading gave:
/// the lock is held while the plan is made and never left behind, and a file changed after the
/// plan is still never overwritten.
@Suite struct PlanningLockTests {
    let base = RollbackEngineTests()

    func request() -> RollbackRequest {
        RollbackRequest(target: "p1", verifyCommands: ["first"], level: .two)
    }

    func pipeline(_ repository: Repository, _ tiers: StandInTiers, _ configuration: TimeturnerConfiguration,
                  interruption: Interruption? = nil) -> RollbackPipeline {
        let engine = RollbackEngine(repository: repository, attribution: base.attribution, progress: SilentProgress(), tiers: tiers,
                                    verifier: StandInVerifier(failing: []), interruption: interruption)
        return RollbackPipeline(planner: RollbackPlanner(repository: repository, configuration: configuration), engine: engine,
                                attribution: base.attribution)
    }

    /// The lock file as the holder wrote it, or nil.
    func lockHolder(_ repo: ScratchRepository) -> String? { repo.read(".git/timeturner/lock") }

    @Test func anApprovalInAdvanceIsPlannedUnderTheLockWithSignalsWatched() async throws {
        let (repo, repository, tiers, configuration) = try await base.scenario()
        let interruption = Interruption()
        var seen: (lock: String?, armed: Bool, id: String)? = nil
        let last = try await pipeline(repository, tiers, configuration, interruption: interruption).run(
            request(), approval: .inAdvance,
            confirm: { (plan) throws(TimeturnerError) in
                seen = (lockHolder(repo), interruption.isArmed, plan.id)
                return try Approval(plan, consent: .assumeYes)
            }, attempted: { _ in })
        let (lock, armed, id) = try #require(seen)
        #expect(lock?.contains("\"id\":\"\(id)\"") == true && lock?.contains("\"pid\":\(getpid())") == true, "\(lock ?? "no lock")")
        #expect(armed)
        guard case .succeeded = last?.result.outcome else { Issue.record("\(String(describing: last?.result.outcome))"); return }
        #expect(lockHolder(repo) == nil && !repo.exists(".git/timeturner/state.jsonl"))
        #expect(repo.read("app.txt") == "v1\n" && repo.read("keep.txt") == "edited, not committed\n")
    }

    @Test func anApprovalAtThePromptIsPlannedWithoutTheLock() async throws {
        let (repo, repository, tiers, configuration) = try await base.scenario()
        let interruption = Interruption()
        var seen: (lock: String?, armed: Bool)? = nil
        let last = try await pipeline(repository, tiers, configuration, interruption: interruption).run(
            request(), approval: .afterThePlan,
            confirm: { (plan) throws(TimeturnerError) in
                seen = (lockHolder(repo), interruption.isArmed)
                return try Approval(plan, consent: .assumeYes)
            }, attempted: { _ in })
        #expect(seen?.lock == nil && seen?.armed == false)
        guard case .succeeded = last?.result.outcome else { Issue.record("\(String(describing: last?.result.outcome))"); return }
        #expect(lockHolder(repo) == nil)
    }

    /// Without the second reading, what protects a file edited after the plan was made is the
    /// safe checkout: it refuses to overwrite a file that differs from the tree it expects,
    /// the rollback is undone, and the edit is still there.
    @Test func aFileEditedAfterThePlanUnderTheLockIsNeverOverwritten() async throws {
        let (repo, repository, tiers, configuration) = try await base.scenario()
        let last = try await pipeline(repository, tiers, configuration).run(
            request(), approval: .inAdvance,
            confirm: { (plan) throws(TimeturnerError) in
                try? repo.write("app.txt", "saved by an editor meanwhile\n")
                return try Approval(plan, consent: .assumeYes)
            }, attempted: { _ in })
        let outcome = try #require(last?.result.outcome)
        #expect(RollbackEngineTests.name(of: outcome) == "failed-restored", "\(outcome)")
        #expect(repo.read("app.txt") == "saved by an editor meanwhile\n", "the edit was overwritten")
        #expect(tiers.state == ["config": "v3", "db": "v3"], "\(tiers.log) \(outcome)")
        #expect(try await repo.git("log", "-1", "--format=%s").trimmed == "v3")
        #expect(lockHolder(repo) == nil)
    }

    @Test func aRefusalWhilePlanningLeavesNoLock() async throws {
        let (repo, repository, tiers, configuration) = try await base.scenario()
        try repo.write("app.txt", "uncommitted\n")
        await #expect(throws: TimeturnerError.self) {
            try await pipeline(repository, tiers, configuration).run(
                request(), approval: .inAdvance,
                confirm: { (plan) throws(TimeturnerError) in try Approval(plan, consent: .assumeYes) }, attempted: { _ in })
        }
        #expect(lockHolder(repo) == nil && !repo.exists(".git/timeturner/state.jsonl"))
        #expect(tiers.log.isEmpty && repo.read("app.txt") == "uncommitted\n", "\(tiers.log)")
    }

    @Test func nothingToDoLeavesNoLock() async throws {
        let (repo, repository, tiers, configuration) = try await base.scenario()
        var request = request()
        request.target = "HEAD"
        request.level = nil
        let last = try await pipeline(repository, tiers, configuration).run(
            request, approval: .inAdvance,
            confirm: { (plan) throws(TimeturnerError) in try Approval(plan, consent: .assumeYes) }, attempted: { _ in })
        guard case .alreadyThere = last?.result.outcome else { Issue.record("\(String(describing: last?.result.outcome))"); return }
        #expect(lockHolder(repo) == nil)
    }

    @Test func aLockHeldByAnotherOperationRefusesBeforePlanning() async throws {
        let (repo, repository, tiers, configuration) = try await base.scenario()
        let held = try OperationDirectory(repository: repository).acquire(operation: "undo", id: "other", now: base.attribution.time)
        defer { held.release() }
        var planned = false
        do {
            _ = try await pipeline(repository, tiers, configuration).run(
                request(), approval: .inAdvance,
                confirm: { (plan) throws(TimeturnerError) in planned = true; return try Approval(plan, consent: .assumeYes) }, attempted: { _ in })
            Issue.record("a held lock did not refuse")
        } catch {
            #expect(error.kind == .locked && error.message.contains("undo other"), "\(error)")
        }
        #expect(!planned && tiers.log.isEmpty)
        #expect(lockHolder(repo)?.contains("\"id\":\"other\"") == true, "the other operation's lock was touched")
    }

    /// An undo approved in advance is planned under the lock the same way, and puts back what
    /// the rollback changed.
    @Test func anUndoApprovedInAdvanceIsPlannedUnderTheLock() async throws {
        let (repo, repository, tiers, configuration) = try await base.scenario()
        let before = try await repo.fingerprint()
        let rolledBack = try await pipeline(repository, tiers, configuration).run(
            request(), approval: .inAdvance,
            confirm: { (plan) throws(TimeturnerError) in try Approval(plan, consent: .assumeYes) }, attempted: { _ in })
        guard case .succeeded = rolledBack?.result.outcome else { Issue.record("\(String(describing: rolledBack?.result.outcome))"); return }
        let interruption = Interruption()
        let engine = RollbackEngine(repository: repository, attribution: base.attribution, progress: SilentProgress(), tiers: tiers,
                                    verifier: StandInVerifier(failing: []), interruption: interruption)
        var seen: (lock: String?, armed: Bool, id: String)? = nil
        let undone = try await UndoPipeline(planner: UndoPlanner(repository: repository, configuration: configuration), engine: engine,
                                            attribution: base.attribution).run(
            UndoRequest(rollbackID: nil, codeOnly: false, acceptDataLoss: false), approval: .inAdvance,
            confirm: { (plan) throws(TimeturnerError) in
                seen = (lockHolder(repo), interruption.isArmed, plan.id)
                return try Approval(plan, consent: .assumeYes)
            })
        let (lock, armed, id) = try #require(seen)
        #expect(lock?.contains("\"operation\":\"undo\"") == true && lock?.contains("\"id\":\"\(id)\"") == true, "\(lock ?? "no lock")")
        #expect(armed)
        guard case .succeeded = undone?.result.outcome else { Issue.record("\(String(describing: undone?.result.outcome))"); return }
        #expect(lockHolder(repo) == nil && !repo.exists(".git/timeturner/state.jsonl"))
        #expect(try await repo.fingerprint() == before)
        #expect(tiers.state == ["config": "v3", "db": "v3"])
    }

    /// A signal while the plan is made under the lock is recorded, not fatal: the engine stops
    /// before its first step and removes the lock, which a killed process would have left.
    @Test func aSignalWhilePlanningUnderTheLockStopsBeforeAnyChange() async throws {
        let (repo, repository, tiers, configuration) = try await base.scenario()
        let before = try await repo.fingerprint()
        let interruption = Interruption()
        let last = try await pipeline(repository, tiers, configuration, interruption: interruption).run(
            request(), approval: .inAdvance,
            confirm: { (plan) throws(TimeturnerError) in
                interruption.interrupt(SIGTERM)
                return try Approval(plan, consent: .assumeYes)
            }, attempted: { _ in })
        guard case .refused(let error) = last?.result.outcome else { Issue.record("\(String(describing: last?.result.outcome))"); return }
        #expect(error.kind == .interrupted(signal: SIGTERM), "\(error)")
        // Only the preflight's dry runs reached the tiers.
        #expect(tiers.log == ["preflight:config", "preflight:db"], "\(tiers.log)")
        #expect(lockHolder(repo) == nil && !repo.exists(".git/timeturner/state.jsonl"))
        #expect(try await repo.fingerprint() == before)
    }
}

/// What a guard may do with its lock once the deadline has passed.
@Suite struct LockDeadlineTests {
    /// Another operation took the lock after this one's was cleared as stale: releasing this one
    /// must leave the other's file alone; its own it removes.
    @Test func aLockIsReleasedOnlyByItsOwnHolder() async throws {
        let repo = try await ScratchRepository()
        _ = try await repo.commit("one", files: ["f": "1\n"])
        let directory = OperationDirectory(repository: try Repository.open(path: repo.path))
        let now = Timestamp.now()
        let mine = try directory.acquire(operation: "guard", id: "guard-1", now: now,
                                         deadline: Timestamp(secondsSinceEpoch: now.secondsSinceEpoch - 1))
        #expect(try directory.clearStaleLock()?.id == "guard-1")
        // Cleared by moving it aside first (so that a lock taken meanwhile is put back): nothing
        // is left aside.
        #expect(!directory.lockExists && !repo.exists(".git/timeturner/lock.clearing.\(getpid())"))
        let theirs = try directory.acquire(operation: "rollback", id: "rollback-2", now: now)
        mine.release()
        #expect(directory.currentHolder()?.id == "rollback-2")
        theirs.release()
        #expect(!directory.lockExists)
    }

    /// An answer at the question that comes once the deadline has passed counts as keep.
    @Test(arguments: [GuardInterruptChoice.rollBack, .continueWatching, .keepUnverified])
    func anAnswerAfterTheDeadlineKeepsTheCommitUnverified(_ answer: GuardInterruptChoice) async {
        let record = InterruptChoiceRecord()
        let past = Timestamp(secondsSinceEpoch: Timestamp.now().secondsSinceEpoch - 1)
        let sampling = await record.ask({ _, _ in answer }, after: SIGINT, deadline: past)
        #expect(record.chosen == .keepUnverified)
        #expect(sampling == .stop)
        // Before the deadline, the answer stands.
        let future = Timestamp(secondsSinceEpoch: Timestamp.now().secondsSinceEpoch + 60)
        let standing = InterruptChoiceRecord()
        _ = await standing.ask({ _, _ in answer }, after: SIGINT, deadline: future)
        #expect(standing.chosen == answer)
    }
}
