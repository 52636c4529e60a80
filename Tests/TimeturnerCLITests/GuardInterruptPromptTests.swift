@testable import TimeturnerCLI
import Testing
import TimeturnerCore
internal import Glibc

/// The guard's Ctrl-C question stops waiting at the lock's deadline: after it, another operation
/// may take the lock as stale, so no answer may be acted on.
@Suite struct GuardInterruptPromptTests {
    /// Standard input that never gets a byte (a pipe held open): the read ends only because the
    /// deadline has passed, and says no answer.
    @Test func noAnswerBeforeTheDeadlineIsNoAnswer() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        let saved = dup(STDIN_FILENO)
        #expect(dup2(ends[0], STDIN_FILENO) == STDIN_FILENO)
        defer { dup2(saved, STDIN_FILENO); close(saved); close(ends[0]); close(ends[1]) }
        let soon = Timestamp(secondsSinceEpoch: Timestamp.now().secondsSinceEpoch + 1)
        let line = GuardInterruptPrompt.readLine(until: Interruption(), changesFrom: 0, deadline: soon)
        #expect(line == nil)
        #expect(Timestamp.now().secondsSinceEpoch >= soon.secondsSinceEpoch)
        // An answer typed before the deadline is read as before.
        _ = "c\n".withCString { write(ends[1], $0, 2) }
        let later = Timestamp(secondsSinceEpoch: Timestamp.now().secondsSinceEpoch + 60)
        #expect(GuardInterruptPrompt.readLine(until: Interruption(), changesFrom: 0, deadline: later) == "c")
    }
}
