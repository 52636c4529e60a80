import Testing
import TestSupport
internal import Glibc

/// `trigger check` against real parts: commands in real repositories, and a real Prometheus
/// scraping a loopback app whose error counter the test drives. Every automatic rollback it
/// does is checked in git (tree, marks, journal), and every refusal leaves HEAD where it was.
@Suite struct TriggerTests {
    func configure(_ repo: ScratchRepository, _ section: String, _ pairs: [(String, String)]) async throws {
        for (key, value) in pairs { _ = try await repo.git("config", "timeturner.\(section).\(key)", value) }
    }

    /// Now, as RFC 3339 in whole seconds (the resolution of journaled times).
    func now() async throws -> String {
        try await runProcess("/bin/date", ["-u", "+%Y-%m-%dT%H:%M:%SZ"], environment: [:], in: "/").stdout.trimmed
    }

    /// good (marked good in prod), with a command check that passes while `state` says ok and
    /// a critical trigger on it that must fail for 600 ms.
    func deployedRepository() async throws -> (ScratchRepository, good: String) {
        let repo = try await ScratchRepository()
        let good = try await repo.commit("good", files: ["state": "ok\n"])
        #expect(try await repo.timeturner("good", "--env", "prod").status == 0)
        try await configure(repo, "check.state", [("kind", "command"), ("command", "grep -q ok state"), ("interval", "200ms"), ("severity", "critical")])
        try await configure(repo, "trigger.state", [("check", "state"), ("for", "600ms")])
        return (repo, good)
    }

    @Test func aCommandTriggerFiresOnlyWhenTheDeployCausedItAndRollsBackOnce() async throws {
        let (repo, good) = try await deployedRepository()
        // Before the deploy: the trigger runs and passes; its measurement is the gate's "before".
        let before = try await repo.timeturner("trigger", "check", "--env", "prod")
        #expect(before.status == 0, "\(before)")
        #expect(before.stdout.contains("trigger state [state, for 600ms, rollback (critical)]: ok"), "\(before)")
        try await Task.sleep(for: .milliseconds(1100))
        let deployedAt = try await now()
        try await Task.sleep(for: .milliseconds(1100))
        let bad = try await repo.commit("bad", files: ["state": "down\n"])

        let beforeReport = try await repo.fingerprint()
        let reported = try await repo.timeturner("trigger", "check", "--env", "prod", "--deployed-at", deployedAt, "--json")
        #expect(reported.status == 11, "\(reported)")
        #expect(reported.stdout.contains("\"state\": \"fired\"") && reported.stdout.contains("\"decision\": \"report\""), "\(reported)")
        #expect(reported.stderr.contains("nothing was done without --rollback"), "\(reported)")
        #expect(try await repo.fingerprint() == beforeReport, "a report changed the branch, index or files")

        let rolled = try await repo.timeturner("trigger", "check", "--env", "prod", "--deployed-at", deployedAt, "--rollback", "--yes", "--json")
        #expect(rolled.status == 11, "the deploy failed even though the rollback succeeded: \(rolled)")
        #expect(rolled.stdout.contains("\"decision\": \"rollback\"") && rolled.stdout.contains("\"rollbackStatus\": \"succeeded\""), "\(rolled)")
        #expect(rolled.stderr.contains("check state (timeout 10s, from trigger "), "the plan names who asked for the checks: \(rolled)")
        #expect(rolled.stderr.contains("[check: state]"), "the result was not re-checked: \(rolled)")
        #expect(try await repo.git("rev-parse", "HEAD^{tree}").trimmed == (try await repo.git("rev-parse", good + "^{tree}").trimmed))
        #expect(try await repo.git("rev-parse", "HEAD~1").trimmed == bad, "a revert on top: nothing made unreachable")
        let marks = try await repo.timeturner("show", bad)
        #expect(marks.stdout.contains("bad") && marks.stdout.contains("trigger "), "\(marks)")
        let journal = try await repo.git("log", "--format=%s", "refs/timeturner/registry")
        #expect(journal.contains("journal: trigger ") && journal.contains("fired"), "\(journal)")
        #expect(try await repo.gitResult(["fsck", "--no-progress"]).status == 0)
        let rollbackCommit = try await repo.git("rev-parse", "HEAD").trimmed

        // The rolled-back commit passes; then everything fails, also what the rollback brought
        // back: it is held, never rolled back again automatically (no ping-pong).
        #expect(try await repo.timeturner("trigger", "check", "--env", "prod").status == 0)
        try await Task.sleep(for: .milliseconds(1100))
        let secondDeploy = try await now()
        try await Task.sleep(for: .milliseconds(1100))
        _ = try await repo.git("config", "timeturner.check.state.command", "false")
        let beforeHeld = try await repo.fingerprint()
        let held = try await repo.timeturner("trigger", "check", "--env", "prod", "--deployed-at", secondDeploy, "--rollback", "--yes", "--json")
        #expect(held.status == 11, "\(held)")
        #expect(held.stdout.contains("\"decision\": \"no-second-rollback\""), "\(held)")
        #expect(held.stderr.contains("rolled back to it automatically"), "\(held)")
        #expect(try await repo.git("rev-parse", "HEAD").trimmed == rollbackCommit)
        #expect(try await repo.fingerprint() == beforeHeld, "a held trigger changed the branch, index or files")

        // A person undoes the rollback: the bad commit is back, and still not rolled back twice.
        #expect(try await repo.timeturner("undo", "--yes").status == 0)
        #expect(try await repo.git("rev-parse", "HEAD").trimmed == bad)
        let again = try await repo.timeturner("trigger", "check", "--env", "prod", "--deployed-at", deployedAt, "--rollback", "--yes")
        #expect(again.status == 11, "\(again)")
        #expect(again.stderr.contains("already rolled back automatically once"), "\(again)")
        #expect(try await repo.git("rev-parse", "HEAD").trimmed == bad)
        let history = try await repo.timeturner("history", "--json")
        #expect(history.stdout.components("\"type\": \"rollback\"") == 1, "exactly one automatic rollback: \(history)")
    }

