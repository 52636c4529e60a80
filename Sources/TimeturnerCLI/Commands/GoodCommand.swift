import ArgumentParser
import GitKit
import TimeturnerCore

struct GoodCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "good",
        abstract: "Mark a commit good in an environment (default HEAD).",
        discussion: """
        Appends one line to marks/<env>/<YYYY-MM>.jsonl in refs/timeturner/registry, as one new \
        registry commit ('git log refs/timeturner/registry' shows it). Concurrent writers never \
        lose a mark. 'by' is your git identity unless --by names someone else.

        With --capture (what hooks/post-deploy does after a deploy): first makes sure a point on \
        the commit holds a capture of every configured tier (reusing one, or making one and \
        running each tier's executor), so 'rollback --env <env> --level 2' can later bring the \
        tiers back to this deploy. Run it on the machine that runs the deployed system.

        Examples:
          git timeturner good --env production --evidence "health checks passed"
          git timeturner good --env production --capture --evidence "post-deploy check passed"
          git timeturner good v2.4.0 --env staging --by "Deploy Bot <deploy@example.com>" --json
        """
    )

    @OptionGroup var options: MarkOptions

    @Option(help: "What shows it is good (e.g. \"health checks passed\").")
    var evidence: String?

    @Flag(help: "Also capture every configured tier on this commit (once), so tiers can be rolled back to it.")
    var capture = false

    @OptionGroup var configurationOptions: ConfigurationOptions

    func run() async throws {
        guard capture else { return try options.record(.good, note: evidence) }
        let context = CommandContext.process
        let repository = try context.openRepository()
        let attribution = try context.attribution(in: repository)
        let configuration = try context.configuration(in: repository, overrides: configurationOptions.overrides)
        let captured = try await PointStore(repository: repository).ensureCaptured(
            revision: options.commit, environment: options.env, tiers: try configuration.tierAssignments(),
            executing: context.tierDriver(for: configuration, repository: repository), by: attribution)
        try options.record(.good, note: evidence, captured: captured.map { ($0.point, $0.captures, $0.created) })
    }
}

extension GoodCommand: PlainlyParsable {
    static let plainOptions = MarkOptions.plainOptions + [.value("--evidence"), .flag("--capture"), .repeatable("-c")]

    static func plainlyParsed(_ arguments: ArraySlice<String>) -> GoodCommand? {
        guard let (line, options) = MarkOptions.plainlyParsed(arguments, options: plainOptions) else { return nil }
        var command = GoodCommand()
        command.options = options
        command.evidence = line.value("--evidence")
        command.capture = line.has("--capture")
        command.configurationOptions = ConfigurationOptions.plain(line)
        return command
    }
}
