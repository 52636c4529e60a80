/// Where an operation reports what it is doing. The CLI prints it; tests may collect it.
/// Everything that produces output during an operation (verification commands, executors)
/// streams it through here, tagged with its source. Nothing below the CLI prints.
public protocol RollbackProgress: Sendable {
    func report(_ event: ProgressEvent)
}

public enum ProgressEvent: Sendable {
    case stepStarted(RollbackStep)
    case stepFinished(RollbackStep)
    /// A line from a child process; `source` names it ("verify: make test", "deploy: kubectl").
    case output(source: String, line: String, isError: Bool)
    case verificationFinished(VerificationOutcome)
    case tierFinished(TierRecord)
    case warning(String)
    /// Test-only: the operation waits before `step` until the marker file is removed.
    case pausedForTest(OperationStep, marker: String)
}
