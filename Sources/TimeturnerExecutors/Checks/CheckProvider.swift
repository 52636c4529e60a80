public import TimeturnerCore

/// Takes measurements for checks: a command as a bounded child process (the rules executors
/// follow: own process group killed at the time-out, output limit), an HTTP request, or a
/// Prometheus instant query. Only checks from trusted configuration ever reach it.
public struct CheckProvider: CheckMeasuring {
    /// The environment commands see (the user's, plus `TIMETURNER_CHECK` and `TIMETURNER_ENV`).
    let environment: [String: String]
    /// Where commands run: the work-tree root.
    let workingDirectory: String
    let deployEnvironment: String?

    public init(environment: [String: String], workingDirectory: String, deployEnvironment: String? = nil) {
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.deployEnvironment = deployEnvironment
    }

    public func measure(_ check: CheckDefinition, at time: Timestamp?, interruption: Interruption?) async -> CheckReading {
        switch check.probe {
        case .command(let command, let valueFromOutput):
            guard time == nil else { return .error(detail: "a command check cannot measure the past") }
            return await runCommand(command, valueFromOutput: valueFromOutput, check: check, interruption: interruption)
        case .http(let url, let method, let expectStatus, let jsonField):
            guard time == nil else { return .error(detail: "an http check cannot measure the past") }
            return await HTTPProbe.reading(of: HTTPRequest(url: url, method: method, timeout: check.timeout),
                                           expectStatus: expectStatus, jsonField: jsonField, interruption: interruption)
        case .prometheus(let server, let query, let reduce):
            return await PrometheusQuery(server: server, query: query, reduce: reduce, timeout: check.timeout)
                .reading(at: time, interruption: interruption)
        }
    }

    func runCommand(_ command: String, valueFromOutput: Bool, check: CheckDefinition, interruption: Interruption?) async -> CheckReading {
        var environment = self.environment
        environment["TIMETURNER_CHECK"] = check.name
        if let deployEnvironment { environment["TIMETURNER_ENV"] = deployEnvironment }
        var child = ChildProcess(executable: "/bin/sh", arguments: ["-c", command], environment: environment,
                                 workingDirectory: workingDirectory, timeout: check.timeout, outputLimit: 64 << 10)
        child.interruption = interruption
        let result: ChildProcessResult
        do { result = try await ChildProcessRunner.run(child) } catch {
            return .error(detail: error.description)
        }
        let lastError = result.standardErrorTail.last.map { ": " + $0 } ?? ""
        guard result.succeeded else { return .probeFailed(detail: "'\(command)' \(result.ending)\(lastError)") }
        guard valueFromOutput else { return .probePassed(detail: "'\(command)' exited with status 0") }
        let output = String(decoding: result.standardOutput, as: UTF8.self)
        guard let value = output.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).lazy.compactMap({ Double(String($0)) }).first(where: \.isFinite) else {
            return .error(detail: "'\(command)' printed no number (value = output)")
        }
        return .value(value, detail: "'\(command)' printed \(Threshold.format(value))")
    }
}

/// An `http` check's request and what its answer means.
enum HTTPProbe {
    static func reading(of request: HTTPRequest, expectStatus: Set<Int>, jsonField: String?, interruption: Interruption?) async -> CheckReading {
        switch await request.perform(interruption: interruption) {
        case .failure(.unavailable(let reason)): return .error(detail: reason)
        case .failure(.cancelled): return .error(detail: "\(request.method) \(request.url): stopped")
        case .failure(let failure): return .probeFailed(detail: "\(request.method) \(request.url): \(failure)")
        case .success(let response):
            let what = "\(request.method) \(request.url): \(response.status)"
            guard expectStatus.contains(response.status) else { return .probeFailed(detail: "\(what), not an expected status") }
            guard let jsonField else { return .probePassed(detail: what) }
            guard let document = JSONValue.parseDocument(response.body) else { return .probeFailed(detail: "\(what), body is not JSON") }
            guard let field = JSONField.value(at: jsonField, in: document) else {
                return .probeFailed(detail: "\(what), no number at \(jsonField)")
            }
            return .value(field, detail: "\(what), \(jsonField) = \(Threshold.format(field))")
        }
    }
}

/// `a.b.0.c` into a JSON document; numbers, booleans (1 or 0) and numeric strings are values.
enum JSONField {
    static func value(at path: String, in document: JSONValue) -> Double? {
        var current = document
        for part in path.split(separator: ".").map(String.init) {
            if let index = Int(part), let array = current.arrayValue {
                guard array.indices.contains(index) else { return nil }
                current = array[index]
            } else if let next = current[part] {
                current = next
            } else {
                return nil
            }
        }
        switch current {
        case .int(let number): return Double(number)
        case .double(let number): return number
        case .bool(let flag): return flag ? 1 : 0
        case .string(let text): return Double(text)
        default: return nil
        }
    }
}
