/// The user's `git` program, as Core needs it for talking to remotes.
///
/// Fetch and push go through `git` rather than libgit2 so that everything a team configured for
/// `git push` works the same here: credential helpers, `~/.ssh/config`, `core.sshCommand`,
/// `url.<base>.insteadOf`, proxies, and the server-side locking of git's own receive-pack.
/// libgit2 1.5.1 has none of the first five without callbacks, and its local transport updated a
/// path remote's refs without checking their old values (two clones pushing at once lost marks).
///
/// Core declares what it needs and the executors layer runs the child (argv, no shell, bounded in
/// time), so Core stays free of process handling.
public protocol GitProgram: Sendable {
    /// Runs `git <arguments>` with the user's environment and standard input closed. The child is
    /// stopped when `timeout` passes.
    func run(_ arguments: [String], timeout: Swift.Duration) async -> GitProgramResult
}

/// How one `git` run ended and what it printed.
public struct GitProgramResult: Sendable, Equatable {
    public enum Ending: Sendable, Equatable {
        case exited(Int32)
        case signalled(Int32)
        case timedOut
        /// `git` could not be started (not on PATH, not executable), or was stopped for writing too much.
        case aborted(String)
    }

    public var ending: Ending
    public var standardOutput: [UInt8]
    /// Every line git wrote on standard error (bounded by the runner), `remote: …` lines included.
    public var standardError: [String]

    public init(ending: Ending, standardOutput: [UInt8] = [], standardError: [String] = []) {
        self.ending = ending
        self.standardOutput = standardOutput
        self.standardError = standardError
    }

    public var succeeded: Bool { ending == .exited(0) }

    var output: String { String(decoding: standardOutput, as: UTF8.self) }

    /// What the remote's side printed (its hooks' words), without git's `remote: ` prefix.
    var remoteMessages: [String] {
        standardError.compactMap { line in
            guard line.hasPrefix("remote: ") else { return nil }
            let text = String(line.dropFirst("remote: ".count)).withoutSurroundingWhitespace
            return text.isEmpty ? nil : text
        }
    }

    /// What git and the programs it ran (ssh, a credential helper) said, which says why a run
    /// failed: `fatal:` alone would drop ssh's "Permission denied (publickey)". The remote's
    /// lines and git's hints are reported separately; the last few lines are the relevant ones.
    var complaints: [String] {
        Array(standardError.filter { !$0.hasPrefix("remote: ") && !$0.hasPrefix("hint: ") && !$0.isEmpty }.suffix(8))
    }

    var endingDescription: String {
        switch ending {
        case .exited(let code): "git exited with status \(code)"
        case .signalled(let signal): "git was killed by signal \(signal)"
        case .timedOut: "git did not finish in time and was stopped"
        case .aborted(let reason): "git did not run to the end: \(reason)"
        }
    }
}

extension String {
    /// Without leading and trailing spaces, tabs and line breaks (no Foundation in Core).
    var withoutSurroundingWhitespace: String {
        var text = Substring(self)
        while let c = text.first, c == " " || c == "\t" || c == "\n" || c == "\r" { text = text.dropFirst() }
        while let c = text.last, c == " " || c == "\t" || c == "\n" || c == "\r" { text = text.dropLast() }
        return String(text)
    }
}
