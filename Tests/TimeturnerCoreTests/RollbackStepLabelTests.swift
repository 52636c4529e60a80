import Testing
@testable import TimeturnerCore

/// `state.jsonl` records a plan's steps by label; what reads it back (the warning about damaged
/// records, which names the tiers whose steps may have run) gets the typed step again.
@Suite struct RollbackStepLabelTests {
    static let everyKind: [RollbackStep] = [
        .takeLock, .captureTier("db"), .writeSafetyBackup, .moveBranch, .updateWorkTree, .rollBackTier("deploy"),
        .verifyTier("config:eu"), .activate, .runVerification(0), .runVerification(11), .restoreFromSafetyBackup, .writeJournal,
    ]

    @Test(arguments: everyKind) func aLabelNamesItsStepAgain(_ step: RollbackStep) {
        #expect(RollbackStep(label: step.label) == step)
    }

    @Test func aLabelThisVersionDoesNotKnowNamesNoStep() {
        for label in ["", "tiers", "capture", "verify", "verify:0", "verify:x", "rollback", "snapshot:db", "lock:db", "work-tree:x"] {
            #expect(RollbackStep(label: label) == nil, "\(label)")
        }
    }

    @Test func onlyTheTierStepsActOnATier() {
        #expect(Self.everyKind.compactMap(\.tierActedOn) == ["deploy", "config:eu"])
    }
}
