internal import Glibc
import GitKit
import TimeturnerCore

/// Where the CLI writes. Everything that came from a repository (tag messages, notes, names)
/// goes through `escaped` first, so a crafted message cannot drive the user's terminal.
struct Terminal {
    let colour: Bool

    init(environment: [String: String]) {
        // Colour only for a person at a terminal unless color.ui / timeturner.color say otherwise,
        // and never when NO_COLOR is set (ColourChoice). The configuration is read only when it
        // can change the answer: not under NO_COLOR.
        let noColour = environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        let setting = noColour ? nil : (try? Repository.open(path: nil)).flatMap(ColourChoice.setting(in:))
        colour = ColourChoice.decide(environment: environment, isTerminal: isatty(STDERR_FILENO) == 1, setting: setting)
    }

    func out(_ text: String) {
        print(text)
    }

    /// Large output already encoded (`points --json`): handed to the kernel whole, after
    /// anything still buffered in stdout, instead of through `print`'s buffer.
    func out(bytes: [UInt8]) {
        fflush(nil)
        Terminal.writeAll(bytes, to: STDOUT_FILENO)
    }

    /// Unbuffered, after flushing stdout, so the two streams interleave in the order written.
    func err(_ text: String, newline: Bool = true) {
        fflush(nil)
        Terminal.writeAll(Array((newline ? text + "\n" : text).utf8), to: STDERR_FILENO)
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { break }
                offset += written
            }
        }
    }

    func warning(_ text: String) {
        err(paint("warning:", .yellow) + " " + Terminal.escaped(text))
    }

    enum Colour: String { case red = "31", yellow = "33", green = "32", dim = "2", bold = "1" }

    func paint(_ text: String, _ colour: Colour) -> String {
        self.colour ? "\u{1b}[\(colour.rawValue)m\(text)\u{1b}[0m" : text
    }

    /// Control characters as visible escapes (`\e`, `\x07`, `\u{9b}`); line breaks and tabs kept
    /// only when `multiline` is true.
    static func escaped(_ text: String, multiline: Bool = false) -> String {
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
            case 0x80..<0xa0, 0x2028, 0x2029, 0x202a...0x202e, 0x2066...0x2069:
                // C1 controls and bidirectional overrides can also reorder or hide text.
                out += "\\u{" + hex(scalar.value, width: 2) + "}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
