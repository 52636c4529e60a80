internal import Glibc
import GitKit
import Synchronization
import TimeturnerCore

/// Where the CLI writes. Everything that came from a repository (tag messages, notes, names)
/// goes through `escaped` first, so a crafted message cannot drive the user's terminal.
struct Terminal: Sendable {
    private let colourDecision: ColourDecision

    init(environment: [String: String]) {
        colourDecision = ColourDecision(environment: environment)
    }

    /// Colour only for a person at a terminal unless timeturner.color / color.ui say otherwise,
    /// and never when NO_COLOR is set (ColourChoice). Decided on the first coloured word, not at
    /// start-up: reading the configuration opens the repository and initialises libgit2, which
    /// --version, --help, argument errors and completion must not pay for.
    var colour: Bool { colourDecision.value }

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

    /// Control, bidirectional and other invisible characters as visible escapes (`\e`, `\x07`,
    /// `\u{202e}`; DisplayText documents the form); line breaks and tabs kept only when
    /// `multiline` is true.
    static func escaped(_ text: String, multiline: Bool = false) -> String {
        DisplayText.escaped(text, multiline: multiline)
    }
}

/// The colour decision, made once on first use and shared by every copy of the Terminal
/// (progress lines paint from another task).
private final class ColourDecision: Sendable {
    private let environment: [String: String]
    private let decided = Mutex<Bool?>(nil)

    init(environment: [String: String]) {
        self.environment = environment
    }

    var value: Bool {
        decided.withLock { decided in
            if let decided { return decided }
            let noColour = environment["NO_COLOR"].map { !$0.isEmpty } ?? false
            let setting = noColour ? nil : (try? Repository.open(path: nil)).flatMap(ColourChoice.setting(in:))
            let value = ColourChoice.decide(environment: environment, isTerminal: isatty(STDERR_FILENO) == 1, setting: setting)
            decided = value
            return value
        }
    }
}
