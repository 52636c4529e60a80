public import GitKit

/// How one `sync` runs.
public struct SyncOptions: Sendable {
    /// Where this clone publishes its registry and notes on the remote.
    public enum Publishing: String, Sendable, CaseIterable {
        /// `refs/timeturner/registry` and `refs/notes/timeturner`, shared by every clone: plain
        /// `git show` on the remote sees everything. Concurrent pushes race and are retried.
        case shared
        /// `refs/timeturner/clones/<clone-id>/{registry,notes}`: no other clone ever pushes there, so
        /// pushes never race; every reader takes the union. Measured, not the default (docs/sync.md).
        case perClone = "per-clone"
    }

    public var push: Bool
    /// The whole sync (every fetch, push and wait between them) must end within this.
    public var timeout: Swift.Duration
    public var publishing: Publishing

    public static let defaultTimeout = Swift.Duration.seconds(60)

    public init(push: Bool = true, timeout: Swift.Duration = SyncOptions.defaultTimeout, publishing: Publishing = .shared) {
        self.push = push
        self.timeout = timeout
        self.publishing = publishing
    }
}

/// Shares points, safety backups, the registry and the notes through an ordinary git remote.
///
/// One round is fetch → integrate → push. Everything git-timeturner stores only ever grows
/// (points and safety refs are added, registry shards and notes are appended to), so two clones
/// are integrated as a union: refs the other side lacks are added, and the registry and notes
/// chains are merged line by line, keeping every line either side wrote and none twice.
///
/// Fetch and push run the user's `git` (credentials, SSH configuration and proxies work as for
/// `git push`). A push is never forced, and it is reported only once a later fetch shows the
/// remote's ref at the value pushed or at a descendant of it: a push git said was accepted but
/// that the remote does not have is pushed again, never reported. When another clone pushed in
/// between (or holds the remote's ref lock for a moment) the round starts again after a jittered,
/// exponentially growing wait, until the time budget runs out.
public struct RemoteSync {
    let repository: Repository
    let transport: RemoteTransport

    public init(repository: Repository, git: any GitProgram) {
        self.repository = repository
        transport = RemoteTransport(git: git, gitDirectory: repository.gitDirectory)
    }

    public func sync(remote: String, options: SyncOptions = SyncOptions(), by attribution: Attribution) async throws(TimeturnerError) -> SyncReport {
        guard !remote.isEmpty, !remote.hasPrefix("-") else {
            throw TimeturnerError(.usage, "'\(remote)' is not a remote: a remote's name, URL or path cannot be empty or start with '-'",
                                  hint: "name a configured remote, a URL or a path: git timeturner sync origin")
        }
        let clock = ContinuousClock()
        var run = SyncRun(remote: remote, tracking: SyncTracking(remote: remote), started: clock.now,
                          deadline: clock.now + options.timeout, timeout: options.timeout)
        run.report.publishing = options.publishing
        let cloneID = options.publishing == .perClone ? try CloneIdentity.current(in: repository) : nil
        while true {
            run.report.rounds += 1
            try await fetch(&run)
            try confirmPushes(&run)
            try integrate(run.tracking, into: &run.report, by: attribution)
            guard options.push else { return run.finished() }
            // Everything the last push sent is on the remote: done. What the fetch brought in and
            // merged here is already there too, so the merge commit itself need not go out now
            // (pushing it would chase the other clones' pushes for ever).
            if run.lastPushWhole && run.awaiting.isEmpty { return run.finished() }

            let updates = try pushUpdates(run.tracking, cloneID: cloneID)
            // Nothing differs from what the fetch just showed: the remote has all of it.
            if updates.isEmpty { return run.finished() }
            let remaining = run.deadline - clock.now
            guard remaining > .zero else { throw run.timedOut("other clones kept pushing in between") }
            let (result, statuses) = await transport.push(remote, refspecs: updates.map { "\($0.value.hex):\($0.reference)" },
                                                          timeout: remaining)
            var raced = false
            var refused: [PushStatus] = []
            for status in statuses {
                switch status.verdict {
                case .accepted, .upToDate:
                    // Not reported yet: the next fetch must show it on the remote first.
                    if let update = updates.first(where: { $0.reference == status.reference }) {
                        run.awaiting[update.reference] = update.value
                    }
                case .rejected:
                    if status.isRace { raced = true } else { refused.append(status) }
                }
            }
            if !refused.isEmpty {
                throw TimeturnerError(.failure, "the remote '\(remote)' refused \(refused.count == 1 ? "an update" : "\(refused.count) updates")",
                                      hint: "nothing local was lost; ask whoever runs '\(remote)' to allow pushes to refs/timeturner/* and refs/notes/timeturner, then sync again",
                                      causes: refused.map(\.description) + result.remoteMessages.map { "remote: " + $0 })
            }
            if statuses.isEmpty && !result.succeeded {
                // The push failed as a whole (no per-ref verdict): connection, credentials, a
                // local pre-push hook, or a lock held by a parallel process of this clone.
                if result.ending == .timedOut { throw run.timedOut("git push to '\(remote)' was still running") }
                guard RemoteRace.matches(result.standardError.joined(separator: "\n")) else {
                    throw TimeturnerError(.failure, "could not push git-timeturner's refs to '\(remote)'",
                                          hint: "check that you may push to '\(remote)' (git push \(remote) would fail the same way); nothing local was lost",
                                          causes: [result.endingDescription] + result.complaints + result.remoteMessages.map { "remote: " + $0 })
                }
                raced = true
            }
            // An update git printed no verdict for is not known to be sent: the next round tries again.
            let answered = Set(statuses.map(\.reference))
            run.lastPushWhole = !raced && updates.allSatisfy { answered.contains($0.reference) }
            if raced {
                run.report.retries += 1
                guard await run.backoff.wait(before: run.deadline) else { throw run.timedOut("other clones kept pushing in between") }
            }
        }
    }

