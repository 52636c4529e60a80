import Foundation
import Testing
import TestSupport
internal import Glibc

/// Undo and recover cover every tier a rollback changed, from the captures of their state
/// taken before it (recorded in the journal event and in state.json), not only the code.
@Suite struct TieredUndoAndRecoveryTests {
    /// A deploy tier whose state is the file `deployed` (ignored by git), run by the built-in
    /// command executor from the user's own git config (no trust needed): v1 is deployed at the
    /// point, v2 afterwards.
    func deployedV2() async throws -> ScratchRepository {
        let repo = try await ScratchRepository()
        try await repo.git("config", "timeturner.tier.deploy.executor", "command")
        try await repo.git("config", "timeturner.tier.deploy.capture", "cat deployed")
        try await repo.git("config", "timeturner.tier.deploy.rollback", #"printf '%s\n' "$TIMETURNER_CAPTURE" > deployed"#)
        try await repo.git("config", "timeturner.tier.deploy.verify", "test -s deployed")
        try repo.write("deployed", "v1\n")
        try await repo.commit("v1", files: ["app.txt": "v1\n", ".gitignore": "deployed\n"])
        #expect(try await repo.timeturner("point", "--name", "p1", "-m", "v1 deployed").status == 0)
        try await repo.commit("v2", files: ["app.txt": "v2\n"])
        try repo.write("deployed", "v2\n")
        return repo
    }

    @Test func undoAfterALevelOneRollbackPutsEveryTierBack() async throws {
        let repo = try await deployedV2()
        let before = try await repo.fingerprint()
        let rollback = try await repo.timeturner("rollback", "--to", "p1", "--level", "1", "--yes", "--json")
        #expect(rollback.status == 0, "\(rollback)")
        #expect(repo.read("deployed") == "v1\n" && repo.read("app.txt") == "v1\n")
        let event = try #require(try JSONSerialization.jsonObject(with: Data(rollback.stdout.utf8)) as? [String: Any])
        let captures = try #require(event["captures"] as? [[String: Any]])
        #expect(captures.map { $0["tier"] as? String } == ["deploy"])
        #expect((captures[0]["capture"] as? [String: Any])?["output"] as? String == "v2")

        let dry = try await repo.timeturner("undo", "--dry-run")
        #expect(dry.status == 0 && dry.stdout.contains("deploy: command rollback to its state before the rollback") && dry.stdout.contains("would run: "), "\(dry)")
        let undo = try await repo.timeturner("undo", "--yes", "--json")
        #expect(undo.status == 0, "\(undo)")
        #expect(repo.read("deployed") == "v2\n", "the deploy tier stayed rolled back")
        #expect(try await repo.fingerprint() == before)
        let undoEvent = try #require(try JSONSerialization.jsonObject(with: Data(undo.stdout.utf8)) as? [String: Any])
        #expect(undoEvent["type"] as? String == "undo" && undoEvent["undoes"] as? String == event["id"] as? String)
        #expect((undoEvent["tiers"] as? [[String: Any]])?.map { $0["tier"] as? String } == ["code", "deploy"])
    }

    @Test func undoWithCodeOnlyLeavesTheTiersAndSaysSo() async throws {
        let repo = try await deployedV2()
        #expect(try await repo.timeturner("rollback", "--to", "p1", "--level", "1", "--yes").status == 0)
        let undo = try await repo.timeturner("undo", "--code-only", "--yes")
        #expect(undo.status == 0, "\(undo)")
        #expect(undo.stderr.contains("also rolled back deploy; with --code-only the undo leaves them as they are now"), "\(undo)")
        #expect(repo.read("app.txt") == "v2\n" && repo.read("deployed") == "v1\n")
    }

    @Test func anUndoWhoseTierFailsRestoresTheUndoItself() async throws {
        let repo = try await deployedV2()
        #expect(try await repo.timeturner("rollback", "--to", "p1", "--level", "1", "--yes").status == 0)
        let afterRollback = try await repo.fingerprint()
        // From now on the deploy tier refuses to go back to v2 (but can return to v1).
        try await repo.git("config", "timeturner.tier.deploy.rollback",
                           #"if [ "$TIMETURNER_CAPTURE" = v2 ]; then echo v2 is gone >&2; exit 3; fi; printf '%s\n' "$TIMETURNER_CAPTURE" > deployed"#)
        let undo = try await repo.timeturner("undo", "--yes")
        #expect(undo.status == 5, "\(undo)")
        #expect(undo.stderr.contains("the deploy tier failed") && undo.stderr.contains("the state before the undo was restored"), "\(undo)")
        #expect(try await repo.fingerprint() == afterRollback)
        #expect(repo.read("deployed") == "v1\n")
    }

    @Test func recoverAfterAKillRestoresTheTiersAndTheCode() async throws {
        let repo = try await deployedV2()
        let before = try await repo.fingerprint()
        let status = try await repo.timeturnerPaused(["rollback", "--to", "p1", "--level", "1", "--verify", "true", "--yes"],
                                                     before: "verify") { pid, _ in
            kill(pid, SIGKILL)
        }
        #expect(status == 128 + SIGKILL)
        #expect(repo.read("deployed") == "v1\n" && repo.read("app.txt") == "v1\n")
        let state = try #require(repo.read(".git/timeturner/state.jsonl"))
        #expect(state.contains("\"changedTiers\":[\"deploy\""), "\(state)")

        let recover = try await repo.timeturner("recover", "--yes", "--json")
        #expect(recover.status == 0 && recover.stdout.contains("\"action\": \"restored\""), "\(recover)")
        #expect(repo.read("deployed") == "v2\n")
        #expect(try await repo.fingerprint() == before)
        let history = try await repo.timeturner("history", "--json")
        #expect(history.stdout.contains("interrupted-restored"), "\(history)")
    }

    @Test func recoverWithoutTheTiersExecutorRefusesAndKeepsTheState() async throws {
        let repo = try await deployedV2()
        _ = try await repo.timeturnerPaused(["rollback", "--to", "p1", "--level", "1", "--verify", "true", "--yes"], before: "verify") { pid, _ in
            kill(pid, SIGKILL)
        }
        try await repo.git("config", "--unset", "timeturner.tier.deploy.executor")
        let recover = try await repo.timeturner("recover", "--yes")
        #expect(recover.status == 3 && recover.stderr.contains("the deploy tier must be restored with the command executor"), "\(recover)")
        #expect(repo.exists(".git/timeturner/state.jsonl"))
        #expect(repo.read("app.txt") == "v1\n", "recover changed the code though it refused")
    }
}
