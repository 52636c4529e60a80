import Testing
import TestSupport

/// `sync` against a real `git daemon` on 127.0.0.1: scenarios 28 (two clones, both push) and 29
/// (a remote that refuses the push).
@Suite struct SyncCommandTests {
    @Test func twoClonesExchangePointsAndMergeNotesOnTheSameCommit() async throws {
        let first = try await ScratchRepository()
        let head = try await first.commit("release 1")
        let served = first.siblingDirectory("served")
        try await first.git("init", "-q", "-b", "main", "--bare", served + "/shared.git")
        try await GitDaemon.with(basePath: served, environment: first.environment) { daemon in
            let url = daemon.url("shared.git")
            try await first.git("push", "-q", url, "main")
            let second = first.siblingDirectory("second") + "/clone"
            try await first.git("clone", "-q", url, second)

            #expect(try await first.timeturner("point", "--name", "from-first", "-m", "first clone").status == 0)
            let secondPoint = try await first.timeturner(["point", "--name", "from-second", "-m", "second clone"], in: second)
            #expect(secondPoint.status == 0, "\(secondPoint)")

            // Both clones mark in the same environment: the registry chains diverge.
            #expect(try await first.timeturner("good", "--env", "production", "--evidence", "first clone").status == 0)
            #expect(try await first.timeturner(["good", "--env", "production", "--evidence", "second clone"], in: second).status == 0)

            let one = try await first.timeturner("sync", url)
            #expect(one.status == 0, "\(one)")
            #expect(one.stdout.contains("refs/timeturner/points/from-first"))
            // The second clone's push would not be a fast-forward: sync merges the notes first.
            let two = try await first.timeturner(["sync", url], in: second)
            #expect(two.status == 0, "\(two)")
            #expect(two.stdout.contains("notes:      merged (1 line from the remote)"), "\(two.stdout)")
            #expect(two.stdout.contains("registry:   merged (1 line from the remote)"), "\(two.stdout)")
            let three = try await first.timeturner("sync", url, "--json")
            #expect(three.status == 0, "\(three)")
            #expect(three.stdout.contains("\"pushed\": []"))

            for directory in [first.path, second] {
                let points = try await runProcess("git", ["for-each-ref", "--format=%(refname:lstrip=3)", "refs/timeturner/points"],
                                                  environment: first.environment, in: directory)
                #expect(points.stdout.lines.sorted() == ["from-first", "from-second"])
                let note = try await runProcess("git", ["notes", "--ref=timeturner", "show", head], environment: first.environment, in: directory)
                #expect(note.stdout.lines.count == 2, "\(note)")
                #expect(note.stdout.contains("\"id\":\"from-first\"") && note.stdout.contains("\"id\":\"from-second\""))
                let log = try await runProcess("git", ["log", "--notes=timeturner", "-1", "--format=%N", head],
                                               environment: first.environment, in: directory)
                #expect(log.stdout.lines.count == 2)
                let marks = try await first.timeturner(["registry", "list", "--env", "production", "--json"], in: directory)
                #expect(marks.stdout.lines.filter { $0.contains("\"type\": \"good\"") }.count == 2, "\(marks)")
                #expect(marks.stdout.contains("first clone") && marks.stdout.contains("second clone"))
                #expect(try await runProcess("git", ["fsck", "--no-progress"], environment: first.environment, in: directory).status == 0)
            }
            let remoteRefs = try await first.git("ls-remote", url, "refs/timeturner/points/*", "refs/notes/*")
            // Two points (each with its peeled ^{} line, being annotated tags), the registry and the notes.
            #expect(remoteRefs.lines.count == 5, "\(remoteRefs)")
            // Fetched copies live outside refs/timeturner/, and no tag was created by the fetch.
            #expect(try await first.git("for-each-ref", "refs/timeturner-remotes").lines.count == 4)
            #expect(try await first.git("tag", "--list").isEmpty)
        }
    }

    @Test func aRefusedPushFailsWithTheRemotesReasonAndKeepsEverythingLocal() async throws {
        let repo = try await ScratchRepository()
        _ = try await repo.commit("release 1")
        let served = repo.siblingDirectory("served")
        let bare = served + "/guarded.git"
        try await repo.git("init", "-q", "--bare", bare)
        try writeFile(bare + "/hooks/pre-receive", Array("""
            #!/bin/sh
            while read old new ref; do
              case "$ref" in refs/timeturner/*) echo "timeturner refs are protected on this server" >&2; exit 1;; esac
            done
            """.utf8), mode: 0o755)
        try await GitDaemon.with(basePath: served, environment: repo.environment) { daemon in
            _ = try await repo.timeturner("point", "--name", "keep-me", "-m", "must survive")
            let result = try await repo.timeturner("sync", daemon.url("guarded.git"))
            #expect(result.status == 1, "\(result)")
            #expect(result.stderr.contains("error: the remote"))
            #expect(result.stderr.contains("pre-receive hook declined"))
            // The hook's own words travel on git's side band next to the status report. Once, with
            // two full test runs at once on 2 cores, they did not arrive; the refusal itself (the
            // status report above) always does. So: when the message arrives it must be shown as
            // the remote's, and nothing else from the side band may be passed off as ours.
            let remoteLines = result.stderr.lines.filter { $0.contains("protected on this server") }
            #expect(remoteLines.allSatisfy { $0 == "caused by: remote: timeturner refs are protected on this server" }, "\(result)")
            #expect(result.stderr.contains("hint: "))
            #expect(try await repo.git("rev-parse", "--verify", "-q", "refs/timeturner/points/keep-me").isEmpty == false)
            #expect(try await repo.git("ls-remote", daemon.url("guarded.git")).trimmed.isEmpty)
        }
    }

    @Test func withoutARemoteItSaysWhatToDo() async throws {
        let repo = try await ScratchRepository()
        _ = try await repo.commit("one")
        let result = try await repo.timeturner("sync")
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.contains("no remote to sync with"))
        #expect(result.stderr.contains("hint: "))
        let bogus = try await repo.timeturner("sync", repo.siblingDirectory("nothing-here"))
        #expect(bogus.status == 1)
        #expect(bogus.stderr.contains("could not fetch"))
        let badBudget = try await repo.timeturner("sync", repo.path, "--timeout", "soon")
        #expect(badBudget.status == 64 && badBudget.stderr.contains("--timeout 'soon' is not a duration"), "\(badBudget)")
        let dash = try await repo.timeturner("sync", "--", "--upload-pack=touch /tmp/x")
        #expect(dash.status == 64 && dash.stderr.contains("cannot be empty or start with '-'"), "\(dash)")
        try await repo.git("config", "timeturner.sync.publish", "sometimes")
        let badPublish = try await repo.timeturner("sync", repo.path)
        #expect(badPublish.status == 64 && badPublish.stderr.contains("timeturner.sync.publish 'sometimes'"), "\(badPublish)")
    }
}
