import GitKit
import Glibc
import Testing
import TestSupport

@Suite struct RepositoryTests {
    @Test func oidHexRoundTrips() throws {
        let hex = "0123456789abcdef0123456789abcdef01234567"
        let oid = try #require(OID(hex: hex))
        #expect(oid.hex == hex)
        #expect(oid.short == "0123456")
        #expect(OID(hex: "xyz") == nil)
        #expect(OID(hex: String(repeating: "g", count: 40)) == nil)
        #expect(OID.zero.isZero)
    }

    @Test func openingOutsideARepositoryIsNotFound() async throws {
        let directory = try makeTemporaryDirectory("not-a-repo")
        do {
            _ = try Repository.open(path: directory)
            Issue.record("opened a repository where there is none")
        } catch {
            #expect(error.code == .notFound)
        }
    }

    @Test func discoversUpwardFromASubdirectory() async throws {
        let scratch = try await ScratchRepository()
        try scratch.write("deep/er/file.txt", "x\n")
        let head = try await scratch.commit("one", files: ["deep/er/file.txt": "x\n"])
        let repository = try Repository.open(path: scratch.path + "/deep/er")
        #expect(try repository.headCommit().hex == head)
        #expect(repository.workTree?.hasSuffix("/repo/") == true)
        #expect(!repository.isBare)
    }

    @Test func reportsEmptyBareAndShallowRepositories() async throws {
        let empty = try await ScratchRepository()
        let emptyRepository = try Repository.open(path: empty.path)
        #expect(emptyRepository.isEmpty)
        #expect(emptyRepository.isHeadUnborn)

        let bare = try await ScratchRepository(bare: true)
        #expect(try Repository.open(path: bare.path).isBare)

        let source = try await ScratchRepository()
        _ = try await source.commits(3)
        let clone = source.siblingDirectory("shallow") + "/clone"
        try await source.git("clone", "-q", "--depth", "1", "file://" + source.path, clone)
        #expect(try Repository.open(path: clone).isShallow)
        #expect(try !Repository.open(path: source.path).isShallow)
    }

