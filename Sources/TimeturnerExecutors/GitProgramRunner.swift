internal import Glibc
import Synchronization
public import TimeturnerCore

/// Runs the user's `git` for Core's remote operations (`sync`), as a bounded child process.
///
/// The environment is the user's own, so that credential helpers, `SSH_AUTH_SOCK`, `GIT_SSH_COMMAND`,
/// proxies and `GIT_CONFIG_*` reach git as they would for `git push`. Only two things are set:
/// `GIT_TERMINAL_PROMPT=0` when the tool is not on a terminal (a CI job must fail at once with
/// git's "could not read Username", not wait for input that never comes; the user's own
/// setting wins), and on a terminal the child stays in the terminal's foreground process group
/// so that git and ssh can ask for a password or passphrase.
public struct GitProgramRunner: GitProgram {
    let environment: [String: String]
    let workingDirectory: String
    let onTerminal: Bool
    /// Lines kept of git's standard error (they are all shown or parsed; this only bounds memory).
    static let keptErrorLines = 2000

    /// `environment`: the tool's own. `onTerminal`: whether the user can answer a prompt
    /// (standard input and standard error are terminals).
    public init(environment: [String: String], onTerminal: Bool = GitProgramRunner.isOnTerminal) {
        var environment = environment
        if !onTerminal, environment["GIT_TERMINAL_PROMPT"] == nil { environment["GIT_TERMINAL_PROMPT"] = "0" }
        self.environment = environment
        self.onTerminal = onTerminal
        // Relative paths given as remotes are relative to where the user ran the tool.
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        workingDirectory = getcwd(&buffer, buffer.count) != nil ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "/"
    }

    public static var isOnTerminal: Bool { isatty(STDIN_FILENO) == 1 && isatty(STDERR_FILENO) == 1 }

    public func run(_ arguments: [String], timeout: Swift.Duration) async -> GitProgramResult {
        let child = ChildProcess(executable: "git", arguments: arguments, environment: environment,
                                 workingDirectory: workingDirectory, timeout: timeout, outputLimit: 16 << 20,
                                 standardOutput: .capture, ownProcessGroup: !onTerminal)
        let lines = Mutex<[String]>([])
        do {
            let result = try await ChildProcessRunner.run(child) { line in
                guard case .standardError(let text) = line else { return }
                lines.withLock { kept in
                    if kept.count < GitProgramRunner.keptErrorLines { kept.append(text) }
                }
            }
            let ending: GitProgramResult.Ending
            switch result.ending {
            case .exited(let code): ending = .exited(code)
            case .signalled(let signal): ending = .signalled(signal)
            case .timedOut: ending = .timedOut
            case .outputLimitExceeded(let limit): ending = .aborted("git wrote more than \(limit) bytes and was stopped")
            case .interrupted(let signal): ending = .aborted("git was stopped on \(Interruption.name(of: signal))")
            }
            return GitProgramResult(ending: ending, standardOutput: result.standardOutput,
                                    standardError: lines.withLock { $0 })
        } catch {
            return GitProgramResult(ending: .aborted(error.description))
        }
    }
}
