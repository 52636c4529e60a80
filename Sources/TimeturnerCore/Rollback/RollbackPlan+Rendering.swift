import GitKit

/// The plan in words and as JSON, derived from its steps, so what is shown is what runs.
extension RollbackPlan {
    /// One line per step, for the plan on screen and `--dry-run --json`.
    public func describe(_ step: RollbackStep) -> String {
        switch step {
        case .takeLock: return "take the lock \(basis.lockPath)"
        case .captureTier(let name): return "\(name): \(executor(name)) capture (the present state, to restore on failure)"
        case .writeSafetyBackup:
            return "write \(safetyRef): HEAD \(code.from.short)" + (isDirty ? ", index, work tree and untracked files" : "")
        case .moveBranch: return describeBranchMove()
        case .updateWorkTree: return "update the work tree and index: \(code.changes.count) path\(code.changes.count == 1 ? "" : "s")"
        case .rollBackTier(let name): return describeTierRollback(name)
        case .verifyTier(let name): return "\(name): \(executor(name)) verify"
        case .activate:
            guard let activation else { return "activate" }
            return "activate: \(activation.command) (timeout \(activation.timeout), from \(activation.origin)), once every tier is in place"
        case .runVerification(let index):
            let command = verification[index]
            return "verify: \(command.command) (timeout \(command.timeout), from \(command.origin))"
        case .restoreFromSafetyBackup:
            guard case .undo(_, let backup) = operation else { return "restore the state kept in the safety backup" }
            return "put \(code.head.displayName), index and work tree back as \(backup.ref) keeps them (HEAD \(backup.headCommit.short))"
        case .writeJournal: return "write one journal event to \(StorageLayout.registryRef)"
        }
    }

    private func executor(_ tier: String) -> String { self.tier(tier)?.assignment.executor ?? "?" }

    /// In words: the executor's own dry-run answer when the preflight has it, the state it
    /// returns to, what that throws away, and how long it took before.
    private func describeTierRollback(_ name: String) -> String {
        guard let tier = tier(name) else { return "\(name): rollback" }
        let found = preflight.first { $0.tier == name }
        let returning = tier.point.map { "the state captured with point \($0.id)" }
            ?? (operation.name == "undo" ? "its state before the rollback" : "the captured state")
        var words = "\(name): \(tier.assignment.executor) rollback to \(returning)" + (tier.capturedAt.map { " (\($0.rfc3339))" } ?? "")
        if let action = found?.action, !action.isEmpty { words += ": " + action }
        if let discards = tier.discards { words += "; discards " + discards }
        if let expected = found?.expectedMilliseconds { words += "; took about \(ElapsedText.describe(milliseconds: expected)) before" }
        return words
    }

    private func describeBranchMove() -> String {
        switch code.recipe {
        case .none: return "move \(code.head.displayName) from \(code.from.short) to \(code.target.short) (compare-and-swap)"
        case .wholeTree: return "move \(code.head.displayName) to 1 new revert commit on top of \(code.from.short) (compare-and-swap)"
        case .commits(let commits, _):
            return "move \(code.head.displayName) to \(commits.count) new revert commit\(commits.count == 1 ? "" : "s") on top of \(code.from.short) (compare-and-swap)"
        }
    }

    /// The executor calls of the tiers beyond code, in order.
    public var tierCalls: [String] {
        steps.filter { if case .captureTier = $0 { true } else if $0.kind == .tiers { true } else { false } }.map(describe)
    }

    /// The plan as JSON (`--dry-run --json`), in the same vocabulary as the journal event.
    public var json: JSONValue {
        var fields: [String: JSONValue] = [
            "id": .string(id), "operation": .string(operation.name), "target": .string(code.targetName),
            "mode": .string(operation.name == "undo" ? "undo" : code.mode.rawValue),
            "from": .string(code.from.hex), "to": .string(code.target.hex), "head": .string(code.head.recorded),
            "commits": .array(code.commits.map { .object(["id": .string($0.id.hex), "summary": .string($0.summary), "merge": .bool($0.isMerge)]) }),
            "files": .array(code.changes.map { .object(["path": .string(PathBytes.jsonForm($0.path)), "change": .string($0.kind.rawValue)]) }),
            "verify": .array(verification.map { .string($0.command) }),
            "verifyTimeoutSeconds": .int(request.verifyTimeout.seconds), "safetyRef": .string(safetyRef),
            "dirty": .array(dirtyPaths.map { .string(PathBytes.jsonForm($0)) }), "untracked": .int(Int64(untrackedPaths.count)),
            "steps": .array(steps.map { .object(["step": .string($0.label), "does": .string(describe($0))]) }),
            "tiers": .array(((includesCode ? ["code"] : []) + tiers.map(\.name)).map(JSONValue.string)),
            "tierCalls": .array(tierCalls.map(JSONValue.string)), "attempt": .int(Int64(request.attempt)),
            "level": request.level.map { .int(Int64($0.rawValue)) } ?? .null,
        ]
        if let environment = code.environment { fields["env"] = .string(environment) }
        if let reason = code.reason { fields["reason"] = .string(reason) }
        if let range = code.selectedRange { fields["range"] = .string(range) }
        if let mainline = code.mainline { fields["mainline"] = .int(Int64(mainline)) }
        if let from = request.escalatedFrom { fields["escalatedFrom"] = .string(from) }
        if !dataLoss.isEmpty {
            fields["dataLoss"] = .array(dataLoss.map { tier in
                var loss: [String: JSONValue] = ["tier": .string(tier.name), "discards": .string(tier.discards ?? "")]
                if let at = tier.capturedAt { loss["capturedAt"] = .string(at.rfc3339) }
                return .object(loss)
            })
            fields["acceptDataLoss"] = .bool(request.acceptDataLoss)
        }
        if !includesCode { fields["codeMoves"] = .bool(false) }
        if !preflight.isEmpty {
            fields["preflight"] = .array(preflight.map { found in
                var entry: [String: JSONValue] = ["tier": .string(found.tier), "executor": .string(found.executor)]
                if let action = found.action { entry["action"] = .string(action) }
                if let expected = found.expectedMilliseconds { entry["expectedMs"] = .int(expected) }
                if let problem = found.problem { entry["problem"] = .string(problem) }
                return .object(entry)
            })
        }
        return .object(fields)
    }
}
