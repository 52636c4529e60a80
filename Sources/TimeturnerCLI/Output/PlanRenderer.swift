import GitKit
import TimeturnerCore

/// A plan as a person reads it before typing the confirmation word: a summary of what changes,
/// then the steps exactly as the engine will run them (the same values it executes).
struct PlanRenderer {
    let terminal: Terminal

    func render(_ plan: RollbackPlan, dryRun: Bool, toStandardError: Bool = false) {
        let emit: (String) -> Void = toStandardError ? { terminal.err($0) } : { terminal.out($0) }
        let code = plan.code
        let title = plan.confirmationWord == "undo" ? "Undo plan" : "Rollback plan"
        emit((dryRun ? "\(title) (dry run, nothing will change)" : title) + " \(plan.id)")
        if case .undo(let rollbackID, let backup) = plan.operation {
            emit("  undoes   rollback \(Terminal.escaped(rollbackID)), from \(backup.ref)")
        }
        emit("  branch   \(Terminal.escaped(code.head.displayName)) at \(code.from.short)")
        // --commits has no target to go back to: the mode line names the range, the commits follow.
        if code.selectedRange == nil {
            emit("  target   \(Terminal.escaped(code.targetName)): \(code.target.short) \(Terminal.escaped(code.targetSummary))")
        }
        if plan.confirmationWord == "rollback" { renderRollbackSummary(plan, emit) }
        emit("  files    \(code.changes.count) changed")
        for change in code.changes.prefix(20) { emit("    \(change.kind.rawValue.padding(12)) \(PathBytes.quoted(change.path))") }
        if code.changes.count > 20 { emit("    … and \(code.changes.count - 20) more") }
        if plan.isDirty {
            emit("  carried  \(plan.dirtyPaths.count) uncommitted and \(plan.untrackedPaths.count) untracked file(s), untouched and captured in the safety backup")
        }
        if let level = plan.request.level {
            emit("  level    \(level.rawValue): \(level.tiers.joined(separator: ", ")) (configured tiers only)")
        }
        if plan.request.attempt > 1, let from = plan.request.escalatedFrom {
            emit("  attempt  \(plan.request.attempt), escalated from \(Terminal.escaped(from))")
        }
        if plan.verification.isEmpty && plan.confirmationWord == "rollback" {
            emit("  verify   nothing (add --verify <command>, or timeturner.verify in .timeturner or git config)")
        }
        for command in plan.verification {
            emit("  verify   \(Terminal.escaped(command.command)) (timeout \(command.timeout), from \(command.origin))")
        }
        emit("  steps")
        for (number, step) in plan.steps.enumerated() {
            emit("    \(String(number + 1).leftPadded(2)). \(Terminal.escaped(plan.describe(step)))")
        }
    }

    private func renderRollbackSummary(_ plan: RollbackPlan, _ emit: (String) -> Void) {
        let code = plan.code
        emit("  mode     \(code.mode.rawValue)" + (code.selectedRange.map { ", only the commits in \(Terminal.escaped($0))" } ?? "")
             + (code.mainline.map { ", mainline \($0)" } ?? ""))
        if let reason = code.reason { emit("  reason   \(Terminal.escaped(reason))") }
        let merges = code.commits.filter(\.isMerge).count
        emit("  commits  \(code.commits.count) \(code.selectedRange == nil ? "undone" : "reverted")" +
             (merges > 0 && code.selectedRange == nil ? " (\(merges) merge\(merges == 1 ? "" : "s"): the target's tree is restored, no mainline needed)" : ""))
        for commit in code.commits.prefix(20) {
            emit("    \(commit.id.short) \(Terminal.escaped(commit.summary))\(commit.isMerge ? " (merge)" : "")")
        }
        if code.commits.count > 20 { emit("    … and \(code.commits.count - 20) more") }
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
