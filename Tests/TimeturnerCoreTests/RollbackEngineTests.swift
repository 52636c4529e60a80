import GitKit
import Synchronization
import Testing
@testable import TimeturnerCore
import TestSupport
internal import Glibc

/// Tiers whose state is a word held in memory, so a test can see exactly what each call did and
/// make any call fail. `capture` returns `{"state": <word>}`; `rollback` sets the word.
final class StandInTiers: TierDriver, Sendable {
    let world: Mutex<[String: String]>
    let calls = Mutex<[String]>([])
    /// Calls that fail, as `<verb>:<tier>`: `capture:db`, `rollback:db`, `verify:db`, `restore:db`.
    let failing: Mutex<Set<String>>
    /// Run once at the first call of the named verb (e.g. to change the repository mid-operation).
    let sideEffect: Mutex<(verb: String, action: @Sendable () -> Void)?> = Mutex(nil)

    init(_ world: [String: String], failing: Set<String> = []) {
        self.world = Mutex(world)
        self.failing = Mutex(failing)
    }

    private func call(_ verb: String, _ tier: TierAssignment) throws(TimeturnerError) {
        calls.withLock { $0.append("\(verb):\(tier.tier)") }
        let effect = sideEffect.withLock { (current: inout (verb: String, action: @Sendable () -> Void)?) -> (@Sendable () -> Void)? in
            guard let pending = current, pending.verb == verb else { return nil }
            current = nil
            return pending.action
        }
        effect?()
        if failing.withLock({ $0.contains("\(verb):\(tier.tier)") }) {
            throw TimeturnerError(.failure, "stand-in \(verb) of \(tier.tier) failed")
        }
    }

    /// Every call's context, as `<verb>:<tier> <from> <to>` (short ids).
    let contexts = Mutex<[String]>([])

    private func note(_ verb: String, _ tier: TierAssignment, _ context: TierCallContext) {
        contexts.withLock { $0.append("\(verb):\(tier.tier) \(context.from?.short ?? "-") \(context.to?.short ?? "-")") }
    }

    func capture(_ tier: TierAssignment, point: PointReference?, context: TierCallContext, dryRun: Bool) async throws(TimeturnerError) -> TierCallOutcome {
        note("capture", tier, context)
        try call("capture", tier)
        return TierCallOutcome(capture: .object(["state": .string(world.withLock { $0[tier.tier] ?? "" })]))
    }

    func rollback(_ tier: TierAssignment, to capture: JSONValue, point: PointReference?, context: TierCallContext, dryRun: Bool) async throws(TimeturnerError) -> TierCallOutcome {
        // The preflight asks with `dryRun`: it is logged as such and changes nothing.
        if dryRun {
            note("preflight", tier, context)
            try call("preflight", tier)
            return TierCallOutcome(message: "would be \(capture["state"]?.stringValue ?? "")")
        }
        note(point == nil ? "restore" : "rollback", tier, context)
        // A restore is a rollback to the state captured just before (no point).
        try call(point == nil ? "restore" : "rollback", tier)
        world.withLock { $0[tier.tier] = capture["state"]?.stringValue ?? "" }
        return TierCallOutcome(message: "now \(capture["state"]?.stringValue ?? "")")
    }

    func verify(_ tier: TierAssignment, context: TierCallContext, dryRun: Bool) async throws(TimeturnerError) -> TierCallOutcome {
        try call("verify", tier)
        return TierCallOutcome()
    }

    var state: [String: String] { world.withLock { $0 } }
    var log: [String] { calls.withLock { $0 } }
}

/// Passes every command except those listed.
struct StandInVerifier: Verifying {
    let failing: Set<String>
    func verify(_ command: String, in directory: String, timeout: TimeSpan, progress: any RollbackProgress,
                interruption: Interruption?, started: @escaping @Sendable (Int32) -> Void) async -> VerificationOutcome {
        VerificationOutcome(command: command, ending: failing.contains(command) ? .exited(1) : .exited(0), durationMilliseconds: 1)
    }
}

struct SilentProgress: RollbackProgress {
    func report(_ event: ProgressEvent) {}
}

/// Keeps the warnings an operation reports.
final class WarningLog: RollbackProgress {
    let items = Mutex<[String]>([])
    func report(_ event: ProgressEvent) { if case .warning(let text) = event { items.withLock { $0.append(text) } } }
}

