import GitKit
import Glibc
import Testing
import TestSupport

/// Status, snapshots, tree comparison, checkout and in-memory reverts, each checked with git.
@Suite struct WorkTreeTests {
    @Test func statusSeparatesChangedUntrackedAndIgnored() async throws {
        let scratch = try await ScratchRepository()
        try await scratch.commit("one", files: ["a.txt": "a\n", "b.txt": "b\n", ".gitignore": "*.log\n"])
        try scratch.write("a.txt", "changed\n")
        try await scratch.git("rm", "-q", "b.txt")
        try scratch.write("dir/new.txt", "new\n")
        try scratch.write("build.log", "ignored\n")
        let status = try Repository.open(path: scratch.path).workTreeStatus()
        #expect(status.changed.sorted() == ["a.txt", "b.txt"])
        #expect(status.untracked == ["dir/new.txt"])
        #expect(status.conflicted.isEmpty && !status.isClean)
    }

    @Test func snapshotCapturesTheWorkTreeWithoutTouchingTheIndex() async throws {
        let scratch = try await ScratchRepository()
        try await scratch.commit("one", files: ["a.txt": "a\n", "gone.txt": "x\n"])
        try scratch.write("a.txt", "staged\n")
        try await scratch.git("add", "a.txt")
        try scratch.write("a.txt", "unstaged\n")
        _ = try await runProcess("rm", ["gone.txt"], environment: scratch.environment, in: scratch.path)
        try scratch.write("untracked.txt", "u\n", mode: 0o755)
        let indexBefore = try await scratch.git("ls-files", "-s", "--debug")
        let repository = try Repository.open(path: scratch.path)

        let index = try repository.indexTree()
        let work = try repository.workTreeSnapshotTree()
        #expect(try await scratch.git("show", "\(index.hex):a.txt") == "staged\n")
        #expect(try await scratch.git("show", "\(work.hex):a.txt") == "unstaged\n")
        #expect(try await scratch.git("ls-tree", work.hex).contains("100755 blob"))
        #expect(try await scratch.git("ls-tree", "--name-only", work.hex).lines == ["a.txt", "untracked.txt"])
        #expect(try await scratch.git("ls-files", "-s", "--debug") == indexBefore, "the index on disk is unchanged")
    }

    /// A change names the blob it ends with (as git does), and reading ahead reads what exists,
    /// skips what does not and stops at its budget; the checkout afterwards writes the same bytes.
    @Test func changesNameTheirBlobsAndReadingAheadOnlyReads() async throws {
        let scratch = try await ScratchRepository()
        let first = try await scratch.commit("one", files: ["a.txt": String(repeating: "a\n", count: 5000), "gone.txt": "g\n"])
        try await scratch.git("rm", "-q", "gone.txt")
        try await scratch.commit("two", files: ["a.txt": String(repeating: "b\n", count: 5000), "link": "x\n"])
        let repository = try Repository.open(path: scratch.path)
        let oldTree = try repository.commit(try #require(OID(hex: first))).tree
        let newTree = try repository.commit(try repository.headCommit()).tree
        let changes = try repository.changes(from: newTree, to: oldTree)
        #expect(changes.map(\.path) == ["a.txt", "gone.txt", "link"])
        #expect(changes[0].newID?.hex == (try await scratch.git("rev-parse", "\(first):a.txt")).trimmed)
        #expect(changes[1].newID?.hex == (try await scratch.git("rev-parse", "\(first):gone.txt")).trimmed)
        #expect(changes[2].newID == nil, "deleted on the way back")

        let missing = try #require(OID(hex: String(repeating: "ab", count: 20)))
        let blobs = changes.compactMap(\.newID)
        let objectsBefore = try await scratch.git("count-objects", "-v")
        #expect(repository.inflateAhead(blobs + [missing]).wait() == 2, "the missing id is skipped")
        #expect(repository.inflateAhead(blobs, budget: 1).wait() == 1, "the budget is spent by the first 10,000 bytes")
        #expect(repository.inflateAhead([]).wait() == 0)
        #expect(try await scratch.git("count-objects", "-v") == objectsBefore, "nothing was written")
        let large = try await scratch.git("hash-object", "-w", "--stdin", input: String(repeating: "x", count: Repository.largestObjectReadAhead + 1)).trimmed
        #expect(repository.inflateAhead([try #require(OID(hex: large))] + blobs).wait() == 2, "a blob larger than the pack's cache keeps is not read ahead")
        try repository.checkout(tree: oldTree, baseline: newTree, paths: changes.map(\.path), safety: .safe)
        #expect(scratch.read("a.txt") == String(repeating: "a\n", count: 5000) && scratch.read("gone.txt") == "g\n" && !scratch.exists("link"))
    }

    @Test func changesCheckoutAndSetIndexFollowTheTrees() async throws {
        let scratch = try await ScratchRepository()
        let first = try await scratch.commit("one", files: ["keep.txt": "k\n", "old.txt": "o\n"])
        let second = try await scratch.commit("two", files: ["keep.txt": "k2\n", "dir/new.txt": "n\n"])
        try await scratch.git("rm", "-q", "old.txt")
        try await scratch.commit("three")
        let repository = try Repository.open(path: scratch.path)
        let oldTree = try repository.commit(try #require(OID(hex: first))).tree
        let newTree = try repository.commit(try repository.headCommit()).tree
        let changes = try repository.changes(from: oldTree, to: newTree)
        #expect(changes.map(\.path) == ["dir/new.txt", "keep.txt", "old.txt"])
        #expect(changes.map(\.kind) == [.added, .modified, .deleted])

        // Safe checkout of the first tree for exactly these paths; HEAD does not move.
        try repository.checkout(tree: oldTree, baseline: newTree, paths: changes.map(\.path), safety: .safe)
        #expect(scratch.read("keep.txt") == "k\n" && scratch.read("old.txt") == "o\n" && !scratch.exists("dir/new.txt"))
        #expect(try await scratch.git("diff", "--cached", "--name-only", first).isEmpty)
        try repository.setIndex(to: newTree)
        #expect(try await scratch.git("diff", "--cached", "--name-only").isEmpty)
        _ = second

        // A modified file stops a safe checkout that would change it.
        try scratch.write("keep.txt", "mine\n")
        #expect(throws: GitError.self) {
            try repository.checkout(tree: newTree, baseline: oldTree, paths: ["keep.txt"], safety: .safe)
        }
        #expect(scratch.read("keep.txt") == "mine\n")
    }

    /// A file a checkout gives other content is a new file, as with `git checkout`: a hard link
    /// to the old one elsewhere and a reader that has it open keep the old bytes. A checkout that
    /// refuses (one path modified) leaves every other file as it was, the same file, not a copy.
    private func contents(of descriptor: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = pread(descriptor, &buffer, buffer.count, 0)
        return String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self)
    }

