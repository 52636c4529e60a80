public import GitKit

/// Good and bad marks per environment on top of the registry ledger, and the questions people
/// ask of them: what is the last good commit, what happened to this commit, who changed what.
public struct KnownGoodRegistry {
    let repository: Repository
    let ledger: RegistryLedger

    public init(repository: Repository) {
        self.repository = repository
        ledger = RegistryLedger(repository: repository)
    }

    public static func marksDirectory(env: String) -> String { "marks/\(env)" }

    // MARK: - Marking

    /// Marks a commit good or bad in one environment: one new registry commit whose message says
    /// what happened (`good 1a2b3c4 production: health checks passed`). Everything is validated
    /// before anything is written.
    ///
    /// `by` overrides who the event names (a deploy bot, say); the registry commit itself is
    /// always authored by `attribution`, so the audit trail shows who actually ran it.
    public func mark(_ verdict: MarkVerdict, revision: String, env: String, note: String?, by: String? = nil,
                     attribution: Attribution) throws(TimeturnerError) -> Mark {
        let environment = try RefComponentName(env, what: "environment name")
        try RepositoryAccess.requireCommits(repository, nothingTo: "mark")
        let commit = try RepositoryAccess.resolveCommit(revision, in: repository)
        let note = note.map { $0.trimming { $0 == "\n" } }.flatMap { $0.isEmpty ? nil : $0 }
        var fields: [String: JSONValue] = [
            "type": .string(verdict.rawValue), "commit": .string(commit.hex), "env": .string(environment.value),
            "id": .string(UniqueID.stamped(at: attribution.time)),
        ]
        if let note { fields[verdict.noteField] = .string(note) }
        if let by, !by.isEmpty { fields["by"] = .string(by) }
        let shard = RegistryLedger.marksShard(env: environment.value, for: attribution.time)
        var subject = "\(verdict.rawValue) \(repository.shortID(commit)) \(environment.value)"
        if let note { subject += ": " + KnownGoodRegistry.oneLine(note, limit: 100) }
        let message = subject + "\n\n\(TrailerKey.event): \(fields["id"]!.stringValue!)\n\(TrailerKey.commit): \(commit.hex)\n"
        let written = try ledger.append([(shard, fields)], message: message, by: attribution)
        switch Mark.parse(written[0], env: environment.value, shard: shard, line: 0) {
        case .read(let mark): return mark
        case .skipped(let skipped): throw TimeturnerError(.failure, "wrote a mark that does not read back: \(skipped.reason)")
        }
    }

    // MARK: - last-good

    public struct LastGoodQuery: Sendable {
        public var env: String
        /// Accept commits that are not ancestors of HEAD.
        public var any: Bool
        /// Fail when the newest eligible good mark is older than this.
        public var maxAge: TimeSpan?
        public var now: Timestamp

        public init(env: String, any: Bool = false, maxAge: TimeSpan? = nil, now: Timestamp) {
            self.env = env
            self.any = any
            self.maxAge = maxAge
            self.now = now
        }
    }

    /// The newest good mark in the environment whose commit has no later bad mark (and is an
    /// ancestor of HEAD unless `any`). Reads shards newest month first and, within a month, marks
    /// newest `at` first, stopping at the first answer: a bad mark is always met before the older
    /// good marks it cancels, so the answer is certain as soon as an eligible good mark is seen.
    /// An answer from this month never reads an older month.
    ///
    /// Throws when there is none, and when `maxAge` says the answer is too old.
    public func lastGood(_ query: LastGoodQuery) throws(TimeturnerError) -> (mark: Mark, warnings: [SkippedLine]) {
        let environment = try RefComponentName(query.env, what: "environment name")
        var head: OID? = nil
        if !query.any {
            // The ancestry check walks history, which a shallow clone does not have: a mark on a
            // commit below the boundary would read as "not an ancestor" and give a wrong answer.
            if repository.isShallow {
                throw TimeturnerError(.refused, "this is a shallow clone; last-good needs the full history to check which marks are ancestors of HEAD",
                                      hint: "git fetch --unshallow (in CI: fetch-depth: 0), then run it again; or pass --any to skip the ancestry check")
            }
            do { head = try repository.headCommit() } catch {
                throw TimeturnerError(.failure, "HEAD has no commit, so no mark can be an ancestor of it",
                                      hint: "check out a branch with commits, or pass --any")
            }
        }
        var warnings: [SkippedLine] = []
        var cancelled: Set<OID> = []
        var notAncestors = 0, unverified = 0, goodSeen = 0
        // One walk from HEAD answers every candidate in turn, going only as deep as needed.
        var ancestors: AncestorSet? = nil
        for shard in try ledger.shards(under: KnownGoodRegistry.marksDirectory(env: environment.value)).reversed() {
            guard let bytes = try ledger.contents(ofShard: shard) else { continue }
            let lines = ShardLines(shard: shard, bytes: bytes)
            for index in lines.newestFirst() {
                guard let mark = readMark(lines, index, env: environment.value, warnings: &warnings) else { continue }
                if mark.verdict == .bad { cancelled.insert(mark.commit); continue }
                goodSeen += 1
                if cancelled.contains(mark.commit) { continue }
                if !mark.verified { unverified += 1; continue }
                if let head, !(try isAncestor(mark.commit, of: head, walk: &ancestors)) { notAncestors += 1; continue }
                if let maxAge = query.maxAge, query.now.secondsSinceEpoch - mark.at.secondsSinceEpoch > maxAge.seconds {
                    throw TimeturnerError(.failure,
                        "the last good commit in \(environment.value) (\(mark.commit.short), marked \(mark.at.rfc3339)) is \(mark.at.age(relativeTo: query.now).replacingAgo()) old, more than --max-age \(maxAge)",
                        hint: "deploy and verify a newer commit, then: git timeturner good --env \(environment.value)")
                }
                return (mark, warnings)
            }
        }
        var reasons: [String] = []
        if goodSeen == 0 { reasons.append("no commit has been marked good there") }
        if cancelled.count > 0 && goodSeen > 0 { reasons.append("\(cancelled.count) commit(s) marked bad later") }
        if notAncestors > 0 { reasons.append("\(notAncestors) good mark(s) on commits that are not ancestors of HEAD") }
        if unverified > 0 { reasons.append("\(unverified) imported mark(s) not verified") }
        throw TimeturnerError(.failure, "no last good commit in environment '\(environment.value)': " + reasons.joined(separator: "; "),
                              hint: notAncestors > 0
                                ? "pass --any to accept commits that are not ancestors of HEAD"
                                : "mark a commit after verifying it: git timeturner good <commit> --env \(environment.value)")
    }

