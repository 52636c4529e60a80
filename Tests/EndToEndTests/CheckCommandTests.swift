import Testing
import TestSupport
internal import Glibc

/// `check`, `rollback --check` and `guard` against real parts: a loopback HTTP app whose
/// answers the test drives, a real Prometheus scraping it, and commands in real repositories.
@Suite struct CheckCommandTests {
    func configure(_ repo: ScratchRepository, _ check: String, _ pairs: [(String, String)]) async throws {
        for (key, value) in pairs { _ = try await repo.git("config", "timeturner.check.\(check).\(key)", value) }
    }

    @Test func httpChecksFollowStatusTimeoutAndJSONField() async throws {
        let repo = try await ScratchRepository()
        try await repo.commit("first")
        let app = try await CheckApp(directory: repo.siblingDirectory("app"))
        try await configure(repo, "health", [("kind", "http"), ("url", app.url + "/health"), ("timeout", "500ms")])
        try await configure(repo, "errors", [("kind", "http"), ("url", app.url + "/json"), ("json-field", "checks.errors"), ("fail-if", "> 3")])

        let healthy = try await repo.timeturner("check", "health")
        #expect(healthy.status == 0, "\(healthy)")
        #expect(healthy.stdout.contains("passed  GET \(app.url)/health: 200"))
        try app.set("status", "503")
        let down = try await repo.timeturner("check", "health")
        #expect(down.status == 8, "\(down)")
        #expect(down.stdout.contains("503, not an expected status"))
        try app.set("status", "200")
        try app.set("delay", "2")
        let slow = try await repo.timeturner("check", "health")
        #expect(slow.status == 8, "\(slow)")
        #expect(slow.stdout.contains("no response within 500ms"), "\(slow)")

        try app.set("errors", "2")
        #expect(try await repo.timeturner("check", "errors").status == 0)
        try app.set("errors", "7")
        let many = try await repo.timeturner("check", "errors", "--json")
        #expect(many.status == 8, "\(many)")
        #expect(many.stdout.contains("\"value\": 7"), "\(many)")
        #expect(many.stdout.contains("fail-if > 3"))
    }

