public import GitKit

/// Shares points, safety backups, the registry and the notes through an ordinary git remote.
///
/// One round is fetch → integrate → push. Everything git-timeturner stores only ever grows
/// (points and safety refs are added, registry shards and notes are appended to), so two clones
/// are integrated as a union: refs the other side lacks are added, and the registry and notes
/// chains are merged line by line, keeping every line either side wrote and none twice. The push
/// is never forced; when another clone pushed in between, the remote refuses it and the round
/// starts again with a fresh fetch.
public struct RemoteSync {
    let repository: Repository

    public init(repository: Repository) { self.repository = repository }

    /// Rounds before giving up when other clones keep pushing in between.
    static let maximumRounds = 5

    public func sync(remote: String, push: Bool, by attribution: Attribution) throws(TimeturnerError) -> SyncReport {
        let tracking = SyncTracking(remote: remote)
        var report = SyncReport(remote: remote)
        for round in 1...RemoteSync.maximumRounds {
            report.rounds = round
            do {
                try repository.fetch(from: remote, refspecs: tracking.fetchRefspecs)
            } catch {
                throw TimeturnerError(.failure, "could not fetch git-timeturner's refs from '\(remote)'",
                                      hint: "check that '\(remote)' is a configured remote, a URL or a path you can fetch from",
                                      causes: [error.description])
            }
            try integrate(tracking, into: &report, by: attribution)
            guard push else { return report }

            let refspecs = try pushRefspecs(tracking)
            if refspecs.isEmpty { return report }
            let outcome: PushOutcome
            do {
                outcome = try repository.push(to: remote, refspecs: refspecs)
            } catch where error.code == .nonFastForward {
                continue  // the remote moved after our fetch: fetch and integrate again
            } catch {
                throw TimeturnerError(.failure, "could not push git-timeturner's refs to '\(remote)'",
                                      hint: "check that you may push to '\(remote)'", causes: [error.description])
            }
            let rejections = outcome.rejections
            if rejections.isEmpty {
                report.pushed = refspecs.map { String($0.split(separator: ":")[0]) }
                return report
            }
            if rejections.allSatisfy(RemoteSync.isRace) { continue }
            throw TimeturnerError(.failure, "the remote '\(remote)' refused \(rejections.count == 1 ? "an update" : "\(rejections.count) updates")",
                                  hint: "nothing local was lost; ask whoever runs '\(remote)' to allow pushes to refs/timeturner/* and refs/notes/timeturner, then sync again",
                                  causes: rejections.map(\.description) + outcome.remoteMessages.map { "remote: " + $0 })
        }
        throw TimeturnerError(.failure, "other clones kept pushing to '\(remote)' during \(RemoteSync.maximumRounds) rounds; gave up",
                              hint: "everything fetched so far is integrated locally; run 'git timeturner sync' again")
    }

    /// A refusal that a new round can fix: someone else's update got there first.
    static func isRace(_ rejection: PushRejection) -> Bool {
        let reason = rejection.reason.lowercased()
        return ["fetch first", "non-fast-forward", "stale info", "failed to update ref", "failed to lock", "cannot lock"]
            .contains { reason.contains($0) }
    }

    // MARK: - Integrate

    private func integrate(_ tracking: SyncTracking, into report: inout SyncReport, by attribution: Attribution) throws(TimeturnerError) {
        for (kind, localPrefix) in [(SyncTracking.Kind.points, StorageLayout.pointsPrefix), (.safety, StorageLayout.safetyPrefix)] {
            let added = try addMissingRefs(from: tracking.prefix(for: kind), to: localPrefix)
            report.refsAdded += added.added
            report.conflicts += added.conflicts
        }
        report.registry = try unionMerge(local: StorageLayout.registryRef, remote: tracking.ref(for: .registry),
                                         remoteName: tracking.remote, keyedBy: { $0 }, by: attribution, previous: report.registry)
        // Notes trees may be fanned out differently on the two sides (ab/cdef… or abcdef…):
        // a note is identified by the object it annotates, not by its path.
        report.notes = try unionMerge(local: StorageLayout.notesRef, remote: tracking.ref(for: .notes),
                                      remoteName: tracking.remote, keyedBy: { $0.filter { $0 != "/" } }, by: attribution,
                                      previous: report.notes)
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
        // A later round that finds nothing new must not hide what an earlier round did.
        return outcome == .unchanged ? previous : outcome
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

    private func pushRefspecs(_ tracking: SyncTracking) throws(TimeturnerError) -> [String] {
        var refspecs: [String] = []
        do {
            for (kind, localPrefix) in [(SyncTracking.Kind.points, StorageLayout.pointsPrefix), (.safety, StorageLayout.safetyPrefix)] {
                for ref in try repository.references(matching: localPrefix + "*").sorted(by: { $0.name < $1.name }) {
                    let remoteCopy = tracking.prefix(for: kind) + ref.name.dropFirst(localPrefix.count)
                    // Only what the remote lacks; a ref that differs there is a conflict, kept apart.
                    if try repository.reference(remoteCopy) == nil { refspecs.append("\(ref.name):\(ref.name)") }
                }
            }
            for (kind, local) in [(SyncTracking.Kind.registry, StorageLayout.registryRef), (.notes, StorageLayout.notesRef)] {
                guard let mine = try repository.reference(local)?.target else { continue }
                if try repository.reference(tracking.ref(for: kind))?.target != mine { refspecs.append("\(local):\(local)") }
            }
        } catch {
            throw TimeturnerError(error, doing: "work out what to push")
        }
        return refspecs
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

    var fetchRefspecs: [String] {
        ["+\(StorageLayout.pointsPrefix)*:\(prefix(for: .points))*",
         "+\(StorageLayout.safetyPrefix)*:\(prefix(for: .safety))*",
         "+\(StorageLayout.registryRef):\(ref(for: .registry))",
         "+\(StorageLayout.notesRef):\(ref(for: .notes))"]
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
}

/// What one `sync` did.
public struct SyncReport: Sendable {
    public let remote: String
    public var rounds = 0
    public var refsAdded: [String] = []
    public var conflicts: [String] = []
    public var registry = RefIntegration.unchanged
    public var notes = RefIntegration.unchanged
    /// Local refs sent to the remote (empty with --no-push, or when it already had everything).
    public var pushed: [String] = []

    init(remote: String) { self.remote = remote }

    public var json: JSONValue {
        .object([
            "remote": .string(remote), "rounds": .int(Int64(rounds)),
            "added": .array(refsAdded.map(JSONValue.string)), "conflicts": .array(conflicts.map(JSONValue.string)),
            "registry": .string(registry.description), "notes": .string(notes.description),
            "pushed": .array(pushed.map(JSONValue.string)),
        ])
    }
}
