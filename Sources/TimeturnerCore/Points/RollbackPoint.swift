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

extension RollbackPoint {
    /// `JSONValue.array(points.map(\.json)).pretty()` as UTF-8 bytes, written field by field.
    ///
    /// `points --json` over 10,000 points spent a quarter of its time building a dictionary per
    /// point, sorting its keys and walking it; the keys here are fixed and written in the order
    /// `pretty()` sorts them. `PointStoreTests` checks both give the same bytes.
    public static func prettyJSONArray(_ points: [RollbackPoint]) -> [UInt8] {
        guard !points.isEmpty else { return Array("[]".utf8) }
        let out = JSONOutput()
        out.reserveCapacity(points.count * 480)
        out.append("[\n")
        for index in points.indices {
            if index > 0 { out.append(",\n") }
            points[index].writePrettyJSON(to: out)
        }
        out.append("\n]")
        return out.utf8Bytes
    }

    /// One element of `prettyJSONArray`: the object at indent level 1.
    private func writePrettyJSON(to out: JSONOutput) {
        func field(_ key: StaticString, first: Bool = false) {
            out.append(first ? "  {\n    \"" : ",\n    \"")
            out.append(key)
            out.append("\": ")
        }
        func string(_ key: StaticString, _ value: String) {
            field(key)
            JSONValue.writeString(value, to: out)
        }
        field("at", first: true)
        JSONValue.writeString(at.rfc3339, to: out)
        if !body.isEmpty { string("body", body) }
        string("by", by)
        field("commit")
        out.appendQuotedHex(commit)
        field("env")
        if let environment { JSONValue.writeString(environment, to: out) } else { out.append("null") }
        string("id", id)
        string("ref", ref)
        field("severity")
        if let severity { JSONValue.writeString(severity.rawValue, to: out) } else { out.append("null") }
        string("subject", subject)
        field("tag")
        out.appendQuotedHex(tag)
        field("tiers")
        if tiers.isEmpty { out.append("[]") } else {
            out.append("[\n")
            for (index, tier) in tiers.enumerated() {
                out.append(index > 0 ? ",\n      " : "      ")
                JSONValue.writeString(tier, to: out)
            }
            out.append("\n    ]")
        }
        out.append("\n  }")
    }
}

/// The tag message format: subject, optional body, then git trailers that plain
/// `git interpret-trailers --parse` and `git for-each-ref --format='%(trailers)'` can read.
enum PointMessage {
    static func compose(subject: String, body: String, id: String, severity: Severity?,
                        environment: String?, tiers: [String]) -> String {
        var message = subject + "\n"
        if !body.isEmpty { message += "\n" + body + (body.hasSuffix("\n") ? "" : "\n") }
        message += "\n\(TrailerKey.point): \(id)\n"
        if let severity { message += "\(TrailerKey.severity): \(severity.rawValue)\n" }
        if let environment { message += "\(TrailerKey.env): \(environment)\n" }
        for tier in tiers { message += "\(TrailerKey.tier): \(tier)\n" }
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
        var paragraphs = PointMessage.paragraphs(message)
        let trailers = Trailers.parse(message)
        if !trailers.isEmpty, let last = paragraphs.last, PointMessage.containsIgnoringASCIICase(last, TrailerKey.prefix) {
            paragraphs.removeLast()
        }
        if let first = paragraphs.first {
            // A one-line subject (the usual case) needs no splitting and joining.
            parsed.subject = first.utf8.contains(0x0a) ? first.split(separator: "\n").joined(separator: " ") : String(first)
        }
        parsed.body = paragraphs.dropFirst().joined(separator: "\n\n").trimming { $0 == "\n" }
        for (key, value) in trailers {
            if TrailerKey.matches(key, TrailerKey.severity) { parsed.severity = Severity(rawValue: value) }
            else if TrailerKey.matches(key, TrailerKey.env) { parsed.environment = value }
            else if TrailerKey.matches(key, TrailerKey.tier) { parsed.tiers.append(value) }
        }
        return parsed
    }

    /// The paragraphs of `message`: `message.split(separator: "\n\n")` without empty pieces,
    /// but scanning the contiguous UTF-8 bytes (the generic substring search, and then stepping
    /// `String.UTF8View` indices, took most of the time of listing 10,000 points). As in the
    /// Character-wise split, a "\n" that ends a "\r\n" is not a line feed of its own.
    static func paragraphs(_ message: String) -> [Substring] {
        var contiguous = message
        let ranges: [Range<Int>] = contiguous.withUTF8 { bytes in
            var ranges: [Range<Int>] = []
            var start = 0, index = 0
            var previous: UInt8 = 0
            while index < bytes.count {
                let byte = bytes[index]
                if byte == 0x0a, previous != 0x0d, index + 1 < bytes.count, bytes[index + 1] == 0x0a {
                    if start != index { ranges.append(start..<index) }
                    index += 2
                    start = index
                    previous = 0x0a
                    continue
                }
                previous = byte
                index += 1
            }
            if start != bytes.count { ranges.append(start..<bytes.count) }
            return ranges
        }
        // Native strings are UTF-8, so offsetting a UTF-8 index is constant time.
        let utf8 = message.utf8
        return ranges.map { range in
            message[utf8.index(utf8.startIndex, offsetBy: range.lowerBound)..<utf8.index(utf8.startIndex, offsetBy: range.upperBound)]
        }
    }

    /// Whether `text` contains the ASCII `needle` ignoring ASCII case (trailer keys are
    /// case-insensitive), compared byte by byte.
    static func containsIgnoringASCIICase(_ text: Substring, _ needle: String) -> Bool {
        let pattern = needle.utf8.map(TrailerKey.asciiLowercase)
        // Native strings are contiguous UTF-8: search in place rather than copy into an array.
        if let found = text.utf8.withContiguousStorageIfAvailable({ contains($0, pattern) }) { return found }
        return Array(text.utf8).withUnsafeBufferPointer { contains($0, pattern) }
    }

    private static func contains(_ bytes: UnsafeBufferPointer<UInt8>, _ pattern: [UInt8]) -> Bool {
        guard let first = pattern.first else { return true }
        guard bytes.count >= pattern.count else { return false }
        for offset in 0...(bytes.count - pattern.count) where TrailerKey.asciiLowercase(bytes[offset]) == first {
            var matched = true
            for k in 1..<pattern.count where TrailerKey.asciiLowercase(bytes[offset + k]) != pattern[k] {
                matched = false
                break
            }
            if matched { return true }
        }
        return false
    }
}
