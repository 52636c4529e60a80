import GitKit
import TimeturnerCore

/// A guard (or trigger) event as `show` prints it: what was decided, then each check's verdict.
///
///     guard 20261201T101500Z-3f2a  2026-12-01T10:15:00Z  prod  failed-rolled-back
///       decision rollback · mark 20261201T…-9c1e · rollback 20261201T…-77d0 (verified) to 1a2b3c4
///       check state  failed  2 measurement(s)  1 failed measurement(s), more than failure-limit 0
struct GuardRendering {
    let terminal: Terminal

    func render(_ event: GuardEvent) {
        let name = event.trigger.map { "trigger \(Terminal.escaped($0))" } ?? event.type
        terminal.out("  \(name) \(Terminal.escaped(event.id))  \(Terminal.escaped(event.start))  \(Terminal.escaped(event.env))  \(paint(event.status))")
        var decided = ["decision \(Terminal.escaped(event.decision))"]
        if let action = event.action { decided.append("action \(Terminal.escaped(action))") }
        decided.append("mark " + (event.mark.map { Terminal.escaped($0) } ?? "none"))
        if let rollback = event.rollback {
            let status = event.rollbackStatus.map { " (\(Terminal.escaped($0)))" } ?? ""
            let target = event.to.map { " to " + Terminal.escaped(String($0.prefix(7))) } ?? ""
            decided.append("rollback \(Terminal.escaped(rollback))\(status)\(target)")
        }
        terminal.out("    " + decided.joined(separator: " · "))
        if let error = event.error { terminal.out("    error: " + Terminal.escaped(error)) }
        event.checks.forEach(renderCheck)
    }

    /// A check's record (`CheckResult.json`), or an abandoned guard's latest measurement of it.
    func renderCheck(_ check: JSONValue) {
        let name = Terminal.escaped(check["check"]?.stringValue ?? "?")
        if let latest = check["latest"] {
            let verdict = latest["verdict"]?.stringValue ?? "?"
            terminal.out("    check \(name)  no verdict  latest \(Terminal.escaped(latest["at"]?.stringValue ?? "")) \(paint(verdict))  "
                         + Terminal.escaped(latest["detail"]?.stringValue ?? ""))
            return
        }
        let verdict = check["verdict"]?.stringValue ?? "?"
        let taken = check["taken"]?.intValue ?? Int64(check["measurements"]?.arrayValue?.count ?? 0)
        terminal.out("    check \(name)  \(paint(verdict))  \(taken) measurement(s)  " + Terminal.escaped(check["reason"]?.stringValue ?? ""))
    }

    func paint(_ status: String) -> String {
        switch status {
        case "passed", "ok": terminal.paint(status, .green)
        case _ where status.hasPrefix("failed"), "fired": terminal.paint(status, .red)
        default: terminal.paint(status, .yellow)
        }
    }

    func paint(_ status: GuardStatus) -> String { paint(status.rawValue) }
}
