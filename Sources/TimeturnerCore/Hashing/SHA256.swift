internal import CMbedCrypto
internal import Glibc

/// SHA-256 for the content hashes the tool records and trusts: the approved `.timeturner`,
/// database dumps, file snapshots.
///
/// The digest is computed by mbedTLS's libmbedcrypto (Debian: libmbedtls-dev 2.28), a maintained
/// and audited implementation, instead of code of our own. libgit2 already links libmbedcrypto,
/// so it is loaded into every run anyway: no start-up cost and nothing extra to build (swift-crypto
/// would add a BoringSSL copy to every build; see docs/design-decisions.md for the figures).
///
/// A value type on purpose: mbedTLS 2.28's `mbedtls_sha256_context` is plain data (counters,
/// state words, one block buffer) with no pointers, so copying a hasher forks it correctly and
/// `mbedtls_sha256_free` has nothing to release (it only zeroes the memory).
public struct SHA256: Sendable {
    private var context = mbedtls_sha256_context()

    public init() {
        mbedtls_sha256_init(&context)
        SHA256.check(mbedtls_sha256_starts_ret(&context, 0), "start")
    }

    public mutating func update<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        let handled: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            SHA256.check(mbedtls_sha256_update_ret(&context, buffer.baseAddress, buffer.count), "update")
        }
        if handled == nil {
            // Non-contiguous collections: copy once.
            let copy = Array(bytes)
            copy.withUnsafeBufferPointer { buffer in
                SHA256.check(mbedtls_sha256_update_ret(&context, buffer.baseAddress, buffer.count), "update")
            }
        }
    }

    /// The 32-byte digest. The hasher is consumed.
    public consuming func finalize() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        digest.withUnsafeMutableBufferPointer { buffer in
            SHA256.check(mbedtls_sha256_finish_ret(&context, buffer.baseAddress), "finish")
        }
        mbedtls_sha256_free(&context)
        return digest
    }

    /// The software SHA-256 of mbedTLS fails only with a hardware accelerator (MBEDTLS_SHA256_ALT),
    /// which Debian's build does not enable. A digest that guards trust must never be silently
    /// wrong, so a failure stops the program instead of returning garbage.
    private static func check(_ result: Int32, _ step: StaticString) {
        precondition(result == 0, "mbedtls SHA-256 \(step) failed with \(result)")
    }

    /// The digest of `bytes` as 64 lowercase hex digits.
    public static func hex<Bytes: Collection>(of bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var hasher = SHA256()
        hasher.update(bytes)
        return hexString(hasher.finalize())
    }

    /// The digest of a file's content, read in chunks (dumps can be large), or nil when it cannot be read.
    public static func hex(ofFile path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { break }
            hasher.update(buffer[0..<count])
        }
        return hexString(hasher.finalize())
    }

    public static func hexString(_ digest: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(digest.count * 2)
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xf)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
