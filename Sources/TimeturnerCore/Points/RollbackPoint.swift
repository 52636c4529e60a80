public import GitKit

public enum Severity: String, CaseIterable, Sendable, Comparable {
    case low, medium, high, critical

    public static func < (lhs: Severity, rhs: Severity) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// A rollback point as read back from its annotated tag.
public struct RollbackPoint: Sendable, Equatable {
    public let id: String
    /// The ref that holds it: `refs/timeturner/points/<id>`.
    public let ref: String
    /// The annotated tag object.
    public let tag: OID
    public let commit: OID
    public let subject: String
    /// Everything between the subject and the trailers.
    public let body: String
    public let severity: Severity?
    public let environment: String?
    public let tiers: [String]
    /// The tagger: who made the point, and when.
    public let by: String
    public let at: Timestamp
}

extension RollbackPoint {
    /// The object printed by `--json` and used in notes.
    public var json: JSONValue {
        var fields: [String: JSONValue] = [
            "id": .string(id), "ref": .string(ref), "tag": .string(tag.hex), "commit": .string(commit.hex),
            "subject": .string(subject), "by": .string(by), "at": .string(at.rfc3339),
            "tiers": .array(tiers.map(JSONValue.string)),
            "severity": severity.map { .string($0.rawValue) } ?? .null,
            "env": environment.map(JSONValue.string) ?? .null,
        ]
        if !body.isEmpty { fields["body"] = .string(body) }
        return .object(fields)
    }
}

/// The tag message format: subject, optional body, then git trailers that plain
/// `git interpret-trailers --parse` and `git for-each-ref --format='%(trailers)'` can read.
enum PointMessage {
    static let pointKey = "Timeturner-Point"
    static let severityKey = "Timeturner-Severity"
    static let environmentKey = "Timeturner-Env"
    static let tierKey = "Timeturner-Tier"

    static func compose(subject: String, body: String, id: String, severity: Severity?,
                        environment: String?, tiers: [String]) -> String {
        var message = subject + "\n"
        if !body.isEmpty { message += "\n" + body + (body.hasSuffix("\n") ? "" : "\n") }
        message += "\n\(pointKey): \(id)\n"
        if let severity { message += "\(severityKey): \(severity.rawValue)\n" }
        if let environment { message += "\(environmentKey): \(environment)\n" }
        for tier in tiers { message += "\(tierKey): \(tier)\n" }
        return message
    }

    struct Parsed {
        var subject = ""
        var body = ""
        var severity: Severity?
        var environment: String?
        var tiers: [String] = []
    }

    static func parse(_ message: String) -> Parsed {
        var parsed = Parsed()
        var paragraphs = message.split(separator: "\n\n", omittingEmptySubsequences: true).map(String.init)
        let trailers = Trailers.parse(message)
        if !trailers.isEmpty, let last = paragraphs.last, last.contains(pointKey + ":") || last.contains("Timeturner-") {
            paragraphs.removeLast()
        }
        parsed.subject = paragraphs.first?.split(separator: "\n").joined(separator: " ") ?? ""
        parsed.body = paragraphs.dropFirst().joined(separator: "\n\n").trimmingNewlines()
        for (key, value) in trailers {
            switch key.lowercased() {
            case severityKey.lowercased(): parsed.severity = Severity(rawValue: value)
            case environmentKey.lowercased(): parsed.environment = value
            case tierKey.lowercased(): parsed.tiers.append(value)
            default: break
            }
        }
        return parsed
    }
}

extension String {
    func trimmingNewlines() -> String {
        var s = Substring(self)
        while s.first == "\n" { s = s.dropFirst() }
        while s.last == "\n" { s = s.dropLast() }
        return String(s)
    }
}
