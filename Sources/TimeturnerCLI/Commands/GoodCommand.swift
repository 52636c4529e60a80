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

    @OptionGroup var options: MarkOptions

    @Option(help: "What shows it is good (e.g. \"health checks passed\").")
    var evidence: String?

    func run() throws {
        try options.record(.good, note: evidence)
    }
}
