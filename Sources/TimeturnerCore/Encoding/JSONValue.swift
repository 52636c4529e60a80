internal import GitKit

/// A JSON value that keeps every field, known or not, so nothing read is lost.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public subscript(key: String) -> JSONValue? {
        if case .object(let fields) = self { return fields[key] }
        return nil
    }

    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    public var intValue: Int64? {
        switch self {
        case .int(let i): i
        case .double(let d) where d.rounded() == d && abs(d) < 9e15: Int64(d)
        default: nil
        }
    }
    /// A number of either kind (a value journaled as 2.0 may read back as the integer 2).
    public var doubleValue: Double? {
        switch self {
        case .double(let d): d
        case .int(let i): Double(i)
        default: nil
        }
    }
    public var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    public var objectValue: [String: JSONValue]? { if case .object(let o) = self { o } else { nil } }
}

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        // A `Decoder` cannot be asked what kind of value comes next, only told to try one, and
        // each wrong guess throws (an error built with its coding path). So the likeliest kinds
        // go first: strings and objects are most of what the tool reads. The integer is tried
        // before the double so `2` reads as `.int`.
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let s = try? container.decode(String.self) { self = .string(s) }
        else if let o = try? container.decode([String: JSONValue].self) { self = .object(o) }
        else if let i = try? container.decode(Int64.self) { self = .int(i) }
        else if let d = try? container.decode(Double.self) { self = .double(d) }
        else if let b = try? container.decode(Bool.self) { self = .bool(b) }
        else { self = .array(try container.decode([JSONValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let b): try container.encode(b)
        case .int(let i): try container.encode(i)
        case .double(let d): try container.encode(d)
        case .string(let s): try container.encode(s)
        case .array(let a): try container.encode(a)
        case .object(let o): try container.encode(o)
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

extension JSONValue {
    /// The canonical one-line form written to notes and the registry: `"type"` first, every other
    /// key sorted, no insignificant white space, non-ASCII kept as UTF-8. Stable output makes
    /// `git notes merge -s cat_sort_uniq` and line-wise unions deduplicate identical events.
    public var canonicalLine: String {
        let out = JSONOutput()
        write(to: out, typeFirst: true)
        return out.string
    }

    /// Pretty, human-diffable output for `--json`: two-space indent, sorted keys.
    public func pretty(indent: Int = 0) -> String {
        let out = JSONOutput()
        writePretty(to: out, indent: indent)
        return out.string
    }

    private func writePretty(to out: JSONOutput, indent: Int) {
        switch self {
        case .array(let items):
            if items.isEmpty { out.append("[]"); return }
            out.append("[\n")
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(",\n") }
                out.indent(indent + 1)
                item.writePretty(to: out, indent: indent + 1)
            }
            out.append("\n")
            out.indent(indent)
            out.append("]")
        case .object(let fields):
            if fields.isEmpty { out.append("{}"); return }
            out.append("{\n")
            for (index, key) in fields.keys.sorted().enumerated() {
                if index > 0 { out.append(",\n") }
                out.indent(indent + 1)
                JSONValue.writeString(key, to: out)
                out.append(": ")
                fields[key]!.writePretty(to: out, indent: indent + 1)
            }
            out.append("\n")
            out.indent(indent)
            out.append("}")
        default:
            write(to: out, typeFirst: false)
        }
    }

    private func write(to out: JSONOutput, typeFirst: Bool) {
        switch self {
        case .null: out.append("null")
        case .bool(let b): out.append(b ? "true" : "false")
        case .int(let i): out.append(string: String(i))
        case .double(let d): if d.isFinite { out.append(string: String(d)) } else { out.append("null") }
        case .string(let s): JSONValue.writeString(s, to: out)
        case .array(let items):
            out.append("[")
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(",") }
                item.write(to: out, typeFirst: false)
            }
            out.append("]")
        case .object(let fields):
            var keys = fields.keys.sorted()
            if typeFirst, let index = keys.firstIndex(of: "type") { keys.insert(keys.remove(at: index), at: 0) }
            out.append("{")
            for (index, key) in keys.enumerated() {
                if index > 0 { out.append(",") }
                JSONValue.writeString(key, to: out)
                out.append(":")
                fields[key]!.write(to: out, typeFirst: false)
            }
            out.append("}")
        }
    }

    static func writeString(_ s: String, to out: JSONOutput) {
        out.append("\"")
        // Most strings need no escaping at all: copy their bytes whole. The check is
        // conservative: every string with a byte below 0x20, '"', '\\', DEL, or the lead byte of
        // a C1 control (0xC2) or of U+2028/U+2029 (0xE2) takes the scalar-by-scalar path below.
        var s = s
        let plain = s.withUTF8 { bytes in
            // Printable ASCII other than '"' and '\\' is one subtraction and three comparisons.
            for byte in bytes where (byte &- 0x20) > 0x5e || byte == 0x22 || byte == 0x5c {
                if byte < 0x80 || byte == 0xc2 || byte == 0xe2 { return false }
            }
            out.append(bytes: bytes)
            return true
        }
        if plain {
            out.append("\"")
            return
        }
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            case _ where scalar.value < 0x20 || scalar.value == 0x7f || (0x80..<0xa0).contains(scalar.value)
                || scalar.value == 0x2028 || scalar.value == 0x2029:
                // Control characters are always escaped, so a line can never carry a raw
                // terminal escape sequence or a line break.
                let hex = String(scalar.value, radix: 16)
                out.append(string: "\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
            default: out.append(scalar: scalar)
            }
        }
        out.append("\"")
    }
}

