public import GitKit

/// Rollback points: annotated tags under `refs/timeturner/points/`, indexed by JSON Lines
/// notes in `refs/notes/timeturner` on the pointed-at commit.
public struct PointStore {
    let repository: Repository

    public init(repository: Repository) { self.repository = repository }

    public struct Request: Sendable {
        public var revision: String
        public var message: String?
        public var name: String?
        public var severity: Severity?
        public var environment: String?
        /// The tiers besides code that this point captures (recorded as `Timeturner-Tier` trailers).
        public var extraTiers: [String]

        public init(revision: String = "HEAD", message: String? = nil, name: String? = nil,
                    severity: Severity? = nil, environment: String? = nil, extraTiers: [String] = []) {
            self.revision = revision
            self.message = message
            self.name = name
            self.severity = severity
            self.environment = environment
            self.extraTiers = extraTiers
        }
    }

    /// Creates a point. Validates everything before writing anything.
    ///
    /// Order of writes: the tag object, then the point ref with "must not exist" compare-and-swap
    /// (the point now exists), then the note line. If the note cannot be written the ref is
    /// deleted again, so a reported failure leaves no half-made point and a reported success
    /// always has both.
    ///
    /// A name already taken is found before the tag object is written, so that a refused or
    /// redrawn name leaves no unreachable tag behind (`git fsck --unreachable`). Only a writer
    /// that takes the same name between that check and the compare-and-swap, or a failed note,
    /// leaves one, which `git gc` prunes.
    /// A point id wins over a revision spelled the same (`rollback --to <name>`), so a name that
    /// is also a revision git or this tool reads on its own would take that meaning away: `HEAD`
    /// would make `--to HEAD` the point, `last-good` would be printed as a command that means
    /// something else. (A name of hex digits is allowed: that a point wins over a commit id
    /// spelled the same is documented, and ticket numbers make good names.)
    static func shadowingRule(_ name: String) -> String? {
        let gitsOwn: Set<String> = ["HEAD", "FETCH_HEAD", "ORIG_HEAD", "MERGE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD",
                                    "REBASE_HEAD", "BISECT_HEAD", "AUTO_MERGE"]
        if gitsOwn.contains(name) { return "it is git's own name \(name)" }
        if name.lowercased() == "last-good" { return "'last-good' is what --to reads as the last good commit of an environment" }
        return nil
    }

    public func create(_ request: Request, by attribution: Attribution) throws(TimeturnerError) -> RollbackPoint {
        let chosenName = try request.name.map { (n) throws(TimeturnerError) in try RefComponentName(n, what: "point name") }
        if let name = chosenName?.value, let rule = Self.shadowingRule(name) {
            throw TimeturnerError(.usage, "invalid point name '\(name)': \(rule)",
                                  hint: "choose a name that reads as nothing else, e.g. pre-\(name.lowercased())")
        }
        let environment = try request.environment.map { (e) throws(TimeturnerError) in try RefComponentName(e, what: "environment name") }
        if let message = request.message, message.trimming({ $0 == "\n" }).isEmpty {
            throw TimeturnerError(.usage, "the point message is empty", hint: "say what the point is for: -m \"before the schema change\"")
        }
        try RepositoryAccess.requireCommits(repository)
        let commit = try RepositoryAccess.resolveCommit(request.revision, in: repository)
        let (subject, body) = try describe(request.message, commit: commit)
        let tiers = [Tier.code] + request.extraTiers.filter { $0 != Tier.code }

        var attempt = 0
        while true {
            attempt += 1
            let id = chosenName?.value ?? UniqueID.stamped(at: attribution.time)
            let ref = StorageLayout.pointRef(id)
            let message = PointMessage.compose(subject: subject, body: body, id: id, severity: request.severity,
                                               environment: environment?.value, tiers: tiers)
            let tag: OID
            do throws(GitError) {
                if try repository.reference(ref) != nil { throw GitError(operation: "create \(ref)", code: .exists, message: "it exists") }
                tag = try repository.createAnnotatedTagObject(name: id, target: commit, tagger: attribution.signature, message: message)
                try repository.setReference(ref, to: tag, expecting: nil, logMessage: "timeturner: point \(id)")
            } catch where error.code == .exists || error.code == .locked {
                // A generated id collided with a concurrent writer's: draw another suffix.
                if chosenName == nil && attempt < 20 { continue }
                throw TimeturnerError(.failure, "a rollback point named '\(id)' already exists",
                                      hint: "choose another --name, or inspect it with 'git timeturner show \(id)'")
            } catch {
                throw TimeturnerError(error, doing: "create point \(id)")
            }

            let point = RollbackPoint(id: id, ref: ref, tag: tag, commit: commit, subject: subject, body: body,
                                      severity: request.severity, environment: environment?.value, tiers: tiers,
                                      by: attribution.identity, at: attribution.time)
            do {
                try appendEvent(type: "point", on: commit, fields: [
                    "id": .string(id), "tag": .string(tag.hex), "subject": .string(subject),
                    "severity": request.severity.map { .string($0.rawValue) } ?? .null,
                    "env": environment.map { .string($0.value) } ?? .null,
                    "tiers": .array(tiers.map(JSONValue.string)),
                ], by: attribution)
            } catch {
                try? repository.deleteReference(ref, expecting: tag)
                throw error
            }
            return point
        }
    }

