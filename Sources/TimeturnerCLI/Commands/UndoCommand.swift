import ArgumentParser
import GitKit
import TimeturnerCore

struct UndoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "undo",
        abstract: "Go back to the state before a rollback (the most recent one by default).",
        discussion: """
        Restores branch, HEAD, index, work tree and the untracked files captured in the rollback's \
        safety backup (refs/timeturner/safety/<id>), and returns every other tier the rollback \
        changed (deploy, config, db, system) to the state captured just before it, through the \
        tier's executor (--code-only leaves them). Refused when the branch moved since the \
        rollback or when a file it would write holds changes made since. Plans first like a \
        rollback (--dry-run shows the steps), writes a safety backup of its own, restores \
        everything if a step fails, and is journaled.

        Examples:
          git timeturner undo
          git timeturner undo 20261121T223000Z-7f3a9c --yes
          git timeturner undo --dry-run
        """
    )

    @Argument(help: "The rollback id (see 'git timeturner history'); default: the most recent one not yet undone.")
    var rollbackID: String?

    @Flag(help: "Undo only the code, leaving the other tiers the rollback changed as they are now.")
    var codeOnly = false

    @Flag(help: "With --yes: go ahead although putting a tier back discards data written since the rollback (the plan says what).")
    var acceptDataLoss = false

    @Flag(help: "Print the plan and change nothing.")
    var dryRun = false

    @Flag(help: "Do not ask for confirmation.")
    var yes = false

    @Flag(help: "Print the plan (with --dry-run) or the journal event as JSON.")
    var json = false

    @OptionGroup var configurationOptions: ConfigurationOptions

    func run() async throws {
        let context = CommandContext.process
        let repository = try context.openRepository()
        let attribution = try context.attribution(in: repository)
        let configuration = try context.configuration(in: repository, overrides: configurationOptions.overrides)
        let pipeline = UndoPipeline(planner: UndoPlanner(repository: repository, configuration: configuration),
                                    engine: context.rollbackEngine(for: repository, attribution: attribution, configuration: configuration),
                                    attribution: attribution)
        // --yes approves before the plan exists: the lock is taken first and the plan made under it.
        let timing: ApprovalTiming = yes && !dryRun ? .inAdvance : .afterThePlan
        let request = UndoRequest(rollbackID: rollbackID, codeOnly: codeOnly, acceptDataLoss: acceptDataLoss)
        guard let (plan, result) = try await pipeline.run(request, approval: timing, confirm: { (plan) throws(TimeturnerError) in
            try confirm(plan, context: context)
        }) else { return }
        if let error = result.error { throw error }
        if json, let event = result.event {
            context.printJSON(RollbackJournal.json(event))
        } else if case .undo(let rollbackID, let backup) = plan.operation {
            context.terminal.out("Undid rollback \(Terminal.escaped(rollbackID)): \(Terminal.escaped(backup.head.displayName)) is back at \(backup.headCommit.short)"
                                 + (plan.tiers.isEmpty ? "" : ", and so are the tiers " + plan.tiers.map(\.name).joined(separator: ", ")))
        }
    }
}

extension UndoCommand {
    /// Shows the plan; nil after a dry run, else the approval from the prompt or `--yes`.
    private func confirm(_ plan: RollbackPlan, context: CommandContext) throws(TimeturnerError) -> Approval? {
        plan.warnings.forEach(context.terminal.warning)
        if dryRun {
            if json { context.printJSON(plan.json) } else { PlanRenderer(terminal: context.terminal).render(plan, dryRun: true) }
            return nil
        }
        PlanRenderer(terminal: context.terminal).render(plan, dryRun: false, toStandardError: true)
        return try context.approve(plan, yes: yes, what: "an undo")
    }
}

extension UndoCommand: PlainlyParsable {
    static let plainOptions: [PlainCommandLine.Option] = [
        .flag("--code-only"), .flag("--accept-data-loss"), .flag("--dry-run"), .flag("--yes"), .flag("--json"), .repeatable("-c"),
    ]

    static func plainlyParsed(_ arguments: ArraySlice<String>) -> UndoCommand? {
        guard let line = PlainCommandLine(arguments, options: plainOptions, positionals: 1) else { return nil }
        var command = UndoCommand()
        command.rollbackID = line.positionals.first
        command.codeOnly = line.has("--code-only")
        command.acceptDataLoss = line.has("--accept-data-loss")
        command.dryRun = line.has("--dry-run")
        command.yes = line.has("--yes")
        command.json = line.has("--json")
        command.configurationOptions = ConfigurationOptions.plain(line)
        return command
    }
}