/// The bytes of JSON being written, in a buffer of its own. Appending UTF-8 bytes is several times
/// cheaper than growing a `String` piece by piece (`points --json` over 10,000 points once spent
/// a quarter of its time doing that), and copying into a plain buffer is cheaper again than
/// `[UInt8].append(contentsOf:)`, whose generic path cost ~90 instructions for each of the ~30
/// pieces a listed point is written in.
///
/// A class, so that the buffer is freed once; it is only ever used by one writer at a time.
final class JSONOutput {
    private var base: UnsafeMutablePointer<UInt8>
    private var count = 0
    private var capacity: Int

    init() {
        capacity = 256
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    func reserveCapacity(_ wanted: Int) {
        if wanted > capacity { grow(to: wanted) }
    }

    private func grow(to wanted: Int) {
        let newCapacity = max(wanted, capacity * 2)
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.initialize(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    @inline(__always) private func makeRoom(_ extra: Int) {
        if count + extra > capacity { grow(to: count + extra) }
    }

    /// The UTF-8 of a whole string (callers pass `String.withUTF8`'s buffer).
    func append(bytes utf8: UnsafeBufferPointer<UInt8>) {
        guard let source = utf8.baseAddress, !utf8.isEmpty else { return }
        makeRoom(utf8.count)
        (base + count).initialize(from: source, count: utf8.count)
        count += utf8.count
    }

    /// A literal, which is what most pieces are. (A one-scalar literal can come without a pointer.)
    func append(_ text: StaticString) {
        if text.hasPointerRepresentation {
            append(bytes: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        } else {
            append(scalar: text.unicodeScalar)
        }
    }

    /// A string made at run time (numbers, escapes). Named apart from `append(_: StaticString)`
    /// so that literals do not go through `String`.
    func append(string text: String) {
        var text = text
        text.withUTF8 { append(bytes: $0) }
    }

    /// Always valid UTF-8, for the same reason as `string`.
    var utf8Bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// `"<40 hex digits>"`, without making a `String` of them first (two per listed point).
    func appendQuotedHex(_ id: OID) {
        makeRoom(42)
        var at = base + count
        at.pointee = 0x22
        id.withUnsafeBytes { bytes in
            for byte in bytes {
                at[1] = OID.hexDigit(byte >> 4)
                at[2] = OID.hexDigit(byte & 0xf)
                at += 2
            }
        }
        at[1] = 0x22
        count += 42
    }

    func append(scalar: Unicode.Scalar) {
        let encoded = UTF8.encode(scalar)!
        makeRoom(encoded.count)
        for byte in encoded {
            base[count] = byte
            count += 1
        }
    }

    func indent(_ level: Int) {
        makeRoom(2 * level)
        (base + count).initialize(repeating: 0x20, count: 2 * level)
        count += 2 * level
    }

    /// Always valid UTF-8: only whole strings and whole scalars were appended.
    var string: String { String(decoding: UnsafeBufferPointer(start: base, count: count), as: UTF8.self) }
}
