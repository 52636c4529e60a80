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
        were). status and a bare undo only look at this clone's. LEVEL is --level (empty for \
        code-only or --tiers); TIERS lists each tier the operation covered with its duration. \
        --stats adds count, success rate, median and 95th-percentile duration, overall and by \
        mode, and the time to recovery of each incident: from the first bad mark in an \
        environment to the end of the next rollback there that succeeded (its verification \
        passed); a rollback without --env ends the incidents of every environment.
        """
    )

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(help: "Count, success rate, median and p95 duration, by mode; time to recovery per incident.")
    var stats = false

    @Flag(help: "With --json: print the guard and trigger events instead, as {\"guards\": […]}.")
    var guards = false

    func run() throws {
        let context = CommandContext.process
        let repository = try context.openRepository()
        let (entries, skipped) = try RollbackJournal(repository: repository).entries()
        skipped.forEach { context.terminal.warning($0.description) }
        let statistics = JournalStatistics(entries)
        let recovery = stats ? try Self.recovery(repository, entries: entries, context: context) : nil
        let guardEvents = try GuardJournal(repository: repository).events()
        if json && guards {
            context.printJSON(.object(["guards": .array(guardEvents.map(GuardJournal.json))]))
            return
        }
        if json {
            if stats, let recovery {
                context.printJSON(.object(["entries": .array(entries.map(\.event)), "stats": statistics.json, "recovery": recovery.json]))
            } else {
                context.printJSON(.array(entries.map(\.event)))
            }
            return
        }
        if entries.isEmpty {
            context.terminal.out("No rollbacks recorded yet.")
        } else {
            let mine = try CloneIdentity.existing(in: repository)
            let rows = entries.map { Self.row($0, mine: mine) }
            context.terminal.out(Table(header: ["ID", "TYPE", "MODE", "STATUS", "LEVEL", "TIERS", "DURATION", "START", "FROM → TO", "ORIGIN", "REASON"], rows: rows).rendered)
        }
        if !guardEvents.isEmpty {
            context.terminal.out("")
            let rows = guardEvents.map { event in
                [event.id, event.type, event.status.rawValue, event.env, String(event.commit.prefix(7)), event.decision,
                 event.rollback ?? "", event.start,
                 event.checks.map { "\($0["check"]?.stringValue ?? "?") \($0["verdict"]?.stringValue ?? "")" }.joined(separator: ", ")]
                    .map { Terminal.escaped($0) }
            }
            context.terminal.out(Table(header: ["RUN", "TYPE", "STATUS", "ENV", "COMMIT", "DECISION", "ROLLBACK", "START", "CHECKS"], rows: rows).rendered)
        }
        if stats {
            context.terminal.out("")
            let groups = [statistics.overall] + statistics.byMode
            context.terminal.out(Table(header: ["MODE", "COUNT", "SUCCESS", "MEDIAN", "P95"], rows: groups.map { group in
                [group.name, "\(group.count)", "\(Int((group.successRate * 100).rounded()))%", "\(group.medianMilliseconds) ms", "\(group.p95Milliseconds) ms"]
            }).rendered)
        }
        if let recovery {
            context.terminal.out("")
            if recovery.incidents.isEmpty {
                context.terminal.out("No incidents: no bad marks recorded.")
                return
            }
            context.terminal.out(Table(header: ["ENV", "FIRST BAD", "BAD COMMIT", "RECOVERED BY", "TIME TO RECOVERY"], rows: recovery.incidents.map { incident in
                [incident.env, incident.openedAt.rfc3339, String(incident.badCommit.prefix(7)), incident.rollbackID ?? "(open)",
                 incident.timeToRecoveryMilliseconds.map { ElapsedText.describe(milliseconds: $0) } ?? ""].map { Terminal.escaped($0) }
            }).rendered)
            if !recovery.recovered.isEmpty {
                context.terminal.out("time to recovery: median \(ElapsedText.describe(milliseconds: recovery.medianMilliseconds)), p95 \(ElapsedText.describe(milliseconds: recovery.p95Milliseconds)) over \(recovery.recovered.count) incident(s)")
            }
        }
    }

    static func row(_ entry: JournalEntry, mine: String?) -> [String] {
        let level: String = entry.event["level"]?.intValue.map { "\($0)" } ?? ""
        let from: String = entry.event["from"]?.stringValue.map { String($0.prefix(7)) } ?? ""
        let to: String = entry.event["to"]?.stringValue.map { String($0.prefix(7)) } ?? ""
        let origin: String = entry.clone.map { $0 == mine ? "this clone" : $0 } ?? ""
        let cells: [String] = [entry.id, entry.type, entry.mode, entry.status, level, tiers(entry), "\(entry.durationMilliseconds) ms",
                               entry.start.rfc3339, from + " → " + to, origin, entry.event["reason"]?.stringValue ?? ""]
        return cells.map { Terminal.escaped($0) }
    }

    /// Bad marks of every environment with the journal: the incidents and their recovery times.
    static func recovery(_ repository: Repository, entries: [JournalEntry], context: CommandContext) throws(TimeturnerError) -> IncidentRecovery {
        let (marks, warnings) = try KnownGoodRegistry(repository: repository).marks(env: nil)
        warnings.forEach { context.terminal.warning($0.description) }
        return IncidentRecovery(marks: marks, journal: entries)
    }

    /// `code 11 ms, db 812 ms`: each tier the operation covered, in the order they ran.
    static func tiers(_ entry: JournalEntry) -> String {
        (entry.typed?.tiers ?? []).map { "\($0.tier) \($0.durationMs) ms" + ($0.succeeded ? "" : " (\($0.status))") }.joined(separator: ", ")
    }

}
