import TimeturnerCore

/// The lines `trigger check` prints: when the deploy happened, then one line per trigger.
struct TriggerRendering {
    let terminal: Terminal
    /// Standard error when standard output carries JSON.
    let toStandardError: Bool

    func render(_ outcome: TriggerOutcome) {
        let say = { (line: String) in toStandardError ? terminal.err(line) : terminal.out(line) }
        let commit = String((outcome.event["commit"]?.stringValue ?? "").prefix(7))
        if let deployed = outcome.deployedAt {
            say("deploy of \(commit): \(deployed.at.rfc3339) (from \(Terminal.escaped(deployed.source)))")
        } else {
            say("deploy of \(commit): when it happened is not known (no --deployed-at, reflog entry, guard or point)")
        }
        for result in outcome.results {
            let trigger = result.trigger
            let action = trigger.action.rawValue + (trigger.actionFromSeverity ? " (\(trigger.check.severity.rawValue))" : "")
            say("trigger \(Terminal.escaped(trigger.name)) [\(Terminal.escaped(trigger.check.name)), for \(CheckDurationText.format(trigger.sustained)), \(action)]: "
                + paint(result.state) + ": " + Terminal.escaped(result.reason))
        }
        let id = outcome.event["id"]?.stringValue ?? ""
        var summary = "trigger run \(id): \(outcome.status.rawValue)"
        if let decision = outcome.event["decision"]?.stringValue, decision != "none" { summary += ", \(decision)" }
        if let rollback = outcome.event["rollback"]?.stringValue { summary += " (rollback \(rollback))" }
        say(summary)
    }

    func paint(_ state: TriggerState) -> String {
        switch state {
        case .ok, .notCaused: terminal.paint(state.rawValue, .green)
        case .fired: terminal.paint(state.rawValue, .red)
        default: terminal.paint(state.rawValue, .yellow)
        }
    }
}
