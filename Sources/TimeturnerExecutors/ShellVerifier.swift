public import TimeturnerCore

/// Runs verification commands as `/bin/sh -c <command>` child processes: in their own process
/// group (killed whole at the timeout), output streamed line by line to the progress sink.
public struct ShellVerifier: Verifying {
    /// The environment the commands see (the user's, as the tool was started with).
    let environment: [String: String]

    public init(environment: [String: String]) { self.environment = environment }

    public func verify(_ command: String, in directory: String, timeout: TimeSpan,
                       progress: any RollbackProgress) async -> VerificationOutcome {
        let child = ChildProcess.shell(command, environment: environment, workingDirectory: directory,
                                       timeout: .seconds(timeout.seconds))
        let source = "verify: " + command
        do {
            let result = try await ChildProcessRunner.run(child) { line in
                switch line {
                case .standardOutput(let text): progress.report(.output(source: source, line: text, isError: false))
                case .standardError(let text): progress.report(.output(source: source, line: text, isError: true))
                }
            }
            let ending: VerificationOutcome.Ending
            switch result.ending {
            case .exited(let code): ending = .exited(code)
            case .signalled(let signal): ending = .signalled(signal)
            case .timedOut: ending = .timedOut(seconds: timeout.seconds)
            case .outputLimitExceeded: ending = .outputLimitExceeded
            }
            return VerificationOutcome(command: command, ending: ending, durationMilliseconds: result.durationMilliseconds)
        } catch {
            return VerificationOutcome(command: command, ending: .couldNotStart(error.description), durationMilliseconds: 0)
        }
    }
}
