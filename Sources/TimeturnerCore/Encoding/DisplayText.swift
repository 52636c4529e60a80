/// Text that did not come from us (tag messages, notes, names, executors' output) made safe to
/// show on a terminal or in a one-line commit subject: every character that could drive the
/// terminal, hide text or reorder it is replaced by a visible escape.
///
/// What is escaped, and how:
///
/// | characters | form |
/// | --- | --- |
/// | ESC, LF, CR, TAB | `\e`, `\n`, `\r`, `\t` (LF and TAB kept as they are with `multiline`) |
/// | other C0 controls (U+0000–U+001F), DEL (U+007F) | `\x` and two hex digits: `\x07` |
/// | C1 controls (U+0080–U+009F) | `\u{…}` with the scalar's hex value: `\u{9b}` |
/// | bidirectional controls: U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C | `\u{202e}` |
/// | every other format character (Unicode category Cf: U+200B–U+200D, U+2060, U+FEFF, U+00AD, tags…) | `\u{200b}` |
/// | line and paragraph separators U+2028, U+2029 | `\u{2028}` |
///
/// Bidirectional controls are what "Trojan Source" (CVE-2021-42574) uses to make a line read
/// differently from what it holds; zero-width and other format characters make two different
/// names look the same. Nothing else is changed: letters of every script, emoji and combining
/// marks are shown as they are (a zero-width joiner inside an emoji sequence is escaped too,
/// which is the price of never hiding one). Backslashes are not doubled: this is for a person
/// to read, not a reversible encoding; JSON output has its own (`JSONValue`).
public enum DisplayText {
    public static func escaped(_ text: String, multiline: Bool = false) -> String {
        // Most text is printable ASCII: hand it back without building a new string.
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0a where multiline, 0x09 where multiline: out.unicodeScalars.append(scalar)
            case 0x1b: out += "\\e"
            case 0x0a: out += "\\n"
            case 0x0d: out += "\\r"
            case 0x09: out += "\\t"
            case 0x00..<0x20, 0x7f: out += "\\x" + hex(scalar.value, width: 2)
            case _ where isInvisibleOrControl(scalar): out += "\\u{" + hex(scalar.value, width: 1) + "}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Whether `scalar` is escaped beyond the C0 controls and DEL: C1 controls, line and
    /// paragraph separators, and format characters, the bidirectional ones named explicitly so
    /// that they are escaped whatever Unicode version the standard library's tables follow.
    static func isInvisibleOrControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x80..<0xa0, 0x2028, 0x2029: return true
        case 0x202a...0x202e, 0x2066...0x2069, 0x200e, 0x200f, 0x061c: return true
        case 0x200b...0x200d, 0x2060, 0xfeff: return true
        default: return scalar.properties.generalCategory == .format
        }
    }

    private static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