    @Test func resolvesRevisionsAndReadsCommits() async throws {
        let scratch = try await ScratchRepository()
        let ids = try await scratch.commits(3)
        let repository = try Repository.open(path: scratch.path)
        #expect(try repository.resolveCommit("HEAD~2").hex == ids[0])
        let commit = try repository.commit(try #require(OID(hex: ids[2])))
        #expect(commit.summary == "change 3")
        #expect(commit.parents.map(\.hex) == [ids[1]])
        #expect(commit.author.email == "ada@example.com")
        #expect(try repository.isAncestor(OID(hex: ids[0])!, of: OID(hex: ids[2])!))
        #expect(try !repository.isAncestor(OID(hex: ids[2])!, of: OID(hex: ids[0])!))
        #expect(throws: GitError.self) { try repository.resolveCommit("no-such-thing") }
    }

    /// `summary` is git's subject (`%s`), for messages git itself would never write by default
    /// (committed verbatim): CRLF lines, leading blank lines, indented and whitespace-only lines.
    @Test func summaryIsGitsSubject() async throws {
        let scratch = try await ScratchRepository()
        let messages = [
            "plain", "two\nlines\n\nbody", "crlf one\r\ncrlf two\r\n\r\nbody\r\n", "\n\n\nafter blank lines\nsecond",
            "  indented\n\tand tabbed  \n \t \nnot in the subject", "trailing spaces   \n", "ünïcødé ✓\nzweite Zeile",
            "tab\there", "form\u{0C}feed\n", "only\n\n\n\nparagraph", "a\n \nb", "\r\n\r\n", "",
        ]
        for message in messages {
            try scratch.write("message.txt", message)
            try await scratch.git("commit", "-q", "--allow-empty", "--allow-empty-message", "--cleanup=verbatim", "-F", "message.txt")
            let repository = try Repository.open(path: scratch.path)
            let commit = try repository.commit(try repository.resolveCommit("HEAD"))
            // libgit2 drops the line feeds a message starts with (git skips them too).
            #expect(commit.message == String(message.trimmingPrefix(while: { $0 == "\n" })))
            // `git log` prints the subject followed by a newline, which trimming the output would also eat.
            let subject = try await scratch.git("log", "-1", "--format=%s|")
            #expect(commit.summary + "|\n" == subject, "message \(message.debugDescription)")
        }
    }

    /// Objects are not re-hashed on read (docs/design-decisions.md): a damaged object must
    /// still fail to read, by zlib's checksum, for a loose object and for one in a pack.
    @Test func damagedObjectStillFailsToRead() async throws {
        let scratch = try await ScratchRepository()
        let content = (0..<200).map { "line \($0) of a file that rolls back\n" }.joined()
        try scratch.write("file.txt", content)
        let id = try #require(OID(hex: try await scratch.git("hash-object", "-w", "file.txt").trimmed))
        let loose = scratch.path + "/.git/objects/\(id.hex.prefix(2))/\(id.hex.dropFirst(2))"
        let pristine = try #require(readFile(loose))
        chmod(loose, 0o644)   // git writes objects read-only
        #expect(try Repository.open(path: scratch.path).blobContent(id) == Array(content.utf8))
        // A byte in the middle of the compressed data, and each byte of the Adler-32 at its end.
        for offset in [pristine.count / 2] + Array((pristine.count - 4)..<pristine.count) {
            var damaged = pristine
            damaged[offset] ^= 0x20
            try writeFile(loose, damaged)
            #expect(throws: GitError.self, "byte \(offset)") { try Repository.open(path: scratch.path).blobContent(id) }
        }
        try writeFile(loose, pristine)
        try await scratch.git("add", "file.txt")
        try await scratch.git("commit", "-q", "-m", "file")
        try await scratch.git("gc", "-q", "--prune=now")
        // In a pack: one byte in the middle of the object's compressed data flipped.
        let packed = try await scratch.git("count-objects", "-v")
        #expect(packed.contains("count: 0"))
        let (packFile, offset, inPack) = try await packedData(of: id, in: scratch)
        var pack = try #require(readFile(packFile))
        chmod(packFile, 0o644)
        pack[offset + inPack / 2] ^= 0x20
        try writeFile(packFile, pack, mode: 0o444)
        #expect(throws: GitError.self) { try Repository.open(path: scratch.path).blobContent(id) }
    }

    @Test func annotatedTagObjectsReadBackAndStayOutOfRefsTags() async throws {
        let scratch = try await ScratchRepository()
        let head = try #require(OID(hex: try await scratch.commit("one")))
        let repository = try Repository.open(path: scratch.path)
        let tagger = Signature(name: "T", email: "t@example.com", time: 1_795_000_000)
        let tag = try repository.createAnnotatedTagObject(name: "p1", target: head, tagger: tagger, message: "why\n")
        let read = try repository.annotatedTag(tag)
        #expect(read.name == "p1")
        #expect(read.target == head)
        #expect(read.targetIsCommit)
        #expect(read.tagger == tagger)
        #expect(read.message == "why\n")
        #expect(try await scratch.git("cat-file", "-t", tag.hex).trimmed == "tag")
        #expect(try await scratch.git("tag", "--list").trimmed.isEmpty)
    }

    @Test func treeUpdatesCreateNestedPathsAndKeepOthers() async throws {
        let scratch = try await ScratchRepository()
        _ = try await scratch.commit("one")
        let repository = try Repository.open(path: scratch.path)
        let a = try repository.createBlob(Array("a\n".utf8))
        let b = try repository.createBlob(Array("b\n".utf8))
        let first = try repository.tree(nil, settingBlobs: [("marks/prod/2026-11.jsonl", a)])
        let second = try repository.tree(first, settingBlobs: [("journal/2026-11.jsonl", b)])
        #expect(try repository.treeEntry("marks/prod/2026-11.jsonl", in: second) == a)
        #expect(try repository.treeEntry("journal/2026-11.jsonl", in: second) == b)
        #expect(try repository.treeEntry("missing", in: second) == nil)
        #expect(try repository.treeEntryNames("marks", in: second) == ["prod"])
        #expect(try repository.blobContent(a) == Array("a\n".utf8))
    }

    @Test func trailersParseLikeGit() {
        let trailers = Trailers.parse("subject\n\nbody\n\nTimeturner-Point: p1\nTimeturner-Tier: code\nTimeturner-Tier: db\n")
        #expect(trailers.map(\.key) == ["Timeturner-Point", "Timeturner-Tier", "Timeturner-Tier"])
        #expect(trailers.map(\.value) == ["p1", "code", "db"])
    }

    @Test func configReadsSingleAndMultipleValues() async throws {
        let scratch = try await ScratchRepository()
        try await scratch.git("config", "timeturner.verify", "true")
        try await scratch.git("config", "--add", "timeturner.verify", "make test")
        let repository = try Repository.open(path: scratch.path)
        #expect(try repository.configStrings("timeturner.verify") == ["true", "make test"])
        #expect(try repository.configString("timeturner.absent") == nil)
    }

    @Test func referenceNameValidationFollowsGit() {
        #expect(Repository.isValidReferenceName("refs/timeturner/points/ok-1"))
        #expect(!Repository.isValidReferenceName("refs/timeturner/points/a..b"))
        #expect(!Repository.isValidReferenceName("refs/timeturner/points/x.lock"))
        #expect(!Repository.isValidReferenceName("refs/timeturner/points/a b"))
    }
}

/// The one `.idx` file in a pack directory.
func packIndex(in directory: String) throws -> String {
    guard let handle = opendir(directory) else { throw GitError(operation: "list \(directory)", code: .notFound) }
    defer { closedir(handle) }
    while let entry = readdir(handle) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name.hasSuffix(".idx") { return directory + "/" + name }
    }
    throw GitError(operation: "find a pack index in \(directory)", code: .notFound)
}

/// Where an object's data lies in the repository's one pack: the pack file, the offset and the
/// size of its compressed data ("<id> blob <size> <size in pack> <offset>" from verify-pack).
func packedData(of id: OID, in scratch: ScratchRepository) async throws -> (pack: String, offset: Int, size: Int) {
    let directory = try await scratch.git("rev-parse", "--git-path", "objects/pack").trimmed
    let indexFile = try packIndex(in: directory.hasPrefix("/") ? directory : scratch.path + "/" + directory)
    let line = try #require(try await scratch.git("verify-pack", "-v", indexFile).split(separator: "\n").first { $0.hasPrefix(id.hex) })
    let fields = line.split(separator: " ", omittingEmptySubsequences: true)
    return (String(indexFile.dropLast(4)) + ".pack", try #require(Int(fields[4])), try #require(Int(fields[3])))
}
