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
            if let words = ProgressPrinter.words[step] { terminal.err(terminal.paint("· " + words, .dim)) }
        case .stepFinished:
            break
        case .output(let source, let line, _):
            terminal.err(terminal.paint("[\(Terminal.escaped(source))]", .dim) + " " + Terminal.escaped(line))
        case .verificationFinished(let outcome):
            let verdict = outcome.passed ? terminal.paint("passed", .green) : terminal.paint("failed", .red)
            terminal.err("verify: \(Terminal.escaped(outcome.command)) \(verdict) (\(outcome.explanation), \(outcome.durationMilliseconds) ms)")
        case .tierFinished(let outcome):
            terminal.err("tier \(outcome.tier): \(outcome.status.rawValue)" + (outcome.detail.map { " — " + Terminal.escaped($0) } ?? ""))
        case .warning(let text):
            terminal.warning(text)
        case .pausedForTest(let step, let marker):
            terminal.err("test hook: paused before \(step.rawValue) until \(marker) is removed")
        }
    }

    static let words: [OperationStep: String] = [
        .lock: "taking the lock", .safetyRef: "writing the safety backup", .moveRef: "moving the branch",
        .workTree: "updating the work tree", .tiers: "rolling back the other tiers", .verify: "verifying",
        .restore: "restoring the state before the rollback", .journal: "writing the journal",
    ]
}

/// Asks a person to type a word before a change goes ahead; refuses without a terminal.
enum Confirmation {
    static func require(_ word: String, skip: Bool, terminal: Terminal, what: String) throws(TimeturnerError) {
        if skip { return }
        guard isInteractive else {
            throw TimeturnerError(.refused, "\(what) needs confirmation, and there is no terminal to ask on",
                                  hint: "in scripts and CI, pass --yes (look at the plan first with --dry-run)")
        }
        terminal.err("Type '\(word)' to go ahead, anything else to stop: ", newline: false)
        let answer = readLine(strippingNewline: true)?.trimming { $0 == " " || $0 == "\t" || $0 == "\r" } ?? ""
        guard answer == word else {
            throw TimeturnerError(.refused, "not confirmed; nothing was changed",
                                  hint: "run it again and type '\(word)' when asked, or pass --yes")
        }
    }

    static var isInteractive: Bool { isatty(0) == 1 }
}
