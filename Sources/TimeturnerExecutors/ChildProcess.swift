internal import Glibc
import Subprocess
import SystemPackage
public import TimeturnerCore

/// One program to run: an argv array (never a shell string), an explicit environment, a
/// working directory, bytes for its standard input, a time limit and an output limit.
///
/// Verification commands and executors both run through this, so every child the tool starts
/// is bounded in time and output and can be stopped together with everything it started.
public struct ChildProcess: Sendable {
    /// An absolute path, or a name looked up in `environment["PATH"]`.
    public var executable: String
    public var arguments: [String]
    /// The complete environment of the child. Nothing is inherited implicitly.
    public var environment: [String: String]
    public var workingDirectory: String
    public var input: [UInt8]
    /// After this long the child's whole process group is killed.
    public var timeout: Duration
    /// Bytes of standard output kept for the caller (`.capture`); past it the group is killed.
    public var outputLimit: Int
    /// Whether standard output is captured for the caller (executor responses) or streamed
    /// line by line like standard error (verification commands).
    public var standardOutput: StandardOutputHandling
    /// When it is interrupted, the child's whole process group is killed at once.
    public var interruption: Interruption?
    /// Told the child's process id (which leads its group) as soon as it runs.
    public var started: (@Sendable (Int32) -> Void)?
    /// Whether the child leads a process group of its own (the default), so that the time and
    /// output limits stop everything it started. False only for children that may have to ask
    /// the user something on the terminal (git asking for a password, ssh for a passphrase): a
    /// process outside the terminal's foreground group is stopped by SIGTTIN when it reads
    /// /dev/tty, and would hang until the time limit. Such a child is killed alone at the limit.
    public var ownProcessGroup: Bool

    public enum StandardOutputHandling: Sendable { case capture, stream }

    public init(executable: String, arguments: [String] = [], environment: [String: String],
                workingDirectory: String, input: [UInt8] = [], timeout: Duration = .seconds(300),
                outputLimit: Int = 1 << 20, standardOutput: StandardOutputHandling = .capture,
                ownProcessGroup: Bool = true) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.input = input
        self.timeout = timeout
        self.outputLimit = outputLimit
        self.standardOutput = standardOutput
        self.interruption = nil
        self.started = nil
        self.ownProcessGroup = ownProcessGroup
    }

    /// `/bin/sh -c <command>`: for verification commands the user wrote as one line.
    public static func shell(_ command: String, environment: [String: String], workingDirectory: String,
                             timeout: Duration) -> ChildProcess {
        ChildProcess(executable: "/bin/sh", arguments: ["-c", command], environment: environment,
                     workingDirectory: workingDirectory, timeout: timeout, standardOutput: .stream)
    }
}

/// A line a child wrote, handed to the caller as it arrives.
public enum ChildOutputLine: Sendable, Equatable {
    case standardOutput(String)
    case standardError(String)
}

/// How a child ended and what it left.
public struct ChildProcessResult: Sendable {
    public enum Ending: Sendable, Equatable, CustomStringConvertible {
        case exited(Int32)
        case signalled(Int32)
        /// Killed by us, with its process group, when the time limit passed.
        case timedOut(Duration)
        /// Killed by us, with its process group, when its output passed the limit.
        case outputLimitExceeded(Int)
        /// Killed by us, with its process group, because the operation was interrupted.
        case interrupted(Int32)

        public var description: String {
            switch self {
            case .exited(let code): "exited with status \(code)"
            case .signalled(let signal): "was killed by signal \(signal)"
            case .timedOut(let limit): "did not finish within \(limit.wholeSeconds)s and was killed with its process group"
            case .outputLimitExceeded(let limit): "wrote more than \(limit) bytes of output and was killed with its process group"
            case .interrupted(let signal): "was stopped with its process group on \(Interruption.name(of: signal))"
            }
        }
    }

    public let ending: Ending
    /// Captured standard output (empty when it was streamed).
    public let standardOutput: [UInt8]
    /// The last lines of standard error, for error messages.
    public let standardErrorTail: [String]
    public let durationMilliseconds: Int64

