import TimeturnerCore

/// How checks appear on the terminal: one line per measurement as it is taken, one per verdict.
struct CheckRendering {
    let terminal: Terminal
    /// Measurements go to standard error when standard output carries JSON.
    let toStandardError: Bool

    func measurement(_ check: CheckDefinition, _ measurement: CheckMeasurement) {
        let value = measurement.value.map(Threshold.format) ?? "-"
        let line = "\(Terminal.escaped(check.name))  \(measurement.at.rfc3339)  \(value)  \(paint(measurement.verdict.rawValue))  "
            + Terminal.escaped(measurement.detail)
        toStandardError ? terminal.err(line) : terminal.out(line)
    }

    func verdict(_ result: CheckResult) {
        var line = "check \(Terminal.escaped(result.check.name)): \(paint(result.verdict.rawValue)) (\(Terminal.escaped(result.reason)))"
        if let baseline = result.baseline { line += "; baseline \(Threshold.format(baseline))" }
        if result.fast { line += "; --fast: one measurement, no window" }
        toStandardError ? terminal.err(line) : terminal.out(line)
    }

    func paint(_ verdict: String) -> String {
        switch verdict {
        case "passed": terminal.paint(verdict, .green)
        case "failed", "error": terminal.paint(verdict, .red)
        default: terminal.paint(verdict, .yellow)
        }
    }

    /// The error that gives `check` its exit status: 8 when a check failed, 9 when one could not decide.
    static func error(for results: [CheckResult]) -> TimeturnerError? {
        let names = { (verdict: CheckVerdict) in results.filter { $0.verdict == verdict }.map(\.check.name).joined(separator: ", ") }
        if let signal = results.compactMap(\.interruptedBy).first {
            return TimeturnerError(.interrupted(signal: signal), "stopped by \(Interruption.name(of: signal)) before the checks decided")
        }
        switch results.verdict {
        case .passed: return nil
        case .failed: return TimeturnerError(.checkFailed, "check(s) failed: \(names(.failed))")
        case .inconclusive:
            return TimeturnerError(.checkInconclusive, "check(s) could not decide: \(names(.inconclusive))",
                                   hint: "a provider may be down, a query may have no data, or a value fell between pass-if and fail-if; the lines above say which")
        }
    }
}
