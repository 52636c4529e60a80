public import TimeturnerCore

/// Runs verification commands as `/bin/sh -c <command>` child processes: in their own process
/// group (killed whole at the timeout), output streamed line by line to the progress sink.
public struct ShellVerifier: Verifying {
    /// The environment the commands see (the user's, as the tool was started with).
    let environment: [String: String]

    public init(environment: [String: String]) { self.environment = environment }

    /// A check is sampled over its window (once with `--fast`); every measurement is shown as
    /// the check's output, and its verdict and measurements go to the journal.
    public func verify(_ verification: VerificationCommand, in directory: String, progress: any RollbackProgress,
                       interruption: Interruption?, started: @escaping @Sendable (Int32) -> Void) async -> VerificationOutcome {
        guard let check = verification.check else {
            return await verify(verification.command, in: directory, timeout: verification.timeout, progress: progress,
                                interruption: interruption, started: started)
        }
        let began = ContinuousClock.now
        let source = "check: " + check.name
        let runner = CheckRunner(measurer: CheckProvider(environment: environment, workingDirectory: directory), interruption: nil)
        // Not armed here: the engine arms the whole operation, and the runner polls the same interruption.
        let result = await runner.run(check, baselineAt: Timestamp.now(), window: nil, fast: verification.fast,
                                      interruption: interruption) { _, measurement in
            let value = measurement.value.map(Threshold.format) ?? "-"
            progress.report(.output(source: source, line: "\(value) \(measurement.verdict.rawValue): \(measurement.detail)", isError: false))
        }
        let ending: VerificationOutcome.Ending = result.interruptedBy.map { .interrupted($0) } ?? .check(result.verdict, reason: result.reason)
        return VerificationOutcome(command: verification.command, ending: ending,
                                   durationMilliseconds: (ContinuousClock.now - began).wholeMilliseconds, checkResult: result.json)
    }

    public func verify(_ command: String, in directory: String, timeout: TimeSpan, progress: any RollbackProgress,
                       interruption: Interruption?, started: @escaping @Sendable (Int32) -> Void) async -> VerificationOutcome {
        var child = ChildProcess.shell(command, environment: environment, workingDirectory: directory,
                                       timeout: .seconds(timeout.seconds))
        child.interruption = interruption
        child.started = started
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
            case .interrupted(let signal): ending = .interrupted(signal)
            }
            return VerificationOutcome(command: command, ending: ending, durationMilliseconds: result.durationMilliseconds)
        } catch {
            return VerificationOutcome(command: command, ending: .couldNotStart(error.description), durationMilliseconds: 0)
        }
    }
}
