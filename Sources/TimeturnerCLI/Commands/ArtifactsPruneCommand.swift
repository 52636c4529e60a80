import ArgumentParser
import TimeturnerCore

struct ArtifactsPruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Delete the artifacts that timeturner.artifacts.keep no longer keeps.",
        discussion: """
        Never deletes an artifact that a kept point, a rollback that can still be undone or an \
        interrupted operation refers to, nor one written in the last hour, nor any file in the \
        directory that git-timeturner did not name. --dry-run lists what would go.

        Examples:
          git timeturner artifacts prune --dry-run
          git timeturner artifacts prune -c timeturner.artifacts.keep=2
        """
    )

    @OptionGroup var options: ConfigurationOptions

    @Flag(help: "Show what would be deleted; delete nothing.")
    var dryRun = false

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        let context = CommandContext.process
        let retention = try ArtifactsCommand.retention(context, overrides: options.overrides)
        let entries = try retention.inventory()
        let removable = entries.filter { $0.keptBecause == nil }
        let removed = dryRun ? removable : try retention.prune()
        let bytes = removed.reduce(Int64(0)) { $0 + $1.size }
        if json {
            context.printJSON(["directory": .string(retention.store.directory), "keep": .int(Int64(retention.keep)),
                               "dryRun": .bool(dryRun), "removed": .array(removed.map(\.json)),
                               "kept": .array(entries.filter { $0.keptBecause != nil }.map(\.json)), "bytes": .int(bytes)])
            return
        }
        if removed.isEmpty {
            context.terminal.out("Nothing to prune in \(Terminal.escaped(retention.store.directory)) (\(entries.count) artifact(s), all kept).")
            return
        }
        context.terminal.out((dryRun ? "Would delete" : "Deleted") + " \(removed.count) artifact(s), \(ByteCount.text(bytes)), from \(Terminal.escaped(retention.store.directory)):")
        for entry in removed { context.terminal.out("  " + Terminal.escaped(entry.reference) + " — " + Terminal.escaped(entry.holds)) }
    }
}
