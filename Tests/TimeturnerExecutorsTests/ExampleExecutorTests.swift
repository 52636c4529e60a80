import Testing
import TestSupport
import TimeturnerCore
@testable import TimeturnerExecutors

/// The example executors in docs/executors/ (kubectl, helm, docker compose). No cluster or
/// Docker daemon exists here, so stand-in `kubectl`, `helm` and `docker` programs on PATH
/// (Tests/Fixtures/standins) record what they were asked and keep a little state: this tests
/// the examples' protocol handling and the commands they issue, not Kubernetes itself.
@Suite struct ExampleExecutorTests {
    let directory: String
    let runner: ExecutorTierDriver

    init() throws {
        directory = try makeTemporaryDirectory("examples")
        runner = ExecutorTierDriver(environment: [
            "PATH": Fixtures.standins + ":" + Fixtures.exampleExecutors + ":/usr/bin:/bin",
            "STANDIN_LOG": directory + "/calls.jsonl", "STANDIN_STATE": directory + "/state.json", "HOME": directory,
        ], repositoryPath: directory) { _, _ in }
    }

    var calls: [String] {
        String(decoding: readFile(directory + "/calls.jsonl") ?? [], as: UTF8.self).lines
    }

    func cycle(_ assignment: TierAssignment) async throws -> (capture: JSONValue, rollback: TierCallOutcome) {
        let describe = try await runner.call(assignment, verb: .describe).response
        #expect(describe.verbs == ExecutorVerb.allCases)
        let capture = try #require(try await runner.capture(assignment, point: PointReference(id: "p", commit: "c"), dryRun: false).capture)
        let dry = try await runner.rollback(assignment, to: capture, point: nil, dryRun: true)
        #expect(dry.message?.hasPrefix("would ") == true)
        let rollback = try await runner.rollback(assignment, to: capture, point: nil, dryRun: false)
        _ = try await runner.verify(assignment, dryRun: false)
        return (capture, rollback)
    }

    @Test func kubectlUndoesToTheCapturedRevision() async throws {
        let assignment = TierAssignment(tier: "deploy", executor: "kubectl", settings: ["deployment": ["web"], "namespace": ["shop"]])
        try writeFile(directory + "/state.json", Array(#"{"revision": 7}"#.utf8))
        let capture = try #require(try await runner.capture(assignment, point: PointReference(id: "p", commit: "c"), dryRun: false).capture)
        #expect(capture == ["deployment": "web", "namespace": "shop", "revision": 7])
        try writeFile(directory + "/state.json", Array(#"{"revision": 8}"#.utf8))  // a bad rollout happened
        let outcome = try await runner.rollback(assignment, to: capture, point: nil, dryRun: false)
        #expect(outcome.message == "deployment/web rolled back to revision 7")
        #expect(calls.contains(#"["kubectl", "--namespace", "shop", "rollout", "undo", "deployment/web", "--to-revision=7"]"#))
        #expect(calls.last == #"["kubectl", "--namespace", "shop", "rollout", "status", "deployment/web", "--timeout=120s"]"#)
    }

    @Test func kubectlFailuresAndMissingSettingsAreProtocolErrors() async throws {
        let missing = TierAssignment(tier: "deploy", executor: "kubectl")
        await #expect(throws: TimeturnerError.self) { try await runner.verify(missing, dryRun: false) }
        let failing = ExecutorTierDriver(environment: runner.environment.merging(["STANDIN_FAIL": "undo"]) { $1 },
                                         repositoryPath: directory) { _, _ in }
        do {
            _ = try await failing.rollback(TierAssignment(tier: "deploy", executor: "kubectl", settings: ["deployment": ["web"]]),
                                           to: ["revision": 2], point: nil, dryRun: false)
            Issue.record("a failed kubectl rollout undo passed")
        } catch {
            #expect(error.message.contains("executor 'kubectl' failed to rollback the deploy tier: it reported failure: kubectl rollout undo deployment/web --to-revision=2 exited with status 1"))
        }
    }

    @Test func helmRollsBackToTheCapturedRevision() async throws {
        let (capture, outcome) = try await cycle(TierAssignment(tier: "deploy", executor: "helm", settings: ["release": ["web"]]))
        #expect(capture["revision"] == 3)
        #expect(outcome.message == "helm release web rolled back to revision 3")
        #expect(calls.contains(#"["helm", "rollback", "web", "3", "--wait", "--timeout", "5m0s", "--namespace", "default"]"#))
        try writeFile(directory + "/state.json", Array(#"{"revision": 4, "status": "failed"}"#.utf8))
        await #expect(throws: TimeturnerError.self) {
            try await runner.verify(TierAssignment(tier: "deploy", executor: "helm", settings: ["release": ["web"]]), dryRun: false)
        }
    }

    @Test func composePinsServicesToTheirCapturedImages() async throws {
        try writeFile(directory + "/state.json", Array(#"{"image": "sha256:good"}"#.utf8))
        let assignment = TierAssignment(tier: "deploy", executor: "compose", settings: ["project": ["shop"]])
        let capture = try #require(try await runner.capture(assignment, point: PointReference(id: "p", commit: "c"), dryRun: false).capture)
        #expect(capture["images"] == ["web": "sha256:good"])
        try writeFile(directory + "/state.json", Array(#"{"image": "sha256:bad"}"#.utf8))
        _ = try await runner.rollback(assignment, to: capture, point: nil, dryRun: false)
        #expect(String(decoding: readFile(directory + "/state.json") ?? [], as: UTF8.self).contains("sha256:good"))
        #expect(calls.contains { $0.contains(#""up", "-d", "--no-build", "web""#) })
        _ = try await runner.verify(assignment, dryRun: false)
    }
}
