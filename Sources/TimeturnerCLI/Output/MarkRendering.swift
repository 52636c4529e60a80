import GitKit
import TimeturnerCore

extension Terminal {
    /// Warnings for registry lines that could not be used, each naming file and line.
    func warn(_ skipped: [SkippedLine]) {
        skipped.forEach { warning($0.description) }
    }

    /// `Marked 1a2b3c4 good in production: health checks passed`
    func confirm(_ mark: Mark) {
        var line = "Marked \(mark.commit.short) \(mark.verdict.rawValue) in \(Terminal.escaped(mark.env))"
        let noteLines = mark.note.map(Terminal.noteLines) ?? []
        if let first = noteLines.first { line += ": " + first }
        out(line)
        for more in noteLines.dropFirst() { out("    " + more) }
        out("  id \(Terminal.escaped(mark.id)), by \(Terminal.escaped(mark.by)), at \(mark.at.rfc3339)")
    }

    /// One table of marks, newest first. A reason of several lines (post-deploy records the
    /// check's output) continues on rows of its own under its column, never as a literal `\n`.
    func table(of marks: [Mark], now: Timestamp) -> String {
        let rows = marks.flatMap { mark -> [[String]] in
            let noteLines = Terminal.noteLines(mark.note ?? "")
            let first = [mark.verdict.rawValue + (mark.verified ? "" : " (unverified)"), mark.commit.short, Terminal.escaped(mark.env),
                         mark.at.rfc3339, mark.at.age(relativeTo: now), Terminal.escaped(mark.by), noteLines.first ?? ""]
            return [first] + noteLines.dropFirst().map { Array(repeating: "", count: 6) + ["  " + $0] }
        }
        return Table(header: ["MARK", "COMMIT", "ENV", "AT", "AGE", "BY", "EVIDENCE / REASON"], rows: rows).rendered
    }

    /// The lines of a free-text note, each escaped, trailing blank lines dropped.
    static func noteLines(_ note: String) -> [String] {
        var lines = note.split(separator: "\n", omittingEmptySubsequences: false).map { Terminal.escaped(String($0)) }
        while lines.count > 1, lines.last?.trimming({ $0 == " " || $0 == "\t" }).isEmpty == true { lines.removeLast() }
        return lines
    }
}
