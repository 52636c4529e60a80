import TimeturnerCore

/// The lines `trigger check` prints: when the deploy happened and each trigger's state before
/// anything is done, then what the run did.
struct TriggerRendering {
    let terminal: Terminal
    /// Standard error when standard output carries JSON.
    let toStandardError: Bool

    func say(_ line: String) { toStandardError ? terminal.err(line) : terminal.out(line) }

    /// When the deploy happened, then one line per trigger: shown before anything is done.
    func evaluation(_ results: [TriggerResult], deployedAt: DeployTime?) {
        if let deployedAt {
            say("deployed: \(deployedAt.at.rfc3339) (from \(Terminal.escaped(deployedAt.source)))")
        } else {
            say("deployed: when is not known (no --deployed-at, reflog entry, guard or point)")
        }
        for result in results {
            let trigger = result.trigger
            let action = trigger.action.rawValue + (trigger.actionFromSeverity ? " (\(trigger.check.severity.rawValue))" : "")
            say("trigger \(Terminal.escaped(trigger.name)) [\(Terminal.escaped(trigger.check.name)), for \(CheckDurationText.format(trigger.sustained)), \(action)]: "
                + paint(result.state) + ": " + Terminal.escaped(result.reason))
        }
    }

    /// The run's id, status and what was done.
    func summary(_ outcome: TriggerOutcome) {
        let id = outcome.event["id"]?.stringValue ?? ""
        var line = "trigger run \(id) on \(String((outcome.event["commit"]?.stringValue ?? "").prefix(7))): \(outcome.status.rawValue)"
        if let decision = outcome.event["decision"]?.stringValue, decision != "none" { line += ", \(decision)" }
        if let rollback = outcome.event["rollback"]?.stringValue { line += " (rollback \(rollback))" }
        if outcome.event["journaled"]?.boolValue == false, let same = outcome.event["sameAs"]?.stringValue {
            line += "; not journaled: the same as run \(same)"
        }
        say(line)
    }

    func paint(_ state: TriggerState) -> String {
        switch state {
        case .ok, .notCaused: terminal.paint(state.rawValue, .green)
        case .fired: terminal.paint(state.rawValue, .red)
        default: terminal.paint(state.rawValue, .yellow)
        }
    }
}
