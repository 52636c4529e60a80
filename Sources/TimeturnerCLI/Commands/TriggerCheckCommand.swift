import ArgumentParser
import GitKit
import TimeturnerCore
import TimeturnerExecutors

struct TriggerCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Evaluate the triggers of an environment; with --rollback, carry out what fired.",
        discussion: """
        For each trigger that applies to --env: is its check failing, has it failed at every \
        measurement for the trigger's 'for' (Prometheus checks: the query at past instants, \
        at once; commands and HTTP checks: measured now and every interval for that long), and \
        did the same check pass before the deploy (the causality gate)? The gate reads the \
        Prometheus query at the deploy's start, or for other checks the newest measurement \
        journaled before it (by a guard or an earlier trigger run). The deploy's start is \
        --deployed-at, else when HEAD last arrived at the commit (its reflog), else the newest \
        guard or point of the commit. A check that also failed before the deploy does not fire \
        (not-caused), and one with nothing to compare with cannot (no-baseline).

        Without --rollback nothing changes. With it, the strongest fired action is carried out \
        once: rollback and rollback-warn mark the commit bad and roll back to last-good \
        (the triggers' checks verify the result, the highest trigger level applies); alert only \
        reports. Never a second automatic rollback of the same commit, nor of a commit an \
        automatic rollback brought back. Every run is a journal event of type trigger.

        Exit status: 0 nothing fired, 11 a trigger fired (reported, alerted, held or rolled \
        back), 9 nothing fired but a trigger could not decide (pending, no-baseline, \
        inconclusive), 5 or 6 when the rollback's re-check failed (as for rollback), 130 on Ctrl-C.

        Examples:
          git timeturner trigger check --env production
          git timeturner trigger check --env production --rollback --yes --json
        """
    )

    @Option(help: "The environment the commit is deployed to.")
    var env: String

    @Option(help: "The deployed commit (default HEAD; --rollback needs HEAD).")
    var commit: String = "HEAD"

    @Option(help: "When the deploy started (RFC 3339): the causality gate's 'before'. Default: from HEAD's reflog, a guard or a point.")
    var deployedAt: TimestampArgument?

    @Flag(help: "Carry out a fired trigger's action (rollback or rollback-warn: once, to last-good).")
    var rollback = false

    @OptionGroup var configurationOptions: ConfigurationOptions

    @Flag(help: "Do not ask before rolling back (for scripts and CI).")
    var yes = false

    @Flag(help: "Print the run's journal event as JSON.")
    var json = false

    func validate() throws {
        if rollback && !yes && !Confirmation.isInteractive {
            throw ValidationError("--rollback needs --yes when there is no terminal to confirm the rollback on")
        }
    }

    func run() async throws {
        let context = CommandContext.process
        let repository = try context.openRepository()
        let attribution = try context.attribution(in: repository)
        let configuration = try context.configuration(in: repository, overrides: configurationOptions.overrides)
        let terminal = context.terminal
        let trigger = DeployTrigger(
            repository: repository, configuration: configuration, attribution: attribution,
            evaluator: TriggerEvaluator(runner: context.checkRunner(configuration: configuration, environment: env)),
            pipeline: context.rollbackPipeline(for: repository, attribution: attribution, configuration: configuration))
        let request = TriggerRequest(environment: env, commit: commit, deployedAt: deployedAt?.value, act: rollback)
        let rendering = TriggerRendering(terminal: terminal, toStandardError: json)
        // Approved in advance with --yes: the rollback is planned under its lock.
        let outcome = try await trigger.run(request, evaluated: rendering.evaluation, approval: yes ? .inAdvance : .afterThePlan,
                                            confirm: context.automaticRollbackConfirmation(yes: yes, what: "the trigger's rollback"), attempted: { _ in })
        rendering.summary(outcome)
        outcome.warnings.forEach { terminal.warning(Terminal.escaped($0)) }
        if json { context.printJSON(outcome.event) }
        if let error = outcome.error { throw error }
    }
}