    /// Points, newest first, with warnings for refs that are not readable points.
    ///
    /// On one thread. Reading the second half of the tags on another thread (with a handle of
    /// its own) was tried and taken out: 10,000 points took 87 instead of 99 ms of wall-clock
    /// time but 120 instead of 98 ms of CPU time (20 interleaved runs; `git for-each-ref` with the
    /// same fields: 128 ms, 127 ms of CPU), the two threads contending for libgit2's pack locks and
    /// the allocator, which made the listing cost the machine more than git's (bench/README.md).
    public func list() -> (points: [RollbackPoint], warnings: [String]) {
        let refs: [Reference]
        do { refs = try repository.references(matching: StorageLayout.pointsPrefix + "*") } catch {
            return ([], ["could not list \(StorageLayout.pointsPrefix)*: \(error)"])
        }
        var listing = read(refs[...])
        listing.points.sort(by: PointStore.newestFirst)
        return listing
    }

    private func read(_ refs: ArraySlice<Reference>) -> (points: [RollbackPoint], warnings: [String]) {
        var points: [RollbackPoint] = []
        var warnings: [String] = []
        points.reserveCapacity(refs.count)
        for ref in refs {
            do { points.append(try read(ref)) } catch { warnings.append(error.message) }
        }
        return (points, warnings)
    }

    /// The points on `commit`, newest first, given the events of the commit's note.
    ///
    /// The note names every point made on the commit (`{"type":"point","id":…}` lines), so only
    /// those refs are read; `show` used to read every point in the repository to find them.
    /// Each named ref is checked to still point at this commit (the point may have been deleted
    /// and its id reused elsewhere). Without a note (points made by another tool, or fetched
    /// without `refs/notes/timeturner`), `packed-refs` tells which packed points peel to the
    /// commit, and only those and the loose ones are read: not every point's tag.
    public func points(on commit: OID, noteEvents: [JSONValue]) -> (points: [RollbackPoint], warnings: [String]) {
        var ids = noteEvents.compactMap { $0["type"]?.stringValue == "point" ? $0["id"]?.stringValue : nil }
        if noteEvents.isEmpty {
            // No note: the refs whose peeled target (in packed-refs) is this commit, and the loose ones.
            guard let candidates = repository.referenceNamesInFiles(under: StorageLayout.pointsPrefix, peelingTo: commit) else {
                let listing = list()
                return (listing.points.filter { $0.commit == commit }, listing.warnings)
            }
            ids = candidates
        }
        var seen: Set<String> = []
        var points: [RollbackPoint] = []
        var warnings: [String] = []
        for id in ids {
            guard seen.insert(id).inserted else { continue }
            do {
                if let point = try point(id: id), point.commit == commit { points.append(point) }
            } catch {
                warnings.append(error.message)
            }
        }
        points.sort(by: PointStore.newestFirst)
        return (points, warnings)
    }

    /// Listing order: newest first, ties (same second) by id, descending.
    static func newestFirst(_ a: RollbackPoint, _ b: RollbackPoint) -> Bool {
        a.at != b.at ? a.at > b.at : a.id > b.id
    }

    /// The point with this id, or nil.
    public func point(id: String) throws(TimeturnerError) -> RollbackPoint? {
        guard RefComponentName.brokenRule(id) == nil else { return nil }
        let found: Reference?
        do { found = try repository.reference(StorageLayout.pointRef(id)) } catch {
            throw TimeturnerError(error, doing: "look up point \(id)")
        }
        return try found.map { (ref) throws(TimeturnerError) in try read(ref) }
    }

    /// Deletes a point's ref with compare-and-swap and records the deletion in the note.
    /// The commit and the tag object are untouched (the object stays until git gc prunes it).
    public func delete(id: String, by attribution: Attribution) throws(TimeturnerError) -> RollbackPoint {
        guard let point = try point(id: id) else {
            throw TimeturnerError(.failure, "no rollback point named '\(id)'", hint: "list them with 'git timeturner points'")
        }
        do {
            try repository.deleteReference(point.ref, expecting: point.tag)
        } catch where error.code == .notFound {
            throw TimeturnerError(.failure, "rollback point '\(id)' was deleted by someone else meanwhile")
        } catch where error.code.isContention {
            throw TimeturnerError(.failure, "rollback point '\(id)' changed while it was being deleted; nothing deleted",
                                  hint: "look at it again with 'git timeturner show \(id)' and retry")
        } catch {
            throw TimeturnerError(error, doing: "delete point \(id)")
        }
        try appendEvent(type: "point-deleted", on: point.commit,
                        fields: ["id": .string(id), "tag": .string(point.tag.hex)], by: attribution)
        return point
    }

