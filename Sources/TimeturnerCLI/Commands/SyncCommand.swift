import ArgumentParser
import GitKit
import TimeturnerCore

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Share points, safety backups, the registry and notes through a git remote.",
        discussion: """
        Fetches refs/timeturner/points/*, refs/timeturner/safety/*, refs/timeturner/registry and \
        refs/notes/timeturner from the remote, adds what this clone lacks, merges the registry and \
        the notes as a union (every mark, journal entry and note line from both sides, none twice), \
        then pushes what the remote lacks. Pushes are never forced: if another clone pushed in \
        between, sync fetches and merges again. A refusal by the remote (a protected ref, a hook) \
        is an error that quotes the remote's reason.

        Nothing is deleted: a point deleted here but still on the remote comes back; delete it on \
        the remote too (git push <remote> :refs/timeturner/points/<id>).

        The remote is a configured remote name, a URL or a path; default: timeturner.remote, \
        else origin.

        Examples:
          git timeturner sync
          git timeturner sync upstream --json
          git timeturner sync --no-push        # fetch and merge only
        """
    )

    @Argument(help: "A configured remote, a URL or a path (default: timeturner.remote, else origin).")
    var remote: String?

    @Flag(help: "Fetch and merge only; push nothing.")
    var noPush = false

    @Flag(help: "Print what was done as JSON.")
    var json = false

    func run() async throws {
        let context = CommandContext.process
        let repository = try context.openRepository()
        let remote = try self.remote ?? defaultRemote(repository)
        try RemoteArgument.check(remote, in: repository)
        let attribution = try context.attribution(in: repository)
        // Fetch and push go over the network: a progress line once it takes more than a second.
        let report = try await ProgressLine(terminal: context.terminal, environment: context.environment)
            .during("syncing with \(Terminal.escaped(remote))") {
                try RemoteSync(repository: repository).sync(remote: remote, push: !noPush, by: attribution)
            }
        report.conflicts.forEach(context.terminal.warning)
        if json {
            context.printJSON(report.json)
            return
        }
        let t = context.terminal
        t.out("Synced with \(Terminal.escaped(remote))" + (report.rounds > 1 ? " (\(report.rounds) rounds: others pushed meanwhile)" : ""))
        t.out("  added here: \(report.refsAdded.isEmpty ? "nothing" : "\(report.refsAdded.count) ref\(report.refsAdded.count == 1 ? "" : "s")")")
        t.out("  registry:   \(report.registry)")
        t.out("  notes:      \(report.notes)")
        t.out("  pushed:     " + (noPush ? "nothing (--no-push)" : report.pushed.isEmpty ? "nothing (the remote had everything)" : report.pushed.joined(separator: ", ")))
    }

    private func defaultRemote(_ repository: Repository) throws(TimeturnerError) -> String {
        if let configured = try? repository.configString("timeturner.remote"), !configured.isEmpty { return configured }
        if repository.hasRemote(named: "origin") { return "origin" }
        throw TimeturnerError(.usage, "no remote to sync with: this repository has no 'origin' and timeturner.remote is not set",
                              hint: "name one: git timeturner sync <remote>, or git config timeturner.remote <remote>")
    }
}
