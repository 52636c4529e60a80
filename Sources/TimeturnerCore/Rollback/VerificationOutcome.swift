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

    /// The journal's record of it.
    var record: VerificationRecord {
        var record = VerificationRecord(command: command, status: passed ? "passed" : "failed", durationMs: durationMilliseconds)
        switch ending {
        case .exited(let code): record.exitStatus = code
        case .signalled(let signal): record.signal = signal
        case .timedOut: record.status = "timed-out"
        case .outputLimitExceeded: record.status = "output-limit-exceeded"
        case .couldNotStart(let reason): record.status = "could-not-start"; record.error = reason
        }
        return record
    }
}

/// A verification command as the plan runs it, and where it came from.
public struct VerificationCommand: Sendable, Equatable, Hashable {
    public let command: String
    public let timeout: TimeSpan
    /// `command line`, or the configuration layer (`.timeturner (trusted)`, `git config`, `-c`).
    public let origin: String

    public init(command: String, timeout: TimeSpan, origin: String) {
        self.command = command
        self.timeout = timeout
        self.origin = origin
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
