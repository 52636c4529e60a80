import ArgumentParser
import GitKit
import TimeturnerCore
import TimeturnerExecutors

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Run checks (commands, HTTP requests, Prometheus queries) with their sampling and print the verdict.",
        discussion: """
        Checks are defined under timeturner.check.<name>.* (kind command, http or prometheus; pass-if, \
        fail-if, interval, initial-delay, count or window, failure-limit, consecutive-successes, \
        inconclusive-limit, error-limit, no-data, severity; docs/checks.md). Without names, every \
        configured check runs (with --env, those whose env setting allows it). Every measurement is \
        printed as it is taken (check, time, value, verdict, detail), then each check's verdict.

        Exit status: 0 all passed, 8 a check failed, 9 none failed but one was inconclusive \
        (no data, provider unreachable, a value between pass-if and fail-if), 130 on Ctrl-C.

        Examples:
          git timeturner check
          git timeturner check health error-rate --env production
          git timeturner check error-rate --baseline-at 2026-11-23T10:00:00Z --json
        """
    )

    @Argument(help: "Checks to run (all configured ones by default).")
    var names: [String] = []

    @Option(help: "The environment: selects checks with a matching env setting and is passed to commands as TIMETURNER_ENV.")
    var env: String?

    @Option(help: "When baseline-relative thresholds read their baseline (RFC 3339; default: now).")
    var baselineAt: TimestampArgument?

    @OptionGroup var configurationOptions: ConfigurationOptions

    @Flag(help: "Print the verdicts and measurements as JSON.")
    var json = false

    func run() async throws {
        let context = CommandContext.process
        let repository = try context.openRepository()
        let configuration = try context.configuration(in: repository, overrides: configurationOptions.overrides)
        let checks = try configuration.checks(named: names, environment: env)
        let rendering = CheckRendering(terminal: context.terminal, toStandardError: json)
        let results = await context.checkRunner(configuration: configuration, environment: env)
            .run(checks, baselineAt: baselineAt?.value ?? context.now) { check, measurement in rendering.measurement(check, measurement) }
        if json {
            context.printJSON(.object(["verdict": .string(results.verdict.rawValue), "checks": .array(results.map(\.json))]))
        } else {
            results.forEach(rendering.verdict)
        }
        if let error = CheckRendering.error(for: results) { throw error }
    }
}

struct TimestampArgument: ExpressibleByArgument {
    let value: Timestamp
    init?(argument: String) {
        guard let value = Timestamp(rfc3339: argument) else { return nil }
        self.value = value
    }
}
