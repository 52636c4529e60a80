public import GitKit

extension PointStore {
    /// Creates a point and captures every configured tier into its note.
    ///
    /// The tiers are captured after the point exists (executors get its id, e.g. to name a dump
    /// after it) and each capture is appended to the note as a `capture` line. If any capture
    /// fails, the point is deleted again and the error names the tier: a point that claims a
    /// tier it cannot restore would fail the rollback that trusts it. Captures already taken
    /// are left where the executors put them (they are backups, never deleted by us).
    public func createCapturing(_ request: Request, tiers: [TierAssignment], executing: any TierDriver,
                                by attribution: Attribution) async throws(TimeturnerError) -> (point: RollbackPoint, captures: [TierCaptureRecord]) {
        var request = request
        request.extraTiers = tiers.map(\.tier)
        let point = try create(request, by: attribution)
        var records: [TierCaptureRecord] = []
        for tier in tiers {
            do {
                let outcome = try await executing.capture(tier, point: PointReference(id: point.id, commit: point.commit.hex), dryRun: false)
                let capture = outcome.capture ?? .object([:])
                var fields: [String: JSONValue] = [
                    "point": .string(point.id), "tier": .string(tier.tier), "executor": .string(tier.executor),
                    "capture": capture, "ms": .int(outcome.durationMilliseconds),
                ]
                if let discards = outcome.discards { fields["discards"] = .string(discards) }
                try appendEvent(type: "capture", on: point.commit, fields: fields, by: attribution)
                records.append(TierCaptureRecord(point: point.id, tier: tier.tier, executor: tier.executor, capture: capture,
                                                 at: attribution.time, discards: outcome.discards))
            } catch {
                let undo = (try? delete(id: point.id, by: attribution)) != nil
                throw TimeturnerError(error.kind == .refused ? .refused : .failure,
                                      "could not capture the \(tier.tier) tier for point \(point.id); "
                                          + (undo ? "the point was removed again" : "the point remains but lacks this capture"),
                                      hint: error.hint, causes: [error.message] + error.causes)
            }
        }
        return (point, records)
    }

    /// The newest capture of each tier recorded for `point`, in rollback order.
    public func captures(for point: RollbackPoint) throws(TimeturnerError) -> (captures: [TierCaptureRecord], skipped: [SkippedLine]) {
        let (events, skipped) = try noteEvents(on: point.commit)
        var newest: [String: TierCaptureRecord] = [:]
        for event in events where event["type"]?.stringValue == "capture" && event["point"]?.stringValue == point.id {
            guard let tier = event["tier"]?.stringValue, let executor = event["executor"]?.stringValue,
                  let capture = event["capture"] else { continue }
            newest[tier] = TierCaptureRecord(point: point.id, tier: tier, executor: executor, capture: capture,
                                             at: event["at"]?.stringValue.flatMap(Timestamp.init(rfc3339:)) ?? point.at,
                                             discards: event["discards"]?.stringValue)
        }
        return (newest.values.sorted { Tier.rank($0.tier) < Tier.rank($1.tier) }, skipped)
    }
}

extension PointStore {
    /// The point whose captures a rollback to `commit` uses: the one named (when the target was a
    /// point id), else the newest point on that commit with captures for every tier in `tiers`.
    /// Nil when no point on the commit fits.
    public func capturePoint(for commit: OID, named name: String?, tiers: [String]) throws(TimeturnerError) -> (point: RollbackPoint, captures: [TierCaptureRecord])? {
        if let name, let point = try point(id: name), point.commit == commit {
            return (point, try captures(for: point).captures)
        }
        for point in list().points where point.commit == commit {
            let found = try captures(for: point).captures
            if tiers.allSatisfy({ tier in found.contains { $0.tier == tier } }) { return (point, found) }
        }
        return nil
    }
}

extension PointStore {
    /// At deploy time (`good --capture`, hooks/post-deploy): makes sure a point on `revision`
    /// holds a capture of every configured tier, so a later `rollback --env <env> --level 2`
    /// to this commit can bring the tiers back. Reuses the newest such point; else creates one.
    /// Returns the point, its captures, and whether it was made now.
    public func ensureCaptured(revision: String, environment: String, tiers: [TierAssignment], executing: any TierDriver,
                               by attribution: Attribution) async throws(TimeturnerError) -> (point: RollbackPoint, captures: [TierCaptureRecord], created: Bool)? {
        guard !tiers.isEmpty else { return nil }
        let commit = try RepositoryAccess.resolveCommit(revision, in: repository)
        if let found = try capturePoint(for: commit, named: nil, tiers: tiers.map(\.tier)) { return (found.point, found.captures, false) }
        let made = try await createCapturing(.init(revision: commit.hex, message: "captured at deploy to \(environment)", environment: environment),
                                             tiers: tiers, executing: executing, by: attribution)
        return (made.point, made.captures, true)
    }
}
