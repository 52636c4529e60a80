import Testing
import TestSupport
@testable import TimeturnerCore

/// SHA-256 (mbedTLS underneath) against the published test vectors and against coreutils'
/// `sha256sum` on inputs around every padding boundary and across chunked updates.
@Suite struct SHA256Tests {
    @Test func publishedVectors() {
        #expect(SHA256.hex(of: [UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(of: Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(of: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func agreesWithSha256sumAcrossPaddingBoundaries() async throws {
        let directory = try makeTemporaryDirectory("sha256")
        for size in [1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000, 70_001] {
            let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ size) }
            let path = directory + "/input-\(size)"
            try writeFile(path, bytes)
            let reference = try await runProcess("sha256sum", [path], environment: ["PATH": "/usr/bin:/bin"], in: directory)
            let expected = String(reference.stdout.prefix(64))
            #expect(SHA256.hex(of: bytes) == expected, "size \(size)")
            #expect(SHA256.hex(ofFile: path) == expected, "file of size \(size)")
            // Fed in uneven pieces, the digest is the same.
            var hasher = SHA256()
            var offset = 0
            var piece = 1
            while offset < bytes.count {
                let end = min(bytes.count, offset + piece)
                hasher.update(bytes[offset..<end])
                offset = end
                piece = piece * 3 % 97 + 1
            }
            #expect(SHA256.hexString(hasher.finalize()) == expected, "chunked size \(size)")
        }
        #expect(SHA256.hex(ofFile: directory + "/missing") == nil)
    }

    /// A copied hasher continues independently (the value type holds the whole mbedTLS context),
    /// and a collection without contiguous storage hashes like the same bytes in an array.
    @Test func copiesForkAndNonContiguousInputs() {
        var first = SHA256()
        first.update(Array("ab".utf8))
        var second = first
        first.update(Array("c".utf8))
        second.update(Array("d".utf8))
        #expect(SHA256.hexString(first.finalize()) == SHA256.hex(of: Array("abc".utf8)))
        #expect(SHA256.hexString(second.finalize()) == SHA256.hex(of: Array("abd".utf8)))
        let lazyBytes = (0..<1000).lazy.map { UInt8(truncatingIfNeeded: $0) }
        #expect(SHA256.hex(of: lazyBytes) == SHA256.hex(of: Array(lazyBytes)))
    }
}
