import GitKit
import Testing
@testable import TimeturnerCore

/// The check model without processes: thresholds, configuration parsing and refusals, the
/// judgement of readings and every sampling rule.
@Suite struct CheckModelTests {
    func configuration(_ pairs: [(String, String)], shared: Bool = false, trusted: Bool = true) -> TimeturnerConfiguration {
        let origin: ConfigurationOrigin = shared ? .sharedFile(path: "/repo/.timeturner") : .gitConfig(.local)
        return TimeturnerConfiguration(
            settings: pairs.map { ConfigurationSetting(key: TimeturnerConfiguration.normalisedKey($0.0)!, value: $0.1, origin: origin) },
            sharedFile: shared ? SharedConfigurationFile(path: "/repo/.timeturner", sha256: "ab") : nil,
            trust: shared ? (trusted ? .trusted(via: "test") : .untrusted(reason: "never trusted")) : .noSharedFile, repositoryPath: "/repo")
    }

    func refusal(_ pairs: [(String, String)], check: String = "c") -> TimeturnerError? {
        do { _ = try configuration(pairs).check(check); return nil } catch { return error }
    }

    // MARK: thresholds

    @Test func thresholdsParseNumbersAndBaselines() throws {
        let simple = try #require(Threshold(parsing: "< 0.01"))
        #expect(simple.comparison == .less && simple.offset == 0.01 && !simple.usesBaseline)
        #expect(simple.matches(0.005, baseline: nil) == true)
        #expect(simple.matches(0.01, baseline: nil) == false)
        #expect(Threshold(parsing: ">=200")?.matches(200, baseline: nil) == true)
        #expect(Threshold(parsing: "!= 3")?.matches(3, baseline: nil) == false)
        #expect(Threshold(parsing: "== 1")?.matches(1, baseline: nil) == true)
        let relative = try #require(Threshold(parsing: "> baseline * 1.5 + 0.002"))
        #expect(relative.usesBaseline && relative.factor == 1.5 && relative.offset == 0.002)
        #expect(relative.bound(baseline: 0.01) == 0.01 * 1.5 + 0.002)
        #expect(relative.matches(0.018, baseline: 0.01) == true)
        #expect(relative.matches(0.016, baseline: 0.01) == false)
        #expect(relative.matches(1, baseline: nil) == nil)
        #expect(relative.description == "> baseline * 1.5 + 0.002")
        #expect(Threshold(parsing: "> baseline")?.bound(baseline: 4) == 4)
        #expect(Threshold(parsing: "< baseline - 1")?.bound(baseline: 4) == 3)
        for bad in ["0.01", "< ", "<< 1", "< baseline *", "< baseline * x", "< baseline + 1 + 2", "< nan", "< 1 2", "~ 1", "< baseline / 2"] {
            #expect(Threshold(parsing: bad) == nil, "\(bad) parsed")
        }
    }

    @Test func durationsGoBelowASecond() {
        #expect(CheckDurationText.parse("500ms") == .milliseconds(500))
        #expect(CheckDurationText.parse("2s") == .seconds(2))
        #expect(CheckDurationText.parse("3") == .seconds(3))
        #expect(CheckDurationText.parse("5m") == .seconds(300))
        #expect(CheckDurationText.parse("soon") == nil)
        #expect(CheckDurationText.parse("-1s") == nil)
        #expect(CheckDurationText.format(.milliseconds(1500)) == "1500ms")
        #expect(CheckDurationText.format(.seconds(120)) == "2m")
    }

    // MARK: configuration

