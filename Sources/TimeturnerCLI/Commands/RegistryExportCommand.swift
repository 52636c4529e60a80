import ArgumentParser
import GitKit
import TimeturnerCore

struct RegistryExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Print one environment's good commits as known-good-commits.json.",
        discussion: """
        The widely used shape: {"version", "last_updated", "commits": [{"hash", "date", \
        "description", "verified", …}]}, newest first, only commits with no later bad mark. \
        Each entry also carries the mark's "id" and "by", so importing it elsewhere round-trips.

        Examples:
          git timeturner registry export --env production > known-good-commits.json
        """
    )

    @Option(help: "The environment (default: production).")
    var env: String = "production"

    func run() throws {
        let context = CommandContext.process
        let repository = try context.openRepository()
        let export = try KnownGoodRegistry(repository: repository).exportKnownGood(env: env, now: context.now)
        context.terminal.warn(export.warnings)
        context.printJSON(export.document)
    }
}