/// The engine with stand-in tiers and verifiers: a failure injected at every step ends in the
/// documented outcome, and wherever the outcome says "restored", the repository (refs, index,
/// work tree, untracked files) and every tier are exactly as before.
@Suite struct RollbackEngineTests {
    static let tierNames = ["config", "db"]
    let attribution = Attribution(name: "Test", email: "test@example.com", time: Timestamp(secondsSinceEpoch: HermeticEnvironment.epoch + 500))

    /// v1 (point p1 with captures of config=v1, db=v1), then v2 and v3; the tiers are at v3; a
    /// dirty tracked file and an untracked file the rollback does not touch.
    func scenario(failing: Set<String> = []) async throws -> (ScratchRepository, Repository, StandInTiers, TimeturnerConfiguration) {
        let repo = try await ScratchRepository()
        try await repo.commit("v1", files: ["app.txt": "v1\n", "keep.txt": "keep\n"])
        let repository = try Repository.open(path: repo.path)
        let tiers = StandInTiers(["config": "v1", "db": "v1"])
        let configuration = Self.configuration(path: repo.path)
        _ = try await PointStore(repository: repository).createCapturing(
            .init(message: "before v2", name: "p1"), tiers: try configuration.tierAssignments(), executing: tiers, by: attribution)
        try await repo.commit("v2", files: ["app.txt": "v2\n", "new.txt": "new\n"])
        try await repo.commit("v3", files: ["app.txt": "v3\n"])
        tiers.world.withLock { $0 = ["config": "v3", "db": "v3"] }
        tiers.failing.withLock { $0 = failing }
        tiers.calls.withLock { $0 = [] }
        try repo.write("keep.txt", "edited, not committed\n")
        try repo.write("scratch.txt", "untracked\n")
        return (repo, repository, tiers, configuration)
    }

    static func configuration(path: String) -> TimeturnerConfiguration {
        let settings = tierNames.map { ConfigurationSetting(key: "timeturner.tier.\($0).executor", value: "stand-in", origin: .commandLine) }
        return TimeturnerConfiguration(settings: settings, sharedFile: nil, trust: .noSharedFile, repositoryPath: path)
    }

    func engine(_ repository: Repository, _ tiers: StandInTiers, failingVerification: Set<String> = []) -> RollbackEngine {
        RollbackEngine(repository: repository, attribution: attribution, progress: SilentProgress(), tiers: tiers,
                       verifier: StandInVerifier(failing: failingVerification))
    }

    func plan(_ repository: Repository, _ configuration: TimeturnerConfiguration, mode: RollbackMode = .revert) throws -> RollbackPlan {
        try RollbackPlanner(repository: repository, configuration: configuration).plan(
            RollbackRequest(target: "p1", mode: mode, verifyCommands: ["first", "second"], level: .two), by: attribution)
    }

