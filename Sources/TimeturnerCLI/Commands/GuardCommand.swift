import ArgumentParser
import GitKit
import TimeturnerCore
import TimeturnerExecutors

struct GuardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "guard",
        abstract: "Watch a deploy with checks; mark it good, or bad and (with --on-fail rollback) roll back once.",
        discussion: """
        Run right after a deploy. Takes .git/timeturner/lock with a deadline (the window plus a \
        margin; 'status' shows "guard active until …" and the latest measurements), records a point \
        with captures on the deployed commit if it has none, and samples the checks (--check, or \
        every configured one for --env) over --for (or each check's own count or window).

        Passed: the commit is marked good with the measurements as evidence (exit 0). Failed: it \
        is marked bad; --on-fail rollback (needs --yes without a terminal) rolls back once to \
        last-good at --level, with the same checks as the rollback's verification; if the target \
        fails them too, that rollback is restored and the guard stops (exit 5 or 6 as for rollback): \
        never a second automatic rollback for the same commit. hold and notify mark and report only. \
        A deploy found bad exits 10 even when its rollback succeeded. Inconclusive: nothing is \
        marked (exit 9).

        Ctrl-C on a terminal asks: (r)oll back (the commit is marked bad and rolled back once to \
        last-good as with --on-fail rollback, exit 10 when that passed), (k)eep it unverified \
        (unmarked, exit 130), or (c)ontinue (the window and the deadline stay as they were; \
        measurements due while it asked are skipped). End of input, another Ctrl-C, no answer \
        before the guard's deadline (after it the lock counts as stale) or any other answer keeps. Without a terminal, and on SIGTERM or SIGHUP, nothing is asked: the commit \
        is left unmarked, journaled as interrupted (exit 130, 143 or 129). A guard that died is ended as abandoned by 'recover' or by the next \
        guard or rollback after its process is gone or its deadline passed.

        Examples:
          git timeturner guard --env production --for 15m
          git timeturner guard --env production --for 10m --check error-rate --on-fail rollback --level 1 --yes
        """
    )

    @Option(help: "The environment the commit was deployed to.")
    var env: String

    @Option(help: "The deployed commit.")
    var commit: String = "HEAD"

    @Option(name: .customLong("for"), help: "How long to watch (e.g. 90s, 15m): replaces each check's count or window.")
    var window: CheckDurationArgument?

    @Option(name: .customLong("check"), help: "A check to watch (repeatable; default: every configured check for --env).")
    var checks: [String] = []

    @Option(help: "On failure: rollback (once, to last-good), hold or notify.")
    var onFail: OnFailArgument = .init(value: .hold)

    @Option(help: "With --on-fail rollback: the tier level of the rollback (1, 2 or 3).")
    var level: LevelArgument?

    @Option(help: "When the deploy started (RFC 3339): when baseline-relative thresholds read the baseline. Default: now.")
    var deployedAt: TimestampArgument?

    @OptionGroup var configurationOptions: ConfigurationOptions

    @Flag(help: "Do not ask before rolling back (for scripts and CI).")
    var yes = false

    @Flag(help: "Print the guard's journal event as JSON.")
    var json = false

    func validate() throws {
        if onFail.value == .rollback && !yes && !Confirmation.isInteractive {
            throw ValidationError("--on-fail rollback needs --yes when there is no terminal to confirm the rollback on")
        }
        if level != nil && onFail.value != .rollback { throw ValidationError("--level only applies to --on-fail rollback") }
    }

    func run() async throws {
        let context = CommandContext.process
        let repository = try context.openRepository()
        let attribution = try context.attribution(in: repository)
        let configuration = try context.configuration(in: repository, overrides: configurationOptions.overrides)
        let terminal = context.terminal
        if let ended = try AbandonedGuard.end(in: repository, by: attribution) {
            terminal.warning("ended guard \(ended.id) as abandoned (\(ended.error ?? "its process is gone"))")
        }
        let deployGuard = DeployGuard(
            repository: repository, configuration: configuration, attribution: attribution,
            runner: context.checkRunner(configuration: configuration, environment: env), tiers: context.tierDriver(for: configuration),
            pipeline: context.rollbackPipeline(for: repository, attribution: attribution, configuration: configuration))
        let rendering = CheckRendering(terminal: terminal, toStandardError: true)
        let request = GuardRequest(environment: env, commit: commit, window: window?.value, checks: checks, onFail: onFail.value,
                                   level: level?.value, deployedAt: deployedAt?.value)
        // On a terminal Ctrl-C asks what to do; without one it stops and leaves the commit unmarked.
        var askOperator: (@Sendable (Int32, Timestamp) async -> GuardInterruptChoice)?
        if Confirmation.isInteractive {
            let shown = (try? RepositoryAccess.resolveCommit(commit, in: repository).short) ?? commit
            let prompt = GuardInterruptPrompt(terminal: terminal, interruption: InterruptionSignals.interruption, commit: shown)
            askOperator = { _, deadline in await prompt.ask(before: deadline) }
        }
        let outcome = try await deployGuard.run(request, say: { terminal.err(Terminal.escaped($0)) },
                                                onMeasurement: { rendering.measurement($0, $1) },
                                                onInterrupt: askOperator,
                                                // Approved in advance with --yes: the rollback is planned under its lock.
                                                approval: yes ? .inAdvance : .afterThePlan,
                                                confirm: context.automaticRollbackConfirmation(yes: yes, what: "the guard's rollback"), attempted: { _ in })
        outcome.results.forEach(rendering.verdict)
        if json {
            context.printJSON(outcome.event)
        } else {
            let id = outcome.event["id"]?.stringValue ?? ""
            terminal.out("guard \(id): \(outcome.status.rawValue)" + (outcome.event["mark"]?.stringValue.map { ", mark \($0)" } ?? ""))
        }
        if let error = outcome.error { throw error }
    }
}

struct CheckDurationArgument: ExpressibleByArgument {
    let value: Duration
    init?(argument: String) {
        guard let value = CheckDurationText.parse(argument), value > .zero else { return nil }
        self.value = value
    }
}

struct OnFailArgument: ExpressibleByArgument {
    let value: GuardRequest.OnFail
    init(value: GuardRequest.OnFail) { self.value = value }
    init?(argument: String) {
        guard let value = GuardRequest.OnFail(rawValue: argument.lowercased()) else { return nil }
        self.value = value
    }
    static var allValueStrings: [String] { GuardRequest.OnFail.allCases.map(\.rawValue) }
    var defaultValueDescription: String { value.rawValue }
}
