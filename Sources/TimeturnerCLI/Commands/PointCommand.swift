import ArgumentParser
import GitKit
import TimeturnerCore
import TimeturnerExecutors

struct PointCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "point",
        abstract: "Record a rollback point on a commit (default HEAD).",
        discussion: """
        The point is an annotated tag at refs/timeturner/points/<id> (never under refs/tags/, so \
        'git describe' and 'git push --tags' are unaffected) plus one JSON line in the note on the \
        commit in refs/notes/timeturner. Every tier configured with an executor \
        (timeturner.tier.<tier>.executor) is captured too, each capture appended to the note as a \
        {"type":"capture",…} line; if a capture fails, the point is removed again.

        Examples:
          git timeturner point -m "before the schema change"
          git timeturner point v2.4.0 --name pre-v2.5 --severity high --env production
          git timeturner point --json
        """
    )

    @Argument(help: "The commit to point at (any revision git understands).")
    var commit: String = "HEAD"

    @Option(name: [.short, .long], help: "What the point is for; the first line is the subject.")
    var message: String?

    @Option(help: "The point id (default: a UTC stamp plus a random suffix, e.g. 20261121T223000Z-5f0c1a9e2b44).")
    var name: String?

    @Option(help: "How risky the change ahead is: low, medium, high or critical.")
    var severity: SeverityArgument?

    @Option(help: "The environment this point is for (e.g. production).")
    var env: String?

    @Flag(help: "Record the code tier only; run no executor.")
    var codeOnly = false

    @OptionGroup var options: ConfigurationOptions

    @Flag(help: "Print the point as JSON.")
    var json = false

    func run() async throws {
        let context = CommandContext.process
        let repository = try context.openRepository()
        let attribution = try context.attribution(in: repository)
        let request = PointStore.Request(revision: commit, message: message, name: name, severity: severity?.value, environment: env)
        let store = PointStore(repository: repository)
        var tiers: [TierAssignment] = []
        var configuration: TimeturnerConfiguration? = nil
        if !codeOnly {
            let loaded = try context.configuration(in: repository, overrides: options.overrides)
            tiers = try loaded.tierAssignments()
            configuration = loaded
        }
        let point: RollbackPoint
        var captures: [TierCaptureRecord] = []
        if let configuration, !tiers.isEmpty {
            // Captures run executors (pg_dump of a large database takes a while): a progress line.
            let runner = context.tierDriver(for: configuration, repository: repository)
            (point, captures) = try await ProgressLine(terminal: context.terminal, environment: context.environment)
                .during("capturing " + tiers.map(\.tier).joined(separator: ", ")) {
                    try await store.createCapturing(request, tiers: tiers, executing: runner, by: attribution)
                }
        } else {
            point = try store.create(request, by: attribution)
        }
        if json {
            guard case .object(var fields) = point.json else { return }
            if !captures.isEmpty { fields["captures"] = .array(captures.map(\.json)) }
            context.printJSON(.object(fields))
        } else {
            context.terminal.out("Created rollback point \(Terminal.escaped(point.id)) at \(point.commit.short): \(Terminal.escaped(point.subject))")
            for capture in captures {
                context.terminal.out("  captured \(capture.tier) with \(Terminal.escaped(capture.executor))")
            }
            // Suggest the rollback that uses what was just captured; without --tiers it would
            // roll back the code alone.
            let tiers = ["code"] + captures.map(\.tier).filter { $0 != "code" }
            let tierWords = captures.isEmpty ? "" : " --tiers " + tiers.joined(separator: ",")
            context.terminal.out("  roll back to it: git timeturner rollback --to \(point.id)\(tierWords)")
        }
    }
}

/// `--severity` parsed by the argument parser so a typo is a usage error listing the choices.
struct SeverityArgument: ExpressibleByArgument {
    let value: Severity
    init?(argument: String) {
        guard let value = Severity(rawValue: argument.lowercased()) else { return nil }
        self.value = value
    }
    static var allValueStrings: [String] { Severity.allCases.map(\.rawValue) }
}

extension PointCommand: PlainlyParsable {
    static let plainOptions: [PlainCommandLine.Option] = [
        .value("--message", "-m"), .value("--name"), .value("--severity"), .value("--env"),
        .flag("--code-only"), .repeatable("-c"), .flag("--json"),
    ]

    static func plainlyParsed(_ arguments: ArraySlice<String>) -> PointCommand? {
        guard let line = PlainCommandLine(arguments, options: plainOptions, positionals: 1),
              let severity = line.value("--severity", as: SeverityArgument.self) else { return nil }
        var command = PointCommand()
        command.commit = line.positionals.first ?? "HEAD"
        command.message = line.value("--message")
        command.name = line.value("--name")
        command.severity = severity
        command.env = line.value("--env")
        command.codeOnly = line.has("--code-only")
        command.options = ConfigurationOptions.plain(line)
        command.json = line.has("--json")
        return command
    }
}
