/// One verification command and how it ended.
public struct VerificationOutcome: Sendable, Equatable {
    public enum Ending: Sendable, Equatable {
        case exited(Int32)
        case signalled(Int32)
        case timedOut(seconds: Int64)
        case outputLimitExceeded
        case couldNotStart(String)
        /// Stopped by us, with its process group, because the operation was interrupted.
        case interrupted(Int32)
        /// A check (`--check`, `timeturner.verify-check`) sampled over its window and decided.
        case check(CheckVerdict, reason: String)
    }

    public let command: String
    public let ending: Ending
    public let durationMilliseconds: Int64

    /// A check's verdict with its measurements (`CheckResult.json`), for the journal.
    public let checkResult: JSONValue?

    public init(command: String, ending: Ending, durationMilliseconds: Int64, checkResult: JSONValue? = nil) {
        self.command = command
        self.ending = ending
        self.durationMilliseconds = durationMilliseconds
        self.checkResult = checkResult
    }

    public var passed: Bool {
        if case .check(let verdict, _) = ending { return verdict == .passed }
        return ending == .exited(0)
    }

    /// "exited with status 1", for messages.
    public var explanation: String {
        switch ending {
        case .exited(let code): "exited with status \(code)"
        case .signalled(let signal): "was killed by signal \(signal)"
        case .timedOut(let seconds): "did not finish within \(seconds)s and was killed with its process group"
        case .outputLimitExceeded: "wrote too much output and was killed with its process group"
        case .couldNotStart(let reason): "could not be started: \(reason)"
        case .interrupted(let signal): "was stopped with its process group on \(Interruption.name(of: signal))"
        case .check(let verdict, let reason): "\(verdict.rawValue): \(reason)"
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
        case .interrupted(let signal): record.status = "interrupted"; record.signal = signal
        case .check(let verdict, let reason):
            record.status = verdict.rawValue
            if verdict != .passed { record.error = reason }
            record.check = checkResult
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

    /// Set for a check used as verification: `command` is then `check <name>` (for plans and the
    /// journal), and the check is sampled over its window instead of a command being run.
    public let check: CheckDefinition?
    /// `--fast`: the check is measured once, without its window (the target is known-good).
    public let fast: Bool

    public init(command: String, timeout: TimeSpan, origin: String) {
        self.command = command
        self.timeout = timeout
        self.origin = origin
        self.check = nil
        self.fast = false
    }

    public init(check: CheckDefinition, fast: Bool, origin: String) {
        self.command = "check " + check.name
        self.timeout = TimeSpan(seconds: max(1, check.longestRun.wholeSeconds))
        self.origin = origin
        self.check = check
        self.fast = fast
    }
}

/// Runs verification commands. Core declares what it needs; the executors layer implements it
/// with bounded child processes (`ShellVerifier`), and the CLI wires that implementation in.
public protocol Verifying: Sendable {
    /// Runs `command` through `/bin/sh -c` in `directory`, killing its whole process group after
    /// `timeout` (or at once on `interruption`), and hands each line it writes to `progress` as
    /// `.output`. `started` receives the command's process group as soon as it runs.
    func verify(_ command: String, in directory: String, timeout: TimeSpan, progress: any RollbackProgress,
                interruption: Interruption?, started: @escaping @Sendable (Int32) -> Void) async -> VerificationOutcome

    /// Runs one planned verification: a command (as above) or a check over its window.
    func verify(_ verification: VerificationCommand, in directory: String, progress: any RollbackProgress,
                interruption: Interruption?, started: @escaping @Sendable (Int32) -> Void) async -> VerificationOutcome
}

extension Verifying {
    /// A verifier without checks runs commands only; a check fails to start with a reason.
    public func verify(_ verification: VerificationCommand, in directory: String, progress: any RollbackProgress,
                       interruption: Interruption?, started: @escaping @Sendable (Int32) -> Void) async -> VerificationOutcome {
        guard verification.check == nil else {
            return VerificationOutcome(command: verification.command, ending: .couldNotStart("this verifier runs no checks"), durationMilliseconds: 0)
        }
        return await verify(verification.command, in: directory, timeout: verification.timeout, progress: progress,
                            interruption: interruption, started: started)
    }
}