    /// The JSON Lines note on `commit` (points, deletions, captures), with unusable lines reported.
    public func noteEvents(on commit: OID) throws(TimeturnerError) -> (events: [JSONValue], skipped: [SkippedLine]) {
        let bytes: [UInt8]?
        do { bytes = try repository.noteBytes(on: commit, notesRef: StorageLayout.notesRef) } catch {
            throw TimeturnerError(error, doing: "read the note on \(commit.short)")
        }
        guard let bytes else { return ([], []) }
        let source = "\(StorageLayout.notesRef) on \(commit.short)"
        let parsed = JSONLines.parseNumbered(bytes, source: source)
        // Every event line carries a string "type" and an integer "v"; anything else was not
        // written by this tool (or by a newer, incompatible one) and is not interpreted.
        var events: [JSONValue] = []
        var skipped = parsed.skipped
        for (lineNumber, event) in parsed.objects {
            if event["type"]?.stringValue == nil {
                skipped.append(SkippedLine(source: source, lineNumber: lineNumber, reason: "has no string \"type\""))
            } else if case .int = event["v"] {
                events.append(event)
            } else {
                skipped.append(SkippedLine(source: source, lineNumber: lineNumber, reason: "has no integer \"v\""))
            }
        }
        return (events, skipped.sorted { $0.lineNumber < $1.lineNumber })
    }

    // MARK: - Internals

    /// Appends one event line to the commit's note (compare-and-swap on the notes ref).
    func appendEvent(type: String, on commit: OID, fields: [String: JSONValue], by attribution: Attribution) throws(TimeturnerError) {
        var event = fields.filter { $0.value != .null }
        event["type"] = .string(type)
        event["v"] = .int(StorageLayout.eventVersion)
        event["at"] = .string(attribution.time.rfc3339)
        event["by"] = .string(attribution.identity)
        event["commit"] = .string(commit.hex)
        do {
            try repository.appendToNote(on: commit, notesRef: StorageLayout.notesRef,
                                        text: JSONValue.object(event).canonicalLine + "\n", signature: attribution.signature)
        } catch {
            throw TimeturnerError(error, doing: "write the note on \(commit.short)")
        }
    }

    private func read(_ ref: Reference) throws(TimeturnerError) -> RollbackPoint {
        let id = String(ref.name.dropFirst(StorageLayout.pointsPrefix.count))
        let tag: AnnotatedTag
        do { tag = try repository.annotatedTag(ref.target) } catch {
            throw TimeturnerError(.failure, "\(ref.name) does not point at an annotated tag; skipped",
                                  hint: "it was not written by git-timeturner; inspect it with 'git cat-file -p \(ref.name)'")
        }
        // A point marks a commit; a tag of a tree or a blob under refs/timeturner/points/ was
        // not written by this tool, and its id must not be shown or used as a commit's.
        guard tag.targetIsCommit else {
            throw TimeturnerError(.failure, "\(ref.name) is a tag of \(tag.target.short), which is not a commit; skipped",
                                  hint: "it was not written by git-timeturner; inspect it with 'git cat-file -p \(ref.name)'")
        }
        let parsed = PointMessage.parse(tag.message)
        return RollbackPoint(id: id, ref: ref.name, tag: tag.id, commit: tag.target, subject: parsed.subject,
                             body: parsed.body, severity: parsed.severity, environment: parsed.environment,
                             tiers: parsed.tiers, by: tag.tagger?.identity ?? "unknown",
                             at: Timestamp(secondsSinceEpoch: tag.tagger?.time ?? 0))
    }

    private func describe(_ message: String?, commit: OID) throws(TimeturnerError) -> (String, String) {
        if let message {
            let trimmed = message.trimming { $0 == "\n" }
            let parts = trimmed.split(separator: "\n\n", maxSplits: 1, omittingEmptySubsequences: false)
            let subject = parts[0].split(separator: "\n").joined(separator: " ")
            return (subject, parts.count > 1 ? String(parts[1]).trimming { $0 == "\n" } : "")
        }
        let summary: String
        do { summary = try repository.commit(commit).summary } catch {
            throw TimeturnerError(error, doing: "read commit \(commit.short)")
        }
        return ("Rollback point at \(commit.short): \(summary)", "")
    }
}