    /// Fetches into the tracking refs, retrying only when a parallel process of this clone holds
    /// one of their locks, and records what moved.
    private func fetch(_ run: inout SyncRun) async throws(TimeturnerError) {
        let before = try trackingValues(run.tracking)
        while true {
            let remaining = run.deadline - ContinuousClock.now
            guard remaining > .zero else { throw run.timedOut("git fetch from '\(run.remote)' could not start in time") }
            let result = await transport.fetch(run.remote, refspecs: run.tracking.fetchRefspecs, timeout: remaining)
            if result.succeeded { break }
            if result.ending == .timedOut { throw run.timedOut("git fetch from '\(run.remote)' was still running") }
            if RemoteRace.matches(result.standardError.joined(separator: "\n")) {
                guard await run.backoff.wait(before: run.deadline) else { throw run.timedOut("a local ref stayed locked") }
                continue
            }
            throw TimeturnerError(.failure, "could not fetch git-timeturner's refs from '\(run.remote)'",
                                  hint: "check that '\(run.remote)' is a configured remote, a URL or a path you can fetch from (git fetch \(run.remote) would fail the same way)",
                                  causes: [result.endingDescription] + result.complaints)
        }
        let after = try trackingValues(run.tracking)
        for name in Set(before.keys).union(after.keys) where before[name] != after[name] {
            guard let remoteName = run.tracking.remoteReference(forCopy: name) else { continue }
            let first = run.report.fetched[remoteName]?.old ?? before[name]
            run.report.fetched[remoteName] = (first, after[name])
        }
    }

    /// Moves pushed updates that the last fetch shows on the remote into the report.
    private func confirmPushes(_ run: inout SyncRun) throws(TimeturnerError) {
        for (reference, value) in run.awaiting {
            let copy = run.tracking.copy(ofRemote: reference)
            // The registry and notes are commit chains: another clone may already have built on ours.
            let chain = !reference.hasPrefix(StorageLayout.pointsPrefix) && !reference.hasPrefix(StorageLayout.safetyPrefix)
            var contained = false
            do {
                if let there = try repository.reference(copy)?.target {
                    if there == value { contained = true } else if chain { contained = try repository.isAncestor(value, of: there) }
                }
            } catch {
                throw TimeturnerError(error, doing: "compare \(copy) with what was pushed")
            }
            guard contained else { continue }
            run.report.pushed.append(PushedUpdate(reference: reference, value: value))
            run.awaiting[reference] = nil
        }
    }

