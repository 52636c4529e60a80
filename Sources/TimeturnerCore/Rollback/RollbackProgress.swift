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
    /// `timeturner.activate` ended (after the tiers, or after a restore put them back).
    case activationFinished(VerificationOutcome)
    case tierFinished(TierRecord)
    case warning(String)
    /// A signal asked the operation to stop: the running step stops, then the restore runs.
    case interrupted(signal: Int32)
    /// Test-only: the operation waits before `step` until the marker file is removed.
    case pausedForTest(OperationStep, marker: String)
}
