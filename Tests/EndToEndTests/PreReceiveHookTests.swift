import Testing
import TestSupport

/// hooks/pre-receive-timeturner installed in a bare repository served by `git daemon` on
/// 127.0.0.1: what sync does passes; deletions, forced rewrites and moved points are refused
/// with the hook's reason, and sync reports a refusal in the remote's words.
@Suite struct PreReceiveHookTests {
    static let hookPath: String = {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path + "/hooks/pre-receive-timeturner"
    }()

    @Test func syncPassesAndRewritesOrDeletionsOfTimeturnerRefsAreRefused() async throws {
        let repo = try await ScratchRepository()
        let first = try await repo.commit("release 1")
        let served = repo.siblingDirectory("served")
        let bare = served + "/guarded.git"
        try await repo.git("init", "-q", "--bare", "-b", "main", bare)
        try writeFile(bare + "/hooks/pre-receive", readFile(Self.hookPath) ?? [], mode: 0o755)
        try await GitDaemon.with(basePath: served, environment: repo.environment) { daemon in
            let url = daemon.url("guarded.git")
            try await repo.git("push", "-q", url, "main")
            #expect(try await repo.timeturner("point", "--name", "p1", "-m", "before").status == 0)
            #expect(try await repo.timeturner("good", "--env", "production").status == 0)
            let sync = try await repo.timeturner("sync", url)
            #expect(sync.status == 0, "\(sync)")
            // A second mark is a fast-forward: allowed.
            #expect(try await repo.timeturner("good", "--env", "staging").status == 0)
            let again = try await repo.timeturner("sync", url)
            #expect(again.status == 0 && again.stdout.contains("refs/timeturner/registry"), "\(again)")
            let before = try await repo.git("ls-remote", url, "refs/timeturner/*", "refs/notes/*")

            // Deleting the registry or a point.
            let delete = try await repo.gitResult(["push", url, ":refs/timeturner/registry"])
            #expect(delete.status != 0)
            #expect(delete.stderr.contains("remote: timeturner: refusing to delete refs/timeturner/registry"), "\(delete)")
            let deletePoint = try await repo.gitResult(["push", url, ":refs/timeturner/points/p1"])
            #expect(deletePoint.stderr.contains("refusing to delete refs/timeturner/points/p1"), "\(deletePoint)")

            // A forced rewrite of the registry (dropping the last mark) and of the notes.
            let rewrite = try await repo.gitResult(["push", "--force", url, "refs/timeturner/registry~1:refs/timeturner/registry"])
            #expect(rewrite.status != 0)
            #expect(rewrite.stderr.contains("refusing a non-fast-forward update of refs/timeturner/registry"), "\(rewrite)")

            // Moving an existing point, even to another tag of a descendant.
            let second = try await repo.commit("release 2")
            try await repo.git("tag", "-a", "-m", "moved", "scratch-tag", second)
            let move = try await repo.gitResult(["push", "--force", url, "refs/tags/scratch-tag:refs/timeturner/points/p1"])
            #expect(move.stderr.contains("refusing to move refs/timeturner/points/p1"), "\(move)")

            // Branches are not the hook's business.
            #expect(try await repo.gitResult(["push", "--force", url, "\(first):refs/heads/main"]).status == 0)
            #expect(try await repo.git("ls-remote", url, "refs/timeturner/*", "refs/notes/*") == before)

            // Sync against a remote whose registry was rewritten behind the hook's back still only
            // fast-forwards: it merges and pushes, and the hook lets that through.
            #expect(try await repo.timeturner("good", "--env", "qa").status == 0)
            let third = try await repo.timeturner("sync", url, "--json")
            #expect(third.status == 0, "\(third)")
        }
    }

    @Test func aMovedPointIsRefusedAndSyncKeepsItAsAConflictInstead() async throws {
        let repo = try await ScratchRepository()
        _ = try await repo.commit("release 1")
        let served = repo.siblingDirectory("served")
        let bare = served + "/guarded.git"
        try await repo.git("init", "-q", "--bare", "-b", "main", bare)
        try writeFile(bare + "/hooks/pre-receive", readFile(Self.hookPath) ?? [], mode: 0o755)
        try await GitDaemon.with(basePath: served, environment: repo.environment) { daemon in
            let url = daemon.url("guarded.git")
            #expect(try await repo.timeturner("point", "--name", "p1", "-m", "one").status == 0)
            #expect(try await repo.timeturner("sync", url).status == 0)
            // Someone replaces the point here (delete and re-create with the same name) and the
            // remote's copy is forgotten locally: sync offers the new object as a new point, and
            // the remote, which already has p1, refuses to move it.
            _ = try await repo.git("update-ref", "-d", "refs/timeturner/points/p1")
            _ = try await repo.commit("release 2")
            #expect(try await repo.timeturner("point", "--name", "p1", "-m", "two").status == 0)
            for ref in try await repo.git("for-each-ref", "--format=%(refname)", "refs/timeturner-remotes").lines {
                try await repo.git("update-ref", "-d", ref)
            }
            // Fetch would bring the remote's p1 back as a tracking copy and sync would then call
            // it a conflict; a fetch-free push is what a clone with a broken fetch config does.
            let push = try await repo.gitResult(["push", url, "+refs/timeturner/points/p1:refs/timeturner/points/p1"])
            #expect(push.status != 0)
            #expect(push.stderr.contains("remote: timeturner: refusing to move refs/timeturner/points/p1"), "\(push)")
            // Sync itself never offers that update: it reports the conflict and keeps this clone's.
            let sync = try await repo.timeturner("sync", url)
            #expect(sync.status == 0, "\(sync)")
            #expect(sync.stderr.contains("refs/timeturner/points/p1: here"), "\(sync)")
        }
    }
}
