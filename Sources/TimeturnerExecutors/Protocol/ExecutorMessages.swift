public import TimeturnerCore

/// The verbs of executor protocol v1 (docs/executor-protocol.md).
public enum ExecutorVerb: String, Codable, Sendable, CaseIterable {
    /// What the executor is and which verbs it supports; changes nothing.
    case describe
    /// Record what is needed to return to the present state; the answer's `capture` is stored
    /// in the point's note and handed back to `rollback`.
    case capture
    /// Return to the state in the request's `capture`.
    case rollback
    /// Check that the tier works now.
    case verify
}

/// The one JSON object an executor reads on standard input.
public struct ExecutorRequest: Codable, Sendable, Equatable {
    public static let protocolVersion = 1

    public struct Point: Codable, Sendable, Equatable {
        public var id: String
        public var commit: String
    }

    public var `protocol`: Int
    public var verb: ExecutorVerb
    public var tier: String
    public var executor: String
    /// The work tree root (or the git directory of a bare repository).
    public var repository: String
    /// When true the executor must change nothing and say what it would do.
    public var dryRun: Bool
    /// The point being captured, or rolled back to (absent for `describe` and `verify`).
    public var point: Point?
    /// For `rollback`: what `capture` returned.
    public var capture: JSONValue?
    /// The code a call is about. `capture`: `from` is the commit the system runs now.
    /// `rollback`: `from` is the commit being left, `to` the commit whose state the call returns
    /// to (the point's commit; for a restore or an undo, the commit returned to). Absent when
    /// not known (an executor run by hand with `git timeturner executor`).
    public var from: String?
    public var to: String?
    /// Directories holding exactly the trees of `from` and `to` (the files as committed, not the
    /// work tree's edits), for executors that need the scripts of the code being left or
    /// returned to (a database downgrade runs the present release's migrations). Read-only for
    /// the executor; made by git-timeturner for the call and removed after the operation.
    public var checkouts: Checkouts?

    public struct Checkouts: Codable, Sendable, Equatable {
        public var from: String?
        public var to: String?

        public init(from: String? = nil, to: String? = nil) {
            self.from = from
            self.to = to
        }
    }
    /// The executor's settings from configuration, keys lowercased as git normalises them;
    /// a key given several times arrives as an array of strings.
    public var settings: [String: JSONValue]

    public init(verb: ExecutorVerb, tier: String, executor: String, repository: String, dryRun: Bool = false,
                point: Point? = nil, capture: JSONValue? = nil, settings: [String: JSONValue] = [:],
                from: String? = nil, to: String? = nil, checkouts: Checkouts? = nil) {
        self.protocol = ExecutorRequest.protocolVersion
        self.verb = verb
        self.tier = tier
        self.executor = executor
        self.repository = repository
        self.dryRun = dryRun
        self.point = point
        self.capture = capture
        self.settings = settings
        self.from = from
        self.to = to
        self.checkouts = checkouts
    }

    /// One settings value as a string (the last, when there are several).
    public func setting(_ key: String) -> String? {
        switch settings[key.lowercased()] {
        case .string(let value): value
        case .array(let values): values.last?.stringValue
        default: nil
        }
    }

    /// Every value of a setting.
    public func settingValues(_ key: String) -> [String] {
        switch settings[key.lowercased()] {
        case .string(let value): [value]
        case .array(let values): values.compactMap(\.stringValue)
        default: []
        }
    }
}

/// The one JSON object an executor writes on standard output.
public struct ExecutorResponse: Codable, Sendable, Equatable {
    public var `protocol`: Int
    public var ok: Bool
    /// For `capture`: whatever the executor needs later, stored verbatim.
    public var capture: JSONValue?
    /// What happened, in the executor's words; required when `ok` is false.
    public var message: String?
    /// For `capture`: what a later rollback to this capture throws away, in words, when it does
    /// (a database dump: "writes to app made after 2026-12-01T10:00:00Z"). A plan that would
    /// roll back to such a capture says so and needs `--accept-data-loss` or the prompt.
    public var discards: String?
    /// For `describe`: one line about the executor, and the verbs it supports.
    public var summary: String?
    public var verbs: [ExecutorVerb]?