    private func trackingValues(_ tracking: SyncTracking) throws(TimeturnerError) -> [String: OID] {
        do {
            var values: [String: OID] = [:]
            for reference in try repository.references(matching: tracking.root + "*") { values[reference.name] = reference.target }
            return values
        } catch {
            throw TimeturnerError(error, doing: "list \(tracking.root)*")
        }
    }

    // MARK: - Integrate

    private func integrate(_ tracking: SyncTracking, into report: inout SyncReport, by attribution: Attribution) throws(TimeturnerError) {
        for (kind, localPrefix) in [(SyncTracking.Kind.points, StorageLayout.pointsPrefix), (.safety, StorageLayout.safetyPrefix)] {
            let added = try addMissingRefs(from: tracking.prefix(for: kind), to: localPrefix)
            report.refsAdded += added.added
            report.conflicts += added.conflicts
        }
        // The shared refs, then every clone's own (per-clone publishing), whichever exist: a
        // fleet where some clones publish per clone and others share converges either way.
        let clones = try cloneCopies(tracking)
        for source in [tracking.ref(for: .registry)] + clones.registry {
            report.registry = try unionMerge(local: StorageLayout.registryRef, remote: source,
                                             remoteName: tracking.remote, keyedBy: { $0 }, by: attribution, previous: report.registry)
        }
        // Notes trees may be fanned out differently on the two sides (ab/cdef… or abcdef…):
        // a note is identified by the object it annotates, not by its path.
        for source in [tracking.ref(for: .notes)] + clones.notes {
            report.notes = try unionMerge(local: StorageLayout.notesRef, remote: source,
                                          remoteName: tracking.remote, keyedBy: { $0.filter { $0 != "/" } }, by: attribution,
                                          previous: report.notes)
        }
    }

    private func cloneCopies(_ tracking: SyncTracking) throws(TimeturnerError) -> (registry: [String], notes: [String]) {
        let names: [String]
        do { names = try repository.references(matching: tracking.clonesRoot + "*").map(\.name).sorted() } catch {
            throw TimeturnerError(error, doing: "list \(tracking.clonesRoot)*")
        }
        return (names.filter { $0.hasSuffix("/registry") }, names.filter { $0.hasSuffix("/notes") })
    }

    private func addMissingRefs(from trackingPrefix: String, to localPrefix: String) throws(TimeturnerError)
        -> (added: [String], conflicts: [String]) {
        var added: [String] = [], conflicts: [String] = []
        let remoteRefs: [Reference]
        do { remoteRefs = try repository.references(matching: trackingPrefix + "*") } catch {
            throw TimeturnerError(error, doing: "list \(trackingPrefix)*")
        }
        for remoteRef in remoteRefs.sorted(by: { $0.name < $1.name }) {
            let local = localPrefix + remoteRef.name.dropFirst(trackingPrefix.count)
            do {
                if let existing = try repository.reference(local) {
                    if existing.target != remoteRef.target {
                        conflicts.append("\(local): here \(existing.target.short), on the remote \(remoteRef.target.short); kept this clone's")
                    }
                    continue
                }
                try repository.setReference(local, to: remoteRef.target, expecting: nil, logMessage: "timeturner: sync")
                added.append(local)
            } catch where error.code == .exists {
                continue  // created here meanwhile; the next round compares it
            } catch {
                throw TimeturnerError(error, doing: "add \(local) from the remote")
            }
        }
        return (added, conflicts)
    }