    @Test func checksAreParsedFromConfiguration() throws {
        let config = configuration([
            ("timeturner.check.errors.kind", "prometheus"), ("timeturner.check.errors.server", "http://127.0.0.1:9090"),
            ("timeturner.check.errors.query", "sum(rate(errors_total[1m]))"), ("timeturner.check.errors.fail-if", "> baseline * 2"),
            ("timeturner.check.errors.no-data", "inconclusive"), ("timeturner.check.errors.window", "15m"),
            ("timeturner.check.errors.interval", "30s"), ("timeturner.check.errors.failure-limit", "2"),
            ("timeturner.check.errors.severity", "critical"), ("timeturner.check.errors.reduce", "sum"),
            ("timeturner.check.health.kind", "http"), ("timeturner.check.health.url", "http://127.0.0.1:8080/health"),
            ("timeturner.check.health.expect-status", "200,204, 3xx"), ("timeturner.check.health.json-field", "checks.0.ok"),
            ("timeturner.check.health.pass-if", "== 1"), ("timeturner.check.health.timeout", "750ms"),
            ("timeturner.check.smoke.kind", "command"), ("timeturner.check.smoke.command", "make smoke"),
        ])
        #expect(config.checkNames == ["errors", "health", "smoke"])
        let errors = try config.check("errors")
        #expect(errors.probe == .prometheus(server: "http://127.0.0.1:9090", query: "sum(rate(errors_total[1m]))", reduce: .sum))
        #expect(errors.noData == .inconclusive && errors.severity == .critical && errors.needsBaseline)
        #expect(errors.sampling.window == .seconds(900) && errors.sampling.count == nil && errors.sampling.interval == .seconds(30))
        #expect(errors.sampling.failureLimit == 2 && errors.sampling.errorLimit == 4)
        let health = try config.check("health")
        guard case .http(_, let method, let statuses, let field) = health.probe else { Issue.record("not http"); return }
        #expect(method == "GET" && field == "checks.0.ok" && health.timeout == .milliseconds(750))
        #expect(statuses.contains(200) && statuses.contains(204) && statuses.contains(302) && !statuses.contains(201) && !statuses.contains(404))
        let smoke = try config.check("smoke")
        #expect(smoke.probe == .command("make smoke", valueFromOutput: false) && smoke.sampling.count == 1 && smoke.severity == .high)
        #expect(try config.checks(named: []).map(\.name) == ["errors", "health", "smoke"])
        #expect(throws: TimeturnerError.self) { try config.checks(named: ["nope"]) }
    }

