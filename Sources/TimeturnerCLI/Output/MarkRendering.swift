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
        if let note = mark.note { line += ": " + Terminal.escaped(note) }
        out(line)
        out("  id \(Terminal.escaped(mark.id)), by \(Terminal.escaped(mark.by)), at \(mark.at.rfc3339)")
    }

    /// One table of marks, newest first.
    func table(of marks: [Mark], now: Timestamp) -> String {
        let rows = marks.map { mark in
            [mark.verdict.rawValue + (mark.verified ? "" : " (unverified)"), mark.commit.short, Terminal.escaped(mark.env),
             mark.at.rfc3339, mark.at.age(relativeTo: now), Terminal.escaped(mark.by), Terminal.escaped(mark.note ?? "")]
        }
        return Table(header: ["MARK", "COMMIT", "ENV", "AT", "AGE", "BY", "EVIDENCE / REASON"], rows: rows).rendered
    }
}
