import Testing
import TestSupport

/// Issue 12: once sync has brought another clone's journal in, `status` and a bare `undo` still
/// mean this clone's own last rollback; `history` lists both with their origin.
@Suite struct SyncCloneJournalTests {
    @Test func statusAndUndoReferToThisClonesRollbackAndHistoryShowsTheOrigin() async throws {
        let a = try await ScratchRepository()
        let first = try await a.commit("release 1", files: ["app.txt": "v1\n"])
        _ = try await a.commit("release 2", files: ["app.txt": "v2\n"])
        let bare = a.siblingDirectory("served") + "/app.git"
        try await a.git("init", "-q", "--bare", "-b", "main", bare)
        try await a.git("remote", "add", "origin", bare)
        try await a.git("push", "-q", "origin", "main")
        let b = a.siblingDirectory("second") + "/clone"
        try await a.git("clone", "-q", bare, b)

        let rollback = try await a.timeturner("rollback", "--to", first, "--yes", "--json")
        #expect(rollback.status == 0, "\(rollback)")
        let aClone = try #require(a.read(".git/timeturner/clone-id")).trimmed
        #expect(rollback.stdout.contains("\"clone\": \"\(aClone)\""), "\(rollback.stdout)")
        #expect(try await a.timeturner("sync").status == 0)
        let bSync = try await a.timeturner(["sync"], in: b)
        #expect(bSync.status == 0, "\(bSync)")

        // B has A's rollback in its journal, but it is not B's.
        let bStatus = try await a.timeturner(["status"], in: b)
        #expect(bStatus.status == 0 && bStatus.stdout.contains("No rollback recorded yet."), "\(bStatus)")
        let bStatusJSON = try await a.timeturner(["status", "--json"], in: b)
        #expect(!bStatusJSON.stdout.contains("lastRollback"), "\(bStatusJSON)")
        let bUndo = try await a.timeturner(["undo", "--yes"], in: b)
        #expect(bUndo.status == 1 && bUndo.stderr.contains("no rollback to undo"), "\(bUndo)")
        #expect(!bUndo.stderr.contains("moved since rollback"), "it must not pick A's rollback and refuse")
        let bHistory = try await a.timeturner(["history"], in: b)
        #expect(bHistory.stdout.contains("ORIGIN") && bHistory.stdout.contains(aClone), "\(bHistory)")
        #expect(!bHistory.stdout.contains("this clone"))

        // A still sees and undoes its own.
        let aStatus = try await a.timeturner("status")
        #expect(aStatus.stdout.contains("last rollback: ") && aStatus.stdout.contains("succeeded"), "\(aStatus)")
        #expect(try await a.timeturner("history").stdout.contains("this clone"))
        let aUndo = try await a.timeturner("undo", "--yes")
        #expect(aUndo.status == 0, "\(aUndo)")
        #expect(a.read("app.txt") == "v2\n")
    }
}
