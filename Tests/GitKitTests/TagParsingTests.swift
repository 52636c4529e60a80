@testable import GitKit
import Testing
import TestSupport

/// `Repository.annotatedTag` parses raw tag bytes in Swift; every tag here, written by git
/// itself, must read back exactly as libgit2's `git_tag_lookup` reads it.
@Suite struct TagParsingTests {
    /// Writes `bytes` as a tag object with `git hash-object --literally` and returns its id.
    func writeTag(_ bytes: [UInt8], in scratch: ScratchRepository, name: String) async throws -> OID {
        let file = scratch.siblingDirectory("objects-\(name)") + "/tag"
        try writeFile(file, bytes)
        return try #require(OID(hex: try await scratch.git("hash-object", "-t", "tag", "-w", "--literally", file).trimmed))
    }

    func expectSameAsLibgit2(_ id: OID, in repository: Repository, swiftParses: Bool, _ comment: Comment) throws {
        let read = try repository.annotatedTag(id)
        let reference = try repository.annotatedTagThroughLibgit2(id)
        #expect(read == reference, comment)
        // Make sure the case exercised the path it is meant to.
        let accepted = try repository.withRawObject(id) { AnnotatedTag(id: id, parsing: $0) } != nil
        #expect(accepted == swiftParses, comment)
    }

    @Test func tagsWrittenByGitTagReadTheSameAsThroughLibgit2() async throws {
        let scratch = try await ScratchRepository()
        let commit = try await scratch.commit("one")
        let messages: [(String, String)] = [
            ("plain", "before deploy\n\nTimeturner-Point: plain\nTimeturner-Severity: high\nTimeturner-Env: production\nTimeturner-Tier: code\n"),
            ("crlf", "before deploy\r\n\r\nTimeturner-Point: crlf\r\nTimeturner-Env: prod\r\n"),
            ("multiline", "subject\n\nTimeturner-Point: multiline\nTimeturner-Tier: code\n  and more\nTimeturner-Env: e\n"),
            ("wordy", "subject\n\nthe body says Timeturner-Env: staging\nTimeturner-Severity: low in prose\n\nTimeturner-Point: wordy\n"),
            ("escapes", "caf\u{e9} \u{1b}[31mred\u{1b}[0m\n\nTimeturner-Point: escapes\n"),
        ]
        for (name, message) in messages {
            try scratch.write("message-\(name)", message)
            try await scratch.git("tag", "-a", "--cleanup=verbatim", "-F", "message-\(name)", name, commit)
        }
        let repository = try Repository.open(path: scratch.path)
        for (name, message) in messages {
            let id = try #require(OID(hex: try await scratch.git("rev-parse", "refs/tags/\(name)").trimmed))
            try expectSameAsLibgit2(id, in: repository, swiftParses: true, "tag \(name)")
            let tag = try repository.annotatedTag(id)
            #expect(tag.message == message)
            #expect(tag.name == name)
            #expect(tag.target.hex == commit)
            #expect(tag.targetIsCommit)
            #expect(tag.tagger?.identity == "Ada Tester <ada@example.com>")
        }
    }

    @Test func oddTagObjectsReadTheSameAsThroughLibgit2() async throws {
        let scratch = try await ScratchRepository()
        let commit = try await scratch.commit("one")
        let tree = try await scratch.git("rev-parse", "HEAD^{tree}").trimmed
        let repository = try Repository.open(path: scratch.path)
        let header = "object \(commit)\ntype commit\ntag odd\n"
        let cases: [(name: String, bytes: [UInt8], swiftParses: Bool)] = [
            ("usual", Array((header + "tagger A U Thor <a@example.com> 1700000000 +0130\n\nsubject\n").utf8), true),
            ("negative zone", Array((header + "tagger A <a@example.com> 1700000000 -0800\n\nsubject\n").utf8), true),
            ("zone out of range", Array((header + "tagger A <a@example.com> 1700000000 +9999\n\nsubject\n").utf8), true),
            ("tree target", Array("object \(tree)\ntype tree\ntag odd\ntagger A <a@example.com> 1 +0000\n\ns\n".utf8), true),
            ("non-UTF-8", Array((header + "tagger Andr").utf8) + [0xe9] + Array(" <a@example.com> 1700000000 +0000\n\nbad ".utf8)
                + [0xff, 0xfe] + Array("\n\nTimeturner-Env: \u{e9}t\u{e9}".utf8) + [0xc3] + [0x0a], true),
            ("NUL in message", Array((header + "tagger A <a@example.com> 1 +0000\n\nbefore").utf8) + [0]
                + Array(" after\n".utf8), true),
            ("empty message", Array((header + "tagger A <a@example.com> 1 +0000\n\n").utf8), true),
            ("no tagger", Array((header + "\nsubject\n").utf8), false),
            ("extra header", Array((header + "tagger A <a@example.com> 1 +0000\nextra x\n\nsubject\n").utf8), false),
            ("spaced name", Array((header + "tagger  A  <a@example.com> 1 +0000\n\nsubject\n").utf8), false),
            ("two emails", Array((header + "tagger A <a@x> <b@y> 1 +0000\n\nsubject\n").utf8), false),
            ("no time", Array((header + "tagger A <a@example.com>\n\nsubject\n").utf8), false),
            ("uppercase id", Array("object \(commit.uppercased())\ntype commit\ntag odd\ntagger A <a@b> 1 +0000\n\ns\n".utf8), false),
        ]
        for odd in cases {
            let id = try await writeTag(odd.bytes, in: scratch, name: odd.name.filter { $0 != " " })
            try expectSameAsLibgit2(id, in: repository, swiftParses: odd.swiftParses, "\(odd.name)")
        }
    }

    @Test func aCommitIsNotATag() async throws {
        let scratch = try await ScratchRepository()
        let commit = try #require(OID(hex: try await scratch.commit("one")))
        let repository = try Repository.open(path: scratch.path)
        #expect(throws: GitError.self) { _ = try repository.annotatedTag(commit) }
    }
}
