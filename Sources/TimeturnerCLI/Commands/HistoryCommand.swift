import ArgumentParser
import GitKit
import TimeturnerCore

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List rollbacks and undos, newest first, with duration and status.",
        discussion: """
        Read from the journal in refs/timeturner/registry (journal/<YYYY-MM>.jsonl), which sync \
        shares between clones: ORIGIN says which clone ran each one ("this clone", or the other \
        clone's id from its .git/timeturner/clone-id; empty for entries recorded before clones \
        were). status and a bare undo only look at this clone's. --stats adds count, success \
        rate, median and 95th-percentile duration, overall and by mode.
        """
    )

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(help: "Count, success rate, median and p95 duration, by mode.")
    var stats = false

    @Flag(help: "With --json: print the guard and trigger events instead, as {\"guards\": […]}.")
    var guards = false

    func run() throws {
        let context = CommandContext.process
        let repository = try context.openRepository()
        let (entries, skipped) = try RollbackJournal(repository: repository).entries()
        skipped.forEach { context.terminal.warning($0.description) }
        let statistics = JournalStatistics(entries)
        let guardEvents = try GuardJournal(repository: repository).events()
        if json && guards {
            context.printJSON(.object(["guards": .array(guardEvents.map(GuardJournal.json))]))
            return
        }
        if json {
            if stats {
                context.printJSON(.object(["entries": .array(entries.map(\.event)), "stats": statistics.json]))
            } else {
                context.printJSON(.array(entries.map(\.event)))
            }
            return
        }
        if entries.isEmpty {
            context.terminal.out("No rollbacks recorded yet.")
        } else {
            let mine = try CloneIdentity.existing(in: repository)
            let rows = entries.map { entry in
                [entry.id, entry.type, entry.mode, entry.status, "\(entry.durationMilliseconds) ms", entry.start.rfc3339,
                 (entry.event["from"]?.stringValue.map { String($0.prefix(7)) } ?? "") + " → " + (entry.event["to"]?.stringValue.map { String($0.prefix(7)) } ?? ""),
                 entry.clone.map { $0 == mine ? "this clone" : $0 } ?? "",
                 entry.event["reason"]?.stringValue ?? ""].map { Terminal.escaped($0) }
            }
            context.terminal.out(Table(header: ["ID", "TYPE", "MODE", "STATUS", "DURATION", "START", "FROM → TO", "ORIGIN", "REASON"], rows: rows).rendered)
        }
        if !guardEvents.isEmpty {
            context.terminal.out("")
            let rows = guardEvents.map { event in
                [event.id, event.type, event.status.rawValue, event.env, String(event.commit.prefix(7)), event.decision,
                 event.rollback ?? "", event.start,
                 event.checks.map { "\($0["check"]?.stringValue ?? "?") \($0["verdict"]?.stringValue ?? "")" }.joined(separator: ", ")]
                    .map { Terminal.escaped($0) }
            }
            context.terminal.out(Table(header: ["GUARD", "TYPE", "STATUS", "ENV", "COMMIT", "DECISION", "ROLLBACK", "START", "CHECKS"], rows: rows).rendered)
        }
        if stats {
            context.terminal.out("")
            let groups = [statistics.overall] + statistics.byMode
            context.terminal.out(Table(header: ["MODE", "COUNT", "SUCCESS", "MEDIAN", "P95"], rows: groups.map { group in
                [group.name, "\(group.count)", "\(Int((group.successRate * 100).rounded()))%", "\(group.medianMilliseconds) ms", "\(group.p95Milliseconds) ms"]
            }).rendered)
        }
    }
}
