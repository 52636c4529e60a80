internal import GitKit

/// One file in the artifacts directory and why it is kept, or that it may go.
public struct ArtifactEntry: Sendable, Equatable {
    /// The path relative to the artifacts directory (`db/point-20261121T223000Z-7f3a.dump`).
    public let reference: String
    public let path: String
    public let size: Int64
    /// What it holds, from its name: a point's capture, or the present state before an operation.
    public let holds: String
    /// Everything that refers to it (`point 20261121T223000Z-7f3a (db)`), kept or not.
    public let referencedBy: [String]
    /// Why it is kept; nil when prune may remove it.
    public let keptBecause: String?

    public var json: JSONValue {
        .object(["reference": .string(reference), "path": .string(path), "size": .int(size), "holds": .string(holds),
                 "referencedBy": .array(referencedBy.map(JSONValue.string)),
                 "kept": .bool(keptBecause != nil), "keptBecause": keptBecause.map(JSONValue.string) ?? .null])
    }
}

/// `timeturner.artifacts.keep`: which artifacts stay. Kept are those referred to by
/// - the newest `keep` points of each environment (points without one count as one group) and
///   every point on the commit of an environment's newest good mark (what `rollback --to
///   last-good` returns to),
/// - the present-state captures of every rollback that can still be undone (it succeeded, its
///   safety ref exists and no undo of it succeeded),
/// - the operation in progress or interrupted in this worktree (`state.jsonl`),
/// and any file younger than `grace` seconds (it may belong to a capture whose note or journal
/// line is not written yet). Everything else in the tier subdirectories that this tool named
/// (`point-*`, `before-*`, time-stamped or `safety-*` `.dump`/`.tar` files) may be pruned;
/// nothing else in the directory is ever touched.
public struct ArtifactRetention {
    public static let grace: Int64 = 3600

    public let store: ArtifactStore
    public let keep: Int
    public let now: Timestamp

    public init(store: ArtifactStore, keep: Int, now: Timestamp) {
        self.store = store
        self.keep = keep
        self.now = now
    }

    /// `timeturner.artifacts.keep` from configuration (a whole number, 0 or more).
    public static func keep(from configuration: TimeturnerConfiguration) throws(TimeturnerError) -> Int {
        guard let setting = configuration.value(ArtifactStore.keepKey) else { return ArtifactStore.defaultKeep }
        guard let value = Int(setting.value.trimming(\.isWhitespace)), value >= 0 else {
            throw TimeturnerError(.usage, "\(ArtifactStore.keepKey) = '\(setting.value)' (from \(setting.origin)) is not a whole number of points",
                                  hint: "for example: git config \(ArtifactStore.keepKey) 5")
        }
        return value
    }

    /// Every artifact file with what refers to it and whether it is kept, sorted by reference.
    public func inventory() throws(TimeturnerError) -> [ArtifactEntry] {
        let (references, protected) = try collectReferences()
        return files().map { reference in
            let path = ArtifactLocation.path(of: reference, in: store.directory)
            let users = references[reference] ?? []
            var kept = protected[reference]
            if kept == nil, let modified = LocalFile.modificationTime(path), now.secondsSinceEpoch - modified < ArtifactRetention.grace {
                kept = "written less than an hour ago (may belong to a capture in progress)"
            }
            return ArtifactEntry(reference: reference, path: path, size: LocalFile.size(path) ?? 0, holds: ArtifactRetention.holds(reference),
                                 referencedBy: users, keptBecause: kept)
        }
    }

    /// Removes every artifact `inventory` lets go; returns them.
    public func prune() throws(TimeturnerError) -> [ArtifactEntry] {
        let removable = try inventory().filter { $0.keptBecause == nil }
        for entry in removable { try LocalFile.removeFile(entry.path) }
        return removable
    }

    /// Files this tool named, relative to the artifacts directory: `<tier>/<name>`.
    private func files() -> [String] {
        var out: [String] = []
        for tier in Tier.order where tier != Tier.code {
            let directory = store.directory + "/" + tier
            for name in LocalFile.names(in: directory) where ArtifactRetention.isOurs(name) {
                if LocalFile.kindAndMode(directory + "/" + name)?.kind == .file { out.append(tier + "/" + name) }
            }
        }
        return out
    }