    public init(ok: Bool = true, capture: JSONValue? = nil, message: String? = nil, summary: String? = nil, verbs: [ExecutorVerb]? = nil,
                discards: String? = nil) {
        self.protocol = ExecutorRequest.protocolVersion
        self.ok = ok
        self.capture = capture
        self.message = message
        self.summary = summary
        self.verbs = verbs
        self.discards = discards
    }

    public var json: JSONValue {
        var fields: [String: JSONValue] = ["protocol": .int(Int64(`protocol`)), "ok": .bool(ok)]
        if let capture { fields["capture"] = capture }
        if let message { fields["message"] = .string(message) }
        if let discards { fields["discards"] = .string(discards) }
        if let summary { fields["summary"] = .string(summary) }
        if let verbs { fields["verbs"] = .array(verbs.map { .string($0.rawValue) }) }
        return .object(fields)
    }
}

extension ExecutorRequest {
    /// The request as one line of JSON (sorted keys, no pretty-printing).
    public var encodedLine: [UInt8] {
        var fields: [String: JSONValue] = [
            "protocol": .int(Int64(`protocol`)), "verb": .string(verb.rawValue), "tier": .string(tier),
            "executor": .string(executor), "repository": .string(repository), "dryRun": .bool(dryRun),
            "settings": .object(settings),
        ]
        if let point { fields["point"] = ["id": .string(point.id), "commit": .string(point.commit)] }
        if let capture { fields["capture"] = capture }
        if let from { fields["from"] = .string(from) }
        if let to { fields["to"] = .string(to) }
        if let checkouts {
            var paths: [String: JSONValue] = [:]
            if let from = checkouts.from { paths["from"] = .string(from) }
            if let to = checkouts.to { paths["to"] = .string(to) }
            fields["checkouts"] = .object(paths)
        }
        return Array((JSONValue.object(fields).canonicalLine + "\n").utf8)
    }

    /// Settings from a tier assignment: one value as a string, several as an array.
    static func settings(of assignment: TierAssignment) -> [String: JSONValue] {
        assignment.settings.mapValues { values in
            values.count == 1 ? .string(values[0]) : .array(values.map(JSONValue.string))
        }
    }
}

/// Why an executor's standard output is not a usable response.
enum ResponseProblem: Error, Equatable {
    case notJSON
    case notAnObject
    case wrongProtocol(String)
    case malformed(String)

    var description: String {
        switch self {
        case .notJSON: "its output is not valid JSON"
        case .notAnObject: "its output is JSON but not an object"
        case .wrongProtocol(let found): "it answered with protocol \(found); this git-timeturner speaks protocol \(ExecutorRequest.protocolVersion)"
        case .malformed(let detail): "its answer does not follow protocol \(ExecutorRequest.protocolVersion): \(detail)"
        }
    }
}

extension ExecutorResponse {
    /// Parses an executor's standard output: exactly one JSON object, `"protocol": 1`, `ok` a boolean.
    static func parse(_ bytes: [UInt8]) throws(ResponseProblem) -> ExecutorResponse {
        let trimmed = bytes.drop { $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }
        let parsed = JSONLines.parse(Array(trimmed), source: "response")
        // JSONLines splits on line breaks: a pretty-printed object comes back as several broken
        // lines, so fall back to parsing the whole output as one value.
        let value: JSONValue
        if parsed.objects.count == 1 && parsed.skipped.isEmpty {
            value = parsed.objects[0]
        } else if let whole = JSONValue.parseDocument(Array(trimmed)) {
            value = whole
        } else {
            throw .notJSON
        }
        guard case .object(let fields) = value else { throw .notAnObject }
        guard let version = fields["protocol"] else { throw .wrongProtocol("(none: no \"protocol\" field)") }
        guard version.intValue == Int64(ExecutorRequest.protocolVersion) else { throw .wrongProtocol(version.canonicalLine) }
        guard let ok = fields["ok"]?.boolValue else { throw .malformed("\"ok\" must be true or false") }
        var response = ExecutorResponse(ok: ok, capture: fields["capture"].flatMap { $0 == .null ? nil : $0 })
        if let message = fields["message"], message != .null {
            guard let text = message.stringValue else { throw .malformed("\"message\" must be a string") }
            response.message = text
        }
        response.summary = fields["summary"]?.stringValue
        response.discards = fields["discards"]?.stringValue
        response.verbs = fields["verbs"]?.arrayValue?.compactMap { $0.stringValue.flatMap(ExecutorVerb.init(rawValue:)) }
        return response
    }
}
