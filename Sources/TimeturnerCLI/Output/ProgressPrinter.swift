internal import Glibc
import GitKit
import TimeturnerCore

/// Shows an operation's progress on standard error (standard output stays free for `--json`):
/// each step, each line a verification command or executor writes (prefixed by its source),
/// and each outcome.
struct ProgressPrinter: RollbackProgress {
    let terminal: Terminal

    func report(_ event: ProgressEvent) {
        switch event {
        case .stepStarted(let step):
            if let words = ProgressPrinter.words(for: step) { terminal.err(terminal.paint("· " + words, .dim)) }
        case .stepFinished:
            break
        case .output(let source, let line, _):
            terminal.err(terminal.paint("[\(Terminal.escaped(source))]", .dim) + " " + Terminal.escaped(line))
        case .verificationFinished(let outcome):
            let verdict = outcome.passed ? terminal.paint("passed", .green) : terminal.paint("failed", .red)
            terminal.err("verify: \(Terminal.escaped(outcome.command)) \(verdict) (\(outcome.explanation), \(outcome.durationMilliseconds) ms)")
        case .activationFinished(let outcome):
            let verdict = outcome.passed ? terminal.paint("done", .green) : terminal.paint("failed", .red)
            terminal.err("activate: \(Terminal.escaped(outcome.command)) \(verdict) (\(outcome.explanation), \(outcome.durationMilliseconds) ms)")
        case .tierFinished(let record):
            let action = record.action.map { " " + $0 } ?? ""
            terminal.err("tier \(record.tier)\(action): \(record.status)" + (record.detail.map { " — " + Terminal.escaped($0) } ?? ""))
        case .warning(let text):
            terminal.warning(text)
        case .interrupted(let signal):
            terminal.err("\(Interruption.name(of: signal)) received: the running step was stopped; restoring the state before the operation (further signals are ignored until it is done)")
        case .pausedForTest(let step, let marker):
            terminal.err("test hook: paused before \(step.rawValue) until \(marker) is removed")
        }
    }

    static func words(for step: RollbackStep) -> String? {
        switch step {
        case .takeLock: "taking the lock"
        case .captureTier(let tier): "capturing the present state of the \(tier) tier"
        case .writeSafetyBackup: "writing the safety backup"
        case .moveBranch: "moving the branch"
        case .updateWorkTree: "updating the work tree"
        case .rollBackTier(let tier): "rolling back the \(tier) tier"
        case .verifyTier(let tier): "verifying the \(tier) tier"
        case .activate: "activating (every tier is in place)"
        case .runVerification: "verifying"
        case .restoreFromSafetyBackup: "restoring from the safety backup"
        case .writeJournal: "writing the journal"
        }
    }
}

/// Asks a person to type a word before a change goes ahead; refuses without a terminal.
enum Confirmation {
    /// `--yes`, or the words typed; without a terminal to ask on (and no `--yes`), a refusal.
    static func ask(_ word: String, skip: Bool, terminal: Terminal, what: String) throws(TimeturnerError) -> Consent {
        if skip { return .assumeYes }
        guard isInteractive else {
            throw TimeturnerError(.refused, "\(what) needs confirmation, and there is no terminal to ask on",
                                  hint: "in scripts and CI, pass --yes (look at the plan first with --dry-run)")
        }
        terminal.err("Type '\(word)' to go ahead, anything else to stop: ", newline: false)
        return .typed(readLine(strippingNewline: true)?.trimming { $0 == " " || $0 == "\t" || $0 == "\r" } ?? "")
    }

    static var isInteractive: Bool { isatty(0) == 1 }
}
