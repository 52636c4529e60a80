/// One verification command and how it ended.
public struct VerificationOutcome: Sendable, Equatable {
    public enum Ending: Sendable, Equatable {
        case exited(Int32)
        case signalled(Int32)
        case timedOut(seconds: Int64)
        case outputLimitExceeded
        case couldNotStart(String)
    }

    public let command: String
    public let ending: Ending
    public let durationMilliseconds: Int64

    public init(command: String, ending: Ending, durationMilliseconds: Int64) {
        self.command = command
        self.ending = ending
        self.durationMilliseconds = durationMilliseconds
    }

    public var passed: Bool { ending == .exited(0) }

    /// "exited with status 1", for messages.
    public var explanation: String {
        switch ending {
        case .exited(let code): "exited with status \(code)"
        case .signalled(let signal): "was killed by signal \(signal)"
        case .timedOut(let seconds): "did not finish within \(seconds)s and was killed with its process group"
        case .outputLimitExceeded: "wrote too much output and was killed with its process group"
        case .couldNotStart(let reason): "could not be started: \(reason)"
        }
    }

    /// The journal's form: command, status word, exit status when there is one, duration.
    public var json: JSONValue {
        var fields: [String: JSONValue] = [
            "command": .string(command), "durationMs": .int(durationMilliseconds),
            "status": .string(passed ? "passed" : "failed"),
        ]
        switch ending {
        case .exited(let code): fields["exitStatus"] = .int(Int64(code))
        case .signalled(let signal): fields["signal"] = .int(Int64(signal))
        case .timedOut: fields["status"] = "timed-out"
        case .outputLimitExceeded: fields["status"] = "output-limit-exceeded"
        case .couldNotStart(let reason): fields["status"] = "could-not-start"; fields["error"] = .string(reason)
        }
        return .object(fields)
    }
}

/// Runs verification commands. Core declares what it needs; the executors layer implements it
/// with bounded child processes (`ShellVerifier`), and the CLI wires that implementation in.
public protocol Verifying: Sendable {
    /// Runs `command` through `/bin/sh -c` in `directory`, killing its whole process group after
    /// `timeout`, and hands each line it writes to `progress` as `.output`.
    func verify(_ command: String, in directory: String, timeout: TimeSpan,
                progress: any RollbackProgress) async -> VerificationOutcome
}

/// Where an operation reports what it is doing. The CLI prints it; tests may collect it.
/// Everything that produces output during an operation (verification commands today, the
/// deploy/db/system executors later) streams it through here, tagged with its source.
public protocol RollbackProgress: Sendable {
    func report(_ event: ProgressEvent)
}

public enum ProgressEvent: Sendable {
    case stepStarted(OperationStep)
    case stepFinished(OperationStep)
    /// A line from a child process; `source` names it ("verify: make test", "deploy: kubectl").
    case output(source: String, line: String, isError: Bool)
    case verificationFinished(VerificationOutcome)
    case tierFinished(TierOutcome)
    case warning(String)
    /// Test-only: the operation waits before `step` until the marker file is removed.
    case pausedForTest(OperationStep, marker: String)
}

/// The steps of an operation in order. `state.json` lists those done, so `status` and
/// `recover` know exactly how far it got.
public enum OperationStep: String, Sendable, CaseIterable {
    case lock
    case safetyRef = "safety-ref"
    case moveRef = "move-ref"
    case workTree = "work-tree"
    /// Further tiers (deploy, db, system) run here, each through a `RollbackTier`.
    case tiers
    case verify
    case restore
    case journal
}