    public var succeeded: Bool { ending == .exited(0) }
}

/// Why a child could not be started at all.
public struct ChildProcessLaunchError: Error, Sendable, CustomStringConvertible {
    public let executable: String
    public let reason: String
    public var description: String { "could not start \(executable): \(reason)" }
}

/// Runs `ChildProcess`es with swift-subprocess (Foundation's `Process` can hang on Linux pipes).
///
/// The child is put in a process group of its own, so the timeout and the output limit kill
/// everything it started too (a verification command that forks a server, a hung `pg_restore`
/// under a wrapper script). Standard output and standard error are drained concurrently, so a
/// child that fills one pipe while we read the other cannot deadlock.
public enum ChildProcessRunner {
    static let tailLines = 20

    public static func run(_ child: ChildProcess,
                           onLine: @escaping @Sendable (ChildOutputLine) -> Void = { _ in })
        async throws(ChildProcessLaunchError) -> ChildProcessResult {
        var options = PlatformOptions()
        if child.ownProcessGroup { options.processGroupID = 0 }  // setpgid(0, 0): the child leads a new group
        let executable: Executable = child.executable.contains("/")
            ? .path(FilePath(child.executable)) : .name(child.executable)
        var environment: [Environment.Key: String] = [:]
        for (key, value) in child.environment {
            if let key = Environment.Key(rawValue: key) { environment[key] = value }
        }
        let started = ContinuousClock.now
        let outcome: ExecutionResult<Collected, SequenceOutput, SequenceOutput>
        do {
            outcome = try await Subprocess.run(
                executable, arguments: Arguments(child.arguments), environment: .custom(environment),
                workingDirectory: FilePath(child.workingDirectory), platformOptions: options,
                input: .array(child.input), output: .sequence, error: .sequence
            ) { execution in
                try await collect(execution, child: child, onLine: onLine)
            }
        } catch let error as SubprocessError {
            throw ChildProcessLaunchError(executable: child.executable, reason: "\(error)")
        } catch {
            throw ChildProcessLaunchError(executable: child.executable, reason: "\(error)")
        }
        let collected = outcome.closureResult
        let ending: ChildProcessResult.Ending
        if let forced = collected.forcedEnding {
            ending = forced
        } else {
            switch outcome.terminationStatus {
            case .exited(let code): ending = .exited(code)
            case .signaled(let signal): ending = .signalled(signal)
            }
        }
        return ChildProcessResult(ending: ending, standardOutput: collected.standardOutput,
                                  standardErrorTail: collected.standardErrorTail,
                                  durationMilliseconds: (ContinuousClock.now - started).wholeMilliseconds)
    }

    struct Collected: Sendable {
        var standardOutput: [UInt8] = []
        var standardErrorTail: [String] = []
        var forcedEnding: ChildProcessResult.Ending?
    }

    private enum Event: Sendable {
        case standardOutput([UInt8], overLimit: Bool)
        case standardErrorTail([String])
        case timedOut
        /// The timer was cancelled because the child finished first: not a time-out.
        case timerCancelled
        case interrupted(Int32)
    }

