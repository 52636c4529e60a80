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

    /// Appends the mark and prints it (with the point holding the tiers' captures, for `good --capture`).
    func record(_ kind: MarkVerdict, note: String?,
                captured: (point: RollbackPoint, captures: [TierCaptureRecord], created: Bool)? = nil) throws {
        let context = CommandContext.process
        let repository = try context.openRepository()
        let attribution = try Attribution.resolve(in: repository, environment: context.environment, now: context.now, standIn: by)
        let mark = try KnownGoodRegistry(repository: repository).mark(
            kind, revision: commit, env: env, note: note, by: by, attribution: attribution)
        if json {
            guard let captured, case .object(var fields) = mark.json else { return context.printJSON(mark.json) }
            fields["capturePoint"] = .object(["id": .string(captured.point.id), "created": .bool(captured.created),
                                              "tiers": .array(captured.captures.map { .string($0.tier) })])
            context.printJSON(.object(fields))
        } else {
            context.terminal.confirm(mark)
            if let captured {
                let tiers = captured.captures.map(\.tier).joined(separator: ", ")
                context.terminal.out(captured.created ? "  captured \(tiers) in point \(Terminal.escaped(captured.point.id))"
                                                      : "  point \(Terminal.escaped(captured.point.id)) already holds captures of \(tiers)")
            }
        }
    }
}

extension MarkOptions {
    static let plainOptions: [PlainCommandLine.Option] = [.value("--env"), .value("--by"), .flag("--json")]

    /// A plain reading (`PlainCommandLine`) of `good` or `bad`, whose own options are `options`
    /// (this group's included), and the shared options read from it; nil when the library must
    /// read the line, or without `--env`, which the library reports.
    static func plainlyParsed(_ arguments: ArraySlice<String>, options: [PlainCommandLine.Option]) -> (PlainCommandLine, MarkOptions)? {
        guard let line = PlainCommandLine(arguments, options: options, positionals: 1),
              let env = line.value("--env") else { return nil }
        var shared = MarkOptions()
        shared.commit = line.positionals.first ?? "HEAD"
        shared.env = env
        shared.by = line.value("--by")
        shared.json = line.has("--json")
        return (line, shared)
    }
}
