import GitKit
import Testing
import TestSupport
@testable import TimeturnerCore

/// Scenario 28: two clones write to the same registry shard and both sync through one remote.
@Suite struct RemoteSyncTests {
    let ada = Attribution(name: "Ada Tester", email: "ada@example.com", time: Timestamp(secondsSinceEpoch: 1_795_000_000))
    let bob = Attribution(name: "Bob Tester", email: "bob@example.com", time: Timestamp(secondsSinceEpoch: 1_795_000_100))
    let shard = "marks/production/2026-11.jsonl"

    @Test func registryShardsMergeAsAUnionWithNothingLostOrDoubled() async throws {
        let first = try await ScratchRepository()
        let head = try await first.commit("deployed")
        let remote = first.siblingDirectory("remote.git")
        try await first.git("init", "-q", "--bare", remote)
        let secondPath = first.siblingDirectory("second") + "/clone"
        try await first.git("clone", "-q", remote, secondPath)

        let a = try Repository.open(path: first.path)
        let b = try Repository.open(path: secondPath)
        let git = TestGitProgram(environment: first.environment, directory: first.path)
        for index in 0..<3 {
            try RegistryLedger(repository: a).append([(shard, ["type": "good", "commit": .string(head), "n": .int(Int64(index))])],
                                                     message: "good \(index)", by: ada)
        }
        // A line somebody broke by hand: both clones must keep it byte for byte.
        let broken = Array("{\"type\":\"good\",\"commit\":\"trunc\n".utf8)
        try RegistryLedger(repository: b).append([(shard, ["type": "bad", "commit": .string(head), "n": 10])], message: "bad", by: bob)
        let bBefore = try #require(try RegistryLedger(repository: b).contents(ofShard: shard))
        try appendRawLine(broken, to: b)
        try RegistryLedger(repository: b).append([(shard, ["type": "good", "commit": .string(head), "n": 11])], message: "good", by: bob)

        let firstSync = try await RemoteSync(repository: a, git: git).sync(remote: remote, by: ada)
        #expect(firstSync.pushed.map(\.reference).contains(StorageLayout.registryRef))
        let secondSync = try await RemoteSync(repository: b, git: git).sync(remote: remote, by: bob)
        #expect(secondSync.registry == .merged(linesAdded: 3))
        let thirdSync = try await RemoteSync(repository: a, git: git).sync(remote: remote, by: ada)
        #expect(thirdSync.registry == .fastForwarded)
        #expect(thirdSync.pushed.isEmpty)

        for repository in [a, b] {
            let parsed = try RegistryLedger(repository: repository).events(inShard: shard)
            let ids = parsed.events.compactMap { $0["id"]?.stringValue }
            #expect(ids.count == 5 && Set(ids).count == 5, "\(parsed.events)")
            #expect(parsed.skipped.count == 1)
        }
        // The clone that wrote the broken line keeps its bytes as the prefix of the merged file.
        let merged = try #require(try RegistryLedger(repository: b).contents(ofShard: shard))
        #expect(Array(merged.prefix(bBefore.count + broken.count)) == bBefore + broken)
        #expect(try await first.git("rev-parse", StorageLayout.registryRef).trimmed
                == (try await first.git("--git-dir", remote, "rev-parse", StorageLayout.registryRef)).trimmed)