    /// Brings `local` up to date with `remote`: adopts it, fast-forwards, or writes a merge commit
    /// whose tree holds, for every file, this clone's bytes followed by the remote's lines that
    /// are not already there. Compare-and-swap on `local`, retried against concurrent local writers.
    private func unionMerge(local: String, remote: String, remoteName: String, keyedBy key: (String) -> String,
                            by attribution: Attribution, previous: RefIntegration) throws(TimeturnerError) -> RefIntegration {
        let remoteHead: OID?
        do { remoteHead = try repository.reference(remote)?.target } catch {
            throw TimeturnerError(error, doing: "read \(remote)")
        }
        guard let remoteHead else { return previous }
        var outcome = RefIntegration.unchanged
        do {
            try repository.updateReference(local, logMessage: "timeturner: sync with \(remoteName)") {
                (current: OID?) throws(GitError) -> OID in
                guard let current else { outcome = .created; return remoteHead }
                if try repository.isAncestor(remoteHead, of: current) { outcome = .unchanged; return current }
                if try repository.isAncestor(current, of: remoteHead) { outcome = .fastForwarded; return remoteHead }
                let (tree, linesAdded) = try unionTree(local: repository.commit(current).tree,
                                                       remote: repository.commit(remoteHead).tree, keyedBy: key)
                outcome = .merged(linesAdded: linesAdded)
                let signature = attribution.signature
                return try repository.createCommit(
                    tree: tree, parents: [current, remoteHead], author: signature, committer: signature,
                    message: "sync: merge \(remote.split(separator: "/").last ?? "") from \(remoteName) (\(linesAdded) line\(linesAdded == 1 ? "" : "s") added)\n")
            }
        } catch {
            throw TimeturnerError(error, doing: "merge \(local) with \(remoteName)")
        }
        // A later round (or source) that finds nothing new must not hide what an earlier one did.
        return previous.then(outcome)
    }

    private func unionTree(local: OID, remote: OID, keyedBy key: (String) -> String) throws(GitError) -> (OID, Int) {
        let localBlobs = try repository.blobPaths(in: local)
        var localByKey: [String: (path: String, blob: OID)] = [:]
        for entry in localBlobs { localByKey[key(entry.path)] = entry }
        var updates: [(path: String, blob: OID)] = []
        var linesAdded = 0
        for entry in try repository.blobPaths(in: remote) {
            guard let mine = localByKey[key(entry.path)] else {
                updates.append(entry)
                linesAdded += LineUnion.lines(of: try repository.blobContent(entry.blob)).count
                continue
            }
            if mine.blob == entry.blob { continue }
            let merged = LineUnion.merge(local: try repository.blobContent(mine.blob), remote: try repository.blobContent(entry.blob))
            if merged.added > 0 {
                updates.append((mine.path, try repository.createBlob(merged.bytes)))
                linesAdded += merged.added
            }
        }
        return (try repository.tree(local, settingBlobs: updates), linesAdded)
    }

    /// What the remote lacks, as (remote ref, value) pairs: points and safety refs it does not
    /// have, and the registry and notes where they differ from what the fetch showed there.
    private func pushUpdates(_ tracking: SyncTracking, cloneID: String?) throws(TimeturnerError) -> [(reference: String, value: OID)] {
        var updates: [(reference: String, value: OID)] = []
        do {
            for localPrefix in [StorageLayout.pointsPrefix, StorageLayout.safetyPrefix] {
                for ref in try repository.references(matching: localPrefix + "*").sorted(by: { $0.name < $1.name }) {
                    // Only what the remote lacks; a ref that differs there is a conflict, kept apart.
                    if try repository.reference(tracking.copy(ofRemote: ref.name)) == nil { updates.append((ref.name, ref.target)) }
                }
            }
            for (local, leaf) in [(StorageLayout.registryRef, "registry"), (StorageLayout.notesRef, "notes")] {
                guard let mine = try repository.reference(local)?.target else { continue }
                let destination = cloneID.map { StorageLayout.clonesPrefix + $0 + "/" + leaf } ?? local
                if try repository.reference(tracking.copy(ofRemote: destination))?.target != mine { updates.append((destination, mine)) }
            }
        } catch {
            throw TimeturnerError(error, doing: "work out what to push")
        }
        return updates
    }
}

/// The state of one `sync` between rounds.
struct SyncRun {
    let remote: String
    let tracking: SyncTracking
    let started: ContinuousClock.Instant
    let deadline: ContinuousClock.Instant
    let timeout: Swift.Duration
    var report: SyncReport
    var backoff = SyncBackoff()
    /// Updates git said were accepted, by remote ref, until a fetch shows them on the remote.
    var awaiting: [String: OID] = [:]
    /// Whether the last push had every update accepted (none refused because the remote moved).
    var lastPushWhole = false

    init(remote: String, tracking: SyncTracking, started: ContinuousClock.Instant, deadline: ContinuousClock.Instant,
         timeout: Swift.Duration) {
        self.remote = remote
        self.tracking = tracking
        self.started = started
        self.deadline = deadline
        self.timeout = timeout
        report = SyncReport(remote: remote)
    }

