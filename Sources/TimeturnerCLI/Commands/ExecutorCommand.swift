import ArgumentParser
import GitKit
import TimeturnerCore
import TimeturnerExecutors

/// `git timeturner executor list|describe|run`: see and exercise executors by hand.
struct ExecutorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "executor",
        abstract: "List, describe and run tier executors (for setting them up and debugging them).",
        discussion: """
        Executors are found by name: built-ins (command, files, migrations, postgres, release-dir), then \
        timeturner.executor.<name>.command in configuration, then git-timeturner-exec-<name> on \
        PATH. The protocol is in docs/executor-protocol.md.

        Examples:
          git timeturner executor list
          git timeturner executor describe postgres
          git timeturner executor run postgres verify --tier db
          git timeturner executor run kubectl capture --json
        """,
        subcommands: [List.self, Describe.self, Run.self]
    )
}

extension ExecutorCommand {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List built-in, configured and installed executors, and which tier uses which.",
            discussion: "The summary of a configured or installed executor is what its 'describe' verb answers; it is asked each time (a configured one only once .timeturner is trusted)."
        )

        @OptionGroup var options: ConfigurationOptions

        @Flag(help: "Print one JSON object.")
        var json = false

        func run() async throws {
            let context = CommandContext.process
            let repository = try context.openRepository()
            let configuration = try context.configuration(in: repository, overrides: options.overrides)
            let resolver = ExecutorResolver(environment: context.environment, repositoryPath: configuration.repositoryPath)
            var rows: [(name: String, source: String, summary: String)] = ExecutorResolver.builtins.map { ($0.name, "built-in", $0.summary) }
            for setting in configuration.effective where setting.key.hasPrefix("timeturner.executor.") && setting.key.hasSuffix(".command") {
                let name = String(setting.key.dropFirst("timeturner.executor.".count).dropLast(".command".count))
                rows.append((name, "\(setting.origin): \(setting.value)", ""))
            }
            for program in resolver.programsOnPath() where !rows.contains(where: { $0.name == program.name }) {
                rows.append((program.name, program.path, ""))
            }
            let runner = context.tierDriver(for: configuration, repository: repository)
            for index in rows.indices where rows[index].source != "built-in" {
                rows[index].summary = await Self.summary(of: rows[index].name, configuration: configuration, runner: runner)
            }
            let tiers = (try? configuration.tierAssignments()) ?? []
            if json {
                context.printJSON([
                    "executors": .array(rows.map { ["name": .string($0.name), "source": .string($0.source), "summary": .string($0.summary)] }),
                    "tiers": .array(tiers.map { ["tier": .string($0.tier), "executor": .string($0.executor)] }),
                ])
                return
            }
            context.terminal.out(Table(header: ["EXECUTOR", "FROM", "SUMMARY"],
                                       rows: rows.map { [Terminal.escaped($0.name), Terminal.escaped($0.source), Terminal.escaped($0.summary)] }).rendered)
            if !tiers.isEmpty {
                context.terminal.out("")
                context.terminal.out("tiers: " + tiers.map { "\($0.tier) → \(Terminal.escaped($0.executor))" }.joined(separator: ", "))
            }
        }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "describe", abstract: "Say what an executor is and which settings it reads (runs its 'describe' verb).")

        @Argument(help: "The executor's name.")
        var name: String

        @OptionGroup var options: ConfigurationOptions

        @Flag(help: "Print the executor's response as JSON.")
        var json = false

        func run() async throws {
            let context = CommandContext.process
            let repository = try context.openRepository()
            let configuration = try context.configuration(in: repository, overrides: options.overrides)
            let assignment = try configuration.executorAssignment(name: name, tier: nil)
            let runner = context.tierDriver(for: configuration, repository: repository)
            let (response, _) = try await runner.call(assignment, verb: .describe)
            let source = try ExecutorResolver(environment: context.environment, repositoryPath: configuration.repositoryPath).resolve(assignment)
            if json {
                guard case .object(var fields) = response.json else { return }
                fields["source"] = .string(source.description)
                context.printJSON(.object(fields))
                return
            }
            let t = context.terminal
            t.out("\(Terminal.escaped(name)) (\(Terminal.escaped(source.description)))")
            if let summary = response.summary { t.out("  " + Terminal.escaped(summary)) }
            if let verbs = response.verbs { t.out("  verbs: " + verbs.map(\.rawValue).joined(separator: ", ")) }
            if let builtin = ExecutorResolver.builtin(named: name) {
                t.out("  settings (timeturner.tier.<tier>.<key> or timeturner.executor.\(name).<key>):")
                for (key, meaning) in builtin.settingsHelp { t.out("    \(key): \(meaning)") }
            }
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Run one verb of an executor and print its response.",
            discussion: "The request is built exactly as a rollback would build it; --capture supplies the capture for 'rollback'."
        )

        @Argument(help: "The executor's name.")
        var name: String

        @Argument(help: "describe, capture, rollback or verify.")
        var verb: VerbArgument

        @Option(help: "Use this tier's settings (timeturner.tier.<tier>.*) as a rollback would.")
        var tier: String?

        @Option(help: "The capture to roll back to, as JSON (what 'capture' returned).")
        var capture: String?

        @Option(help: "The point id passed in the request.")
        var point: String?

        @Flag(help: "Ask the executor to change nothing and say what it would do.")
        var dryRun = false

        @Option(name: .customLong("repeat"), help: "Run the call this many times and report the timings (for measuring an executor).")
        var repetitions: Int = 1

        @OptionGroup var options: ConfigurationOptions

        @Flag(help: "Print the response as JSON.")
        var json = false

        func validate() throws {
            guard (1...10_000).contains(repetitions) else { throw ValidationError("--repeat must be between 1 and 10000") }
        }

        func run() async throws {
            let context = CommandContext.process
            let repository = try context.openRepository()
            let configuration = try context.configuration(in: repository, overrides: options.overrides)
            let assignment = try configuration.executorAssignment(name: name, tier: tier)
            var captureValue: JSONValue? = nil
            if let capture {
                guard let parsed = JSONValue.parseDocument(Array(capture.utf8)) else {
                    throw TimeturnerError(.usage, "--capture is not valid JSON", hint: "pass what 'capture' returned, e.g. --capture '{\"release\":\"v1\"}'")
                }
                captureValue = parsed
            }
            var pointReference: PointReference? = nil
            if let point {
                guard let found = try PointStore(repository: repository).point(id: point) else {
                    throw TimeturnerError(.failure, "no rollback point named '\(point)'", hint: "list them with 'git timeturner points'")
                }
                pointReference = PointReference(id: found.id, commit: found.commit.hex)
            }
            let runner = context.tierDriver(for: configuration, repository: repository)
            var response = ExecutorResponse()
            var durations: [Int64] = []
            let progress = ProgressLine(terminal: context.terminal, environment: context.environment)
            for _ in 0..<repetitions {
                let (answer, microseconds) = try await progress.during("\(Terminal.escaped(name)) \(verb.value.rawValue)") {
                    try await runner.call(assignment, verb: verb.value, point: pointReference, capture: captureValue, dryRun: dryRun)
                }
                response = answer
                durations.append(microseconds)
            }
            durations.sort()
            let median = Double(durations[durations.count / 2]) / 1000
            if json {
                guard case .object(var fields) = response.json else { return }
                if repetitions > 1 {
                    fields["timings"] = ["calls": .int(Int64(durations.count)), "medianMilliseconds": .double(median),
                                         "minMilliseconds": .double(Double(durations[0]) / 1000),
                                         "maxMilliseconds": .double(Double(durations[durations.count - 1]) / 1000)]
                }
                context.printJSON(.object(fields))
                return
            }
            let what = response.message ?? response.summary ?? "ok"
            let timing = repetitions > 1 ? "\(durations.count) calls, median \(Self.format(median)) ms, min \(Self.format(Double(durations[0]) / 1000)) ms"
                                         : "\(Self.format(median)) ms"
            context.terminal.out("\(Terminal.escaped(name)) \(verb.value.rawValue): \(Terminal.escaped(what)) (\(timing))")
            if let capture = response.capture { context.terminal.out("capture: " + Terminal.escaped(capture.canonicalLine)) }
        }

        static func format(_ milliseconds: Double) -> String {
            let hundredths = Int((milliseconds * 100).rounded())
            let fraction = hundredths % 100
            return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
        }
    }
}

struct VerbArgument: ExpressibleByArgument {
    let value: ExecutorVerb
    init?(argument: String) {
        guard let value = ExecutorVerb(rawValue: argument) else { return nil }
        self.value = value
    }
    static var allValueStrings: [String] { ExecutorVerb.allCases.map(\.rawValue) }
}

extension ExecutorCommand.List {
    /// What an external executor says of itself, or why it could not say (not trusted, not
    /// speaking the protocol): the list must show every executor even when one misbehaves.
    static func summary(of name: String, configuration: TimeturnerConfiguration, runner: ExecutorTierDriver) async -> String {
        do {
            let assignment = try configuration.executorAssignment(name: name, tier: nil)
            let (response, _) = try await runner.call(assignment, verb: .describe)
            return response.summary ?? "(its describe gave no summary)"
        } catch {
            return "(describe failed: \(error.message))"
        }
    }
}
