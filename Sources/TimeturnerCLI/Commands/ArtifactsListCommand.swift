import ArgumentParser
import TimeturnerCore

struct ArtifactsListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List every artifact, what refers to it, and whether it is kept.",
        discussion: """
        Example:
          git timeturner artifacts list --json
        """
    )

    @OptionGroup var options: ConfigurationOptions

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        let context = CommandContext.process
        let retention = try ArtifactsCommand.retention(context, overrides: options.overrides)
        let entries = try retention.inventory()
        if json {
            context.printJSON(["directory": .string(retention.store.directory), "keep": .int(Int64(retention.keep)),
                               "artifacts": .array(entries.map(\.json))])
            return
        }
        context.terminal.out("Artifacts in \(Terminal.escaped(retention.store.directory)) (keep: the newest \(retention.keep) points per environment)")
        if entries.isEmpty {
            context.terminal.out("none")
            return
        }
        context.terminal.out(Table(header: ["ARTIFACT", "SIZE", "RETENTION", "REFERRED TO BY"], rows: ArtifactsCommand.rows(entries)).rendered)
    }
}
