import ArgumentParser
import GitKit
import TimeturnerCore

/// What `good` and `bad` share: which commit, which environment, who, and how to print.
/// They differ only in the kind of mark and what the free text is called (evidence, reason).
struct MarkOptions: ParsableArguments {
    @Argument(help: "The commit (any revision git understands).")
    var commit: String = "HEAD"

    @Option(help: "The environment (validated like a point name).")
    var env: String

    @Option(help: "Who the mark names, e.g. \"Deploy Bot <deploy@example.com>\" (default: your git identity).")
    var by: String?

    @Flag(help: "Print the mark as JSON.")
    var json = false

    /// Appends the mark and prints it.
    func record(_ kind: MarkVerdict, note: String?) throws {
        let context = CommandContext.process
        let repository = try context.openRepository()
        let attribution = try Attribution.resolve(in: repository, environment: context.environment, now: context.now, standIn: by)
        let mark = try KnownGoodRegistry(repository: repository).mark(
            kind, revision: commit, env: env, note: note, by: by, attribution: attribution)
        if json {
            context.printJSON(mark.json)
        } else {
            context.terminal.confirm(mark)
        }
    }
}
