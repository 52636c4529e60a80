/// One executor call made during a rollback, for the plan, the progress output and the journal.
public struct TierStep: Sendable, Equatable {
    public enum Action: String, Sendable {
        /// The tier's present state, captured just before the rollback so it can be restored.
        case captureBefore = "capture-before"
        case rollback
        case verify
        /// Returning a tier to its pre-rollback state after a later failure.
        case restore
    }

    public let tier: String
    public let executor: String
    public let action: Action
    public let succeeded: Bool
    public let durationMilliseconds: Int64
    /// The executor's message, or the error.
    public let detail: String?

    public var json: JSONValue {
        var fields: [String: JSONValue] = ["tier": .string(tier), "executor": .string(executor), "action": .string(action.rawValue),
                                           "status": .string(succeeded ? "succeeded" : "failed"), "durationMs": .int(durationMilliseconds)]
        if let detail { fields["detail"] = .string(detail) }
        return .object(fields)
    }
}

/// Rolls back the tiers beyond code, in order, verifying after each, and undoes them when
/// anything fails.
///
/// Before anything changes, `captureBefore` records every tier's present state. Then each
/// tier is rolled back to the point's capture and verified with its executor. When a tier's
/// rollback or verification fails, the tiers already rolled back — and the failing one, unless
/// its executor refused before changing anything — are restored in reverse order from the
/// captures taken just before. `restoreAll` does the same when a later step (the code
/// verification) fails. Every call is recorded in `steps`.
public actor TierRollbackSession {
    public nonisolated let tiers: [TierAssignment]
    public nonisolated let targets: [String: JSONValue]
    public nonisolated let point: PointReference?
    let executing: any TierExecuting
    private var before: [String: JSONValue] = [:]
    /// Tiers whose state may differ from `before`, in the order they were changed.
    private var changed: [String] = []
    public private(set) var steps: [TierStep] = []

    /// Refuses (before anything runs) when the point has no capture for one of `tiers`.
    public init(tiers: [TierAssignment], captures: [TierCaptureRecord], point: PointReference?,
                executing: any TierExecuting) throws(TimeturnerError) {
        var targets: [String: JSONValue] = [:]
        for record in captures { targets[record.tier] = record.capture }
        let missing = tiers.map(\.tier).filter { targets[$0] == nil }
        if !missing.isEmpty {
            throw TimeturnerError(.refused, "the point \(point?.id ?? "") has no capture for the \(missing.joined(separator: ", ")) tier(s), so they cannot be rolled back to it",
                                  hint: "roll back fewer tiers (--tiers code,…), or choose a point made after those tiers were configured (git timeturner show <point> lists its captures)")
        }
        self.tiers = tiers.sorted { Tier.rank($0.tier) < Tier.rank($1.tier) }
        self.targets = targets
        self.point = point
        self.executing = executing
    }

    /// Every executor call the rollback will make, in order, for `--dry-run`.
    public nonisolated var plannedCalls: [String] {
        tiers.map { "\($0.tier): \($0.executor) capture (the present state, to restore on failure)" }
            + tiers.flatMap { tier in
                ["\(tier.tier): \(tier.executor) rollback to \(targets[tier.tier]?.canonicalLine ?? "{}")",
                 "\(tier.tier): \(tier.executor) verify"]
            }
    }

    public func captureBefore() async throws(TimeturnerError) {
        for tier in tiers {
            let started = ContinuousClock.now
            do {
                let outcome = try await executing.capture(tier, point: point, dryRun: false)
                before[tier.tier] = outcome.capture ?? .object([:])
                record(tier, .captureBefore, true, started, outcome.message)
            } catch {
                record(tier, .captureBefore, false, started, error.message)
                throw TimeturnerError(.refused, "could not capture the present state of the \(tier.tier) tier before rolling back; nothing was rolled back",
                                      hint: error.hint, causes: [error.message] + error.causes)
            }
        }
    }

    /// Rolls back and verifies one tier. On failure, restores what was changed (unless
    /// `restoreOnFailure` is false: the rollback engine then calls `restore` per tier, newest
    /// first) and throws the tier's error, with the restore failures (if any).
    public func rollBack(_ name: String, restoreOnFailure: Bool = true) async throws(TierRollbackFailure) {
        guard let tier = tiers.first(where: { $0.tier == name }), let target = targets[name] else { return }
        var started = ContinuousClock.now
        do {
            changed.append(name)
            let outcome = try await executing.rollback(tier, to: target, point: point, dryRun: false)
            record(tier, .rollback, true, started, outcome.message)
        } catch {
            record(tier, .rollback, false, started, error.message)
            // A refusal (checksum mismatch, missing release) happens before any change.
            if error.kind == .refused { changed.removeLast() }
            throw TierRollbackFailure(tier: name, error: error, restoreErrors: restoreOnFailure ? await restoreAll() : [])
        }
        started = ContinuousClock.now
        do {
            let outcome = try await executing.verify(tier, dryRun: false)
            record(tier, .verify, true, started, outcome.message)
        } catch {
            record(tier, .verify, false, started, error.message)
            throw TierRollbackFailure(tier: name, error: error, restoreErrors: restoreOnFailure ? await restoreAll() : [])
        }
    }

    /// Returns every changed tier to its state from just before the rollback, newest first.
    /// Returns the errors of the restores that failed (empty: all restored).
    @discardableResult
    public func restoreAll() async -> [TimeturnerError] {
        var errors: [TimeturnerError] = []
        for name in changed.reversed() {
            guard let tier = tiers.first(where: { $0.tier == name }), let state = before[name] else { continue }
            let started = ContinuousClock.now
            do {
                let outcome = try await executing.rollback(tier, to: state, point: nil, dryRun: false)
                record(tier, .restore, true, started, outcome.message)
            } catch {
                record(tier, .restore, false, started, error.message)
                errors.append(error)
            }
        }
        changed.removeAll()
        return errors
    }

    /// Returns one tier to its state from just before the rollback, if it was changed.
    /// Nil when there was nothing to restore.
    public func restore(_ name: String) async -> TierStep? {
        guard let index = changed.lastIndex(of: name), let tier = tiers.first(where: { $0.tier == name }),
              let state = before[name] else { return nil }
        changed.remove(at: index)
        let started = ContinuousClock.now
        do {
            let outcome = try await executing.rollback(tier, to: state, point: nil, dryRun: false)
            record(tier, .restore, true, started, outcome.message)
        } catch {
            record(tier, .restore, false, started, error.message + (error.causes.isEmpty ? "" : " (" + error.causes.joined(separator: "; ") + ")"))
        }
        return steps.last
    }

    private func record(_ tier: TierAssignment, _ action: TierStep.Action, _ succeeded: Bool, _ started: ContinuousClock.Instant, _ detail: String?) {
        let elapsed = ContinuousClock.now - started
        steps.append(TierStep(tier: tier.tier, executor: tier.executor, action: action, succeeded: succeeded,
                              durationMilliseconds: elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000,
                              detail: detail))
    }
}

/// A tier that failed during a rollback, and whether undoing the others worked.
public struct TierRollbackFailure: Error, Sendable {
    public let tier: String
    public let error: TimeturnerError
    public let restoreErrors: [TimeturnerError]

    public var restored: Bool { restoreErrors.isEmpty }
}