    func finished() -> SyncReport {
        var report = self.report
        report.pushed.sort { $0.reference < $1.reference }
        report.elapsedMilliseconds = (ContinuousClock.now - started).wholeMilliseconds
        return report
    }

    func timedOut(_ what: String) -> TimeturnerError {
        TimeturnerError(.failure, "sync with '\(remote)' did not finish within \(timeout.components.seconds)s: \(what)",
                        hint: "nothing local was lost, and what was fetched is merged here; run 'git timeturner sync' again, or allow more time with --timeout <seconds> or 'git config timeturner.sync.timeout <seconds>'",
                        causes: report.retries > 0 ? ["\(report.retries) push\(report.retries == 1 ? " was" : "es were") refused because the remote had moved, and retried"] : [])
    }
}

/// Waits between attempts: exponential, with full jitter (a random wait between zero and the
/// ceiling), so clones that collided once spread out instead of colliding again in step.
struct SyncBackoff {
    static let first = Swift.Duration.milliseconds(20)
    static let ceiling = Swift.Duration.milliseconds(1000)
    private(set) var attempts = 0

    mutating func nextWait() -> Swift.Duration {
        attempts += 1
        let growth = Swift.Duration.milliseconds(SyncBackoff.first.wholeMilliseconds << min(attempts - 1, 16))
        let ceiling = min(growth, SyncBackoff.ceiling)
        return .milliseconds(Int64.random(in: 0...ceiling.wholeMilliseconds))
    }

    /// False, without waiting, when the wait would end past `deadline`.
    mutating func wait(before deadline: ContinuousClock.Instant) async -> Bool {
        let wait = nextWait()
        guard ContinuousClock.now + wait < deadline else { return false }
        try? await Task.sleep(for: wait)
        return true
    }
}

/// Where fetched copies of a remote's refs are kept: `refs/timeturner-remotes/<remote>/…`,
/// outside `refs/timeturner/` so that pushing that namespace never sends them back out.
struct SyncTracking {
    enum Kind { case points, safety, registry, notes }

    let remote: String
    let root: String

    init(remote: String) {
        self.remote = remote
        // A URL or path becomes one safe ref component.
        let safe = String(remote.map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "_" })
            .trimming { $0 == "." || $0 == "_" }
        root = "\(StorageLayout.remotesPrefix)\(safe.isEmpty ? "remote" : safe)/"
    }

    func prefix(for kind: Kind) -> String {
        switch kind {
        case .points: root + "points/"
        case .safety: root + "safety/"
        case .registry, .notes: root
        }
    }

    func ref(for kind: Kind) -> String {
        switch kind {
        case .registry: root + "registry"
        case .notes: root + "notes"
        case .points, .safety: prefix(for: kind)
        }
    }

    /// Copies of other clones' own registry and notes (`refs/timeturner/clones/<id>/…` there).
    var clonesRoot: String { root + "clones/" }

    /// The registry and the notes are fetched with patterns that match exactly one name: git
    /// fails a whole fetch over one exact refspec whose source the remote lacks (a new remote
    /// has no notes yet), and a pattern that matches nothing simply fetches nothing.
    var fetchRefspecs: [String] {
        ["+\(StorageLayout.pointsPrefix)*:\(prefix(for: .points))*",
         "+\(StorageLayout.safetyPrefix)*:\(prefix(for: .safety))*",
         "+\(StorageLayout.registryRef)*:\(ref(for: .registry))*",
         "+\(StorageLayout.notesRef)*:\(ref(for: .notes))*",
         "+\(StorageLayout.clonesPrefix)*:\(clonesRoot)*"]
    }

    /// Where the fetched copy of the remote's `reference` is kept.
    func copy(ofRemote reference: String) -> String {
        if reference == StorageLayout.notesRef { return ref(for: .notes) }
        return root + reference.dropFirst(StorageLayout.namespace.count)
    }

    /// The remote's name for a fetched copy (nil for anything else under the root).
    func remoteReference(forCopy copy: String) -> String? {
        guard copy.hasPrefix(root) else { return nil }
        let rest = copy.dropFirst(root.count)
        if rest == "notes" { return StorageLayout.notesRef }
        if rest == "registry" || rest.hasPrefix("points/") || rest.hasPrefix("safety/") || rest.hasPrefix("clones/") {
            return StorageLayout.namespace + rest
        }
        return nil
    }
}

