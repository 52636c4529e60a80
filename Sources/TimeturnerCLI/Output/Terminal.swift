@preconcurrency internal import Glibc
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
        errno = 0
        print(text)
        StandardOutput.checkStream()
    }

    /// Large output already encoded (`points --json`): handed to the kernel whole, after
    /// anything still buffered in stdout, instead of through `print`'s buffer.
    func out(bytes: [UInt8]) {
        StandardOutput.flush()
        Terminal.writeAll(bytes, to: STDOUT_FILENO)
    }

    /// Unbuffered, after flushing stdout, so the two streams interleave in the order written.
    func err(_ text: String, newline: Bool = true) {
        StandardOutput.flush()
        Terminal.writeAll(Array((newline ? text + "\n" : text).utf8), to: STDERR_FILENO)
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written <= 0 {
                    if descriptor == STDOUT_FILENO { StandardOutput.recordFailure(written < 0 ? errno : EIO) }
                    break
                }
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

/// Whether everything written to standard output reached it. A command whose output is its
/// result (`last-good --env prod > commit.txt`) must not exit 0 when the output was lost: a
/// full disk, an I/O error. Output goes through stdio (`print`) and through `write` (large JSON),
/// so the first failure of either is kept and checked once, at exit (`exitStatus`).
enum StandardOutput {
    private static let firstFailure = Mutex<Int32?>(nil)

    static func recordFailure(_ number: Int32) {
        firstFailure.withLock { if $0 == nil { $0 = number } }
    }

    /// Writes out what stdio holds for standard output, keeping the cause if that fails.
    static func flush() {
        errno = 0
        _ = fflush(stdout)
        checkStream()
    }

    /// Right after a write through stdio (errno cleared before it), whose failure sets the
    /// stream's error flag and errno to the write's own cause: EPIPE, ENOSPC, EIO.
    static func checkStream() {
        guard ferror(stdout) != 0 else { return }
        recordFailure(errno == 0 ? EIO : errno)
        clearerr(stdout)
    }

    /// The status to exit with, once standard output is flushed: `status` unless the output of
    /// a command that succeeded was lost, then 1 with the cause on stderr. A reader that went
    /// away (EPIPE: `| head`) is not a failure, as it is not for git: it asked for no more.
    static func exitStatus(after status: Int32, terminal: Terminal) -> Int32 {
        flush()
        guard let number = firstFailure.withLock({ $0 }), number != EPIPE, status == ExitStatus.success.rawValue else { return status }
        terminal.report(TimeturnerError(.failure, "could not write the output to standard output: \(String(cString: strerror(number)))",
                                        hint: "the command itself finished; check the free space and permissions of where its output goes, then run it again"))
        return ExitStatus.failure.rawValue
    }
}
