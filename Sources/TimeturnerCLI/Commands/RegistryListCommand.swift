import ArgumentParser
import GitKit
import TimeturnerCore

struct RegistryListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List good and bad marks, newest first.",
        discussion: """
        Examples:
          git timeturner registry list --env production
          git timeturner registry list --since 7d
          git timeturner registry list --since 2026-11-01 --json | jq -r '.[].commit'
        """
    )

    @Option(help: "Only marks in this environment (default: all).")
    var env: String?

    @Option(help: "Only marks at or after this date (2026-11-01, 2026-11-01T08:00:00Z) or within this duration (7d).")
    var since: String?

    @Flag(help: "Print a JSON array of marks.")
    var json = false

    func run() throws {
        let context = CommandContext.process
        let repository = try context.openRepository()
        let bound = try since.map { (text) throws(TimeturnerError) in try TimeBound.parse(text, now: context.now) }
        let listing = try KnownGoodRegistry(repository: repository).marks(env: env, since: bound)
        context.terminal.warn(listing.warnings)
        if json {
            context.printJSON(.array(listing.marks.map(\.json)))
        } else if listing.marks.isEmpty {
            context.terminal.err("No marks" + (env != nil || since != nil ? " match." : " yet. Add one with: git timeturner good --env <env>"))
        } else {
            context.terminal.out(context.terminal.table(of: listing.marks, now: context.now))
        }
    }
}