    // MARK: - Listing

    /// Marks in one environment (or all), newest first, optionally only those at or after `since`.
    public func marks(env: String?, since: Timestamp? = nil) throws(TimeturnerError) -> (marks: [Mark], warnings: [SkippedLine]) {
        var environments: [String]
        if let env { environments = [try RefComponentName(env, what: "environment name").value] } else {
            environments = try ledger.directories(under: "marks")
        }
        environments = environments.filter { RefComponentName.brokenRule($0) == nil }
        var marks: [Mark] = []
        var warnings: [SkippedLine] = []
        for environment in environments {
            for shard in try ledger.shards(under: KnownGoodRegistry.marksDirectory(env: environment)) {
                // Shards are named by month: skip whole months before `since` without reading them.
                if let since, let month = KnownGoodRegistry.month(of: shard), month < since.yearMonth { continue }
                guard let bytes = try ledger.contents(ofShard: shard) else { continue }
                let lines = ShardLines(shard: shard, bytes: bytes)
                for index in 0..<lines.count {
                    guard let mark = readMark(lines, index, env: environment, warnings: &warnings) else { continue }
                    if let since, mark.at < since { continue }
                    marks.append(mark)
                }
            }
        }
        // Newest first; within a second, the later-recorded first.
        return (KnownGoodRegistry.newestFirst(marks), warnings)
    }

    /// Every mark on `commit` in every environment, newest first. Lines that do not mention the
    /// commit's id are not parsed at all.
    public func marks(on commit: OID) throws(TimeturnerError) -> (marks: [Mark], warnings: [SkippedLine]) {
        let needle = Array(commit.hex.utf8)
        var marks: [Mark] = []
        var warnings: [SkippedLine] = []
        for environment in try ledger.directories(under: "marks") where RefComponentName.brokenRule(environment) == nil {
            for shard in try ledger.shards(under: KnownGoodRegistry.marksDirectory(env: environment)) {
                guard let bytes = try ledger.contents(ofShard: shard) else { continue }
                let lines = ShardLines(shard: shard, bytes: bytes)
                for index in 0..<lines.count where lines.line(index, contains: needle) {
                    if let mark = readMark(lines, index, env: environment, warnings: &warnings), mark.commit == commit {
                        marks.append(mark)
                    }
                }
            }
        }
        return (KnownGoodRegistry.newestFirst(marks), warnings)
    }

    /// Journal events (rollbacks, drills, guards…) whose `from` or `to` is `commit`, oldest first.
    /// Generic on purpose: any event type that names the commit that way is shown.
    public func journalEvents(involving commit: OID) throws(TimeturnerError) -> (events: [JSONValue], warnings: [SkippedLine]) {
        let needle = Array(commit.hex.utf8)
        var events: [JSONValue] = []
        var warnings: [SkippedLine] = []
        for shard in try ledger.shards(under: "journal") {
            guard let bytes = try ledger.contents(ofShard: shard) else { continue }
            let lines = ShardLines(shard: shard, bytes: bytes)
            for index in 0..<lines.count where lines.line(index, contains: needle) {
                switch lines.event(at: index) {
                case .read(let event):
                    if event["from"]?.stringValue == commit.hex || event["to"]?.stringValue == commit.hex { events.append(event) }
                case .skipped(let skipped): warnings.append(skipped)
                case nil: break
                }
            }
        }
        return (events, warnings)
    }

