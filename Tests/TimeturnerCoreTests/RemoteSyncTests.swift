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
