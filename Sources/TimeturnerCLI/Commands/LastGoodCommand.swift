import ArgumentParser
import GitKit
import TimeturnerCore

struct LastGoodCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "last-good",
        abstract: "Print the last good commit in an environment.",
        discussion: """
        The newest good mark in the environment whose commit has no later bad mark and is an \
        ancestor of HEAD (unless --any). Prints the commit id; exits 1 with a message when there \
        is none, or when --max-age says the newest good mark is too old (a staleness alarm for CI).

        Examples:
          git timeturner last-good --env production
          git timeturner last-good --env production --max-age 7d --json
          git checkout "$(git timeturner last-good --env staging --any)"
        """
    )

    @Option(help: "The environment.")
    var env: String

    @Flag(help: "Accept commits that are not ancestors of HEAD.")
    var any = false

    @Option(help: "Fail when the last good mark is older than this (90s, 15m, 12h, 7d, 2w).")
    var maxAge: DurationArgument?

    @Flag(help: "Print the mark as JSON (commit, env, at, by, id, evidence…).")
    var json = false

    func run() throws {
        let context = CommandContext.process
        let repository = try context.openRepository()
        let answer = try KnownGoodRegistry(repository: repository).lastGood(
            .init(env: env, any: any, maxAge: maxAge?.value, now: context.now))
        context.terminal.warn(answer.warnings)
        if json {
            context.printJSON(answer.mark.json)
        } else {
            context.terminal.out(answer.mark.commit.hex)
        }
    }
}

/// `--max-age 7d`, parsed by the argument parser so a typo is a usage error.
struct DurationArgument: ExpressibleByArgument {
    let value: TimeSpan
    init?(argument: String) {
        guard let value = TimeSpan(parsing: argument) else { return nil }
        self.value = value
    }
    static var defaultCompletionKind: CompletionKind { .default }
}

extension LastGoodCommand: PlainlyParsable {
    static let plainOptions: [PlainCommandLine.Option] = [.value("--env"), .flag("--any"), .value("--max-age"), .flag("--json")]

    static func plainlyParsed(_ arguments: ArraySlice<String>) -> LastGoodCommand? {
        guard let line = PlainCommandLine(arguments, options: plainOptions, positionals: 0),
              let env = line.value("--env"),
              let maxAge = line.value("--max-age", as: DurationArgument.self) else { return nil }
        var command = LastGoodCommand()
        command.env = env
        command.any = line.has("--any")
        command.maxAge = maxAge
        command.json = line.has("--json")
        return command
    }
}
