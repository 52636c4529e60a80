import ArgumentParser
import GitKit
import TimeturnerCore

struct GoodCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "good",
        abstract: "Mark a commit good in an environment (default HEAD).",
        discussion: """
        Appends one line to marks/<env>/<YYYY-MM>.jsonl in refs/timeturner/registry, as one new \
        registry commit ('git log refs/timeturner/registry' shows it). Concurrent writers never \
        lose a mark. 'by' is your git identity unless --by names someone else.

        Examples:
          git timeturner good --env production --evidence "health checks passed"
          git timeturner good v2.4.0 --env staging --by "Deploy Bot <deploy@example.com>" --json
        """
    )

    @Argument(help: "The commit (any revision git understands).")
    var commit: String = "HEAD"

    @Option(help: "The environment (validated like a point name).")
    var env: String

    @Option(help: "What shows it is good (e.g. \"health checks passed\").")
    var evidence: String?

    @Option(help: "Who the mark names, e.g. \"Deploy Bot <deploy@example.com>\" (default: your git identity).")
    var by: String?

    @Flag(help: "Print the mark as JSON.")
    var json = false

    func run() throws {
        let context = CommandContext()
        let repository = try context.openRepository()
        let attribution = try Attribution.resolve(in: repository, environment: context.environment, now: context.now, standIn: by)
        let mark = try KnownGoodRegistry(repository: repository).mark(
            .good, revision: commit, env: env, note: evidence, by: by, attribution: attribution)
        if json {
            context.printJSON(mark.json)
        } else {
            context.terminal.confirm(mark)
        }
    }
}
