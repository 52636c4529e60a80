import TimeturnerCore

/// Runs an executor program: `PROGRAM <verb>`, the request on standard input, the response on
/// standard output, standard error streamed to the user line by line.
enum ExternalExecutor {
    static func call(argv: [String], request: ExecutorRequest, assignment: TierAssignment,
                     environment: [String: String], log: @escaping @Sendable (String) -> Void) async throws(TimeturnerError) -> ExecutorResponse {
        let name = assignment.executor
        let child = ChildProcess(executable: argv[0], arguments: Array(argv.dropFirst()) + [request.verb.rawValue],
                                 environment: environment, workingDirectory: request.repository, input: request.encodedLine,
                                 timeout: .seconds(assignment.timeoutSeconds), outputLimit: assignment.outputLimit,
                                 standardOutput: .capture)
        let result: ChildProcessResult
        do {
            result = try await ChildProcessRunner.run(child) { line in
                if case .standardError(let text) = line { log(text) }
            }
        } catch {
            throw ExecutorFailure.make(executor: name, verb: request.verb, tier: request.tier, cause: "could not start \(argv[0]): \(error.reason)",
                                       hint: "check that \(argv[0]) exists and is executable")
        }
        let fail = { (cause: String, hint: String?) -> TimeturnerError in
            ExecutorFailure.make(executor: name, verb: request.verb, tier: request.tier, cause: cause, hint: hint,
                                 standardError: result.standardErrorTail)
        }
        switch result.ending {
        case .timedOut(let limit):
            throw fail("it did not answer within \(limit.components.seconds)s and was killed with its process group",
                       "raise timeturner.executor.\(name).timeout (or timeturner.tier.\(request.tier).timeout) if it needs longer")
        case .outputLimitExceeded(let limit):
            throw fail("it wrote more than \(limit) bytes of output and was killed with its process group",
                       "an executor answers with one small JSON object; progress belongs on standard error (limit: timeturner.executor.\(name).outputLimit)")
        case .signalled(let signal):
            throw fail("it was killed by signal \(signal)", nil)
        case .interrupted(let signal):
            throw fail("it was stopped with its process group on \(Interruption.name(of: signal))", nil)
        case .exited(let status) where status != 0:
            let said = (try? ExecutorResponse.parse(result.standardOutput))?.message.map { ": \($0)" } ?? ""
            throw fail("it exited with status \(status)\(said)", nil)
        case .exited:
            break
        }
        let response: ExecutorResponse
        do { response = try ExecutorResponse.parse(result.standardOutput) } catch {
            let preview = String(decoding: result.standardOutput.prefix(120), as: UTF8.self)
            throw fail(error.description + (preview.isEmpty ? " (it printed nothing)" : " (it printed: \(preview))"),
                       "executors print exactly one JSON object with \"protocol\": \(ExecutorRequest.protocolVersion) on standard output; see docs/executor-protocol.md")
        }
        guard response.ok else {
            throw fail("it reported failure: \(response.message ?? "(no message)")", nil)
        }
        return response
    }
}
