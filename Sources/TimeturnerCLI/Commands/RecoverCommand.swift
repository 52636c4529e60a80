import ArgumentParser
import GitKit
import TimeturnerCore

struct RecoverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover",
        abstract: "Finish or undo an interrupted rollback, and clear a stale lock.",
        discussion: """
        Reads .git/timeturner/state.json. If the interrupted rollback had passed verification, it \
        is completed (journaled); if it had moved the branch but not finished, the state before it \
        is restored from its safety backup; if it changed nothing, its state is cleared. A lock left \
        by a process that no longer runs on this host is removed. A live lock is never broken.
        """
    )

    @Flag(help: "Do not ask for confirmation.")
    var yes = false

    @Flag(help: "Print what was done as JSON.")
    var json = false

    func run() throws {
        let context = CommandContext.process
        let repository = try context.openRepository()
        let attribution = try context.attribution(in: repository)
        let engine = context.rollbackEngine(for: repository, attribution: attribution)
        let (_, state, _) = engine.currentStatus()
        if let state {
            context.terminal.err("Interrupted \(state.operation) \(Terminal.escaped(state.id)) (pid \(state.pid), since \(state.start.rfc3339)) stopped at step \(state.step); done: \(state.stepsDone.joined(separator: ", "))")
            try Confirmation.require("recover", skip: yes, terminal: context.terminal, what: "recovery")
        }
        let (action, outcome) = try engine.recover()
        let text: String, name: String
        switch action {
        case .nothingToDo: (name, text) = ("nothing-to-do", "Nothing to recover: no operation was interrupted and no lock is held.")
        case .clearedStaleLock(let holder): (name, text) = ("cleared-stale-lock", "Removed the stale lock of \(holder.description).")
        case .nothingChanged(let id): (name, text) = ("nothing-changed", "Operation \(id) had not changed anything yet; its state is cleared.")
        case .restored(let id): (name, text) = ("restored", "Restored the state before \(id) from \(SafetyBackup.ref(for: id)).")
        case .completed(let id): (name, text) = ("completed", "Completed rollback \(id) (verification had passed) and journaled it.")
        }
        if json {
            var fields: [String: JSONValue] = ["action": .string(name)]
            if let outcome { fields["event"] = outcome.event }
            context.printJSON(.object(fields))
        } else {
            context.terminal.out(Terminal.escaped(text))
        }
    }
}