    /// A run every minute that finds nothing is journaled once, not every minute; the gate still
    /// sees the newest run before the deploy (this clone's measurement log), and without that
    /// log (lost, damaged) falls back to the journal.
    @Test func unchangedOkRunsAreJournaledOnceAndTheGateStillSeesTheNewest() async throws {
        let (repo, _) = try await deployedRepository()
        var ids: [String] = []
        for _ in 0..<4 {
            let run = try await repo.timeturner("trigger", "check", "--env", "prod", "--json")
            #expect(run.status == 0, "\(run)")
            ids.append(String(run.stdout.split(separator: "\"id\": \"")[1].prefix { $0 != "\"" }))
            if ids.count > 1 { #expect(run.stdout.contains("\"journaled\": false") && run.stdout.contains("\"sameAs\": \"\(ids[0])\""), "\(run)") }
            try await Task.sleep(for: .milliseconds(1100))
        }
        let journal = try await repo.git("log", "--format=%s", "refs/timeturner/registry")
        #expect(journal.lines.filter { $0.hasPrefix("journal: trigger ") }.count == 1, "\(journal)")
        let deployedAt = try await now()
        try await Task.sleep(for: .milliseconds(1100))
        _ = try await repo.commit("bad", files: ["state": "down\n"])
        let fired = try await repo.timeturner("trigger", "check", "--env", "prod", "--deployed-at", deployedAt)
        #expect(fired.status == 11 && fired.stdout.contains("before the deploy it passed (trigger \(ids[3]) at"), "the newest run, unjournaled: \(fired)")
        try repo.write(".git/timeturner/trigger-measurements.json", "{ not json")
        let fallback = try await repo.timeturner("trigger", "check", "--env", "prod", "--deployed-at", deployedAt)
        #expect(fallback.status == 11 && fallback.stdout.contains("before the deploy it passed (trigger \(ids[0]) at"), "the journaled run: \(fallback)")
    }

    /// Two cron runs at once: exactly one rollback happens, and the other changes nothing.
    @Test func twoRunsAtOnceRollBackOnce() async throws {
        let (repo, good) = try await deployedRepository()
        #expect(try await repo.timeturner("trigger", "check", "--env", "prod").status == 0)
        try await Task.sleep(for: .milliseconds(1100))
        let deployedAt = try await now()
        try await Task.sleep(for: .milliseconds(1100))
        let bad = try await repo.commit("bad", files: ["state": "down\n"])
        async let first = repo.timeturner("trigger", "check", "--env", "prod", "--deployed-at", deployedAt, "--rollback", "--yes", "--json")
        async let second = repo.timeturner("trigger", "check", "--env", "prod", "--deployed-at", deployedAt, "--rollback", "--yes", "--json")
        let results = try await [first, second]
        let rolledBack = results.filter { $0.stdout.contains("\"rollbackStatus\": \"succeeded\"") }
        #expect(rolledBack.count == 1, "\(results)")
        // The other one: refused (HEAD moved: 3; lock held: 4), held (11), or, when the first
        // rollback was done before it measured, it found the check passing (0).
        for result in results { #expect([0, 3, 4, 11].contains(result.status), "\(result)") }
        #expect(try await repo.git("rev-parse", "HEAD~1").trimmed == bad)
        #expect(try await repo.git("rev-parse", "HEAD^{tree}").trimmed == (try await repo.git("rev-parse", good + "^{tree}").trimmed))
        let history = try await repo.timeturner("history")
        #expect(history.stdout.lines.filter { $0.contains(" rollback ") && $0.contains(" succeeded ") }.count == 1, "\(history)")
        #expect(!repo.exists(".git/timeturner/lock"))
        #expect(try await repo.gitResult(["fsck", "--no-progress"]).status == 0)
    }

    @Test func aFailureThatPredatesTheDeployIsNotItsFaultAndNoRecordMeansNoDecision() async throws {
        let repo = try await ScratchRepository()
        try await repo.commit("first", files: ["state": "down\n"])
        try await configure(repo, "check.state", [("kind", "command"), ("command", "grep -q ok state")])
        try await configure(repo, "trigger.state", [("check", "state")])
        // Nothing was measured before this commit arrived: the gate cannot open.
        let unknown = try await repo.timeturner("trigger", "check", "--env", "prod")
        #expect(unknown.status == 9, "\(unknown)")
        #expect(unknown.stdout.contains("no-baseline"), "\(unknown)")
        #expect(unknown.stderr.contains("on a schedule"), "\(unknown)")

        // The next commit arrives (real time in HEAD's reflog) while it was already failing.
        try await Task.sleep(for: .milliseconds(1100))
        repo.setEnvironment("GIT_COMMITTER_DATE", nil)
        _ = try await repo.git("commit", "-q", "--allow-empty", "-m", "second")
        let beforeNotCaused = try await repo.fingerprint()
        let notCaused = try await repo.timeturner("trigger", "check", "--env", "prod", "--rollback", "--yes", "--json")
        #expect(notCaused.status == 0, "\(notCaused)")
        #expect(notCaused.stderr.contains("from HEAD's reflog"), "\(notCaused)")
        #expect(notCaused.stdout.contains("\"state\": \"not-caused\""), "\(notCaused)")
        #expect(notCaused.stderr.contains("not because of this deploy"), "\(notCaused)")
        #expect(try await repo.fingerprint() == beforeNotCaused, "nothing was rolled back, byte for byte")
    }

    @Test func refusalsNameTheKeyAndTouchNothing() async throws {
        let bare = try await ScratchRepository()
        try await bare.commit("first")
        let none = try await bare.timeturner("trigger", "check", "--env", "prod")
        #expect(none.status == 64 && none.stderr.contains("no triggers are configured"), "\(none)")
        let (repo, _) = try await deployedRepository()
        let head = try await repo.git("rev-parse", "HEAD").trimmed
        let cases: [([(String, String)], String)] = [
            ([("check", "")], "timeturner.trigger.t.check"),
            ([("check", "state"), ("sustain", "5m")], "timeturner.trigger.t.sustain"),
            ([("check", "nope")], "no check named 'nope'"),
            ([("check", "state"), ("for", "soon")], "timeturner.trigger.t.for"),
            ([("check", "state"), ("action", "alert"), ("level", "2")], "timeturner.trigger.t.level"),
            ([("check", "state"), ("action", "page")], "timeturner.trigger.t.action"),
        ]
        for (pairs, expected) in cases {
            _ = try await repo.gitResult(["config", "--remove-section", "timeturner.trigger.t"])
            try await configure(repo, "trigger.t", pairs)
            let refused = try await repo.timeturner("trigger", "check", "--env", "prod")
            #expect(refused.status == 64, "\(pairs): \(refused)")
            #expect(refused.stderr.contains(expected), "\(pairs): \(refused)")
        }
        _ = try await repo.gitResult(["config", "--remove-section", "timeturner.trigger.t"])
        let notHead = try await repo.timeturner("trigger", "check", "--env", "prod", "--commit", "HEAD~0^{commit}", "--rollback", "--yes")
        #expect(notHead.status == 0, "HEAD named another way is HEAD: \(notHead)")
        _ = try await repo.commit("next", files: ["other": "1\n"])
        let other = try await repo.timeturner("trigger", "check", "--env", "prod", "--commit", "HEAD~1", "--rollback", "--yes")
        #expect(other.status == 64 && other.stderr.contains("not HEAD"), "\(other)")
        let future = try await repo.timeturner("trigger", "check", "--env", "prod", "--deployed-at", "2999-01-01T00:00:00Z")
        #expect(future.status == 64 && future.stderr.contains("in the future"), "\(future)")
        // A check limited to staging never judges production, even through a trigger without env.
        _ = try await repo.git("config", "timeturner.check.state.env", "staging")
        let excluded = try await repo.timeturner("trigger", "check", "--env", "prod")
        #expect(excluded.status == 64 && excluded.stderr.contains("no trigger applies to prod"), "\(excluded)")
        _ = try await repo.git("config", "--unset", "timeturner.check.state.env")
        let unconfirmed = try await repo.timeturner("trigger", "check", "--env", "prod", "--rollback")
        #expect(unconfirmed.status == 64 && unconfirmed.stderr.contains("--yes"), "\(unconfirmed)")
        #expect(try await repo.git("rev-parse", "HEAD~1").trimmed == head)

        // Untrusted shared configuration cannot define a trigger.
        let shared = try await ScratchRepository()
        try await shared.commit("first", files: [".timeturner": "[timeturner \"check.c\"]\n\tkind = command\n\tcommand = true\n[timeturner \"trigger.t\"]\n\tcheck = c\n"])
        let untrusted = try await shared.timeturner("trigger", "check", "--env", "prod")
        #expect(untrusted.status != 0 && untrusted.status != 11, "\(untrusted)")
        #expect(untrusted.stderr.contains("trust"), "\(untrusted)")
    }

    @Test func ctrlCStopsALiveEvaluationAndIsJournaled() async throws {
        let repo = try await ScratchRepository()
        try await repo.commit("first")
        try await configure(repo, "check.slow", [("kind", "command"), ("command", "touch started; false"), ("interval", "200ms")])
        try await configure(repo, "trigger.slow", [("check", "slow"), ("for", "60s")])
        let status = try await repo.timeturnerOnce(["trigger", "check", "--env", "prod"], fileExists: "started") { pid in
            try await Task.sleep(for: .milliseconds(300))
            kill(pid, SIGINT)
        }
        #expect(status == 130)
        let journal = try await repo.timeturner("history", "--guards", "--json")
        #expect(journal.stdout.contains("\"type\": \"trigger\"") && journal.stdout.contains("\"status\": \"interrupted\""), "\(journal)")
        #expect(!repo.exists(".git/timeturner/lock"))
    }

    // Bounded: it waits on a real Prometheus, and must fail rather than hang a CI run.
    @Test(.timeLimit(.minutes(5))) func prometheusTriggersReadThePastSustainedAndBeforeTheDeploy() async throws {
        let repo = try await ScratchRepository()
        try await repo.commit("good", files: ["app": "1\n"])
        #expect(try await repo.timeturner("good", "--env", "prod").status == 0)
        let bad = try await repo.commit("bad", files: ["app": "2\n"])
        let directory = repo.siblingDirectory("prom")
        _ = try await repo.git("init", "-q", directory)  // makes the directory
        let app = try await CheckApp(directory: directory)
        let prometheus = try await PrometheusServer(directory: directory, scraping: "127.0.0.1:\(app.port)")
        for (name, severity) in [("errors", "critical"), ("errors-page", "medium")] {
            try await configure(repo, "check.\(name)", [("kind", "prometheus"), ("server", prometheus.url), ("query", "sum(rate(app_errors_total[5s]))"),
                                                        ("fail-if", "> 0.5"), ("no-data", "inconclusive"), ("interval", "1s"), ("severity", severity)])
            try await configure(repo, "trigger.\(name)", [("check", name), ("for", "3s")])
        }
        try await Task.sleep(for: .seconds(2))
        let calmAt = try await now()
        let calm = try await repo.timeturner("trigger", "check", "--env", "prod", "--deployed-at", calmAt)
        #expect(calm.status == 0, "\(calm)")

        // Errors start. Once they have lasted 3 s the triggers fire; the strongest action wins.
        try app.set("increment", "10")
        var firedAt = ""
        var fired = try await repo.timeturner("trigger", "check", "--env", "prod", "--deployed-at", calmAt, "--json")
        for _ in 0..<60 {
            firedAt = try await now()
            fired = try await repo.timeturner("trigger", "check", "--env", "prod", "--deployed-at", calmAt, "--json")
            if fired.status == 11 { break }
            #expect(fired.status == 0 || fired.status == 9, "\(fired)")
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(fired.status == 11, "\(fired)")
        #expect(fired.stdout.contains("\"action\": \"rollback\"") && fired.stdout.contains("\"trigger\": \"errors\""), "\(fired)")
        #expect(fired.stdout.components("\"state\": \"fired\"") == 2, "\(fired)")
        #expect(fired.stdout.contains("\"source\": \"prometheus\""), "\(fired)")

        // Deployed just now: failing since, but not yet for 60 s (not 3 s: under load the run may
        // start seconds after the time it is given).
        let recent = try await now()
        let pending = try await repo.timeturner("trigger", "check", "--env", "prod", "--deployed-at", recent, "--json",
                                                "-c", "timeturner.trigger.errors.for=60s", "-c", "timeturner.trigger.errors-page.for=60s")
        #expect(pending.status == 9 && pending.stdout.contains("\"state\": \"pending\""), "\(pending)")
        // Deployed when the errors were already there: not the deploy's fault.
        try await Task.sleep(for: .seconds(4))
        let notCaused = try await repo.timeturner("trigger", "check", "--env", "prod", "--deployed-at", firedAt, "--json")
        #expect(notCaused.status == 0 && notCaused.stdout.components("\"state\": \"not-caused\"") == 2, "\(notCaused)")
        // Deployed before Prometheus had data: nothing to compare with.
        let unknown = try await repo.timeturner("trigger", "check", "--env", "prod", "--deployed-at", "2020-01-01T00:00:00Z", "--json")
        #expect(unknown.status == 9 && unknown.stdout.contains("\"state\": \"no-baseline\""), "\(unknown)")

        // Carried out: marked bad, rolled back, re-checked; the errors go on, so the rollback is
        // restored (exit 5) and nothing else is tried, then or later.
        let rolled = try await repo.timeturner("trigger", "check", "--env", "prod", "--deployed-at", calmAt, "--rollback", "--yes", "--json")
        #expect(rolled.status == 5, "\(rolled)")
        #expect(rolled.stderr.contains("no second rollback is tried"), "\(rolled)")
        #expect(try await repo.git("rev-parse", "HEAD").trimmed == bad)
        let again = try await repo.timeturner("trigger", "check", "--env", "prod", "--deployed-at", calmAt, "--rollback", "--yes")
        #expect(again.status == 11 && again.stderr.contains("already rolled back automatically once"), "\(again)")
        #expect(try await repo.git("rev-parse", "HEAD").trimmed == bad)

        // Only the medium one: an alert, never a rollback.
        _ = try await repo.git("config", "--remove-section", "timeturner.trigger.errors")
        let alert = try await repo.timeturner("trigger", "check", "--env", "prod", "--deployed-at", calmAt, "--rollback", "--yes", "--json")
        #expect(alert.status == 11 && alert.stdout.contains("\"decision\": \"alert\""), "\(alert)")
        #expect(try await repo.git("rev-parse", "HEAD").trimmed == bad)
    }
}

extension String {
    fileprivate func components(_ separator: String) -> Int { split(separator: separator, omittingEmptySubsequences: false).count - 1 }
}