        // Syncing again changes nothing anywhere.
        let again = try await RemoteSync(repository: b, git: git).sync(remote: remote, by: bob)
        #expect(again.registry == .fastForwarded || again.registry == .unchanged)
        #expect(try RegistryLedger(repository: b).events(inShard: shard).events.count == 5)
        #expect(try await first.gitResult(["--git-dir", remote, "fsck", "--no-progress"]).status == 0)
        // The merge is an ordinary two-parent commit git reads.
        let parents = try await first.git("--git-dir", remote, "log", "-1", "--format=%P", StorageLayout.registryRef)
        #expect(parents.trimmed.split(separator: " ").count == 2)
    }

    /// Issue 12: a push the transport called a success but that the remote does not have is
    /// pushed again, and only reported once a fetch shows it there.
    @Test func aPushThatDidNotHappenIsPushedAgainAndNeverReported() async throws {
        let first = try await ScratchRepository()
        let head = try await first.commit("deployed")
        let remote = first.siblingDirectory("remote.git")
        try await first.git("init", "-q", "--bare", remote)
        let a = try Repository.open(path: first.path)
        try RegistryLedger(repository: a).append([(shard, ["type": "good", "commit": .string(head)])], message: "good", by: ada)
        let real = TestGitProgram(environment: first.environment, directory: first.path)

        let liesOnce = LyingGitProgram(real: real, lies: 1)
        let report = try await RemoteSync(repository: a, git: liesOnce).sync(remote: remote, by: ada)
        #expect(await liesOnce.pushes == 2, "the unconfirmed push was sent again")
        let local = try #require(try a.reference(StorageLayout.registryRef)?.target)
        #expect(report.pushed.contains(PushedUpdate(reference: StorageLayout.registryRef, value: local)))
        #expect(try await first.git("--git-dir", remote, "rev-parse", StorageLayout.registryRef).trimmed == local.hex)

        // A transport that never delivers: sync fails when its budget runs out, and says nothing was pushed.
        try RegistryLedger(repository: a).append([(shard, ["type": "bad", "commit": .string(head)])], message: "bad", by: ada)
        let alwaysLies = LyingGitProgram(real: real, lies: 1_000)
        let error = await #expect(throws: TimeturnerError.self) {
            _ = try await RemoteSync(repository: a, git: alwaysLies).sync(remote: remote, options: SyncOptions(timeout: .seconds(15)), by: ada)
        }
        #expect(error?.message.contains("did not finish within 15s") == true, "\(String(describing: error))")
        // How many rounds fit in 15 s depends on the machine's load; at least one push was tried.
        #expect(await alwaysLies.pushes >= 1)
        #expect(try await first.git("--git-dir", remote, "rev-parse", StorageLayout.registryRef).trimmed == local.hex)
    }

    @Test func porcelainVerdictsAndRacesAreReadAsGitWritesThem() {
        let porcelain = """
            To git://127.0.0.1:9418/app.git
            *\t1111111111111111111111111111111111111111:refs/timeturner/points/p1\t[new reference]
             \t2222222222222222222222222222222222222222:refs/notes/timeturner\tabc1234..def5678
            =\t3333333333333333333333333333333333333333:refs/timeturner/safety/s\t[up to date]
            !\t4444444444444444444444444444444444444444:refs/timeturner/registry\t[rejected] (fetch first)
            !\t5555555555555555555555555555555555555555:refs/timeturner/points/p2\t[remote rejected] (pre-receive hook declined)
            !\t6666666666666666666666666666666666666666:refs/timeturner/points/p3\t[remote rejected] (failed to update ref)
            Done
            """
        let statuses = PushStatus.parse(porcelain: porcelain)
        #expect(statuses.map(\.reference) == ["refs/timeturner/points/p1", "refs/notes/timeturner", "refs/timeturner/safety/s",
                                              "refs/timeturner/registry", "refs/timeturner/points/p2", "refs/timeturner/points/p3"])
        #expect(statuses[0].verdict == .accepted && statuses[1].verdict == .accepted && statuses[2].verdict == .upToDate)
        #expect(statuses[3].verdict == .rejected(reason: "fetch first", byRemote: false) && statuses[3].isRace)
        #expect(statuses[4].verdict == .rejected(reason: "pre-receive hook declined", byRemote: true) && !statuses[4].isRace)
        #expect(statuses[5].isRace, "another pusher's ref lock is momentary")
        #expect(RemoteRace.matches("error: cannot lock ref 'refs/timeturner/registry': Unable to create '/srv/app.git/refs/timeturner/registry.lock': File exists."))
        #expect(!RemoteRace.matches("fatal: Could not read from remote repository."))
        #expect(!RemoteRace.matches("git@host: Permission denied (publickey)."))
    }

    @Test func backoffGrowsWithFullJitterUpToItsCeiling() {
        // Attempt n waits a random time in 0...min(first × 2^(n-1), ceiling).
        for attempt in 1...12 {
            let bound = min(Swift.Duration.milliseconds(SyncBackoff.first.components.seconds * 1000
                                                        + SyncBackoff.first.components.attoseconds / 1_000_000_000_000_000) * (1 << (attempt - 1)),
                            SyncBackoff.ceiling)
            let waits = (0..<40).map { _ in
                var backoff = SyncBackoff()
                for _ in 1..<attempt { _ = backoff.nextWait() }
                return backoff.nextWait()
            }
            #expect(waits.allSatisfy { $0 >= .zero && $0 <= bound }, "attempt \(attempt): \(waits)")
            if attempt >= 6 { #expect(waits.contains { $0 > SyncBackoff.first * 4 }, "later waits spread wider") }
        }
    }

    @Test func lineUnionKeepsLocalBytesAndAddsOnlyNewLines() {
        let local = Array("a\nb\nbroken".utf8)
        let remote = Array("b\nc\na\nd\n".utf8)
        let merged = LineUnion.merge(local: local, remote: remote)
        #expect(String(decoding: merged.bytes, as: UTF8.self) == "a\nb\nbroken\nc\nd\n")
        #expect(merged.added == 2)
        #expect(LineUnion.merge(local: merged.bytes, remote: remote).added == 0)
    }

    @Test func trackingNamesStayOutOfTheToolsOwnNamespace() {
        let tracking = SyncTracking(remote: "git://127.0.0.1:9418/team/app.git")
        #expect(tracking.root == "refs/timeturner-remotes/git___127.0.0.1_9418_team_app.git/")
        #expect(Repository.isValidReferenceName(tracking.ref(for: .registry)))
        #expect(!tracking.root.hasPrefix(StorageLayout.namespace))
    }

    /// Appends raw bytes to the shard with plain objects, as a person editing the registry would.
    private func appendRawLine(_ bytes: [UInt8], to repository: Repository) throws {
        let head = try #require(try repository.reference(StorageLayout.registryRef)?.target)
        let commit = try repository.commit(head)
        let existing = try repository.blobContent(try #require(try repository.treeEntry(shard, in: commit.tree)))
        let blob = try repository.createBlob(existing + bytes)
        let tree = try repository.tree(commit.tree, settingBlobs: [(shard, blob)])
        let signature = Signature(name: "Hand Editor", email: "hand@example.com", time: 1_795_000_050)
        let next = try repository.createCommit(tree: tree, parents: [head], author: signature, committer: signature, message: "hand edit\n")
        try repository.setReference(StorageLayout.registryRef, to: next, expecting: head, logMessage: "hand edit")
    }
}
