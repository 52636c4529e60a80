import Testing
import TestSupport
import TimeturnerCore
@testable import TimeturnerExecutors

/// Rolling back several tiers in order with real executors, and undoing them in reverse order
/// when one fails.
@Suite struct TierRollbackSessionTests {
    let directory: String
    let runner: ExecutorTierRunner

    init() throws {
        directory = try makeTemporaryDirectory("tier-session")
        runner = ExecutorTierRunner(environment: ["PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": directory],
                                    repositoryPath: directory) { _, _ in }
    }

    var deploy: TierAssignment {
        TierAssignment(tier: "deploy", executor: "command", settings: [
            "capture": ["cat deployed"], "rollback": [#"printf '%s\n' "$TIMETURNER_CAPTURE" > deployed"#],
            "verify": ["grep -qv broken deployed"],
        ])
    }
    var config: TierAssignment {
        TierAssignment(tier: "config", executor: "files", settings: ["path": ["app.env"], "backupdir": [directory + "/backups"]])
    }
    /// A system tier whose rollback to the point's state fails (after half-changing it), while
    /// restoring the state from just before the rollback works.
    var failingSystem: TierAssignment {
        TierAssignment(tier: "system", executor: "command", settings: [
            "capture": ["cat sysstate"],
            "rollback": [#"printf '%s\n' "$TIMETURNER_CAPTURE" > sysstate; if [ "$TIMETURNER_CAPTURE" = at-point ]; then echo kernel downgrade failed >&2; exit 4; fi"#],
        ])
    }

    func text(_ name: String) -> String { String(decoding: readFile(directory + "/" + name) ?? [], as: UTF8.self) }

    /// Captures every tier as a point would, then breaks the deploy and the config.
    func capturedThenBroken(_ tiers: [TierAssignment]) async throws -> [TierCaptureRecord] {
        try writeFile(directory + "/deployed", Array("v1\n".utf8))
        try writeFile(directory + "/app.env", Array("DB=primary\n".utf8), mode: 0o600)
        try writeFile(directory + "/sysstate", Array("at-point\n".utf8))
        var records: [TierCaptureRecord] = []
        for tier in tiers {
            let outcome = try await runner.capture(tier, point: PointReference(id: "p1", commit: "c"), dryRun: false)
            records.append(TierCaptureRecord(point: "p1", tier: tier.tier, executor: tier.executor, capture: outcome.capture!,
                                             at: Timestamp(secondsSinceEpoch: 0)))
        }
        try writeFile(directory + "/deployed", Array("v2 broken\n".utf8))
        try writeFile(directory + "/app.env", Array("DB=typo\n".utf8), mode: 0o644)
        try writeFile(directory + "/sysstate", Array("now\n".utf8))
        return records
    }

    @Test func tiersRollBackInOrderAndEachIsVerified() async throws {
        let tiers = [config, deploy]
        let session = try TierRollbackSession(tiers: tiers, captures: try await capturedThenBroken(tiers),
                                              point: PointReference(id: "p1", commit: "c"), executing: runner)
        #expect(session.plannedCalls == [
            "deploy: command capture (the present state, to restore on failure)",
            "config: files capture (the present state, to restore on failure)",
            #"deploy: command rollback to {"output":"v1"}"#, "deploy: command verify",
        ] + session.plannedCalls.suffix(2))
        #expect(session.plannedCalls[4].hasPrefix("config: files rollback to {\"archive\":"))
        try await session.captureBefore()
        for tier in session.tiers.map(\.tier) { try await session.rollBack(tier) }
        #expect(text("deployed") == "v1\n")
        #expect(text("app.env") == "DB=primary\n")
        let steps = await session.steps
        #expect(steps.map { "\($0.tier) \($0.action.rawValue) \($0.succeeded)" } == [
            "deploy capture-before true", "config capture-before true",
            "deploy rollback true", "deploy verify true", "config rollback true", "config verify true",
        ])
    }

    @Test func aFailingTierRestoresTheOthersInReverseOrder() async throws {
        let tiers = [deploy, config, failingSystem]
        let session = try TierRollbackSession(tiers: tiers, captures: try await capturedThenBroken(tiers), point: nil, executing: runner)
        try await session.captureBefore()
        do {
            for tier in session.tiers.map(\.tier) { try await session.rollBack(tier) }
            Issue.record("the failing system tier passed")
        } catch {
            #expect(error.tier == "system")
            #expect(error.restored)
            #expect(error.error.message.contains("executor 'command' failed to rollback the system tier"))
        }
        // Back to exactly the state before the rollback, not to the point's.
        #expect(text("deployed") == "v2 broken\n")
        #expect(text("app.env") == "DB=typo\n")
        #expect(text("sysstate") == "now\n")
        let steps = await session.steps.map { "\($0.tier) \($0.action.rawValue) \($0.succeeded)" }
        #expect(Array(steps.suffix(4)) == ["system rollback false", "system restore true", "config restore true", "deploy restore true"])
    }

    @Test func aPointWithoutACaptureForATierIsRefusedBeforeAnythingRuns() async throws {
        do {
            _ = try TierRollbackSession(tiers: [deploy, config], captures: [], point: PointReference(id: "old", commit: "c"), executing: runner)
            Issue.record("a session without captures was created")
        } catch {
            #expect(error.kind == .refused)
            #expect(error.message.contains("has no capture for the deploy, config tier(s)"))
        }
    }
}
