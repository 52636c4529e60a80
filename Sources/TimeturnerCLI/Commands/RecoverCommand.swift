import ArgumentParser
import GitKit
import TimeturnerCore

struct RecoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover",
        abstract: "Finish or undo an interrupted rollback or undo, and clear a stale lock.",
        discussion: """
        Reads .git/timeturner/state.jsonl. If the interrupted operation had done everything but \
        its journal (verification had passed), it is completed and journaled; if it had changed \
        anything, the state before it is restored: the tiers whose rollback had started, from the \
        captures of their state taken before it, then branch, index and work tree from its safety \
        backup; if it changed nothing, its state is cleared. Each is journaled. A lock left by a \
        process that no longer runs on this host is removed. A live lock is never broken.
        """
    )

    @Flag(help: "Do not ask for confirmation.")
    var yes = false

    @Flag(help: "Print what was done as JSON.")
    var json = false

    @OptionGroup var configurationOptions: ConfigurationOptions

    func run() async throws {
        let context = CommandContext.process
        let repository = try context.openRepository()
        let attribution = try context.attribution(in: repository)
        let configuration = try context.configuration(in: repository, overrides: configurationOptions.overrides)
        // A guard that died holds the lock but left no state.jsonl: it ends as abandoned, journaled.
        if let ended = try AbandonedGuard.end(in: repository, by: attribution) {
            context.terminal.out("Ended guard \(Terminal.escaped(ended.id)) of \(ended.commit.prefix(7)) as abandoned (\(ended.error ?? "")); the lock is released and the commit stays unmarked")
            return
        }
        let plan = try RecoveryPlanner(repository: repository, configuration: configuration).plan()
        if let state = plan.state, plan.damagedRecords > 0 {
            context.terminal.warning(OperationDirectory.damageWarning(plan.damagedRecords, state: state,
                                                                      path: OperationDirectory(repository: repository).statePath))
        }
        if let state = plan.state {
            context.terminal.err("Interrupted \(state.operation) \(Terminal.escaped(state.id)) (pid \(state.pid), since \(state.start.rfc3339)) stopped at step \(state.stepLabel ?? state.step); done: \(state.stepsDone.joined(separator: ", "))")
            for step in plan.steps { context.terminal.err("  will " + Terminal.escaped(step)) }
        }
        let approval = try plan.state == nil ? Approval(plan, consent: .assumeYes) : context.approve(plan, yes: yes, what: "recovery")
        let engine = context.rollbackEngine(for: repository, attribution: attribution, configuration: configuration)
        let result = try await engine.recover(plan, approval: approval)
        let id = plan.state?.id ?? ""
        let (name, text): (String, String)
        switch result.action {
        case .nothingToDo: (name, text) = ("nothing-to-do", "Nothing to recover: no operation was interrupted and no lock is held.")
        case .clearStaleLock(let holder): (name, text) = ("cleared-stale-lock", "Removed the stale lock of \(holder.description).")
        case .clearState: (name, text) = ("nothing-changed", "Operation \(id) had not changed anything yet; its state is cleared.")
        case .restore: (name, text) = ("restored", "Restored the state before \(id) from \(SafetyBackup.ref(for: id))" + (plan.tiers.isEmpty ? "." : " and the tiers " + plan.tiers.map(\.name).joined(separator: ", ") + "."))
        case .complete: (name, text) = ("completed", "Completed \(plan.state?.operation ?? "rollback") \(id) (verification had passed) and journaled it.")
        }
        if json {
            var fields: [String: JSONValue] = ["action": .string(name)]
            if let event = result.event { fields["event"] = RollbackJournal.json(event) }
            context.printJSON(.object(fields))
        } else {
            context.terminal.out(Terminal.escaped(text))
        }
    }
}
