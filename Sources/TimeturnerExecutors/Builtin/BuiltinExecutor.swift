public import TimeturnerCore

/// An executor compiled into git-timeturner. It answers the same requests as an external one,
/// in-process, and runs its own child processes (pg_dump, restart commands) through
/// `ChildProcessRunner`, bounded like everything else.
public protocol BuiltinExecutor: Sendable {
    var name: String { get }
    var summary: String { get }
    /// The settings it reads, for `executor describe`.
    var settingsHelp: [(key: String, meaning: String)] { get }
    func perform(_ request: ExecutorRequest, context: BuiltinContext) async throws(TimeturnerError) -> ExecutorResponse
    /// Whether its requests must carry `checkouts` of the `from` and `to` trees.
    var wantsCheckouts: Bool { get }
}

extension BuiltinExecutor {
    public var wantsCheckouts: Bool { false }

    var describeResponse: ExecutorResponse {
        ExecutorResponse(ok: true, summary: summary, verbs: ExecutorVerb.allCases)
    }
}

/// What a built-in executor works with: its request's environment, limits and log.
public struct BuiltinContext: Sendable {
    let request: ExecutorRequest
    let environment: [String: String]
    let timeout: Swift.Duration
    let outputLimit: Int
    let log: @Sendable (String) -> Void

    /// Runs a program (in the repository, unless `directory` says where); throws a named error
    /// unless it exits 0. Its standard error (and standard output, unless `keepOutput`) is
    /// streamed to the user.
    @discardableResult
    func run(_ argv: [String], what: String, input: [UInt8] = [], extraEnvironment: [String: String] = [:],
             keepOutput: Bool = false, hint: String? = nil, in directory: String? = nil) async throws(TimeturnerError) -> ChildProcessResult {
        let child = ChildProcess(executable: argv[0], arguments: Array(argv.dropFirst()),
                                 environment: environment.merging(extraEnvironment) { $1 },
                                 workingDirectory: directory ?? request.repository, input: input, timeout: timeout,
                                 outputLimit: outputLimit, standardOutput: keepOutput ? .capture : .stream)
        let log = self.log
        let result: ChildProcessResult
        do {
            result = try await ChildProcessRunner.run(child) { line in
                switch line {
                case .standardError(let text), .standardOutput(let text): log(text)
                }
            }
        } catch {
            throw fail("could not start \(what): \(error.reason)", hint: "is \(argv[0]) installed and on PATH?")
        }
        guard result.succeeded else {
            throw ExecutorFailure.child(result, what: what, executor: request.executor, verb: request.verb, tier: request.tier, hint: hint)
        }
        return result
    }

    /// Runs a command line from trusted configuration with `/bin/sh -c`.
    @discardableResult
    func shell(_ command: String, what: String, extraEnvironment: [String: String] = [:]) async throws(TimeturnerError) -> ChildProcessResult {
        try await run(["/bin/sh", "-c", command], what: "\(what) '\(command)'", extraEnvironment: extraEnvironment)
    }

    /// The same limits and log for another request: a built-in that delegates part of its work
    /// to another built-in (migrations restoring through postgres) hands it this.
    func forRequest(_ other: ExecutorRequest) -> BuiltinContext {
        BuiltinContext(request: other, environment: environment, timeout: timeout, outputLimit: outputLimit, log: log)
    }

    func fail(_ cause: String, hint: String? = nil) -> TimeturnerError {
        ExecutorFailure.make(executor: request.executor, verb: request.verb, tier: request.tier, cause: cause, hint: hint)
    }

    /// A required setting, or a usage error naming the key to set.
    func required(_ key: String, example: String) throws(TimeturnerError) -> String {
        guard let value = request.setting(key), !value.isEmpty else {
            throw TimeturnerError(.usage, "executor '\(request.executor)' for the \(request.tier) tier needs the setting '\(key)'",
                                  hint: "git config -f .timeturner timeturner.tier.\(request.tier).\(key) \(example)")
        }
        return value
    }

    /// A path setting made absolute against the repository.
    func path(_ value: String) -> String { LocalFile.absolute(value, relativeTo: request.repository) }
}
