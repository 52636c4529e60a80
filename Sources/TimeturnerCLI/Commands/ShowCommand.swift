import ArgumentParser
import GitKit
import TimeturnerCore

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show everything recorded for a rollback point or a commit.",
        discussion: """
        Accepts a point id or any revision. Prints the point (who, when, why, severity, \
        environment, tiers), every point on the same commit, the note's events, the good and bad \
        marks on the commit in every environment, the guards that watched it (status, decision, mark, \
        rollback, and each check's verdict, reason and number of measurements), other journal \
        events (rollbacks…) from or to it, and the exact command that rolls back there. --json \
        has the guard events whole in 'journal'.

        Examples:
          git timeturner show 20261121T223000Z-7f3a
          git timeturner show HEAD~2 --json
        """
    )

    @Argument(help: "A point id or a revision.")
    var target: String

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        let context = CommandContext.process
        let repository = try context.openRepository()
        let inspection = try Inspector(repository: repository).inspect(target)
        inspection.warnings.forEach(context.terminal.warning)
        if json {
            context.printJSON(inspection.json)
            return
        }
        let t = context.terminal
        if case .point(let point) = inspection.subject {
            t.out("point    \(Terminal.escaped(point.id))")
            t.out("ref      \(point.ref)")
            t.out("tag      \(point.tag.hex)")
            t.out("commit   \(point.commit.hex)  \(Terminal.escaped(inspection.commitSummary))")
            t.out("by       \(Terminal.escaped(point.by))")
            t.out("at       \(point.at.rfc3339) (\(point.at.age(relativeTo: context.now)))")
            t.out("severity \(point.severity?.rawValue ?? "-")")
            t.out("env      \(Terminal.escaped(point.environment ?? "-"))")
            t.out("tiers    \(point.tiers.joined(separator: ", "))")
            t.out("")
            t.out("    " + Terminal.escaped(point.subject))
            if !point.body.isEmpty {
                t.out("")
                for line in point.body.split(separator: "\n", omittingEmptySubsequences: false) {
                    t.out("    " + Terminal.escaped(String(line)))
                }
            }
        } else {
            t.out("commit   \(inspection.commit.hex)  \(Terminal.escaped(inspection.commitSummary))")
        }
        let others = inspection.points.filter {
            if case .point(let shown) = inspection.subject { return $0.id != shown.id }
            return true
        }
        if !others.isEmpty {
            t.out("")
            t.out("points on this commit:")
            for p in others { t.out("  \(Terminal.escaped(p.id))  \(p.at.rfc3339)  \(Terminal.escaped(p.subject))") }
        }
        if !inspection.noteEvents.isEmpty {
            t.out("")
            t.out("recorded in \(StorageLayout.notesRef):")
            for event in inspection.noteEvents { t.out("  " + Terminal.escaped(event.canonicalLine)) }
        }
        if !inspection.marks.isEmpty {
            t.out("")
            t.out("marks in \(StorageLayout.registryRef):")
            for mark in inspection.marks {
                let noteLines = mark.note.map(Terminal.noteLines) ?? []
                let note = noteLines.first.map { ": " + $0 } ?? ""
                t.out("  \(mark.verdict.rawValue) in \(Terminal.escaped(mark.env))  \(mark.at.rfc3339)  by \(Terminal.escaped(mark.by))\(note)")
                for more in noteLines.dropFirst() { t.out("      " + more) }
            }
        }
        // Guard and trigger events are rendered; any other event (or one that does not read as a
        // guard event) stays a raw line, so nothing journaled is hidden.
        let rendered = inspection.journalEvents.map { event in
            event["type"]?.stringValue.flatMap { GuardJournal.types.contains($0) ? GuardJournal.event(from: event) : nil }
        }
        let guards = rendered.compactMap { $0 }
        if !guards.isEmpty {
            t.out("")
            t.out("guard and trigger verdicts on this commit:")
            guards.forEach { GuardRendering(terminal: t).render($0) }
        }
        let otherEvents = zip(inspection.journalEvents, rendered).filter { $0.1 == nil }.map(\.0)
        if !otherEvents.isEmpty {
            t.out("")
            t.out("journal events from or to this commit:")
            for event in otherEvents { t.out("  " + Terminal.escaped(event.canonicalLine)) }
        }
        t.out("")
        t.out("roll back here: \(inspection.rollbackCommand)")
    }
}