    private static func collect(_ execution: Execution<ArrayInput, SequenceOutput, SequenceOutput>,
                                child: ChildProcess,
                                onLine: @escaping @Sendable (ChildOutputLine) -> Void) async throws -> Collected {
        let killGroup: @Sendable () -> Void = {
            // ESRCH when the group is already gone is fine: that is what we wanted.
            try? execution.send(signal: .kill, toProcessGroup: child.ownProcessGroup)
        }
        child.started?(execution.processIdentifier.value)
        return await withTaskGroup(of: Event.self) { group in
            group.addTask {
                var kept: [UInt8] = []
                var total = 0
                var splitter = LineSplitter()
                do {
                    for try await buffer in execution.standardOutput {
                        let bytes = buffer.withUnsafeBytes { Array($0) }
                        total += bytes.count
                        if total > child.outputLimit {
                            killGroup()
                            return .standardOutput(kept, overLimit: true)
                        }
                        switch child.standardOutput {
                        case .capture: kept.append(contentsOf: bytes)
                        case .stream: splitter.feed(bytes) { onLine(.standardOutput($0)) }
                        }
                    }
                } catch {}
                splitter.finish { onLine(.standardOutput($0)) }
                return .standardOutput(kept, overLimit: false)
            }
            group.addTask {
                var tail: [String] = []
                var total = 0
                var splitter = LineSplitter()
                let emit: (String) -> Void = { line in
                    onLine(.standardError(line))
                    tail.append(line)
                    if tail.count > tailLines { tail.removeFirst() }
                }
                do {
                    for try await buffer in execution.standardError {
                        let bytes = buffer.withUnsafeBytes { Array($0) }
                        total += bytes.count
                        // Standard error is shown, not kept, but a child flooding it is still
                        // stopped: it would otherwise flood the user's terminal or CI log.
                        if total > child.outputLimit {
                            killGroup()
                            splitter.finish(emit)
                            tail.append("(standard error cut off after \(child.outputLimit) bytes)")
                            return .standardErrorTail(tail)
                        }
                        splitter.feed(bytes, emit)
                    }
                } catch {}
                splitter.finish(emit)
                return .standardErrorTail(tail)
            }
            group.addTask {
                do { try await Task.sleep(for: child.timeout) } catch { return .timerCancelled }
                killGroup()
                return .timedOut
            }
            if let interruption = child.interruption {
                // Polled, not pushed: a signal only sets a flag, and 20 ms is well within what a
                // person pressing Ctrl-C notices.
                group.addTask {
                    while interruption.signal == nil {
                        do { try await Task.sleep(for: .milliseconds(20)) } catch { return .timerCancelled }
                    }
                    killGroup()
                    return .interrupted(interruption.signal ?? SIGINT)
                }
            }

            var collected = Collected()
            var streamsOpen = 2
            while streamsOpen > 0, let event = await group.next() {
                switch event {
                case .standardOutput(let bytes, let overLimit):
                    streamsOpen -= 1
                    collected.standardOutput = bytes
                    if overLimit, collected.forcedEnding == nil { collected.forcedEnding = .outputLimitExceeded(child.outputLimit) }
                case .standardErrorTail(let tail):
                    streamsOpen -= 1
                    collected.standardErrorTail = tail
                    if tail.last?.hasPrefix("(standard error cut off") == true, collected.forcedEnding == nil {
                        collected.forcedEnding = .outputLimitExceeded(child.outputLimit)
                    }
                case .timedOut:
                    if collected.forcedEnding == nil { collected.forcedEnding = .timedOut(child.timeout) }
                case .timerCancelled:
                    break
                case .interrupted(let signal):
                    if collected.forcedEnding == nil { collected.forcedEnding = .interrupted(signal) }
                }
            }
            // Both streams closed: the child (and anything holding its pipes) is done. Stop the
            // timer and the interruption watcher, and reap them. The timer may have fired and
            // killed the group just before the streams closed (their events can arrive first):
            // that is still a time-out, and must not be reported as an unexplained SIGKILL.
            group.cancelAll()
            while let event = await group.next() {
                if case .timedOut = event, collected.forcedEnding == nil { collected.forcedEnding = .timedOut(child.timeout) }
                if case .interrupted(let signal) = event, collected.forcedEnding == nil { collected.forcedEnding = .interrupted(signal) }
            }
            return collected
        }
    }
}

/// Splits a byte stream into lines (without the line break), decoding each as UTF-8 with
/// replacement, so a child that writes invalid UTF-8 or no final newline is still shown.
struct LineSplitter {
    private var pending: [UInt8] = []

    mutating func feed(_ bytes: [UInt8], _ emit: (String) -> Void) {
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                if pending.last == UInt8(ascii: "\r") { pending.removeLast() }
                emit(String(decoding: pending, as: UTF8.self))
                pending.removeAll(keepingCapacity: true)
            } else {
                pending.append(byte)
            }
        }
    }

    mutating func finish(_ emit: (String) -> Void) {
        if !pending.isEmpty { emit(String(decoding: pending, as: UTF8.self)) }
        pending.removeAll()
    }
}
