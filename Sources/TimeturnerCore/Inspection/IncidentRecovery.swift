import GitKit

/// Time to recovery per incident (`history --stats`): an incident in an environment opens at
/// the first bad mark there while none is open, and closes at the end of the next rollback that
/// succeeded (its verification passed) for that environment; a rollback without `--env` closes
/// the open incidents of every environment. An incident not closed yet is reported open.
/// Failed checks will open incidents too once the guard records them in the journal.
public struct IncidentRecovery: Sendable, Equatable {
    public struct Incident: Sendable, Equatable {
        public let env: String
        /// The first bad mark: its id, commit and time.
        public let markID: String
        public let badCommit: String
        public let openedAt: Timestamp
        /// The bad marks after the first, until recovery.
        public let laterMarks: Int
        /// The rollback that ended it, with the time it ended (its start plus its duration).
        public let rollbackID: String?
        public let recoveredAtMilliseconds: Int64?

        public var timeToRecoveryMilliseconds: Int64? {
            recoveredAtMilliseconds.map { $0 - openedAt.secondsSinceEpoch * 1000 }
        }

        public var json: JSONValue {
            var fields: [String: JSONValue] = [
                "env": .string(env), "mark": .string(markID), "badCommit": .string(badCommit),
                "openedAt": .string(openedAt.rfc3339), "laterMarks": .int(Int64(laterMarks)),
                "rollback": rollbackID.map(JSONValue.string) ?? .null, "recovered": .bool(rollbackID != nil),
            ]
            if let ms = recoveredAtMilliseconds {
                fields["recoveredAt"] = .string(Timestamp(secondsSinceEpoch: ms / 1000).rfc3339)
            }
            fields["timeToRecoveryMs"] = timeToRecoveryMilliseconds.map(JSONValue.int) ?? .null
            return .object(fields)
        }
    }

    /// Oldest first.
    public let incidents: [Incident]

    public init(marks: [Mark], journal: [JournalEntry]) {
        enum Happening { case bad(Mark), recovered(JournalEntry, endMs: Int64) }
        var timeline: [(ms: Int64, order: Int, happening: Happening)] = []
        for mark in marks where mark.verdict == .bad {
            timeline.append((mark.at.secondsSinceEpoch * 1000, 0, .bad(mark)))
        }
        for entry in journal where entry.type == "rollback" && entry.succeeded {
            let end = entry.start.secondsSinceEpoch * 1000 + entry.durationMilliseconds
            timeline.append((end, 1, .recovered(entry, endMs: end)))
        }
        // A bad mark and a rollback in the same millisecond: the mark came first.
        timeline.sort { ($0.ms, $0.order) < ($1.ms, $1.order) }

        var open: [String: (first: Mark, later: Int)] = [:]
        var done: [Incident] = []
        for item in timeline {
            switch item.happening {
            case .bad(let mark):
                if let existing = open[mark.env] { open[mark.env] = (existing.first, existing.later + 1) } else { open[mark.env] = (mark, 0) }
            case .recovered(let entry, let end):
                let env = entry.event["env"]?.stringValue
                for name in open.keys.sorted() where env == nil || env == name {
                    let (first, later) = open.removeValue(forKey: name)!
                    done.append(Incident(env: name, markID: first.id, badCommit: first.commit.hex, openedAt: first.at, laterMarks: later,
                                         rollbackID: entry.id, recoveredAtMilliseconds: end))
                }
            }
        }
        for (name, pending) in open {
            done.append(Incident(env: name, markID: pending.first.id, badCommit: pending.first.commit.hex, openedAt: pending.first.at,
                                 laterMarks: pending.later, rollbackID: nil, recoveredAtMilliseconds: nil))
        }
        incidents = done.sorted { ($0.openedAt, $0.env) < ($1.openedAt, $1.env) }
    }

    public var recovered: [Incident] { incidents.filter { $0.rollbackID != nil } }

    public var medianMilliseconds: Int64 {
        JournalStatistics.percentile(recovered.compactMap(\.timeToRecoveryMilliseconds).sorted(), 50)
    }

    public var p95Milliseconds: Int64 {
        JournalStatistics.percentile(recovered.compactMap(\.timeToRecoveryMilliseconds).sorted(), 95)
    }

    public var json: JSONValue {
        .object(["incidents": .array(incidents.map(\.json)), "recovered": .int(Int64(recovered.count)),
                 "open": .int(Int64(incidents.count - recovered.count)),
                 "medianMs": .int(medianMilliseconds), "p95Ms": .int(p95Milliseconds)])
    }
}