    // MARK: - Audit trail

    /// One commit of the registry's history.
    public struct Change: Sendable, Equatable {
        public let commit: OID
        public let by: String
        public let at: Timestamp
        public let subject: String
        public let message: String

        public var json: JSONValue {
            .object(["commit": .string(commit.hex), "by": .string(by), "at": .string(at.rfc3339),
                     "subject": .string(subject), "message": .string(message)])
        }
    }

    /// The registry's history, newest first (first parents: the chain the tool writes).
    public func changes(limit: Int? = nil) throws(TimeturnerError) -> [Change] {
        var next = try ledger.head()
        var out: [Change] = []
        while let id = next, limit.map({ out.count < $0 }) ?? true {
            let commit: Commit
            do { commit = try repository.commit(id) } catch {
                throw TimeturnerError(.failure, "the registry history is incomplete at \(id.short)",
                                      hint: "fetch refs/timeturner/registry again from the remote it came from",
                                      causes: [error.description])
            }
            out.append(Change(commit: id, by: commit.author.identity, at: Timestamp(secondsSinceEpoch: commit.author.time),
                              subject: commit.summary, message: commit.message))
            next = commit.parents.first
        }
        return out
    }

    // MARK: - Internals

    func readMark(_ lines: ShardLines, _ index: Int, env: String, warnings: inout [SkippedLine]) -> Mark? {
        switch lines.event(at: index) {
        case nil: return nil
        case .skipped(let skipped): warnings.append(skipped); return nil
        case .read(let event):
            switch Mark.parse(event, env: env, shard: lines.shard, line: index + 1) {
            case .read(let mark): return mark
            case .skipped(let skipped): warnings.append(skipped); return nil
            }
        }
    }

    func isAncestor(_ commit: OID, of head: OID, walk: inout AncestorSet?) throws(TimeturnerError) -> Bool {
        // A mark made in another clone may name a commit this one has not fetched.
        guard repository.objectExists(commit) else { return false }
        do {
            if walk == nil { walk = try AncestorSet(of: head, in: repository) }
            return try walk!.contains(commit)
        } catch {
            throw TimeturnerError(error, doing: "check whether \(commit.short) is an ancestor of HEAD")
        }
    }

    static func newestFirst(_ marks: [Mark]) -> [Mark] {
        marks.enumerated().sorted { a, b in
            if a.element.at != b.element.at { return a.element.at > b.element.at }
            if a.element.shard != b.element.shard { return a.element.shard > b.element.shard }
            return a.element.line != b.element.line ? a.element.line > b.element.line : a.offset > b.offset
        }.map(\.element)
    }

    /// `2026-11` from `marks/production/2026-11.jsonl`.
    static func month(of shard: String) -> String? {
        guard let name = shard.split(separator: "/").last, name.hasSuffix(".jsonl") else { return nil }
        return String(name.dropLast(".jsonl".count))
    }

    /// Text for a commit message subject: one line, bounded, and with control and invisible
    /// characters written as visible escapes (DisplayText), so `git log` on the registry can
    /// neither drive a terminal nor show a note reordered by bidirectional controls.
    static func oneLine(_ text: String, limit: Int) -> String {
        let line = text.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }).joined(separator: " ")
        let safe = DisplayText.escaped(line)
        return safe.count > limit ? String(safe.prefix(limit - 1)) + "…" : safe
    }
}

extension String {
    /// "3d ago" → "3d", for sentences that already say "old".
    func replacingAgo() -> String { hasSuffix(" ago") ? String(dropLast(4)) : self }
}

extension Attribution {
    /// Like `resolve`, but when git has no identity (a fresh CI runner) a `--by "Name <email>"`
    /// given for the event stands in for it, instead of failing the deploy pipeline.
    public static func resolve(in repository: Repository, environment: [String: String], now: Timestamp,
                               standIn by: String?) throws(TimeturnerError) -> Attribution {
        do {
            return try resolve(in: repository, environment: environment, now: now)
        } catch {
            guard let by, let identity = parseIdentity(by) else { throw error }
            var time = now
            if let raw = environment["GIT_COMMITTER_DATE"], !raw.isEmpty, let parsed = parseGitDate(raw) { time = parsed }
            return Attribution(name: identity.name, email: identity.email, time: time)
        }
    }

    /// `Name <email>` or just `Name`.
    static func parseIdentity(_ text: String) -> (name: String, email: String)? {
        let trimmed = text.trimming { $0 == "\n" }
        if let open = trimmed.lastIndex(of: "<"), trimmed.hasSuffix(">") {
            let name = trimmed[..<open].split(separator: " ").joined(separator: " ")
            let email = trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)]
            return name.isEmpty ? nil : (name, String(email))
        }
        return trimmed.isEmpty || trimmed.contains("\n") ? nil : (trimmed, "")
    }
}
