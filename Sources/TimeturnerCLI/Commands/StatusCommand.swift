import ArgumentParser
import GitKit
import TimeturnerCore

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show whether a timeturner operation is running or was interrupted, and the last rollback.",
        discussion: """
        "time-turner active" means an operation holds .git/timeturner/lock: who, since when, which step. \
        An interrupted one (its process is gone) is reported with the command that recovers it.
        """
    )

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        let context = CommandContext.process
        let repository = try context.openRepository()
        // Reading only: no configuration, no engine, no signal handlers.
        let directory = OperationDirectory(repository: repository)
        let (holder, state, lockPath, damaged) = directory.currentStatus()
        if damaged > 0 { context.terminal.warning(OperationDirectory.damageWarning(damaged, state: state, path: directory.statePath)) }
        let journal = try? RollbackJournal(repository: repository).entries()
        journal?.skipped.forEach { context.terminal.warning($0.description) }
        // This worktree's: another worktree's last rollback is not one to undo here.
        let last = try journal.flatMap { try RollbackJournal(repository: repository).here($0.entries).first }
        let interrupted = (holder?.isStale ?? false) || (holder == nil && state != nil)
        if json {
            var fields: [String: JSONValue] = ["active": .bool(holder != nil && !interrupted), "interrupted": .bool(interrupted),
                                               "lock": .string(lockPath)]
            if let holder {
                fields["holder"] = .object(["pid": .int(Int64(holder.pid)), "host": .string(holder.host),
                                            "since": .string(holder.start.rfc3339), "operation": .string(holder.operation),
                                            "id": .string(holder.id)])
            }
            if let state { fields["state"] = state.publicJSON }
            if damaged > 0 { fields["damagedStateRecords"] = .int(Int64(damaged)) }
            if holder == nil && directory.lockExists { fields["lockUnreadable"] = .bool(true) }
            if let running = AbandonedGuard.running(in: repository) {
                var guardFields: [String: JSONValue] = ["id": .string(running.holder.id), "abandoned": .bool(running.holder.isStale)]
                if let deadline = running.holder.deadline { guardFields["until"] = .string(deadline.rfc3339) }
                if let status = running.status { guardFields["status"] = status }
                fields["guard"] = .object(guardFields)
            }
            if let last { fields["lastRollback"] = last.event }
            context.printJSON(.object(fields))
            return
        }
        let t = context.terminal
        if let running = AbandonedGuard.running(in: repository) {
            let until = running.holder.deadline?.rfc3339 ?? "?"
            if running.holder.isStale {
                t.out(t.paint("guard abandoned:", .red) + " \(Terminal.escaped(running.holder.description)); its deadline was \(until)")
                t.out("  run 'git timeturner recover' (or the next guard or rollback) to end it and release the lock")
            } else {
                let commit = running.status?["commit"]?.stringValue.map { " of \($0.prefix(7))" } ?? ""
                let env = running.status?["env"]?.stringValue.map { " in \(Terminal.escaped($0))" } ?? ""
                t.out(t.paint("guard active until \(until):", .bold) + " \(Terminal.escaped(running.holder.id))\(commit)\(env) (pid \(running.holder.pid))")
            }
            for (check, latest) in (running.status?["latest"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
                let value = latest["value"].map { $0.canonicalLine } ?? "-"
                t.out("  \(Terminal.escaped(check)): \(latest["verdict"]?.stringValue ?? "?") \(value) at \(latest["at"]?.stringValue ?? "?") \(Terminal.escaped(latest["detail"]?.stringValue ?? ""))")
            }
        } else if let holder, !interrupted {
            t.out(t.paint("time-turner active:", .bold) + " \(Terminal.escaped(holder.description))" + (state.map { ", step \($0.step)" } ?? ""))
        } else if interrupted {
            t.out(t.paint("interrupted:", .red) + " " + (state.map { "\($0.operation) \(Terminal.escaped($0.id)) stopped at step \($0.step) (done: \($0.stepsDone.joined(separator: ", ")))" } ?? "a stale lock \(lockPath)"))
            t.out("  run 'git timeturner recover' to finish it or restore the state before it")
        } else if directory.lockExists {
            // Named no holder and is too young to be called abandoned (OperationDirectory).
            t.out(t.paint("lock unreadable:", .red) + " " + Terminal.escaped(directory.unreadableLockDescription))
            t.out("  " + directory.unreadableLockHint)
        } else {
            t.out("No timeturner operation is running.")
        }
        if let last {
            t.out("last \(last.type): \(Terminal.escaped(last.id)) \(last.status) (\(last.mode), \(last.durationMilliseconds) ms, \(last.start.age(relativeTo: context.now)))")
        } else {
            t.out("No rollback recorded yet.")
        }
    }
}

extension StatusCommand: PlainlyParsable {
    static let plainOptions: [PlainCommandLine.Option] = [.flag("--json")]

    static func plainlyParsed(_ arguments: ArraySlice<String>) -> StatusCommand? {
        guard let line = PlainCommandLine(arguments, options: plainOptions, positionals: 0) else { return nil }
        var command = StatusCommand()
        command.json = line.has("--json")
        return command
    }
}
