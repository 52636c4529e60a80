internal import Dispatch
internal import Glibc
import GitKit
import TimeturnerCore

/// The question a guard asks on a terminal after Ctrl-C: roll back, keep the commit unverified,
/// or continue watching. Core asks through `DeployGuard.run(onInterrupt:)` and does no I/O.
///
/// The answer is read from standard input a byte at a time (never past the line, so a later
/// confirmation prompt reads its own), on a Dispatch worker rather than a Swift concurrency
/// thread. End of input, a read error, another signal while asking (Ctrl-C again), no answer
/// before the guard's lock deadline (after it, another operation may take the lock as stale) or
/// an answer that is none of the three all mean keep: the choice that changes nothing.
struct GuardInterruptPrompt: Sendable {
    let terminal: Terminal
    let interruption: Interruption
    let commit: String

    func ask(before deadline: Timestamp) async -> GuardInterruptChoice {
        terminal.err("")
        terminal.err("Ctrl-C: (r)oll back to last-good, (k)eep \(Terminal.escaped(commit)) unverified, or (c)ontinue watching? [r/k/c] ",
                     newline: false)
        let interruption = self.interruption
        let since = interruption.deliveries
        let line = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: Self.readLine(until: interruption, changesFrom: since, deadline: deadline))
            }
        }
        let late = Timestamp.now().secondsSinceEpoch >= deadline.secondsSinceEpoch
        let choice: GuardInterruptChoice = late ? .keepUnverified : Self.choice(for: line)
        switch choice {
        case .continueWatching: terminal.err("continuing to watch; the window ends when it would have")
        case .keepUnverified where late:
            terminal.err("the guard's deadline \(deadline.rfc3339) has passed: keeping \(Terminal.escaped(commit)) unverified")
        case .keepUnverified: terminal.err(line == nil ? "no answer: keeping \(Terminal.escaped(commit)) unverified" : "keeping \(Terminal.escaped(commit)) unverified")
        case .rollBack: terminal.err("marking \(Terminal.escaped(commit)) bad and rolling back to last-good")
        }
        return choice
    }

    static func choice(for line: String?) -> GuardInterruptChoice {
        switch line?.lowercased().trimming({ $0 == " " || $0 == "\t" || $0 == "\r" }) {
        case "r", "roll back", "rollback": .rollBack
        case "c", "continue": .continueWatching
        default: .keepUnverified
        }
    }

    /// One line from standard input, or nil at its end, on an error, once another signal has
    /// been delivered or once `deadline` has passed (polled every 100 ms: the signal may be taken
    /// by any thread).
    static func readLine(until interruption: Interruption, changesFrom deliveries: Int, deadline: Timestamp) -> String? {
        var bytes: [UInt8] = []
        while bytes.count < 256 {
            if interruption.deliveries != deliveries { return nil }
            if Timestamp.now().secondsSinceEpoch >= deadline.secondsSinceEpoch { return nil }
            var descriptor = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, 100)
            if ready < 0 && errno != EINTR { return nil }
            if ready <= 0 { continue }
            var byte: UInt8 = 0
            let count = read(STDIN_FILENO, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
            if byte == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte)
        }
        return nil
    }
}
