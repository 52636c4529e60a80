internal import FoundationEssentials

/// One line of a JSON Lines document that could not be used, and why.
public struct SkippedLine: Sendable, Equatable, CustomStringConvertible {
    /// Where the line lives, for people: `refs/timeturner/registry:marks/production/2026-11.jsonl`.
    public let source: String
    public let lineNumber: Int
    public let reason: String

    public var description: String { "\(source):\(lineNumber): \(reason); line skipped (kept as is)" }
}

/// Reading the JSON Lines documents the tool keeps in notes and in the registry.
///
/// Reading is forgiving and never destructive: a line that is not a JSON object (truncated, not
/// JSON, NUL bytes, invalid UTF-8) is reported as a `SkippedLine` and left where it is. Writers
/// only ever append bytes after the existing ones, so a bad line survives every later write.
public enum JSONLines {
    public static func parse(_ bytes: [UInt8], source: String) -> (objects: [JSONValue], skipped: [SkippedLine]) {
        let numbered = parseNumbered(bytes, source: source)
        return (numbered.objects.map(\.value), numbered.skipped)
    }

    /// Like `parse`, with each object's 1-based line number, for callers that check the objects
    /// further and must say where a line they reject is.
    public static func parseNumbered(_ bytes: [UInt8], source: String) -> (objects: [(lineNumber: Int, value: JSONValue)], skipped: [SkippedLine]) {
        var objects: [(lineNumber: Int, value: JSONValue)] = []
        var skipped: [SkippedLine] = []
        let decoder = JSONDecoder()
        var lineNumber = 0
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            var slice = line
            if slice.last == UInt8(ascii: "\r") { slice = slice.dropLast() }
            if slice.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { continue }
            if slice.contains(0) {
                skipped.append(SkippedLine(source: source, lineNumber: lineNumber, reason: "contains a NUL byte"))
                continue
            }
            guard String(validating: slice, as: UTF8.self) != nil else {
                skipped.append(SkippedLine(source: source, lineNumber: lineNumber, reason: "is not valid UTF-8"))
                continue
            }
            guard let value = try? decoder.decode(JSONValue.self, from: Data(slice)) else {
                skipped.append(SkippedLine(source: source, lineNumber: lineNumber, reason: "is not valid JSON (truncated or corrupt)"))
                continue
            }
            guard case .object = value else {
                skipped.append(SkippedLine(source: source, lineNumber: lineNumber, reason: "is JSON but not an object"))
                continue
            }
            objects.append((lineNumber, value))
        }
        return (objects, skipped)
    }

    public static func parse(_ text: String, source: String) -> (objects: [JSONValue], skipped: [SkippedLine]) {
        parse(Array(text.utf8), source: source)
    }
}

extension JSONValue {
    /// Parses one complete JSON document (any layout), or nil when it is not valid JSON.
    public static func parseDocument(_ bytes: [UInt8]) -> JSONValue? {
        guard String(validating: bytes, as: UTF8.self) != nil else { return nil }
        return try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }
}