    @Test func checkoutReplacesFilesInsteadOfWritingThroughThem() async throws {
        let scratch = try await ScratchRepository()
        let first = try await scratch.commit("one", files: ["a.txt": "a1\n", "b.txt": "b1\n", "run.sh": "echo 1\n"])
        try scratch.write("run.sh", "echo 2\n", mode: 0o755)
        try await scratch.git("add", "run.sh")
        try await scratch.commit("two", files: ["a.txt": "a2\n", "b.txt": "b2\n"])
        let repository = try Repository.open(path: scratch.path)
        let oldTree = try repository.commit(try #require(OID(hex: first))).tree
        let newTree = try repository.commit(try repository.headCommit()).tree
        let outside = try makeTemporaryDirectory("hard-link")
        defer { removeTree(outside) }
        #expect(link(scratch.path + "/a.txt", outside + "/a.txt") == 0)
        let reader = open(scratch.path + "/b.txt", O_RDONLY)
        #expect(reader >= 0)
        defer { close(reader) }
        var before = stat()
        #expect(stat(scratch.path + "/b.txt", &before) == 0)

        // Refused: a.txt is modified. Nothing was unlinked, b.txt is the very same file.
        try scratch.write("a.txt", "mine\n")
        #expect(throws: GitError.self) {
            try repository.checkout(tree: oldTree, baseline: newTree, paths: ["a.txt", "b.txt", "run.sh"], safety: .safe)
        }
        var unchanged = stat()
        #expect(stat(scratch.path + "/b.txt", &unchanged) == 0 && unchanged.st_ino == before.st_ino)
        #expect(scratch.read("a.txt") == "mine\n" && scratch.read("b.txt") == "b2\n" && scratch.read("run.sh") == "echo 2\n")

        try scratch.write("a.txt", "a2\n")
        #expect(unlink(outside + "/a.txt") == 0 && link(scratch.path + "/a.txt", outside + "/a.txt") == 0)
        try repository.checkout(tree: oldTree, baseline: newTree, paths: ["a.txt", "b.txt", "run.sh"], safety: .safe)
        #expect(scratch.read("a.txt") == "a1\n" && scratch.read("b.txt") == "b1\n" && scratch.read("run.sh") == "echo 1\n")
        let linked = open(outside + "/a.txt", O_RDONLY)
        defer { close(linked) }
        #expect(contents(of: linked) == "a2\n", "the checkout wrote through a hard link")
        #expect(contents(of: reader) == "b2\n", "an open reader saw the new bytes")
        var after = stat()
        #expect(stat(scratch.path + "/run.sh", &after) == 0 && after.st_mode & 0o111 == 0, "the executable bit came back off")
        // Index and work tree agree, and both are the first commit's.
        #expect(try await scratch.git("diff", "--name-only").isEmpty)
        #expect(try await scratch.git("diff", "--cached", "--name-only", first).isEmpty)
    }

