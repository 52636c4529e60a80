import ArgumentParser
import GitKit
import TimeturnerCore

struct RegistryLogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Show the registry's audit trail: who changed what, when, newest first.",
        discussion: """
        Each change to the registry is one commit on refs/timeturner/registry; this is its \
        history (also readable with 'git log refs/timeturner/registry').

        Examples:
          git timeturner registry log -n 20
          git timeturner registry log --json
        """
    )

    @Option(name: [.customShort("n"), .customLong("max-count")], help: "Show at most this many changes.")
    var limit: Int?

    @Flag(help: "Print a JSON array of changes.")
    var json = false

    func validate() throws {
        if let limit, limit < 0 { throw ValidationError("--max-count must not be negative") }
    }

    func run() throws {
        let context = CommandContext.process
        let repository = try context.openRepository()
        let changes = try KnownGoodRegistry(repository: repository).changes(limit: limit)
        if json {
            context.printJSON(.array(changes.map(\.json)))
        } else if changes.isEmpty {
            context.terminal.err("The registry is empty. Mark a commit with: git timeturner good --env <env>")
        } else {
            let rows = changes.map { change in
                [repository.shortID(change.commit), change.at.rfc3339, Terminal.escaped(change.by), Terminal.escaped(change.subject)]
            }
            context.terminal.out(Table(header: ["CHANGE", "AT", "BY", "WHAT"], rows: rows).rendered)
        }
    }
}