    static func isOurs(_ name: String) -> Bool {
        guard name.hasSuffix(".dump") || name.hasSuffix(".tar") else { return false }
        return name.hasPrefix("point-") || name.hasPrefix("before-") || name.hasPrefix("safety-") || (name.first?.isNumber ?? false)
    }

    static func holds(_ reference: String) -> String {
        let name = String(reference.split(separator: "/").last ?? "")
        let tier = String(reference.split(separator: "/").first ?? "")
        let stem = String(name.prefix { $0 != "." })
        if stem.hasPrefix("point-") { return "the \(tier) tier as point \(stem.dropFirst("point-".count)) recorded it" }
        if stem.hasPrefix("before-") { return "the \(tier) tier's state just before operation \(stem.dropFirst("before-".count))" }
        if stem.hasPrefix("safety-") { return "a safety copy of the \(tier) tier (written by an older version)" }
        return "a capture of the \(tier) tier"
    }

    /// Who refers to each artifact (by reference relative to the directory), and why the kept
    /// ones are kept.
    private func collectReferences() throws(TimeturnerError) -> (users: [String: [String]], protected: [String: String]) {
        var users: [String: [String]] = [:]
        var protected: [String: String] = [:]
        func note(_ capture: JSONValue?, user: String, keptBecause reason: String?) {
            guard let capture, let (reference, _) = ArtifactLocation.referenced(by: capture) else { return }
            let relative = ArtifactLocation.reference(to: ArtifactLocation.path(of: reference, in: store.directory), in: store.directory)
            users[relative, default: []].append(user)
            if let reason, protected[relative] == nil { protected[relative] = reason }
        }

        let points = PointStore(repository: store.repository)
        let kept = try keptPoints(points.list().points)
        for point in points.list().points {
            let reason = kept[point.id]
            for record in try points.captures(for: point).captures {
                note(record.capture, user: "point \(point.id) (\(record.tier))", keptBecause: reason)
            }
        }

        let entries = try RollbackJournal(repository: store.repository).entries().entries
        let undone = Set(entries.filter { $0.type == "undo" && $0.succeeded }.compactMap { $0.event["undoes"]?.stringValue })
        for entry in entries {
            guard let event = entry.typed else { continue }
            let undoable = entry.type == "rollback" && entry.succeeded && !undone.contains(entry.id) && safetyRefExists(entry.id)
            for record in event.captures ?? [] {
                note(record.capture, user: "\(entry.type) \(entry.id) (\(record.tier), the state before it)",
                     keptBecause: undoable ? "rollback \(entry.id) can still be undone" : nil)
            }
        }

        if let state = OperationDirectory(repository: store.repository).readState() {
            for (tier, saved) in state.captures {
                note(saved["capture"], user: "operation \(state.id) in state.jsonl (\(tier))",
                     keptBecause: "operation \(state.id) is in progress or interrupted (state.jsonl)")
            }
        }
        return (users, protected)
    }

    /// Point id → why its artifacts are kept.
    private func keptPoints(_ points: [RollbackPoint]) throws(TimeturnerError) -> [String: String] {
        var kept: [String: String] = [:]
        let byEnvironment = Dictionary(grouping: points) { $0.environment ?? "" }
        for (environment, group) in byEnvironment {
            let newest = group.sorted { ($0.at, $0.id) > ($1.at, $1.id) }.prefix(keep)
            for point in newest {
                kept[point.id] = "one of the newest \(keep) points" + (environment.isEmpty ? " without an environment" : " in \(environment)")
            }
        }
        var newestGood: [String: Mark] = [:]
        for mark in try KnownGoodRegistry(repository: store.repository).marks(env: nil).marks where mark.verdict == .good {
            if newestGood[mark.env] == nil { newestGood[mark.env] = mark }
        }
        for (environment, mark) in newestGood {
            for point in points where point.commit == mark.commit && kept[point.id] == nil {
                kept[point.id] = "on the newest good commit of \(environment) (\(mark.commit.short))"
            }
        }
        return kept
    }

    private func safetyRefExists(_ id: String) -> Bool {
        ((try? store.repository.reference(StorageLayout.safetyPrefix + id)) ?? nil) != nil
    }
}