/// The union of two JSON Lines files, byte-exact: this side's bytes unchanged, then each line of
/// the other side that this side does not have, in the other side's order. Lines are compared
/// as bytes, so an event both sides already share (the same canonical line) is never doubled,
/// and broken lines are carried over as they are rather than dropped.
enum LineUnion {
    static func lines(of bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)
    }

    static func merge(local: [UInt8], remote: [UInt8]) -> (bytes: [UInt8], added: Int) {
        var seen = Set(lines(of: local).map { Array($0) })
        var out = local
        var added = 0
        for line in lines(of: remote) where !seen.contains(Array(line)) {
            seen.insert(Array(line))
            if let last = out.last, last != UInt8(ascii: "\n") { out.append(UInt8(ascii: "\n")) }
            out += line
            out.append(UInt8(ascii: "\n"))
            added += 1
        }
        return (out, added)
    }
}

public enum RefIntegration: Sendable, Equatable, CustomStringConvertible {
    case unchanged, created, fastForwarded
    case merged(linesAdded: Int)

    public var description: String {
        switch self {
        case .unchanged: "up to date"
        case .created: "created from the remote"
        case .fastForwarded: "fast-forwarded"
        case .merged(let lines): "merged (\(lines) line\(lines == 1 ? "" : "s") from the remote)"
        }
    }

    /// This integration followed by `next` (another round, or another clone's copy).
    func then(_ next: RefIntegration) -> RefIntegration {
        switch (self, next) {
        case (_, .unchanged): self
        case (.unchanged, _): next
        case (.merged(let a), .merged(let b)): .merged(linesAdded: a + b)
        case (.merged, _): self
        case (_, .merged): next
        case (.created, _): .created
        default: next
        }
    }

    var json: JSONValue {
        switch self {
        case .unchanged: .object(["result": .string("unchanged")])
        case .created: .object(["result": .string("created")])
        case .fastForwarded: .object(["result": .string("fast-forwarded")])
        case .merged(let lines): .object(["result": .string("merged"), "linesAdded": .int(Int64(lines))])
        }
    }
}

/// A ref sync sent and then saw on the remote: at `value`, or at a descendant that contains it.
public struct PushedUpdate: Sendable, Equatable {
    public let reference: String
    public let value: OID
}

/// What one `sync` did.
public struct SyncReport: Sendable {
    public let remote: String
    public var publishing = SyncOptions.Publishing.shared
    /// Fetches made (the first, plus one after every push, which is how a push is confirmed).
    public var rounds = 0
    /// Pushes refused because another clone got there first, each followed by a wait and a new round.
    public var retries = 0
    public var elapsedMilliseconds: Int64 = 0
    /// Remote refs whose fetched copy moved, with the value before the first fetch and after the last.
    public var fetched: [String: (old: OID?, new: OID?)] = [:]
    public var refsAdded: [String] = []
    public var conflicts: [String] = []
    public var registry = RefIntegration.unchanged
    public var notes = RefIntegration.unchanged
    /// Updates confirmed on the remote (empty with --no-push, or when it already had everything).
    public var pushed: [PushedUpdate] = []

    init(remote: String) { self.remote = remote }

    public var json: JSONValue {
        .object([
            "remote": .string(remote), "publish": .string(publishing.rawValue),
            "rounds": .int(Int64(rounds)), "retries": .int(Int64(retries)), "elapsedMs": .int(elapsedMilliseconds),
            "fetched": .array(fetched.keys.sorted().map { name in
                var fields: [String: JSONValue] = ["ref": .string(name)]
                if let old = fetched[name]?.old { fields["old"] = .string(old.hex) }
                if let new = fetched[name]?.new { fields["new"] = .string(new.hex) }
                return .object(fields)
            }),
            "merged": .object([
                "added": .array(refsAdded.map(JSONValue.string)), "conflicts": .array(conflicts.map(JSONValue.string)),
                "registry": registry.json, "notes": notes.json,
            ]),
            "pushed": .array(pushed.map { .object(["ref": .string($0.reference), "new": .string($0.value.hex)]) }),
        ])
    }
}
