import Subprocess
import SystemPackage
internal import Glibc

/// What a finished child process left behind.
public struct ProcessResult: Sendable, CustomStringConvertible {
    public let status: Int32
    public let stdout: String
    public let stderr: String

    public var description: String { "exit \(status)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)" }
}

/// Runs a program with an argv array (never a shell string), collecting both streams
/// concurrently so a chatty child cannot deadlock on a full pipe.
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String],
                       in directory: String, input: String? = nil) async throws -> ProcessResult {
    let executableSpec: Executable = executable.hasPrefix("/") ? .path(FilePath(executable)) : .name(executable)
    let env = Environment.custom(Dictionary(uniqueKeysWithValues: environment.map { (Environment.Key(rawValue: $0.key)!, $0.value) }))
    let result = try await Subprocess.run(
        executableSpec,
        arguments: Arguments(arguments),
        environment: env,
        workingDirectory: FilePath(directory),
        input: .string(input ?? ""),
        output: .string(limit: 64 << 20),
        error: .string(limit: 64 << 20)
    )
    let status: Int32
    switch result.terminationStatus {
    case .exited(let code): status = code
    case .signaled(let signal): status = 128 + signal
    }
    return ProcessResult(status: status, stdout: result.standardOutput, stderr: result.standardError)
}

/// Error thrown when a set-up command in a test fails; carries the output to make the failure readable.
public struct CommandFailed: Error, CustomStringConvertible {
    public let command: [String]
    public let result: ProcessResult
    public var description: String { "\(command.joined(separator: " ")) failed: \(result)" }

    public init(command: [String], result: ProcessResult) {
        self.command = command
        self.result = result
    }
}
