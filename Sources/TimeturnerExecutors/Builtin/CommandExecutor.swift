import GitKit
public import TimeturnerCore

/// `command`: the three verbs as command lines in trusted configuration, run with `/bin/sh -c`.
///
/// `capture`'s standard output (trimmed) is the capture; `rollback` gets it back in
/// `TIMETURNER_CAPTURE` (and the whole capture object as JSON in `TIMETURNER_CAPTURE_JSON`).
/// Every command gets the request's `from`/`to` commits as `TIMETURNER_FROM`/`TIMETURNER_TO`
/// and, with `checkouts = true`, the copies of their trees as `TIMETURNER_CHECKOUT_FROM`/`_TO`.
public struct CommandExecutor: BuiltinExecutor {
    public init() {}
    public let name = "command"
    public let summary = "runs capture, rollback and verify command lines from configuration"
    public var settingsHelp: [(key: String, meaning: String)] {
        [("capture", "command whose standard output records the current state (optional)"),
         ("rollback", "command that returns to $TIMETURNER_CAPTURE (required for rollback)"),
         ("verify", "command that exits 0 when the tier works (optional)")]
    }

    public func perform(_ request: ExecutorRequest, context: BuiltinContext) async throws(TimeturnerError) -> ExecutorResponse {
        var environment = ["TIMETURNER_DRY_RUN": request.dryRun ? "1" : "0"]
        if let point = request.point {
            environment["TIMETURNER_POINT"] = point.id
            environment["TIMETURNER_POINT_COMMIT"] = point.commit
        }
        environment["TIMETURNER_FROM"] = request.from
        environment["TIMETURNER_TO"] = request.to
        environment["TIMETURNER_CHECKOUT_FROM"] = request.checkouts?.from
        environment["TIMETURNER_CHECKOUT_TO"] = request.checkouts?.to
        switch request.verb {
        case .describe:
            return describeResponse
        case .capture:
            guard let command = request.setting("capture") else {
                return ExecutorResponse(capture: [:], message: "no capture command configured; nothing recorded")
            }
            if request.dryRun { return ExecutorResponse(capture: [:], message: "would run: \(command)") }
            let result = try await context.run(["/bin/sh", "-c", command], what: "capture command '\(command)'",
                                               extraEnvironment: environment, keepOutput: true)
            let output = String(decoding: result.standardOutput, as: UTF8.self).trimming(\.isWhitespace)
            return ExecutorResponse(capture: ["output": .string(output)])
        case .rollback:
            let command = try context.required("rollback", example: "'./deploy.sh --to \"$TIMETURNER_CAPTURE\"'")
            if request.dryRun { return ExecutorResponse(message: "would run: \(command)") }
            environment["TIMETURNER_CAPTURE"] = request.capture?["output"]?.stringValue ?? ""
            environment["TIMETURNER_CAPTURE_JSON"] = (request.capture ?? [:]).canonicalLine
            try await context.shell(command, what: "rollback command", extraEnvironment: environment)
            return ExecutorResponse(message: "ran \(command)")
        case .verify:
            guard let command = request.setting("verify") else {
                return ExecutorResponse(message: "no verify command configured")
            }
            if request.dryRun { return ExecutorResponse(message: "would run: \(command)") }
            try await context.shell(command, what: "verify command", extraEnvironment: environment)
            return ExecutorResponse(message: "verified with \(command)")
        }
    }
}
