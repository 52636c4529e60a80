import Testing
import TestSupport
import GitKit
internal import Glibc

/// File names are bytes: a Latin-1 name, a name with a newline, a tab and a quote are rolled
/// back, restored and undone byte for byte, and shown the way git's core.quotePath shows them
/// (issue 9, item 3; scenario 31).
@Suite struct PathBytesTests {
    /// Writes `content` to the file whose name is `nameBytes` (not necessarily UTF-8), through
    /// the shell so that no Swift string is involved.
    func writeRaw(_ repo: ScratchRepository, _ octalName: String, _ content: String) async throws {
        let result = try await runProcess("/bin/sh", ["-c", "printf '%s' \"$2\" > \"$(printf \"$1\")\"", "sh", octalName, content],
                                          environment: repo.environment, in: repo.path)
        #expect(result.status == 0, "\(result)")
    }

    @Test func namesThatAreNotUTF8AreRolledBackRestoredAndUndoneByteForByte() async throws {
        let repo = try await ScratchRepository()
        try await repo.git("config", "core.quotePath", "true")
        let names = ["caf\\351.txt", "line\\nbreak.txt", "tab\\tand\\042quote.txt"]
        for name in names { try await writeRaw(repo, name, "v1\n") }
        try await repo.git("add", "-A")
        try await repo.commit("v1")
        let v1 = try await repo.git("rev-parse", "HEAD").trimmed
        for name in names { try await writeRaw(repo, name, "v2\n") }
        try await repo.git("add", "-A")
        try await repo.commit("v2")
        let before = try await repo.fingerprint()

        let dry = try await repo.timeturner("rollback", "--to", v1, "--dry-run")
        #expect(dry.status == 0, "\(dry)")
        // git shows them as "caf\351.txt", "line\nbreak.txt", "tab\tand\"quote.txt".
        let shown = try await repo.git("diff", "--name-only", "HEAD", v1).lines
        for line in shown { #expect(dry.stdout.contains("modified     \(line)"), "\(line) not in \(dry.stdout)") }
        #expect(!dry.stdout.contains("\u{FFFD}"))

        let failed = try await repo.timeturner("rollback", "--to", v1, "--verify", "false", "--yes")
        #expect(failed.status == 5, "\(failed)")
        #expect(try await repo.fingerprint() == before)

        let run = try await repo.timeturner("rollback", "--to", v1, "--yes")
        #expect(run.status == 0, "\(run)")
        #expect(try await repo.git("status", "--porcelain").isEmpty)
        #expect(try await repo.git("diff", "HEAD", v1).isEmpty)
        let contents = try await runProcess("/bin/sh", ["-c", "cat \"$(printf 'caf\\351.txt')\""], environment: repo.environment, in: repo.path)
        #expect(contents.stdout == "v1\n")

        #expect(try await repo.timeturner("undo", "--yes").status == 0)
        #expect(try await repo.fingerprint() == before)
    }

    @Test func pathBytesRoundTripEverySequence() {
        let samples: [[UInt8]] = [
            Array("plain/path.txt".utf8), [0x63, 0x61, 0x66, 0xE9, 0x2E, 0x74], [0xFF, 0xFE, 0x80], [0xC3, 0xA9],
            [0xF4, 0x8F, 0xBA, 0x80],  // U+10FE80, a scalar used for escapes, as a real name
            [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xE2, 0x82],  // surrogate, overlong, truncated
        ]
        for bytes in samples {
            #expect(PathBytes.encoded(PathBytes.decode(bytes)) == bytes, "\(bytes)")
        }
        #expect(PathBytes.quoted(PathBytes.decode([0x63, 0x61, 0x66, 0xE9])) == "\"caf\\351\"")
        #expect(PathBytes.quoted("a\tb\"c") == "\"a\\tb\\\"c\"")
        #expect(PathBytes.quoted("plain.txt") == "plain.txt")
        #expect(PathBytes.jsonForm("café") == "café")
    }
}
