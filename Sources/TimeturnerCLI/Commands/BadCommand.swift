import ArgumentParser
import GitKit
import TimeturnerCore

struct BadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bad",
        abstract: "Mark a commit bad in an environment (default HEAD).",
        discussion: """
        Appends one line to marks/<env>/<YYYY-MM>.jsonl in refs/timeturner/registry, as one new \
        registry commit ('git log refs/timeturner/registry' shows it). Concurrent writers never \
        lose a mark. 'by' is your git identity unless --by names someone else.

        Examples:
          git timeturner bad --env production --reason "error rate 12% after deploy"
          git timeturner bad 1a2b3c4 --env staging --json
        """
    )

    @OptionGroup var options: MarkOptions

    @Option(help: "Why it is bad (e.g. the failing check's output).")
    var reason: String?

    func run() throws {
        try options.record(.bad, note: reason)
    }
}

extension BadCommand: PlainlyParsable {
    static let plainOptions = MarkOptions.plainOptions + [.value("--reason")]

    static func plainlyParsed(_ arguments: ArraySlice<String>) -> BadCommand? {
        guard let (line, options) = MarkOptions.plainlyParsed(arguments, options: plainOptions) else { return nil }
        var command = BadCommand()
        command.options = options
        command.reason = line.value("--reason")
        return command
    }
}
