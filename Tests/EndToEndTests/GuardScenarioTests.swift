import Testing
import TestSupport

/// Scenario 37 (shared/docs/scenarios.md): a deploy watched by a guard, or by a trigger, whose
/// metrics server is down, returns no data, or flaps gets the documented verdict for each, and
/// never a rollback loop. (A guard that dies is ended as abandoned: CheckCommandTests.)
@Suite struct GuardScenarioTests {
    func configure(_ repo: ScratchRepository, _ section: String, _ pairs: [(String, String)]) async throws {
        for (key, value) in pairs { _ = try await repo.git("config", "timeturner.\(section).\(key)", value) }
    }

    /// good (marked good in prod), then bad, deployed.
    func deployed() async throws -> (ScratchRepository, good: String, bad: String) {
        let repo = try await ScratchRepository()
        let good = try await repo.commit("good", files: ["app": "1\n"])
        #expect(try await repo.timeturner("good", "--env", "prod").status == 0)
        let bad = try await repo.commit("bad", files: ["app": "2\n"])
        return (repo, good, bad)
    }

    func marks(_ repo: ScratchRepository, _ commit: String) async throws -> String {
        try await repo.timeturner("show", commit, "--json").stdout
    }

    // Bounded: it waits on a real Prometheus, and must fail rather than hang a CI run.
    @Test(.timeLimit(.minutes(5))) func scenario37MetricsDownNoDataAndFlappingEachGetTheirVerdictAndNoLoop() async throws {
        let (repo, good, bad) = try await deployed()
        let directory = repo.siblingDirectory("prom")
        _ = try await repo.git("init", "-q", directory)  // makes the directory
        let app = try await CheckApp(directory: directory)
        let prometheus = try await PrometheusServer(directory: directory, scraping: "127.0.0.1:\(app.port)")
        let closed = try await Background.freePort()

        // Down: the provider, not the deploy. Inconclusive, nothing marked, nothing rolled back.
        try await configure(repo, "check.down", [("kind", "prometheus"), ("server", "http://127.0.0.1:\(closed)"), ("query", "up"),
                                                 ("fail-if", "< 1"), ("no-data", "fail"), ("interval", "200ms"), ("count", "5"), ("error-limit", "2")])
        let untouched = try await repo.fingerprint()
        let down = try await repo.timeturner("guard", "--env", "prod", "--check", "down", "--on-fail", "rollback", "--yes", "--json")
        #expect(down.status == 9, "\(down)")
        #expect(down.stdout.contains("\"status\": \"inconclusive\"") && down.stdout.contains("provider unreachable"), "\(down)")
        #expect(try await repo.git("rev-parse", "HEAD").trimmed == bad)
        #expect(!(try await marks(repo, bad)).contains("\"type\": \"bad\""), "a monitoring outage marked the deploy bad")
        #expect(try await repo.fingerprint() == untouched)

        // No data, said to be inconclusive: the same.
        try await configure(repo, "check.quiet", [("kind", "prometheus"), ("server", prometheus.url), ("query", "rate(no_such_metric_total[5s])"),
                                                  ("fail-if", "> 0.5"), ("no-data", "inconclusive"), ("interval", "200ms")])
        let quiet = try await repo.timeturner("guard", "--env", "prod", "--check", "quiet", "--for", "1s", "--on-fail", "rollback", "--yes")
        #expect(quiet.status == 9 && quiet.stderr.contains("no-data = inconclusive"), "\(quiet)")
        #expect(try await repo.git("rev-parse", "HEAD").trimmed == bad)

        // Flapping (pass, fail, pass, …; counted measurements, so load cannot change the
        // sequence): never the three passes in a row it needs, never more failures than it allows.
        let flap = repo.siblingDirectory("flap") + "/count"
        try await configure(repo, "check.flaps", [("kind", "command"), ("interval", "100ms"), ("count", "7"), ("failure-limit", "100"),
                                                  ("consecutive-successes", "3"),
                                                  ("command", "n=$(cat '\(flap)' 2>/dev/null || echo 0); echo $((n + 1)) > '\(flap)'; [ $((n % 2)) = 0 ]")])
        let flapping = try await repo.timeturner("guard", "--env", "prod", "--check", "flaps", "--on-fail", "rollback", "--yes")
        #expect(flapping.status == 9 && flapping.stderr.contains("consecutive-successes needs 3"), "\(flapping)")
        #expect(try await repo.git("rev-parse", "HEAD").trimmed == bad)
        // With failures counted, the same flapping fails the deploy at its second failure; hold:
        // marked, not rolled back.
        let held = try await repo.timeturner("guard", "--env", "prod", "--check", "flaps", "-c", "timeturner.check.flaps.failure-limit=1")
        #expect(held.status == 10, "\(held)")
        #expect(try await repo.git("rev-parse", "HEAD").trimmed == bad)
        #expect((try await marks(repo, bad)).contains("\"type\": \"bad\""))

        // No data said to be a failure, everywhere: one rollback, re-checked, restored, and then
        // never again, neither by the guard nor by a trigger on the same check.
        try await configure(repo, "check.gone", [("kind", "prometheus"), ("server", prometheus.url), ("query", "rate(no_such_metric_total[5s])"),
                                                 ("fail-if", "> 0.5"), ("no-data", "fail"), ("interval", "200ms"), ("severity", "critical")])
        let gone = try await repo.timeturner("guard", "--env", "prod", "--check", "gone", "--for", "1s", "--on-fail", "rollback", "--yes", "--json")
        #expect(gone.status == 5, "\(gone)")
        #expect(gone.stdout.contains("\"status\": \"failed-rollback-failed\""), "\(gone)")
        #expect(try await repo.git("rev-parse", "HEAD").trimmed == bad, "the failed rollback was restored")
        #expect(try await repo.fingerprint() == untouched, "the restore gave back the branch, index and files byte for byte")
        let again = try await repo.timeturner("guard", "--env", "prod", "--check", "gone", "--for", "1s", "--on-fail", "rollback", "--yes")
        #expect(again.status == 10 && again.stderr.contains("already rolled back automatically once"), "\(again)")
        try await configure(repo, "trigger.gone", [("check", "gone")])
        let triggered = try await repo.timeturner("trigger", "check", "--env", "prod", "--deployed-at", "2020-01-01T00:00:00Z", "--rollback", "--yes")
        #expect(triggered.status == 9 && triggered.stdout.contains("no-baseline"), "no data before the deploy opens no gate: \(triggered)")
        #expect(try await repo.git("rev-parse", "HEAD").trimmed == bad)
        let history = try await repo.timeturner("history")
        #expect(history.stdout.lines.filter { $0.contains(" rollback ") && $0.contains("revert") }.count == 1, "exactly one rollback: \(history)")
        #expect(try await repo.git("rev-parse", "HEAD~1").trimmed == good)
        #expect(try await repo.gitResult(["fsck", "--no-progress"]).status == 0)
    }
}
