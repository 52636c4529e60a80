import TimeturnerCore

/// The errors of executor calls. Every one names the executor, the verb, the tier and the
/// cause, and carries the last lines the executor wrote on standard error.
enum ExecutorFailure {
    static func make(executor: String, verb: ExecutorVerb, tier: String, cause: String,
                     hint: String? = nil, standardError: [String] = []) -> TimeturnerError {
        TimeturnerError(.failure, "executor '\(executor)' failed to \(verb.rawValue) the \(tier) tier: \(cause)",
                        hint: hint, causes: standardError.suffix(10).map { "\(executor): \($0)" })
    }

    /// A child process of a built-in executor (pg_dump, a restart command) that did not succeed.
    static func child(_ result: ChildProcessResult, what: String, executor: String, verb: ExecutorVerb, tier: String,
                      hint: String? = nil) -> TimeturnerError {
        make(executor: executor, verb: verb, tier: tier, cause: "\(what) \(result.ending)", hint: hint,
             standardError: result.standardErrorTail)
    }
}
