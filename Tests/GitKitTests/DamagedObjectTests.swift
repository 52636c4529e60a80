import GitKit
import Glibc
import Testing
import TestSupport

/// A damaged object fails to read with an error, loose or packed, whatever the damage: it never
/// crashes or hangs the process. libgit2 1.5.1's loose reader did both (a header understating
/// the size made it write past its buffer, upstream issue 7177; data ending before the object made
/// it inflate forever), and its pack reader read past the end of a pack whose index gave a
/// damaged offset (a segmentation fault); CObjectReadGuards keeps it from all three.
@Suite struct DamagedObjectTests {
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

    /// The same object in a pack, each bit of its compressed data flipped in turn (libgit2 reads
    /// packs through its own code, not the loose reader's): each read fails with an error or
    /// returns the content unchanged.
    @Test func everyDamagedBitOfAPackedObjectFailsCleanly() async throws {
        let scratch = try await ScratchRepository()
        let content = (0..<40).map { "line \($0) of a file\n" }.joined()
        try scratch.write("file.txt", content)
        try await scratch.git("add", "file.txt")
        try await scratch.git("commit", "-q", "-m", "file")
        try await scratch.git("gc", "-q", "--prune=now")
        let id = try #require(OID(hex: try await scratch.git("rev-parse", "HEAD:file.txt").trimmed))
        let (packFile, offset, inPack) = try await packedData(of: id, in: scratch)
        let pristine = try #require(readFile(packFile))
        chmod(packFile, 0o644)
        var failed = 0
        for position in offset..<(offset + inPack) {
            for bit in 0..<8 {
                var damaged = pristine
                damaged[position] ^= UInt8(1 << bit)
                try writeFile(packFile, damaged)
                do {
                    #expect(try Repository.open(path: scratch.path).blobContent(id) == Array(content.utf8), "byte \(position - offset), bit \(bit)")
                } catch {
                    failed += 1
                }
            }
        }
        #expect(failed > inPack * 7)
    }

    /// Every bit of every object's offset in a pack index flipped in turn (flips of the high
    /// byte point past the end of the pack, which made libgit2 1.5.1 crash): each read of every
    /// object fails with an error or returns what git says it holds.
    @Test func everyDamagedBitOfAPackIndexOffsetFailsCleanly() async throws {
        let scratch = try await ScratchRepository()
        try scratch.write("file.txt", (0..<40).map { "line \($0) of a file\n" }.joined())
        try await scratch.git("add", "file.txt")
        try await scratch.git("commit", "-q", "-m", "file")
        try await scratch.git("gc", "-q", "--prune=now")
        // The pack's three objects, each with what git reads in it.
        let commit = try #require(OID(hex: try await scratch.git("rev-parse", "HEAD").trimmed))
        let tree = try #require(OID(hex: try await scratch.git("rev-parse", "HEAD^{tree}").trimmed))
        let blob = try #require(OID(hex: try await scratch.git("rev-parse", "HEAD:file.txt").trimmed))
        let content = Array(try await scratch.git("cat-file", "blob", blob.hex).utf8)
        let reads: [@Sendable (Repository) throws -> Bool] = [
            { try $0.commit(commit).tree == tree },
            { try $0.treeEntry("file.txt", in: tree) == blob },
            { try $0.blobContent(blob) == content },
        ]
        let indexFile = try packIndex(in: scratch.path + "/.git/objects/pack")
        let pristine = try #require(readFile(indexFile))
        chmod(indexFile, 0o644)
        // Version 2: header 8, fan-out 1,024, then per object its id (20), CRC (4) and offset (4).
        let count = reads.count
        let offsets = 8 + 1024 + count * 24
        var (failed, crashedBefore) = (0, 0)
        for position in offsets..<(offsets + count * 4) {
            for bit in 0..<8 {
                var damaged = pristine
                damaged[position] ^= UInt8(1 << bit)
                try writeFile(indexFile, damaged)
                // A new handle each time: libgit2 keeps a pack (and its index) open per process
                // for as long as a handle uses it.
                for read in reads {
                    do {
                        #expect(try read(try Repository.open(path: scratch.path)), "byte \(position), bit \(bit)")
                    } catch {
                        failed += 1
                    }
                }
                if (position - offsets) % 4 == 0 && bit < 5 { crashedBefore += 1 }
            }
        }
        #expect(failed >= crashedBefore)
        try writeFile(indexFile, pristine)
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
