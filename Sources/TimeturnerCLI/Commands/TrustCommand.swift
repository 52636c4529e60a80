import ArgumentParser
import GitKit
import TimeturnerCore

struct TrustCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trust",
        abstract: "Allow this repository's .timeturner to run the executors and commands it names.",
        discussion: """
        A committed .timeturner can name programs to run. They run only after you trust that \
        exact content: trust records the repository path and the file's SHA-256 in \
        $XDG_CONFIG_HOME/git-timeturner/trust (default ~/.config/git-timeturner/trust), outside \
        every repository. It lists everything it approves: every executor, every command line \
        (verify, restart, health, activate, checks), every URL, and the other settings. Any edit \
        makes the file untrusted again; a content trusted before (the last 32 per repository) is \
        trusted again when a rollback brings it back. In CI, set TIMETURNER_TRUST=<sha256> instead.

        Examples:
          cat .timeturner && git timeturner trust
          git timeturner trust --show
          git timeturner trust --revoke
        """
    )

    @Flag(help: "Show whether .timeturner is trusted, without changing anything.")
    var show = false

    @Flag(help: "Withdraw trust for this repository.")
    var revoke = false

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        if show && revoke { throw ValidationError("--show and --revoke cannot be combined") }
    }

    func run() throws {
        let context = CommandContext.process
        let repository = try context.openRepository()
        let store = TrustStore(environment: context.environment)
        let configuration = try context.configuration(in: repository, overrides: [])
        let root = configuration.repositoryPath

        if revoke {
            let removed = try store.revoke(repositoryPath: root)
            if json {
                context.printJSON(["repository": .string(root), "revoked": .bool(removed), "trustFile": .string(store.path)])
            } else {
                context.terminal.out(removed ? "Revoked trust in \(Terminal.escaped(root))/.timeturner"
                                             : "\(Terminal.escaped(root)) was not trusted; nothing to revoke")
            }
            return
        }
        guard let shared = configuration.sharedFile else {
            if show || json {
                if json { context.printJSON(["repository": .string(root), "sharedFile": .null, "trusted": true, "detail": .string(TrustStatus.noSharedFile.description)]) }
                else { context.terminal.out("No .timeturner in \(Terminal.escaped(root)): nothing to trust.") }
                return
            }
            throw TimeturnerError(.failure, "there is no .timeturner in \(root), so there is nothing to trust",
                                  hint: "shared settings go in .timeturner, e.g. git config -f .timeturner timeturner.tier.db.executor postgres")
        }
        let review = TrustReview(configuration)
        if show {
            if json {
                context.printJSON(["repository": .string(root), "sharedFile": .string(shared.path), "sha256": .string(shared.sha256),
                                   "trusted": .bool(configuration.trust.isTrusted), "detail": .string(configuration.trust.description),
                                   "trustFile": .string(store.path), "approves": review.json])
            } else {
                context.terminal.out("\(Terminal.escaped(shared.path))")
                context.terminal.out("  sha256 \(shared.sha256)")
                context.terminal.out("  \(Terminal.escaped(configuration.trust.description))")
                printReview(review, context: context)
                if !configuration.trust.isTrusted { context.terminal.out("  trust it after reading it: git timeturner trust") }
            }
            return
        }
        try store.trust(repositoryPath: root, sha256: shared.sha256, by: context.attribution(in: repository))
        if json {
            context.printJSON(["repository": .string(root), "sharedFile": .string(shared.path), "sha256": .string(shared.sha256),
                               "trusted": true, "trustFile": .string(store.path), "approves": review.json])
        } else {
            context.terminal.out("Trusted \(Terminal.escaped(shared.path)) (sha256 \(shared.sha256)).")
            printReview(review, context: context)
            context.terminal.out("Any edit to it needs 'git timeturner trust' again.")
        }
    }

    /// Every setting the trust covers, grouped; values escaped like anything read from a file.
    private func printReview(_ review: TrustReview, context: CommandContext) {
        if review.isEmpty {
            context.terminal.out("  it sets nothing under timeturner.*")
            return
        }
        for (heading, settings) in review.sections {
            context.terminal.out("  \(heading):")
            for setting in settings { context.terminal.out("    \(Terminal.escaped(setting.key)) = \(Terminal.escaped(setting.value))") }
        }
    }
}
