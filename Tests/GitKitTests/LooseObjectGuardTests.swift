import GitKit
import Glibc
import Testing
import TestSupport

/// A loose object whose header gives a smaller size than the data after it made libgit2 1.5.1
/// write past the buffer it allocated (upstream issue 7177): glibc aborted the process, or the
/// heap was damaged silently. With CLooseObjectGuard such an object fails to read, as any other
/// damaged object does.
@Suite struct LooseObjectGuardTests {
    /// The object of the upstream report: "blob 12", then 45 bytes. Named by the hash of its
    /// first 12 bytes, so that without the guard the read succeeds and returns them, having
    /// written the rest past the end of a 13-byte buffer.
    @Test func anObjectLongerThanItsHeaderSaysFailsToRead() async throws {
        let scratch = try await ScratchRepository()
        let body = "this is a blob with a too-small length value\n"
        let named = try #require(OID(hex: try await scratch.git("hash-object", "--stdin", input: String(body.prefix(12))).trimmed))
        try await writeLooseObject("blob 12\u{0}" + body, as: named, in: scratch)
        let honest = try #require(OID(hex: try await scratch.git("hash-object", "-w", "--stdin", input: "twelve bytes").trimmed))
        let repository = try Repository.open(path: scratch.path)
        let error = try #require(throws: GitError.self) { try repository.blobContent(named) }
        #expect(error.message.contains("stream aborted prematurely"), "\(error)")
        // A header that overstates the size is read zero-filled, as before and as upstream keeps it.
        let short = try #require(OID(hex: try await scratch.git("hash-object", "--stdin", input: "sixteen bytes!!!").trimmed))
        try await writeLooseObject("blob 16\u{0}sixteen", as: short, in: scratch)
        #expect(try repository.blobContent(short) == Array("sixteen".utf8) + [UInt8](repeating: 0, count: 9))
        // Sound objects read as always, whole and streamed.
        #expect(try repository.blobContent(honest) == Array("twelve bytes".utf8))
        #expect(try await scratch.git("cat-file", "blob", honest.hex) == "twelve bytes")
    }

    /// Every bit of every byte of a real loose object flipped in turn: each read fails with an
    /// error or returns the content unchanged, and the process survives all 992. Without the
    /// guard, flipping bit 7 of byte 37 ("blob 710" inflates as "blob 7e1", which libgit2 reads
    /// as 7) aborted it, and 52 others (the compressed data ending before the object) hung it.
    @Test func everyDamagedBitOfALooseObjectFailsCleanly() async throws {
        let scratch = try await ScratchRepository()
        let content = (0..<40).map { "line \($0) of a file\n" }.joined()
        let id = try #require(OID(hex: try await scratch.git("hash-object", "-w", "--stdin", input: content).trimmed))
        let loose = scratch.path + "/.git/objects/\(id.hex.prefix(2))/\(id.hex.dropFirst(2))"
        let pristine = try #require(readFile(loose))
        chmod(loose, 0o644)
        let repository = try Repository.open(path: scratch.path)
        var failed = 0
        for offset in pristine.indices {
            for bit in 0..<8 {
                var damaged = pristine
                damaged[offset] ^= UInt8(1 << bit)
                try writeFile(loose, damaged)
                do {
                    #expect(try repository.blobContent(id) == Array(content.utf8), "byte \(offset), bit \(bit)")
                } catch {
                    failed += 1
                }
            }
        }
        #expect(failed > pristine.count * 7)
        try writeFile(loose, pristine)
        #expect(try repository.blobContent(id) == Array(content.utf8))
    }

    /// Writes `bytes` compressed with zlib (Python's) as the loose object `id`.
    private func writeLooseObject(_ bytes: String, as id: OID, in scratch: ScratchRepository) async throws {
        let path = scratch.path + "/.git/objects/" + id.hex.prefix(2) + "/" + id.hex.dropFirst(2)
        let script = "import os, sys, zlib; os.makedirs(os.path.dirname(sys.argv[1]), exist_ok=True); "
            + "open(sys.argv[1], 'wb').write(zlib.compress(sys.stdin.buffer.read()))"
        let result = try await runProcess("python3", ["-c", script, path], environment: scratch.environment,
                                          in: scratch.path, input: bytes)
        #expect(result.status == 0, "\(result)")
    }
}