    @Test func thePlanIsTheListOfStepsTheEngineRuns() async throws {
        let (repo, repository, tiers, configuration) = try await scenario()
        let plan = try plan(repository, configuration)
        // Phases: the data first, while the code being left is in place, then the configuration,
        // then the code; each tier verifies once everything is in place.
        #expect(plan.steps == [.takeLock, .captureTier("config"), .captureTier("db"), .writeSafetyBackup,
                               .rollBackTier("db"), .rollBackTier("config"), .moveBranch, .updateWorkTree,
                               .verifyTier("db"), .verifyTier("config"), .runVerification(0), .runVerification(1), .writeJournal])
        let result = await engine(repository, tiers).execute(plan, approval: try Approval(plan, consent: .assumeYes))
        guard case .succeeded = result.outcome else { Issue.record("\(result.outcome)"); return }
        #expect(tiers.log == ["capture:config", "capture:db", "rollback:db", "rollback:config", "verify:db", "verify:config"])
        // Every call says which code it is about: captures and rollbacks from v3 (HEAD, the code
        // being left: the db rollback runs before the branch moves) to v1 (the point's commit).
        let v1 = try #require(OID(hex: try await repo.git("rev-parse", "HEAD~3").trimmed)).short
        let v3 = try #require(OID(hex: try await repo.git("rev-parse", "HEAD~1").trimmed)).short
        #expect(tiers.contexts.withLock { $0 }.filter { $0.hasPrefix("rollback") } == ["rollback:db \(v3) \(v1)", "rollback:config \(v3) \(v1)"])
        #expect(tiers.state == ["config": "v1", "db": "v1"])
        #expect(repo.read("app.txt") == "v1\n" && repo.read("keep.txt") == "edited, not committed\n" && repo.read("scratch.txt") == "untracked\n")
        // The journal event is typed and has the level, the tiers with their captures, the attempt.
        let event = try #require(result.event)
        #expect(event.level == 2 && event.attempt == 1 && event.status == .succeeded)
        #expect(event.tiers?.map { "\($0.tier) \($0.status)" } == ["db succeeded", "config succeeded", "code succeeded"])
        #expect(event.tiers?[1].capture?["state"]?.stringValue == "v1" && event.tiers?[1].start != nil)
        #expect(event.captures?.map { "\($0.tier)=\($0.capture?["state"]?.stringValue ?? "")" } == ["config=v3", "db=v3"])
        let journal = try await repo.git("show", "refs/timeturner/registry:journal/2026-11.jsonl")
        #expect(journal.contains("\"level\":2") && journal.contains("\"attempt\":1") && journal.contains("\"captures\":["))
        // The event returned is the line as written, field for field (the time and the clone the
        // ledger filled in included), not the event before it was written.
        let line = try #require(journal.split(separator: "\n").last)
        let written = try #require(JSONValue.parseDocument(Array(line.utf8)).flatMap(RollbackJournal.event(from:)))
        #expect(event == written && event.at != nil && event.clone != nil)
    }

    /// Every step that can fail, the outcome it must end in, and the tier calls it must make.
    static let injected: [(name: String, tiers: Set<String>, verification: Set<String>, outcome: String, calls: [String])] = [
        ("capture config", ["capture:config"], [], "refused", ["capture:config"]),
        ("capture db", ["capture:db"], [], "refused", ["capture:config", "capture:db"]),
        // The first tier fails without changing anything (a fresh capture equals the one before):
        // nothing changed at all, so nothing is restored or journaled.
        ("rollback db", ["rollback:db"], [], "refused", ["capture:config", "capture:db", "rollback:db", "capture:db"]),
        // The second fails the same way: only the first is put back.
        ("rollback config", ["rollback:config"], [], "tier-failed-restored",
         ["capture:config", "capture:db", "rollback:db", "rollback:config", "capture:config", "restore:db"]),
        ("verify db", ["verify:db"], [], "tier-failed-restored",
         ["capture:config", "capture:db", "rollback:db", "rollback:config", "verify:db", "restore:config", "restore:db"]),
        ("verify config", ["verify:config"], [], "tier-failed-restored",
         ["capture:config", "capture:db", "rollback:db", "rollback:config", "verify:db", "verify:config", "restore:config", "restore:db"]),
        ("first verification", [], ["first"], "verification-failed-restored",
         ["capture:config", "capture:db", "rollback:db", "rollback:config", "verify:db", "verify:config", "restore:config", "restore:db"]),
        ("second verification", [], ["second"], "verification-failed-restored",
         ["capture:config", "capture:db", "rollback:db", "rollback:config", "verify:db", "verify:config", "restore:config", "restore:db"]),
    ]

    @Test(arguments: injected.indices)
    func aFailureAtAnyStepEndsInTheDocumentedOutcome(index: Int) async throws {
        let injected = Self.injected[index]
        let (repo, repository, tiers, configuration) = try await scenario(failing: injected.tiers)
        let before = try await repo.fingerprint()
        let plan = try plan(repository, configuration)
        let result = await engine(repository, tiers, failingVerification: injected.verification)
            .execute(plan, approval: try Approval(plan, consent: .assumeYes))
        #expect(Self.name(of: result.outcome) == injected.outcome, "\(injected.name): \(result.outcome)")
        #expect(tiers.log == injected.calls, "\(injected.name)")
        #expect(try await repo.fingerprint() == before, "\(injected.name)")
        #expect(tiers.state == ["config": "v3", "db": "v3"], "\(injected.name)")
        #expect(!repo.exists(".git/timeturner/lock") && !repo.exists(".git/timeturner/state.jsonl"))
        if injected.outcome == "refused" {
            #expect(result.event == nil)
            #expect(try await repo.git("for-each-ref", "refs/timeturner/safety").isEmpty)
        } else {
            #expect(result.event?.status.rawValue == injected.outcome)
            #expect(result.event?.failedStep != nil)
            #expect(try await repo.git("show", "refs/timeturner/registry:journal/2026-11.jsonl").contains("\"status\":\"\(injected.outcome)\""))
        }
    }

    @Test func aHeldLockRefusesBeforeAnythingRuns() async throws {
        let (repo, repository, tiers, configuration) = try await scenario()
        let before = try await repo.fingerprint()
        let plan = try plan(repository, configuration)
        let held = try OperationDirectory(repository: repository).acquire(operation: "rollback", id: "other", now: attribution.time)
        let result = await engine(repository, tiers).execute(plan, approval: try Approval(plan, consent: .assumeYes))
        guard case .refused(let error) = result.outcome else { Issue.record("\(result.outcome)"); return }
        #expect(error.kind == .locked && error.message.contains("rollback other"))
        #expect(tiers.log.isEmpty)
        #expect(try await repo.fingerprint() == before)
        #expect(repo.exists(".git/timeturner/lock"), "the holder's lock must stay")
        held.release()
    }

    @Test func aFailingSafetyBackupRefusesBeforeAnythingChanges() async throws {
        let (repo, repository, tiers, configuration) = try await scenario()
        let before = try await repo.fingerprint()
        let plan = try plan(repository, configuration)
        // The backup's ref already exists: it is never overwritten.
        try await repo.git("update-ref", plan.safetyRef, "HEAD")
        let result = await engine(repository, tiers).execute(plan, approval: try Approval(plan, consent: .assumeYes))
        guard case .refused(let error) = result.outcome else { Issue.record("\(result.outcome)"); return }
        #expect(error.message.contains("already exists"))
        #expect(tiers.log == ["capture:config", "capture:db"])
        #expect(try await repo.fingerprint() == before)
    }

    @Test func aCommitBeforeTheBranchMovesRefusesAndChangesNothing() async throws {
        let (repo, repository, tiers, configuration) = try await scenario()
        let plan = try plan(repository, configuration)
        // Someone commits while the tiers are being captured (after the plan was checked under the lock).
        tiers.sideEffect.withLock { $0 = ("capture", { _ = try? runSynchronously(repo, ["commit", "-q", "--allow-empty", "-m", "urgent"]) }) }
        let result = await engine(repository, tiers).execute(plan, approval: try Approval(plan, consent: .assumeYes))
        guard case .refused(let error) = result.outcome else { Issue.record("\(result.outcome)"); return }
        #expect(error.message.contains("HEAD changed since the rollback was planned"))
        #expect(try await repo.git("log", "-1", "--format=%s").trimmed == "urgent")
        #expect(repo.read("app.txt") == "v3\n" && tiers.state == ["config": "v3", "db": "v3"])
        #expect(try await repo.git("for-each-ref", "refs/timeturner/safety").isEmpty)
    }

    @Test func aWorkTreeThatCannotBeUpdatedIsRestoredAndNothingIsClobbered() async throws {
        let (repo, repository, tiers, configuration) = try await scenario()
        let before = try await repo.fingerprint()
        let plan = try plan(repository, configuration)
        #expect(plan.code.changes.contains { $0.path == "new.txt" })
        // Someone edits a file the rollback deletes after the check under the lock: the safe
        // checkout refuses to delete an edited file, and the edit survives the restore.
        tiers.sideEffect.withLock { $0 = ("capture", { try? writeFile(repo.path + "/new.txt", Array("mine\n".utf8)) }) }
        let result = await engine(repository, tiers).execute(plan, approval: try Approval(plan, consent: .assumeYes))
        #expect(Self.name(of: result.outcome) == "failed-restored", "\(result.outcome)")
        #expect(repo.read("new.txt") == "mine\n", "the edit was clobbered")
        try repo.write("new.txt", "new\n")
        let after = try await repo.fingerprint()
        #expect(after == before, "\(before)\n----\n\(after)")
        // The tiers that ran before the code (data, configuration) are put back, newest first.
        #expect(tiers.log == ["capture:config", "capture:db", "rollback:db", "rollback:config", "restore:config", "restore:db"])
        #expect(tiers.state == ["config": "v3", "db": "v3"])
    }

    @Test func aFailedRestoreKeepsTheStateForRecoverAndSaysSo() async throws {
        let (repo, repository, tiers, configuration) = try await scenario(failing: ["verify:db", "restore:config"])
        let plan = try plan(repository, configuration)
        let result = await engine(repository, tiers).execute(plan, approval: try Approval(plan, consent: .assumeYes))
        guard case .restoreFailed(let failure, let errors) = result.outcome else { Issue.record("\(result.outcome)"); return }
        #expect(failure.step == .verifyTier("db") && errors.count == 1)
        #expect(result.error?.kind == .verificationFailedRestoreFailed)
        #expect(result.error?.hint?.contains(plan.safetyRef) == true)
        // The db and the code were put back; config could not be; the state stays for recover.
        #expect(tiers.state["db"] == "v3" && tiers.state["config"] == "v1")
        #expect(repo.read("app.txt") == "v3\n")
        #expect(repo.exists(".git/timeturner/state.jsonl") && !repo.exists(".git/timeturner/lock"))
        #expect(result.event?.status == .restoreFailed && result.event?.restoreError?.contains("config") == true)
    }

    @Test func aJournalThatCannotBeWrittenIsAWarningNotAFailure() async throws {
        let (repo, repository, tiers, configuration) = try await scenario()
        let plan = try plan(repository, configuration)
        // The registry ref points at a blob: appending to it fails at once.
        let blob = try await repo.git("hash-object", "-w", "--stdin", input: "not a commit\n").trimmed
        try await repo.git("update-ref", "refs/timeturner/registry", blob)
        let warnings = WarningLog()
        let engine = RollbackEngine(repository: repository, attribution: attribution, progress: warnings,
                                    tiers: tiers, verifier: StandInVerifier(failing: []))
        let result = await engine.execute(plan, approval: try Approval(plan, consent: .assumeYes))
        guard case .succeeded = result.outcome else { Issue.record("\(result.outcome)"); return }
        #expect(repo.read("app.txt") == "v1\n")
        #expect(warnings.items.withLock { $0 }.contains { $0.contains("could not write the journal event") })
        #expect(!repo.exists(".git/timeturner/state.jsonl"))
    }

    @Test func anApprovalIsBoundToItsPlanAndTheWordMustMatch() async throws {
        let (repo, repository, tiers, configuration) = try await scenario()
        let first = try plan(repository, configuration)
        let second = try plan(repository, configuration)
        #expect(throws: TimeturnerError.self) { try Approval(first, consent: .typed("yes")) }
        let before = try await repo.fingerprint()
        let result = await engine(repository, tiers).execute(second, approval: try Approval(first, consent: .typed("rollback")))
        guard case .refused(let error) = result.outcome else { Issue.record("\(result.outcome)"); return }
        #expect(error.message.contains("another plan"))
        #expect(tiers.log.isEmpty)
        #expect(try await repo.fingerprint() == before)
    }

    @Test func aFileEditedWhileThePromptWaitsMakesThePlanStale() async throws {
        let (repo, repository, tiers, configuration) = try await scenario()
        let plan = try plan(repository, configuration)
        try repo.write("app.txt", "autosaved by an editor\n")
        let result = await engine(repository, tiers).execute(plan, approval: try Approval(plan, consent: .assumeYes))
        guard case .refused(let error) = result.outcome else { Issue.record("\(result.outcome)"); return }
        #expect(error.kind == .refused && error.message.contains("the work tree changed since the rollback was planned: app.txt"))
        #expect(repo.read("app.txt") == "autosaved by an editor\n" && tiers.log.isEmpty)
    }

    @Test func escalationIsAPolicyOfCore() async throws {
        let (repo, repository, tiers, configuration) = try await scenario()
        defer { withExtendedLifetime(repo) {} }
        let planner = RollbackPlanner(repository: repository, configuration: configuration)
        let request = RollbackRequest(target: "p1", verifyCommands: ["first"], level: .one, escalate: true)
        var attempts: [RollbackAttempt] = []
        let last = try await RollbackPipeline(planner: planner, engine: engine(repository, tiers, failingVerification: ["first"]),
                                              attribution: attribution)
            .run(request, confirm: { (plan) throws(TimeturnerError) in try Approval(plan, consent: .assumeYes) }, attempted: { attempts.append($0) })
        #expect(attempts.map { $0.plan.request.level?.rawValue } == [1, 2, 3])
        #expect(attempts.map(\.escalatingTo?.rawValue) == [2, 3, nil])
        #expect(attempts[1].plan.request.escalatedFrom == attempts[0].plan.id && attempts[2].plan.request.attempt == 3)
        #expect(attempts[1].plan.tiers.map(\.name) == ["config", "db"])
        #expect(last?.result.event?.escalatedFrom == attempts[1].plan.id)
    }

    static func name(of outcome: OperationOutcome) -> String {
        switch outcome {
        case .succeeded: "succeeded"
        case .refused: "refused"
        default: outcome.journalStatus.rawValue
        }
    }
}

/// Runs git synchronously from inside a stand-in's callback (which is not async).
@discardableResult
func runSynchronously(_ repo: ScratchRepository, _ arguments: [String]) throws -> Int32 {
    var pid: pid_t = 0
    let argv = (["git", "-C", repo.path] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    let environment = repo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { environment.forEach { free($0) } }
    guard posix_spawnp(&pid, "git", nil, nil, argv, environment) == 0 else { return -1 }
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    return status
}