    /// A checkout that fails part way (here: the second file's blob is missing from the object
    /// database, which libgit2 finds only when it writes it) leaves the files after it as they
    /// were, the same files: each is unlinked only just before it is written.
    @Test func aCheckoutThatFailsPartWayLeavesTheFilesAfterItAlone() async throws {
        let scratch = try await ScratchRepository()
        try await scratch.commit("one", files: ["a.txt": "a1\n", "b.txt": "b1\n", "c.txt": "c1\n"])
        let blobA = try await scratch.git("hash-object", "-w", "--stdin", input: "a2\n").trimmed
        let blobC = try await scratch.git("hash-object", "-w", "--stdin", input: "c2\n").trimmed
        let missing = "0123456789abcdef0123456789abcdef01234567"
        let listing = "100644 blob \(blobA)\ta.txt\n100644 blob \(missing)\tb.txt\n100644 blob \(blobC)\tc.txt\n"
        let broken = try #require(OID(hex: try await scratch.git("mktree", "--missing", input: listing).trimmed))
        let repository = try Repository.open(path: scratch.path)
        let headTree = try repository.commit(try repository.headCommit()).tree
        var before = stat()
        #expect(stat(scratch.path + "/c.txt", &before) == 0)

        #expect(throws: GitError.self) {
            try repository.checkout(tree: broken, baseline: headTree, paths: ["a.txt", "b.txt", "c.txt"], safety: .safe)
        }
        #expect(scratch.read("a.txt") == "a2\n", "the first file was not written")
        var after = stat()
        #expect(stat(scratch.path + "/c.txt", &after) == 0 && after.st_ino == before.st_ino, "c.txt was unlinked before its turn")
        #expect(scratch.read("c.txt") == "c1\n")
    }

    @Test func commitsBetweenAndRevertInMemoryReportConflictsWithoutState() async throws {
        let scratch = try await ScratchRepository()
        let base = try await scratch.commit("base", files: ["f.txt": "1\n"])
        let two = try await scratch.commit("two", files: ["f.txt": "2\n"])
        let three = try await scratch.commit("three", files: ["f.txt": "3\n", "g.txt": "g\n"])
        let repository = try Repository.open(path: scratch.path)
        let head = try repository.headCommit()
        #expect(try repository.commits(from: head, excluding: OID(hex: base)).map(\.hex) == [three, two])

        let conflicted = try repository.revertInMemory(try #require(OID(hex: two)), onto: head, mainline: nil)
        #expect(conflicted == .conflicts(["f.txt"]))
        #expect(!scratch.exists(".git/REVERT_HEAD") && !scratch.exists(".git/MERGE_MSG"))
        #expect(try await scratch.git("status", "--porcelain").isEmpty)

        guard case .tree(let tree) = try repository.revertInMemory(try #require(OID(hex: three)), onto: head, mainline: nil) else {
            Issue.record("reverting the newest commit should apply cleanly"); return
        }
        #expect(try await scratch.git("diff", "--name-only", two, tree.hex).isEmpty)
    }

    @Test func ancestryMatchesRevListAndMergeBase() async throws {
        let scratch = try await ScratchRepository()
        let base = try await scratch.commit("base", files: ["f.txt": "1\n"])
        let one = try await scratch.commit("one", files: ["f.txt": "2\n"])
        try await scratch.git("switch", "-q", "-c", "side", base)
        let side = try await scratch.commit("side", files: ["s.txt": "s\n"])
        try await scratch.git("switch", "-q", "main")
        try await scratch.git("merge", "-q", "--no-ff", "-m", "merge", "side")
        let merge = try await scratch.commit("after merge", files: ["g.txt": "g\n"])
        let repository = try Repository.open(path: scratch.path)
        let head = try repository.headCommit()
        for (target, isAncestor) in [(base, true), (one, true), (side, true)] {
            let walk = try repository.ancestry(from: head, to: try #require(OID(hex: target)))
            let expected = try await scratch.git("rev-list", "\(target)..HEAD").lines
            #expect(Set(walk.commits.map(\.hex)) == Set(expected), "target \(target)")
            #expect(walk.targetIsAncestor == isAncestor)
        }
        let backwards = try repository.ancestry(from: try #require(OID(hex: side)), to: head)
        #expect(!backwards.targetIsAncestor && backwards.commits.isEmpty)
        let sideways = try repository.ancestry(from: try #require(OID(hex: one)), to: try #require(OID(hex: side)))
        #expect(!sideways.targetIsAncestor && sideways.commits.map(\.hex) == [one])
        let same = try repository.ancestry(from: head, to: head)
        #expect(same.commits.isEmpty && same.targetIsAncestor)
        _ = merge
    }
}