    @Test func prometheusChecksMustStateNoData() throws {
        let error = try #require(refusal([("timeturner.check.c.kind", "prometheus"), ("timeturner.check.c.server", "http://127.0.0.1:9090"),
                                          ("timeturner.check.c.query", "up"), ("timeturner.check.c.fail-if", "< 1")]))
        #expect(error.kind == .usage)
        #expect(error.message.hasPrefix("timeturner.check.c.no-data"))
        #expect(error.hint?.contains("fail, inconclusive or pass") == true)
    }

    @Test func badSettingsAreRefusedNamingTheKey() throws {
        let base = [("timeturner.check.c.kind", "command"), ("timeturner.check.c.command", "true")]
        let cases: [([(String, String)], String)] = [
            ([("timeturner.check.c.command", "true")], "timeturner.check.c.kind"),
            ([("timeturner.check.c.kind", "ping")], "timeturner.check.c.kind"),
            ([("timeturner.check.c.kind", "command")], "timeturner.check.c.command"),
            (base + [("timeturner.check.c.intervall", "1s")], "timeturner.check.c.intervall"),
            (base + [("timeturner.check.c.interval", "often")], "timeturner.check.c.interval"),
            (base + [("timeturner.check.c.count", "0")], "timeturner.check.c.count"),
            (base + [("timeturner.check.c.count", "2"), ("timeturner.check.c.window", "1m")], "timeturner.check.c.count"),
            (base + [("timeturner.check.c.pass-if", "< 1")], "timeturner.check.c.pass-if"),
            (base + [("timeturner.check.c.value", "output"), ("timeturner.check.c.fail-if", "> baseline")], "timeturner.check.c.fail-if"),
            (base + [("timeturner.check.c.value", "output"), ("timeturner.check.c.fail-if", "lots")], "timeturner.check.c.fail-if"),
            (base + [("timeturner.check.c.severity", "urgent")], "timeturner.check.c.severity"),
            (base + [("timeturner.check.c.timeout", "0s")], "timeturner.check.c.timeout"),
            ([("timeturner.check.c.kind", "http"), ("timeturner.check.c.url", "ftp://x")], "timeturner.check.c.url"),
            ([("timeturner.check.c.kind", "http"), ("timeturner.check.c.url", "http://x"), ("timeturner.check.c.expect-status", "ok")], "timeturner.check.c.expect-status"),
            ([("timeturner.check.c.kind", "http"), ("timeturner.check.c.url", "http://x"), ("timeturner.check.c.fail-if", "> 1")], "timeturner.check.c.fail-if"),
            ([("timeturner.check.c.kind", "prometheus"), ("timeturner.check.c.server", "http://x"), ("timeturner.check.c.query", "up"),
              ("timeturner.check.c.no-data", "fail")], "timeturner.check.c.pass-if"),
        ]
        for (pairs, key) in cases {
            let error = refusal(pairs)
            #expect(error?.kind == .usage, "\(pairs) was accepted")
            #expect(error?.message.hasPrefix(key) == true, "\(error?.message ?? "accepted") does not name \(key)")
        }
        #expect(refusal(base) == nil)
    }

    @Test func untrustedChecksAreRefused() {
        let pairs = [("timeturner.check.c.kind", "command"), ("timeturner.check.c.command", "true")]
        do {
            _ = try configuration(pairs, shared: true, trusted: false).check("c")
            Issue.record("an untrusted check was accepted")
        } catch {
            #expect(error.kind == .refused)
            #expect(error.message.contains("the check 'c'"))
        }
        #expect((try? configuration(pairs, shared: true, trusted: true).check("c")) != nil)
    }

    @Test func environmentSelectsChecks() throws {
        let config = configuration([
            ("timeturner.check.a.kind", "command"), ("timeturner.check.a.command", "true"), ("timeturner.check.a.env", "production"),
            ("timeturner.check.b.kind", "command"), ("timeturner.check.b.command", "true"),
        ])
        #expect(try config.checks(named: [], environment: "production").map(\.name) == ["a", "b"])
        #expect(try config.checks(named: [], environment: "staging").map(\.name) == ["b"])
        #expect(try config.checks(named: ["a"], environment: "staging").map(\.name) == ["a"])
        #expect(throws: TimeturnerError.self) { try configuration([]).checks(named: []) }
    }

    // MARK: judgement

    func check(passIf: String? = nil, failIf: String? = nil, noData: CheckDefinition.NoData? = nil) -> CheckDefinition {
        CheckDefinition(name: "c", probe: .prometheus(server: "http://x", query: "q", reduce: nil),
                        passIf: passIf.flatMap(Threshold.init(parsing:)), failIf: failIf.flatMap(Threshold.init(parsing:)), noData: noData)
    }

    @Test func readingsAreJudgedWithThresholds() {
        func verdict(_ reading: CheckReading, _ check: CheckDefinition, baseline: Double? = nil) -> MeasurementVerdict {
            CheckJudgement.verdict(of: reading, for: check, baseline: baseline).0
        }
        let both = check(passIf: "< 0.01", failIf: "> 0.05")
        #expect(verdict(.value(0.001, detail: ""), both) == .passed)
        #expect(verdict(.value(0.1, detail: ""), both) == .failed)
        #expect(verdict(.value(0.02, detail: ""), both) == .inconclusive)
        #expect(verdict(.value(0.1, detail: ""), check(failIf: "> 0.05")) == .failed)
        #expect(verdict(.value(0.01, detail: ""), check(failIf: "> 0.05")) == .passed)
        #expect(verdict(.value(0.01, detail: ""), check(passIf: "> 0.05")) == .failed)
        // fail-if wins when both match.
        #expect(verdict(.value(5, detail: ""), check(passIf: "> 1", failIf: "> 2")) == .failed)
        let relative = check(failIf: "> baseline * 1.5 + 0.002")
        #expect(verdict(.value(0.02, detail: ""), relative, baseline: 0.01) == .failed)
        #expect(verdict(.value(0.015, detail: ""), relative, baseline: 0.01) == .passed)
        #expect(verdict(.value(0.015, detail: ""), relative, baseline: nil) == .inconclusive)
        #expect(verdict(.noData(detail: ""), check(failIf: "> 1", noData: .fail)) == .failed)
        #expect(verdict(.noData(detail: ""), check(failIf: "> 1", noData: .pass)) == .passed)
        #expect(verdict(.noData(detail: ""), check(failIf: "> 1", noData: .inconclusive)) == .inconclusive)
        #expect(verdict(.probePassed(detail: ""), both) == .passed)
        #expect(verdict(.probeFailed(detail: ""), both) == .failed)
        #expect(verdict(.error(detail: ""), both) == .error)
        let detail = CheckJudgement.verdict(of: .value(0.02, detail: "q = 0.02"), for: relative, baseline: 0.01).2
        #expect(detail == "q = 0.02: fail-if > baseline * 1.5 + 0.002 (= 0.017)")
    }

    // MARK: sampling

    func run(_ sampling: Sampling, _ verdicts: [MeasurementVerdict]) -> (CheckVerdict, Int) {
        var sampler = CheckSampler(sampling: sampling)
        var index = 0
        while sampler.wantsMore, index < verdicts.count {
            sampler.record(verdicts[index])
            index += 1
        }
        #expect(!sampler.wantsMore, "sampling wanted more than \(verdicts.count) measurements")
        return (sampler.verdict.verdict, sampler.taken)
    }

    @Test func countSamplingPassesWhenAllPass() {
        #expect(run(Sampling(interval: .seconds(1), count: 3), [.passed, .passed, .passed]) == (.passed, 3))
        #expect(run(Sampling(), [.passed]) == (.passed, 1))
    }

    @Test func failuresPastTheLimitFailAtOnce() {
        #expect(run(Sampling(count: 5), [.passed, .failed]) == (.failed, 2))
        #expect(run(Sampling(count: 5, failureLimit: 1), [.failed, .passed, .failed]) == (.failed, 3))
        #expect(run(Sampling(count: 3, failureLimit: 1), [.failed, .passed, .passed]) == (.passed, 3))
    }

    @Test func inconclusivesPastTheLimitAreInconclusive() {
        #expect(run(Sampling(count: 4), [.passed, .inconclusive]) == (.inconclusive, 2))
        #expect(run(Sampling(count: 3, inconclusiveLimit: 1), [.inconclusive, .passed, .passed]) == (.passed, 3))
    }

    @Test func consecutiveErrorsPastTheLimitAreInconclusiveNeverFailed() {
        #expect(run(Sampling(count: 10, errorLimit: 2), [.error, .error, .error]) == (.inconclusive, 3))
        // Errors are counted consecutively: a measurement in between resets them.
        #expect(run(Sampling(count: 5, errorLimit: 1), [.error, .passed, .error, .passed, .passed]) == (.passed, 5))
        var sampler = CheckSampler(sampling: Sampling(count: 5, errorLimit: 0))
        sampler.record(.error)
        #expect(sampler.verdict.reason.contains("provider unreachable"))
    }

    @Test func theEndNeedsConsecutiveSuccesses() {
        #expect(run(Sampling(count: 3, failureLimit: 2, consecutiveSuccesses: 2), [.passed, .failed, .passed]) == (.inconclusive, 3))
        #expect(run(Sampling(count: 3, failureLimit: 2, consecutiveSuccesses: 2), [.failed, .passed, .passed]) == (.passed, 3))
        #expect(run(Sampling(count: 2, errorLimit: 3), [.passed, .error]) == (.inconclusive, 2))
    }

    @Test func windowSamplingMeasuresToTheEndOfTheWindow() {
        let sampling = Sampling(interval: .seconds(1), initialDelay: .seconds(2), window: .seconds(3))
        var sampler = CheckSampler(sampling: sampling)
        var dues: [Duration] = []
        while sampler.wantsMore {
            dues.append(sampler.due(sampler.taken))
            sampler.record(.passed)
        }
        #expect(dues == [.seconds(2), .seconds(3), .seconds(4), .seconds(5)])
        #expect(sampler.verdict.verdict == .passed)
        #expect(sampling.over(window: .seconds(1)).count == nil)
    }

    /// A guard that asked its operator after Ctrl-C and was told to go on: measurements due while
    /// it asked are skipped, not taken in a burst afterwards, and the window ends where it did.
    @Test func aPauseSkipsTheMeasurementsDueWhileItLastedAndKeepsTheWindowsEnd() {
        let sampling = Sampling(interval: .seconds(1), window: .seconds(5))
        var sampler = CheckSampler(sampling: sampling)
        var dues: [Duration] = []
        sampler.record(.passed)  // due at 0 s
        sampler.record(.passed)  // due at 1 s
        // Asked from 1.2 s (while sleeping for the one due at 2 s) until 3.5 s: 2 s and 3 s are skipped.
        while sampler.wantsMore {
            sampler.skip(dueIn: Duration.milliseconds(1200)..<Duration.milliseconds(3500))
            dues.append(sampler.due(sampler.slot))
            sampler.record(.passed)
        }
        #expect(dues == [.seconds(4), .seconds(5)], "\(dues)")
        #expect(sampler.skipped == 2 && sampler.verdict.verdict == .passed, "\(sampler.verdict)")
        #expect(sampler.verdict.reason.contains("2 skipped while paused"))
        // A measurement due before the question (the probe the signal stopped) is not skipped: it is taken again.
        var stopped = CheckSampler(sampling: sampling)
        stopped.skip(dueIn: Duration.milliseconds(100)..<Duration.milliseconds(900))
        #expect(stopped.slot == 0 && stopped.due(stopped.slot) == .zero)
    }

    @Test func nothingMeasuredIsInconclusiveAndADecisionIsFinal() {
        #expect(CheckSampler(sampling: Sampling()).verdict.verdict == .inconclusive)
        var sampler = CheckSampler(sampling: Sampling(count: 3))
        sampler.record(.failed)
        #expect(sampler.record(.passed) == .failed)
        #expect(sampler.taken == 1 && !sampler.wantsMore && sampler.verdict.verdict == .failed)
    }
}
