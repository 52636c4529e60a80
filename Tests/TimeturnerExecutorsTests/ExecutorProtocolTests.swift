import Synchronization
import Testing
import TestSupport
import TimeturnerCore
@testable import TimeturnerExecutors
internal import Glibc

/// The runner's side of executor protocol v1, against a real executor program
/// (Tests/Fixtures/executors/git-timeturner-exec-testing) in each of its failure modes.
@Suite struct ExecutorProtocolTests {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
    }

    let directory: String
    let environment: [String: String]

    init() throws {
        directory = try makeTemporaryDirectory("executors")
        environment = ["PATH": Fixtures.executors + ":/usr/local/bin:/usr/bin:/bin", "HOME": directory, "LANG": "C.UTF-8", "TZ": "UTC"]
    }

    func runner(_ seen: Lines = Lines(), environment extra: [String: String] = [:]) -> ExecutorTierDriver {
        ExecutorTierDriver(environment: environment.merging(extra) { $1 }, repositoryPath: directory) { executor, line in
            seen.lines.withLock { $0.append("\(executor): \(line)") }
        }
    }

    func testing(_ mode: String, timeout: Int64 = 30, outputLimit: Int = 1 << 20, extra: [String: [String]] = [:]) -> TierAssignment {
        TierAssignment(tier: "deploy", executor: "testing", settings: ["mode": [mode]].merging(extra) { $1 },
                       timeoutSeconds: timeout, outputLimit: outputLimit)
    }

    /// Runs `verb` and returns the error's whole text (message, causes, hint).
    func failure(_ assignment: TierAssignment, _ verb: ExecutorVerb = .verify) async -> TimeturnerError? {
        do {
            _ = try await runner().call(assignment, verb: verb)
            return nil
        } catch {
            return error
        }
    }

    @Test func aRoundTripSendsTheRequestOnStdinAndTheVerbAsArgument() async throws {
        let log = directory + "/requests.jsonl"
        let seen = Lines()
        let assignment = TierAssignment(tier: "deploy", executor: "testing", settings: ["log": [log], "path": ["a", "b"]])
        let (response, _) = try await runner(seen).call(assignment, verb: .capture, point: PointReference(id: "p1", commit: String(repeating: "a", count: 40)))
        #expect(response.ok)
        #expect(response.capture?["tier"]?.stringValue == "deploy")
        #expect(response.capture?["point"]?["id"]?.stringValue == "p1")
        // Standard error arrives line by line, named after the executor.
        #expect(seen.all.contains("testing: testing executor: capture in mode ok"))
        let recorded = try #require(JSONLines.parse(readFile(log) ?? [], source: log).objects.first)
        #expect(recorded["argv_verb"]?.stringValue == "capture")
        let request = try #require(recorded["request"])
        #expect(request["protocol"]?.intValue == 1)
        #expect(request["verb"]?.stringValue == "capture")
        #expect(request["executor"]?.stringValue == "testing")
        #expect(request["repository"]?.stringValue == directory)
        #expect(request["dryRun"]?.boolValue == false)
        // One value stays a string; a repeated key becomes an array.
        #expect(request["settings"]?["log"]?.stringValue == log)
        #expect(request["settings"]?["path"] == ["a", "b"])
    }

    @Test func aNonZeroExitNamesExecutorVerbTierStatusAndStandardError() async throws {
        let error = try #require(await failure(testing("fail")))
        #expect(error.message == "executor 'testing' failed to verify the deploy tier: it exited with status 3")
        #expect(error.causes.contains("testing: something broke on purpose"))
    }

    @Test func okFalseIsAFailureWithTheExecutorsMessage() async throws {
        let error = try #require(await failure(testing("not-ok"), .rollback))
        #expect(error.message == "executor 'testing' failed to rollback the deploy tier: it reported failure: the cluster is unreachable")
    }

    @Test func invalidJSONIsNamedAndQuoted() async throws {
        let error = try #require(await failure(testing("invalid-json"), .capture))
        #expect(error.message.hasPrefix("executor 'testing' failed to capture the deploy tier: its output is not valid JSON"))
        #expect(error.message.contains("this is not json {"))
        #expect(error.hint?.contains("docs/executor-protocol.md") == true)
    }

    @Test func aWrongOrMissingProtocolNumberIsRefused() async throws {
        let wrong = try #require(await failure(testing("wrong-protocol")))
        #expect(wrong.message.contains("it answered with protocol 2; this git-timeturner speaks protocol 1"))
        let missing = try #require(await failure(testing("no-protocol")))
        #expect(missing.message.contains("it answered with protocol (none"))
    }

    @Test func aPrettyPrintedResponseIsStillOneObject() async throws {
        let (response, _) = try await runner().call(testing("pretty"), verb: .capture)
        #expect(response.capture == ["pretty": true])
    }

    @Test func aHangingExecutorIsKilledWithItsChildrenAtTheTimeout() async throws {
        let pidfile = directory + "/child.pid"
        let error = try #require(await failure(testing("hang", timeout: 1, extra: ["pidfile": [pidfile]])))
        #expect(error.message == "executor 'testing' failed to verify the deploy tier: it did not answer within 1s and was killed with its process group")
        #expect(error.hint?.contains("timeturner.executor.testing.timeout") == true)
        let pid = try #require(Int32(String(decoding: readFile(pidfile) ?? [], as: UTF8.self).trimmed))
        var alive = true
        for _ in 0..<50 where alive {
            alive = kill(pid, 0) == 0 && !(String(decoding: readFile("/proc/\(pid)/stat") ?? [], as: UTF8.self).contains(") Z"))
            if alive { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(!alive, "the executor's child \(pid) survived")
    }

    @Test func floodingOutputIsAnErrorNotAHang() async throws {
        let error = try #require(await failure(testing("flood", outputLimit: 256 * 1024)))
        #expect(error.message == "executor 'testing' failed to verify the deploy tier: it wrote more than 262144 bytes of output and was killed with its process group")
        let stderrFlood = try #require(await failure(testing("flood-stderr", outputLimit: 256 * 1024)))
        #expect(stderrFlood.message.contains("wrote more than 262144 bytes"))
    }

    @Test func theEnvironmentIsScrubbedOfGitVariables() async throws {
        let leaky = ["GIT_DIR": "/elsewhere/.git", "GIT_INDEX_FILE": "/elsewhere/index", "GIT_WORK_TREE": "/elsewhere",
                     "GIT_PREFIX": "sub/", "TIMETURNER_TRUST": "abc", "PGPASSWORD": "secret"]
        let (response, _) = try await runner(environment: leaky).call(testing("env"), verb: .capture)
        let seen = try #require(response.capture?["env"]?.objectValue)
        #expect(seen.keys.filter { $0.hasPrefix("GIT_") }.isEmpty, "\(seen.keys.sorted())")
        #expect(seen["TIMETURNER_TRUST"] == nil)
        #expect(seen["PATH"]?.stringValue == environment["PATH"])
        #expect(seen["HOME"]?.stringValue == directory)
        #expect(seen["LANG"]?.stringValue == "C.UTF-8")
        #expect(seen["TZ"]?.stringValue == "UTC")
        #expect(seen["PGPASSWORD"]?.stringValue == "secret")
        #expect(seen["TIMETURNER_EXECUTOR"]?.stringValue == "testing")
        #expect(seen["TIMETURNER_TIER"]?.stringValue == "deploy")
    }

    @Test func discoveryPrefersBuiltinsThenConfiguredCommandThenPath() throws {
        let resolver = ExecutorResolver(environment: environment, repositoryPath: directory)
        #expect(try resolver.resolve(TierAssignment(tier: "db", executor: "postgres")) == .builtin("postgres"))
        #expect(try resolver.resolve(TierAssignment(tier: "deploy", executor: "testing")) == .pathProgram(Fixtures.executors + "/git-timeturner-exec-testing"))
        #expect(try resolver.resolve(TierAssignment(tier: "deploy", executor: "testing", executorCommand: "scripts/deploy 'two words' --x"))
                == .configuredCommand([directory + "/scripts/deploy", "two words", "--x"]))
        #expect(resolver.programsOnPath().map(\.name).contains("trivial"))
        #expect(throws: TimeturnerError.self) { try resolver.resolve(TierAssignment(tier: "db", executor: "postgres", executorCommand: "x")) }
        do {
            _ = try resolver.resolve(TierAssignment(tier: "deploy", executor: "nowhere"))
            Issue.record("an unknown executor resolved")
        } catch {
            #expect(error.message == "no executor named 'nowhere' (for the deploy tier)")
            #expect(error.hint?.contains("git-timeturner-exec-nowhere") == true)
        }
    }

    @Test func aMissingProgramIsANamedError() async throws {
        let error = try #require(await failure(TierAssignment(tier: "deploy", executor: "gone", executorCommand: "/nonexistent/exec")))
        #expect(error.message.hasPrefix("executor 'gone' failed to verify the deploy tier: could not start /nonexistent/exec"))
    }

    @Test func commandWordsSplitLikeAShellWithoutExpanding() throws {
        #expect(try CommandWords.split("a  b\tc") == ["a", "b", "c"])
        #expect(try CommandWords.split(#"sh -c 'echo "$HOME" | cat'"#) == ["sh", "-c", #"echo "$HOME" | cat"#])
        #expect(try CommandWords.split(#"x "a \"q\" b" c\ d ''"#) == ["x", #"a "q" b"#, "c d", ""])
        #expect(try CommandWords.split("$(rm -rf /) `x` *") == ["$(rm", "-rf", "/)", "`x`", "*"])
        #expect(throws: TimeturnerError.self) { try CommandWords.split("'unterminated") }
    }

    @Test func responsesAreParsedStrictly() throws {
        #expect(throws: ResponseProblem.notJSON) { try ExecutorResponse.parse(Array("".utf8)) }
        #expect(throws: ResponseProblem.notAnObject) { try ExecutorResponse.parse(Array("[1]".utf8)) }
        #expect(throws: ResponseProblem.self) { try ExecutorResponse.parse(Array(#"{"protocol":1,"ok":"yes"}"#.utf8)) }
        #expect(throws: ResponseProblem.self) { try ExecutorResponse.parse(Array(#"{"protocol":1,"ok":true}{"protocol":1,"ok":true}"#.utf8)) }
        let parsed = try ExecutorResponse.parse(Array(#"{"protocol":1,"ok":true,"capture":{"k":[1]},"future":"ignored"}"#.utf8 + [0x0a]))
        #expect(parsed.capture == ["k": [1]])
    }
}
