import ArgumentParser
import GitKit
import TimeturnerCore
import TimeturnerExecutors

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Share points, safety backups, the registry and notes through a git remote.",
        discussion: """
        Fetches refs/timeturner/points/*, refs/timeturner/safety/*, refs/timeturner/registry and \
        refs/notes/timeturner from the remote, adds what this clone lacks, merges the registry and \
        the notes as a union (every mark, journal entry and note line from both sides, none twice), \
        then pushes what the remote lacks. Pushes are never forced: if another clone pushed in \
        between, or holds the remote's ref lock for a moment, sync waits a short random while \
        (growing each time), fetches, merges and pushes again, within the time budget. A push is \
        reported only after a fetch shows it on the remote. A refusal by the remote (a protected \
        ref, a hook) is an error that quotes the remote's reason.

        Fetch and push run your git program, so whatever makes 'git push' work here (credential \
        helpers, ~/.ssh/config, core.sshCommand, proxies, url.<base>.insteadOf) works for sync. \
        Off a terminal, git is run with GIT_TERMINAL_PROMPT=0 so that a CI job fails instead of \
        waiting for a password.

        Nothing is deleted: a point deleted here but still on the remote comes back; delete it on \
        the remote too (git push <remote> :refs/timeturner/points/<id>).

        The remote is a configured remote name, a URL or a path; default: timeturner.remote, \
        else origin. Settings: timeturner.sync.timeout (seconds, or 90s, 5m; default 60), \
        timeturner.sync.publish (shared, the default, or per-clone: see docs/sync.md).

        Examples:
          git timeturner sync
          git timeturner sync upstream --json
          git timeturner sync --no-push        # fetch and merge only
          git timeturner sync --timeout 300    # a slow remote, or a large fleet at once
        """
    )

    @Argument(help: "A configured remote, a URL or a path (default: timeturner.remote, else origin).")
    var remote: String?

    @Flag(help: "Fetch and merge only; push nothing.")
    var noPush = false

    @Option(help: ArgumentHelp("Give up after this long (seconds, or 90s, 5m; default: timeturner.sync.timeout, else 60).",
                               valueName: "duration"))
    var timeout: String?

    @Flag(help: "Print what was fetched, merged and pushed as JSON.")
    var json = false

    func run() async throws {
        let context = CommandContext.process
        let repository = try context.openRepository()
        let remote = try self.remote ?? defaultRemote(repository)
        try RemoteArgument.check(remote, in: repository)
        let attribution = try context.attribution(in: repository)
        let options = SyncOptions(push: !noPush, timeout: try budget(repository), publishing: try publishing(repository))
        let sync = RemoteSync(repository: repository, git: GitProgramRunner(environment: context.environment))
        // Fetch and push go over the network: a progress line once it takes more than a second.
        let report = try await ProgressLine(terminal: context.terminal, environment: context.environment)
            .during("syncing with \(Terminal.escaped(remote))") {
                try await sync.sync(remote: remote, options: options, by: attribution)
            }
        report.conflicts.forEach(context.terminal.warning)
        if json {
            context.printJSON(report.json)
            return
        }
        let t = context.terminal
        let retried = report.retries == 0 ? "" : " (retried \(report.retries) time\(report.retries == 1 ? "" : "s"): other clones pushed meanwhile)"
        t.out("Synced with \(Terminal.escaped(remote)) in \(report.elapsedMilliseconds) ms" + retried)
        t.out("  fetched:    \(report.fetched.isEmpty ? "nothing new" : "\(report.fetched.count) ref\(report.fetched.count == 1 ? "" : "s") moved")")
        t.out("  added here: \(report.refsAdded.isEmpty ? "nothing" : "\(report.refsAdded.count) ref\(report.refsAdded.count == 1 ? "" : "s")")")
        t.out("  registry:   \(report.registry)")
        t.out("  notes:      \(report.notes)")
        t.out("  pushed:     " + (noPush ? "nothing (--no-push)" : report.pushed.isEmpty ? "nothing (the remote had everything)" : report.pushed.map(\.reference).joined(separator: ", ")))
    }

    /// --timeout, else timeturner.sync.timeout, else 60 s.
    private func budget(_ repository: Repository) throws(TimeturnerError) -> Swift.Duration {
        let configured = try? repository.configString("timeturner.sync.timeout")
        guard let text = timeout ?? configured else { return SyncOptions.defaultTimeout }
        let source = timeout != nil ? "--timeout" : "timeturner.sync.timeout"
        let seconds = Int64(text) ?? TimeSpan(parsing: text)?.seconds
        guard let seconds, seconds > 0 else {
            throw TimeturnerError(.usage, "\(source) '\(text)' is not a duration",
                                  hint: "give seconds (60) or a number with s, m or h (90s, 5m, 1h)")
        }
        return .seconds(seconds)
    }

    private func publishing(_ repository: Repository) throws(TimeturnerError) -> SyncOptions.Publishing {
        guard let text = try? repository.configString("timeturner.sync.publish"), !text.isEmpty else { return .shared }
        guard let value = SyncOptions.Publishing(rawValue: text) else {
            throw TimeturnerError(.usage, "timeturner.sync.publish '\(text)' is not one of: \(SyncOptions.Publishing.allCases.map(\.rawValue).joined(separator: ", "))",
                                  hint: "git config timeturner.sync.publish shared (the default) or per-clone")
        }
        return value
    }

    private func defaultRemote(_ repository: Repository) throws(TimeturnerError) -> String {
        if let configured = try? repository.configString("timeturner.remote"), !configured.isEmpty { return configured }
        if repository.hasRemote(named: "origin") { return "origin" }
        throw TimeturnerError(.usage, "no remote to sync with: this repository has no 'origin' and timeturner.remote is not set",
                              hint: "name one: git timeturner sync <remote>, or git config timeturner.remote <remote>")
    }
}
