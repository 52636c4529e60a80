import Testing
@testable import TimeturnerCore
import GitKit

/// The error report prints `error:`, then the `caused by:` lines, then `hint:` (docs/exit-codes.md),
/// so a hint may only point up at causes that are there (issue 9, item 14: "see the cause below"
/// was printed below the cause).
@Suite struct OperationOutcomeHintTests {
    func result(_ error: TimeturnerError) -> OperationResult {
        OperationResult(operation: "rollback", outcome: .failedRestored(StepFailure(step: .updateWorkTree, error: error)),
                        event: nil, safetyRef: "refs/timeturner/safety/x", from: .zero)
    }

    @Test func aFailedAndRestoredOperationPointsUpAtItsCause() throws {
        let error = try #require(result(TimeturnerError(.failure, "could not update the work tree", causes: ["checkout: disk full"])).error)
        #expect(error.causes == ["checkout: disk full"])
        #expect(error.hint == "see the cause above; nothing was lost")
        #expect(error.message.hasSuffix("; the state before the rollback was restored"))
    }

    @Test func withoutACauseTheStepsOwnHintIsKept() throws {
        let step = TimeturnerError(.failure, "could not update the work tree", hint: "free some space, then run it again")
        let error = try #require(result(step).error)
        #expect(error.hint == "free some space, then run it again; nothing was lost")
        #expect(!(error.hint ?? "").contains("cause"))
    }
}
