import ArgumentParser
import GitKit
import TimeturnerCore

struct UndoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "undo",
        abstract: "Go back to the state before a rollback (the most recent one by default).",
        discussion: """
        Restores branch, HEAD, index, work tree and the untracked files captured in the rollback's \
        safety backup (refs/timeturner/safety/<id>). Refused when the branch moved since the \
        rollback or when tracked files have uncommitted changes. The undo writes a safety backup of \
        its own and is journaled.

        Examples:
          git timeturner undo
          git timeturner undo 20261121T223000Z-7f3a9c --yes
        """
    )

    @Argument(help: "The rollback id (see 'git timeturner history'); default: the most recent one not yet undone.")
    var rollbackID: String?

    @Flag(help: "Do not ask for confirmation.")
    var yes = false

    @Flag(help: "Print the journal event as JSON.")
    var json = false

    func run() async throws {
        let context = CommandContext.process
        let repository = try context.openRepository()
        let attribution = try context.attribution(in: repository)
        let engine = context.rollbackEngine(for: repository, attribution: attribution)
        let plan = try engine.planUndo(rollbackID)
        plan.warnings.forEach(context.terminal.warning)
        let backup = plan.backup
        context.terminal.err("Undo rollback \(Terminal.escaped(plan.rollbackID)): \(Terminal.escaped(backup.head.displayName)) \(plan.current.short) → \(backup.headCommit.short), \(plan.changes.count) path(s)\(backup.wasDirty ? ", uncommitted changes given back" : "")")
        try Confirmation.require("undo", skip: yes, terminal: context.terminal, what: "an undo")
        let outcome = try await engine.undo(plan)
        if json {
            context.printJSON(outcome.event)
        } else {
            context.terminal.out("Undid rollback \(Terminal.escaped(plan.rollbackID)): \(Terminal.escaped(backup.head.displayName)) is back at \(backup.headCommit.short)")
        }
    }
}
