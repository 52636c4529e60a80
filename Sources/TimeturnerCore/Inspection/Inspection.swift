public import GitKit

/// Everything recorded about one point or commit, for `git timeturner show`.
public struct Inspection {
    public enum Subject { case point(RollbackPoint), commit }

    public let subject: Subject
    public let commit: OID
    public let commitSummary: String
    /// Every point on the commit (including the one asked about), newest first.
    public let points: [RollbackPoint]
    /// The JSON Lines events in the commit's note, in the order written.
    public let noteEvents: [JSONValue]
    /// Good and bad marks on the commit in every environment, newest first.
    public let marks: [Mark]
    /// Journal events (rollbacks…) whose `from` or `to` is the commit, oldest first.
    public let journalEvents: [JSONValue]
    public let warnings: [String]

    /// The exact command that returns here.
    public var rollbackCommand: String {
        switch subject {
        case .point(let point): "git timeturner rollback --to \(point.id)"
        case .commit: "git timeturner rollback --to \(commit.hex)"
        }
    }

    public var json: JSONValue {
        var fields: [String: JSONValue] = [
            "commit": .string(commit.hex),
            "summary": .string(commitSummary),
            "points": .array(points.map(\.json)),
            "notes": .array(noteEvents),
            "marks": .array(marks.map(\.json)),
            "journal": .array(journalEvents),
            "rollbackCommand": .string(rollbackCommand),
        ]
        if case .point(let point) = subject { fields["point"] = point.json }
        return .object(fields)
    }
}

/// Answers "what do we know about X", where X is a point id or any revision.
public struct Inspector {
    let repository: Repository

    public init(repository: Repository) { self.repository = repository }

    public func inspect(_ name: String) throws(TimeturnerError) -> Inspection {
        let store = PointStore(repository: repository)
        // A point id wins over a revision of the same spelling: ids are what users copy from `points`.
        let point = try store.point(id: name)
        let commit: OID
        if let point { commit = point.commit } else {
            do { commit = try RepositoryAccess.resolveCommit(name, in: repository) } catch {
                throw TimeturnerError(.failure, "'\(name)' is neither a rollback point nor a commit",
                                      hint: "list points with 'git timeturner points'; check revisions with 'git log --oneline'")
            }
        }
        let notes = try store.noteEvents(on: commit)
        let onCommit = store.points(on: commit, noteEvents: notes.events)
        let registry = KnownGoodRegistry(repository: repository)
        let marks = try registry.marks(on: commit)
        let journal = try registry.journalEvents(involving: commit)
        let summary: String
        do { summary = try repository.commit(commit).summary } catch {
            throw TimeturnerError(error, doing: "read commit \(commit.short)")
        }
        return Inspection(
            subject: point.map(Inspection.Subject.point) ?? .commit,
            commit: commit,
            commitSummary: summary,
            points: onCommit.points,
            noteEvents: notes.events,
            marks: marks.marks,
            journalEvents: journal.events,
            warnings: onCommit.warnings + (notes.skipped + marks.warnings + journal.warnings).map(\.description)
        )
    }
}
