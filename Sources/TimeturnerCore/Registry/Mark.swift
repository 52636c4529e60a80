public import GitKit

/// What a mark says about a commit in one environment.
public enum MarkVerdict: String, Sendable, CaseIterable {
    case good, bad

    /// The event field that carries the why: evidence for a good mark, the reason for a bad one.
    public var noteField: String { self == .good ? "evidence" : "reason" }
}

/// One good or bad mark, read from a line of `marks/<env>/<YYYY-MM>.jsonl`.
public struct Mark: Sendable, Equatable {
    public let id: String
    public let verdict: MarkVerdict
    public let commit: OID
    public let env: String
    public let at: Timestamp
    public let by: String
    /// The evidence (good) or reason (bad), if any.
    public let note: String?
    /// False only for marks imported from a list that said `"verified": false`; such marks are
    /// listed but never chosen by `last-good`.
    public let verified: Bool
    /// The whole event as stored, unknown fields included.
    public let event: JSONValue
    /// Where it lives: shard path and 1-based line number.
    public let shard: String
    public let line: Int

    /// The object printed by `--json`: the stored event plus where it lives.
    public var json: JSONValue {
        var fields = event.objectValue ?? [:]
        fields["env"] = .string(env)
        fields["commit"] = .string(commit.hex)
        // Line 0: just written, and the line number is not known without reading the shard again.
        fields["location"] = .string(RegistryLedger.source(of: shard) + (line > 0 ? ":\(line)" : ""))
        return .object(fields)
    }

    /// Reads a mark from an event, or says which field is wrong (the line is then skipped).
    static func parse(_ event: JSONValue, env: String, shard: String, line: Int) -> LineReading<Mark> {
        func skip(_ reason: String) -> LineReading<Mark> {
            .skipped(SkippedLine(source: RegistryLedger.source(of: shard), lineNumber: line, reason: reason))
        }
        guard let type = event["type"]?.stringValue else { return skip("has no string \"type\"") }
        guard let verdict = MarkVerdict(rawValue: type) else { return skip("has type \"\(type)\", not \"good\" or \"bad\"") }
        guard let hex = event["commit"]?.stringValue, let commit = OID(hex: hex) else {
            return skip("has no \"commit\" of 40 hex digits")
        }
        guard let id = event["id"]?.stringValue, !id.isEmpty else { return skip("has no string \"id\"") }
        guard let atText = event["at"]?.stringValue, let at = Timestamp(rfc3339: atText) else {
            return skip("has no RFC 3339 \"at\"")
        }
        guard let by = event["by"]?.stringValue else { return skip("has no string \"by\"") }
        let noteValue = event[verdict.noteField]
        if let noteValue, noteValue != .null, noteValue.stringValue == nil {
            return skip("has a \"\(verdict.noteField)\" that is not a string")
        }
        let verifiedValue = event["verified"]
        if let verifiedValue, verifiedValue != .null, verifiedValue.boolValue == nil {
            return skip("has a \"verified\" that is not true or false")
        }
        // The directory names the environment; an event that disagrees is still counted where it lives.
        return .read(Mark(id: id, verdict: verdict, commit: commit, env: env, at: at, by: by,
                             note: noteValue?.stringValue, verified: verifiedValue?.boolValue ?? true,
                             event: event, shard: shard, line: line))
    }
}

/// Reading a shard line by line, forwards or backwards, parsing only the lines actually looked at.
/// `last-good` reads from the end and usually stops after a few lines, so its cost does not
/// grow with the length of the month, let alone with the history.
struct ShardLines {
    let shard: String
    let bytes: [UInt8]
    /// Byte ranges of the lines (without the newline), in file order.
    let ranges: [Range<Int>]

    init(shard: String, bytes: [UInt8]) {
        self.shard = shard
        self.bytes = bytes
        var ranges: [Range<Int>] = []
        var start = 0
        bytes.withUnsafeBufferPointer { buffer in
            for index in 0..<buffer.count where buffer[index] == UInt8(ascii: "\n") {
                ranges.append(start..<index)
                start = index + 1
            }
        }
        if start < bytes.count { ranges.append(start..<bytes.count) }
        self.ranges = ranges
    }

    var count: Int { ranges.count }

    /// Whether line `index` (0-based) contains `needle` as bytes: a cheap filter before parsing.
    func line(_ index: Int, contains needle: [UInt8]) -> Bool {
        let range = ranges[index]
        guard range.count >= needle.count, let first = needle.first else { return false }
        var i = range.lowerBound
        while i + needle.count <= range.upperBound {
            if bytes[i] == first && bytes[i..<i + needle.count].elementsEqual(needle) { return true }
            i += 1
        }
        return false
    }

    /// Line indices ordered newest `at` first (later lines first within the same second).
    ///
    /// Lines the tool wrote start with `{"type":"good","at":"` (canonical form: type first, then
    /// sorted keys), so their time is read straight from the bytes; RFC 3339 UTC times of that fixed
    /// width sort as bytes. Only other lines (hand-written ones) are parsed to find their time. This
    /// keeps ordering a whole month cheap; full parsing then happens only for the lines looked at.
    func newestFirst() -> [Int] {
        var keys: [(key: ArraySlice<UInt8>, index: Int)] = []
        keys.reserveCapacity(ranges.count)
        for index in ranges.indices {
            keys.append((timeKey(of: index), index))
        }
        keys.sort { $0.key != $1.key ? $1.key.lexicographicallyPrecedes($0.key) : $0.index > $1.index }
        return keys.map(\.index)
    }

    private static let prefixes = ["{\"type\":\"good\",\"at\":\"", "{\"type\":\"bad\",\"at\":\""].map { Array($0.utf8) }
    private static let stampWidth = 20 // 2026-11-21T22:30:00Z

    private func timeKey(of index: Int) -> ArraySlice<UInt8> {
        let range = ranges[index]
        for prefix in ShardLines.prefixes where range.count > prefix.count + ShardLines.stampWidth
            && bytes[range.lowerBound..<range.lowerBound + prefix.count].elementsEqual(prefix) {
            let start = range.lowerBound + prefix.count
            if bytes[start + ShardLines.stampWidth] == UInt8(ascii: "\""), bytes[start + ShardLines.stampWidth - 1] == UInt8(ascii: "Z") {
                return bytes[start..<start + ShardLines.stampWidth]
            }
        }
        // Not in the tool's own form: parse it (unusable lines sort last and are reported when reached).
        guard case .read(let event) = event(at: index), let text = event["at"]?.stringValue,
              let at = Timestamp(rfc3339: text) else { return [] }
        return ArraySlice(Array(at.rfc3339.utf8))
    }

    /// Line `index` (0-based) as an event, nil for a blank line, or why it was skipped.
    func event(at index: Int) -> LineReading<JSONValue>? {
        let parsed = JSONLines.parse(Array(bytes[ranges[index]]), source: RegistryLedger.source(of: shard))
        if let skipped = parsed.skipped.first {
            return .skipped(SkippedLine(source: skipped.source, lineNumber: index + 1, reason: skipped.reason))
        }
        return parsed.objects.first.map { .read($0) }
    }
}

/// One line of a shard: what it says, or why it was skipped.
enum LineReading<Value> {
    case read(Value)
    case skipped(SkippedLine)
}