    @Test func commandChecksSampleAndTheirVerdictsHaveExitCodes() async throws {
        let repo = try await ScratchRepository()
        try await repo.commit("first")
        try await configure(repo, "value", [("kind", "command"), ("command", "cat level"), ("value", "output"),
                                            ("pass-if", "< 10"), ("fail-if", "> 20"), ("count", "3"), ("interval", "100ms")])
        try repo.write("level", "5\n")
        let passed = try await repo.timeturner("check", "value")
        #expect(passed.status == 0, "\(passed)")
        #expect(passed.stdout.lines.filter { $0.hasPrefix("value  ") }.count == 3)
        try repo.write("level", "15\n")
        let between = try await repo.timeturner("check", "value")
        #expect(between.status == 9, "\(between)")
        #expect(between.stdout.contains("neither pass-if nor fail-if matched"))
        try repo.write("level", "25\n")
        let failed = try await repo.timeturner("check", "value")
        #expect(failed.status == 8, "\(failed)")
        // The first failure decides: no further measurements.
        #expect(failed.stdout.lines.filter { $0.hasPrefix("value  ") }.count == 1)
        try await configure(repo, "p", [("kind", "prometheus"), ("server", "http://127.0.0.1:9"), ("query", "up"), ("fail-if", "< 1")])
        let refused = try await repo.timeturner("check", "p")
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("timeturner.check.p.no-data"), "\(refused)")
    }

    // Bounded: it waits on a real Prometheus, and must fail rather than hang a CI run.
    @Test(.timeLimit(.minutes(5))) func prometheusChecksWithRatesNoDataAProviderDownAndABaseline() async throws {
        let repo = try await ScratchRepository()
        try await repo.commit("first")
        let directory = repo.siblingDirectory("prom")
        _ = try await repo.git("init", "-q", directory)  // makes the directory
        let app = try await CheckApp(directory: directory)
        let prometheus = try await PrometheusServer(directory: directory, scraping: "127.0.0.1:\(app.port)")
        try await configure(repo, "rate", [("kind", "prometheus"), ("server", prometheus.url), ("query", "sum(rate(app_errors_total[5s]))"),
                                           ("fail-if", "> 0.5"), ("no-data", "fail"), ("count", "40"), ("interval", "500ms")])
        try await configure(repo, "missing", [("kind", "prometheus"), ("server", prometheus.url), ("query", "rate(no_such_metric_total[5s])"),
                                              ("fail-if", "> 0.5"), ("no-data", "fail")])
        try await configure(repo, "missing-ok", [("kind", "prometheus"), ("server", prometheus.url), ("query", "rate(no_such_metric_total[5s])"),
                                                 ("fail-if", "> 0.5"), ("no-data", "inconclusive")])
        let closed = try await Background.freePort()
        try await configure(repo, "down", [("kind", "prometheus"), ("server", "http://127.0.0.1:\(closed)"), ("query", "up"),
                                           ("fail-if", "< 1"), ("no-data", "fail"), ("error-limit", "0")])
        try await configure(repo, "total", [("kind", "prometheus"), ("server", prometheus.url), ("query", "sum(app_errors_total)"),
                                            ("fail-if", "> baseline * 2 + 5"), ("no-data", "fail")])

        let calm = try await repo.timeturner("check", "rate", "-c", "timeturner.check.rate.count=1")
        #expect(calm.status == 0, "\(calm)")
        let missing = try await repo.timeturner("check", "missing")
        #expect(missing.status == 8 && missing.stdout.contains("returned no data (no-data = fail)"), "\(missing)")
        #expect(try await repo.timeturner("check", "missing-ok").status == 9)
        let down = try await repo.timeturner("check", "down")
        #expect(down.status == 9 && down.stdout.contains("did not answer"), "\(down)")

        // Errors start: 10 more on every scrape. The rate check fails once Prometheus sees them.
        let quietAt = try await repo.timeturner("check", "total", "--json")
        #expect(quietAt.status == 0, "\(quietAt)")
        let baselineAt = String(quietAt.stdout.split(separator: "\"at\": \"")[1].prefix(20))
        try app.set("increment", "10")
        let rising = try await repo.timeturner("check", "rate")
        #expect(rising.status == 8, "\(rising)")
        #expect(rising.stdout.contains("fail-if > 0.5"))
        // Against the baseline before the errors the total is far above twice it; against now, it is not.
        for _ in 0..<100 {
            let grown = try await repo.timeturner("check", "total", "--baseline-at", baselineAt)
            if grown.status == 8 { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        let relative = try await repo.timeturner("check", "total", "--baseline-at", baselineAt, "--json")
        #expect(relative.status == 8, "\(relative)")
        #expect(relative.stdout.contains("\"baseline\""), "\(relative)")
        // The baseline "now" is the command's start to the second: right after the first scrape
        // with errors it may still read the scrape before (0), so wait for the next one (bounded).
        var againstNow = try await repo.timeturner("check", "total")
        for _ in 0..<50 where againstNow.status != 0 {
            try await Task.sleep(for: .milliseconds(200))
            againstNow = try await repo.timeturner("check", "total")
        }
        #expect(againstNow.status == 0, "\(againstNow)")
    }

    // MARK: rollback --check and guard

    /// main: good (marked good in prod) then bad; the check passes when `state` says ok.
    func deployedRepository() async throws -> (ScratchRepository, good: String, bad: String) {
        let repo = try await ScratchRepository()
        let good = try await repo.commit("good", files: ["state": "ok\n"])
        #expect(try await repo.timeturner("good", "--env", "prod").status == 0)
        let bad = try await repo.commit("bad", files: ["state": "down\n"])
        try await configure(repo, "state", [("kind", "command"), ("command", "grep -q ok state"), ("count", "2"), ("interval", "100ms")])
        return (repo, good, bad)
    }

    /// The lock's deadline is on the clock, though the attribution time is fixed in the past
    /// (GIT_COMMITTER_DATE, as in every test here): a running guard's lock is held, not taken for
    /// one left over, and a rollback meanwhile waits its turn instead of being sent to `recover`.
    @Test func aRunningGuardsLockIsNotStaleWhenTheCommitterDateIsInThePast() async throws {
        let (repo, _, _) = try await deployedRepository()
        try await configure(repo, "up", [("kind", "command"), ("command", "true"), ("interval", "200ms")])
        let script = """
        "$1" guard --env prod --for 30s --check up >.git/guard.out 2>&1 &
        guard=$!
        until grep -q "exited with status 0" .git/guard.out 2>/dev/null; do sleep 0.05; done
        "$1" rollback --to HEAD~1 --yes; echo "rollback exited $?"
        kill -INT "$guard"; wait "$guard"; echo "guard exited $?"
        """
        let result = try await runProcess("/bin/sh", ["-c", script, "sh", TimeturnerBinary.path], environment: repo.environment, in: repo.path)
        #expect(result.stdout.contains("rollback exited 4"), "\(result)")
        #expect(result.stderr.contains("another timeturner operation holds"), "\(result)")
        #expect(!result.stderr.contains("no longer runs"), "\(result)")
        #expect(result.stdout.contains("guard exited 130"), "\(result)")
        #expect(!repo.exists(".git/timeturner/lock"))
    }

    @Test func rollbackVerifiesWithChecksAndFastNeedsAKnownGoodTarget() async throws {
        let (repo, good, bad) = try await deployedRepository()
        _ = try await repo.commit("later", files: ["state": "down\n", "later": "1\n"])
        let fast = try await repo.timeturner("rollback", "--to", bad, "--check", "state", "--fast", "--yes")
        #expect(fast.status == 3 && fast.stderr.contains("not known good"), "\(fast)")
        let rolled = try await repo.timeturner("rollback", "--env", "prod", "--check", "state", "--fast", "--yes", "--json")
        #expect(rolled.status == 0, "\(rolled)")
        #expect(rolled.stdout.contains("\"command\": \"check state\""))
        #expect(rolled.stdout.contains("\"fast\": true"), "\(rolled)")
        #expect(try await repo.git("rev-parse", "HEAD^{tree}").trimmed == (try await repo.git("rev-parse", good + "^{tree}").trimmed))
        _ = try await repo.git("config", "timeturner.verify-check", "state")
        _ = try await repo.commit("bad again", files: ["state": "down\n"])
        let again = try await repo.timeturner("rollback", "--to", "HEAD~1", "--yes")  // HEAD~1 is the rollback commit: ok
        #expect(again.status == 0, "\(again)")
        // Another change, so that going back to "bad again" has something to do.
        _ = try await repo.commit("bad once more", files: ["state": "down\n", "more": "1\n"])
        let toBad = try await repo.timeturner("rollback", "--to", "HEAD~2", "--yes")  // "bad again": broken
        #expect(toBad.status == 5, "\(toBad)")
        #expect(toBad.stderr.contains("verification failed: 'check state' failed"), "\(toBad)")
    }

    @Test func aHealthyDeployIsMarkedGoodWithItsMeasurements() async throws {
        let repo = try await ScratchRepository()
        let commit = try await repo.commit("release", files: ["state": "ok\n"])
        try await configure(repo, "state", [("kind", "command"), ("command", "grep -q ok state"), ("interval", "200ms")])
        let guarded = try await repo.timeturner("guard", "--env", "prod", "--for", "1s", "--json")
        #expect(guarded.status == 0, "\(guarded)")
        #expect(guarded.stdout.contains("\"status\": \"passed\""))
        #expect(guarded.stderr.contains("recorded point"), "\(guarded)")
        #expect(try await repo.timeturner("last-good", "--env", "prod").stdout.contains(String(commit.prefix(7))))
        // show renders the verdict: the event's id, env and status, its decision and mark, and the
        // check's verdict with the number of measurements the journal counted.
        let event = try await guardEvent(repo)
        let id = try #require(event["id"] as? String), mark = try #require(event["mark"] as? String)
        let taken = try #require((event["checks"] as? [[String: Any]])?.first?["taken"] as? Int)
        let shown = try await repo.timeturner("show", commit)
        #expect(shown.stdout.contains("guard and trigger verdicts on this commit:\n  guard \(id)  "), "\(shown)")
        #expect(shown.stdout.contains("  prod  passed\n    decision mark-good · mark \(mark)\n"), "\(shown)")
        #expect(shown.stdout.contains("    check state  passed  \(taken) measurement(s)  \(taken) measurement(s), the last"), "\(shown)")
        #expect(!shown.stdout.contains("{\"type\":\"guard\""), "a guard event shown as a raw line: \(shown)")
        let shownJSON = try await repo.timeturner("show", commit, "--json")
        let journal = try #require(parseJSON(shownJSON.stdout)?["journal"] as? [[String: Any]], "\(shownJSON)")
        #expect(journal.contains { $0["type"] as? String == "guard" && $0["id"] as? String == id }, "\(shownJSON)")
        let history = try await repo.timeturner("history")
        #expect(history.stdout.contains("guard"), "\(history)")
    }

    @Test func aFailingDeployIsMarkedBadRolledBackAndReChecked() async throws {
        let (repo, good, bad) = try await deployedRepository()
        let guarded = try await repo.timeturner("guard", "--env", "prod", "--on-fail", "rollback", "--yes", "--json")
        #expect(guarded.status == 10, "\(guarded)")
        #expect(guarded.stdout.contains("\"status\": \"failed-rolled-back\""), "\(guarded)")
        #expect(guarded.stderr.contains("[check: state]"), "the rollback was not re-checked: \(guarded)")
        #expect(try await repo.git("rev-parse", "HEAD^{tree}").trimmed == (try await repo.git("rev-parse", good + "^{tree}").trimmed))
        let marks = try await repo.timeturner("show", bad)
        #expect(marks.stdout.contains("bad"), "\(marks)")
        let event = try await guardEvent(repo)
        let rollback = try #require(event["rollback"] as? String)
        #expect(marks.stdout.contains("  prod  failed-rolled-back\n    decision rollback · mark "), "\(marks)")
        #expect(marks.stdout.contains(" · rollback \(rollback) (succeeded) to \(good.prefix(7))\n"), "\(marks)")
        #expect(marks.stdout.contains("    check state  failed  1 measurement(s)  1 failed measurement(s)"), "\(marks)")
        // The same commit failing again is held, never rolled back a second time.
        _ = try await repo.git("reset", "-q", "--hard", bad)
        let second = try await repo.timeturner("guard", "--env", "prod", "--on-fail", "rollback", "--yes")
        #expect(second.status == 10, "\(second)")
        #expect(second.stderr.contains("already rolled back automatically once"), "\(second)")
        #expect(try await repo.git("rev-parse", "HEAD").trimmed == bad)
    }

    @Test func aTargetThatFailsTooStopsWithoutASecondRollback() async throws {
        let (repo, _, bad) = try await deployedRepository()
        // The check fails everywhere: the rollback's re-check fails, it is restored, and that is all.
        _ = try await repo.git("config", "timeturner.check.state.command", "false")
        let guarded = try await repo.timeturner("guard", "--env", "prod", "--on-fail", "rollback", "--yes", "--json")
        #expect(guarded.status == 5, "\(guarded)")
        #expect(guarded.stdout.contains("\"status\": \"failed-rollback-failed\""), "\(guarded)")
        #expect(guarded.stderr.contains("no second rollback"), "\(guarded)")
        #expect(try await repo.git("rev-parse", "HEAD").trimmed == bad)
        let history = try await repo.timeturner("history", "--json")
        #expect(history.stdout.components("\"type\": \"rollback\"") == 1, "\(history)")
    }

    @Test func aKilledGuardIsAbandonedAndAnInterruptedOneLeavesTheCommitUnmarked() async throws {
        let repo = try await ScratchRepository()
        let commit = try await repo.commit("release", files: ["state": "ok\n"])
        try await configure(repo, "state", [("kind", "command"), ("command", "grep -q ok state"), ("interval", "200ms")])
        let killed = try await repo.timeturnerOnce(["guard", "--env", "prod", "--for", "60s"], fileExists: ".git/timeturner/guard.json") { pid in
            kill(pid, SIGKILL)
        }
        #expect(killed == 128 + SIGKILL)
        let status = try await repo.timeturner("status")
        #expect(status.stdout.contains("guard abandoned"), "\(status)")
        let blocked = try await repo.timeturner("rollback", "--to", "HEAD", "--yes")
        #expect(blocked.stderr.contains("abandoned"), "\(blocked)")
        #expect(!repo.exists(".git/timeturner/lock"))
        let history = try await repo.timeturner("history", "--guards", "--json")
        #expect(history.stdout.contains("\"status\": \"abandoned\""), "\(history)")

        let interrupted = try await repo.timeturnerOnce(["guard", "--env", "prod", "--for", "60s"], fileExists: ".git/timeturner/guard.json") { pid in
            try await Task.sleep(for: .milliseconds(300))
            kill(pid, SIGINT)
        }
        #expect(interrupted == 130)
        #expect(!repo.exists(".git/timeturner/lock"))
        let marks = try await repo.timeturner("last-good", "--env", "prod")
        #expect(marks.status != 0, "the interrupted guard marked \(commit): \(marks)")
        let journal = try await repo.timeturner("history", "--guards", "--json")
        #expect(journal.stdout.contains("\"status\": \"interrupted\""), "\(journal)")
        // Without a terminal nothing was asked: no operator decision (asked, end of input would keep).
        #expect(journal.stdout.contains("\"decision\": \"none\"") && !journal.stdout.contains("keep-unverified"), "\(journal)")
    }

    // MARK: Ctrl-C on a terminal

    /// `guard` on a pseudo-terminal (`script`, through Tests/Fixtures/on-terminal.sh): each step
    /// waits until its shell condition holds on the screen so far (`$1`), then types its bytes.
    func guardOnTerminal(_ repo: ScratchRepository, _ arguments: [String], _ steps: [(until: String, type: String)]) async throws -> TerminalRun {
        let screen = repo.siblingDirectory("terminal") + "/screen"
        // exec: the shell that script starts must not stay in the terminal's foreground group,
        // where Ctrl-C would end it too (dash then exits 130 whatever the guard returned).
        let command = "exec " + ([TimeturnerBinary.path, "guard"] + arguments).map { "'\($0)'" }.joined(separator: " ")
        let run = try await runProcess("/bin/sh", [Fixtures.directory + "/on-terminal.sh", screen, command] + steps.flatMap { [$0.until, $0.type] },
                                       environment: repo.environment, in: repo.path)
        return TerminalRun(status: run.status, screen: String(decoding: readFile(screen) ?? [], as: UTF8.self) + run.stderr)
    }

    struct TerminalRun: CustomStringConvertible {
        let status: Int32
        /// What the terminal showed (both streams, as a person sees them).
        let screen: String
        var description: String { "exit \(status)\n--- screen\n\(screen)" }
    }

    static let measured = #"grep -q "exited with status 0" "$1""#
    static func asked(_ times: Int) -> String { #"[ "$(grep -c '\[r/k/c\]' "$1")" -ge "# + "\(times) ]" }

    func guardEvent(_ repo: ScratchRepository) async throws -> [String: Any] {
        let history = try await repo.timeturner("history", "--guards", "--json")
        return try #require((parseJSON(history.stdout)?["guards"] as? [[String: Any]])?.first, "\(history)")
    }

    @Test func ctrlCOnATerminalContinuesWithTheSameWindowAndAsksAgainThenKeepsTheCommitUnverified() async throws {
        let repo = try await ScratchRepository()
        _ = try await repo.commit("release", files: ["state": "ok\n"])
        try await configure(repo, "state", [("kind", "command"), ("command", "grep -q ok state"), ("interval", "200ms")])
        let afterContinuing = #"awk '/continuing to watch/ { on = 1; next } on && /exited with status 0/ { n++ } END { exit n < 2 }' "$1""#
        let run = try await guardOnTerminal(repo, ["--env", "prod", "--for", "60s"], [
            (Self.measured, "\\003"), (Self.asked(1), "c\\n"), (afterContinuing, "\\003"), (Self.asked(2), "k\\n"),
        ])
        #expect(run.status == 130, "\(run)")
        #expect(run.screen.contains("continuing to watch"), "\(run)")
        #expect(run.screen.contains("keeping"), "\(run)")
        let event = try await guardEvent(repo)
        #expect(event["status"] as? String == "interrupted" && event["decision"] as? String == "keep-unverified", "\(event)")
        // Sampling went on after "continue": more measurements than the one before the first Ctrl-C.
        let check = try #require((event["checks"] as? [[String: Any]])?.first)
        #expect((check["taken"] as? Int ?? 0) >= 3, "\(check)")
        // The window is the one asked for, and nothing was marked.
        #expect(event["windowMs"] as? Int == 60_000, "\(event)")
        #expect(try await repo.timeturner("last-good", "--env", "prod").status != 0)
        #expect(!repo.exists(".git/timeturner/lock"))
    }

    @Test func ctrlCOnATerminalRollsBackOnTheOperatorsWordOnceAsOnFailRollbackDoes() async throws {
        let (repo, good, bad) = try await deployedRepository()
        // A check that passes on the deploy: the rollback is the operator's decision, not the checks'.
        try await configure(repo, "up", [("kind", "command"), ("command", "true"), ("interval", "200ms")])
        let up = #"grep -q "'true' exited with status 0" "$1""#
        let run = try await guardOnTerminal(repo, ["--env", "prod", "--for", "60s", "--check", "up"], [
            (up, "\\003"), (Self.asked(1), "r\\n"), (#"grep -q "Type 'rollback' to go ahead" "$1""#, "rollback\\n"),
        ])
        #expect(run.status == 10, "\(run)")
        #expect(run.screen.contains("[check: up]"), "the rollback was not verified with the guard's checks: \(run)")
        #expect(try await repo.git("rev-parse", "HEAD^{tree}").trimmed == (try await repo.git("rev-parse", good + "^{tree}").trimmed))
        let event = try await guardEvent(repo)
        #expect(event["decision"] as? String == "operator-rollback" && event["status"] as? String == "failed-rolled-back", "\(event)")
        #expect(event["rollback"] is String && event["to"] as? String == good, "\(event)")
        let shown = try await repo.timeturner("show", bad)
        #expect(shown.stdout.contains("bad in prod") && shown.stdout.contains("the operator stopped guard"), "\(shown)")
        // Never a second automatic rollback for the same commit, whoever asked for the first.
        _ = try await repo.git("reset", "-q", "--hard", bad)
        let again = try await guardOnTerminal(repo, ["--env", "prod", "--for", "60s", "--check", "up"], [(up, "\\003"), (Self.asked(1), "r\\n")])
        #expect(again.status == 10 && again.screen.contains("already rolled back automatically once"), "\(again)")
        #expect(try await repo.git("rev-parse", "HEAD").trimmed == bad)
    }

    @Test func ctrlCOnATerminalWithNoAnswerKeepsAndSIGTERMIsNeverAskedAbout() async throws {
        let repo = try await ScratchRepository()
        _ = try await repo.commit("release", files: ["state": "ok\n"])
        try await configure(repo, "state", [("kind", "command"), ("command", "grep -q ok state"), ("interval", "200ms")])
        // End of input (Ctrl-D) at the question keeps the commit unverified.
        let ended = try await guardOnTerminal(repo, ["--env", "prod", "--for", "60s"], [(Self.measured, "\\003"), (Self.asked(1), "\\004")])
        #expect(ended.status == 130 && ended.screen.contains("no answer: keeping"), "\(ended)")
        #expect(try await guardEvent(repo)["decision"] as? String == "keep-unverified")
        // SIGTERM comes from a machine: on a terminal too it stops at once, unasked.
        let terminate = Self.measured + #" && kill -TERM "$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' .git/timeturner/lock)""#
        let terminated = try await guardOnTerminal(repo, ["--env", "prod", "--for", "60s"], [(terminate, "")])
        #expect(terminated.status == 143 && !terminated.screen.contains("[r/k/c]"), "\(terminated)")
        let event = try await guardEvent(repo)
        #expect(event["status"] as? String == "interrupted" && event["decision"] as? String == "none", "\(event)")
    }
}

extension String {
    fileprivate func components(_ separator: String) -> Int { split(separator: separator, omittingEmptySubsequences: false).count - 1 }
}
