internal import CLibgit2

/// A git object id (SHA-1), copied out of libgit2 into a Swift value.
///
/// The 20 bytes are held inline, as three integers read big-endian, rather than in an array:
/// no heap allocation per id, and hashing, equality and ordering on three words. Walks and
/// listings keep thousands of ids in dictionaries (a 50-commit rollback looked ids up 1,265
/// times, each hashing 20 bytes one by one).
public struct OID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Bytes 0–7, 8–15 and 16–19, big-endian: comparing the words in order compares the bytes.
    private let high: UInt64, middle: UInt64, low: UInt32

    /// The 20 raw bytes.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// `bytes`: exactly 20.
    init(bytes: [UInt8]) {
        precondition(bytes.count == 20, "an object id has 20 bytes")
        self = bytes.withUnsafeBytes { OID(rawBytes: $0) }
    }

    /// The first 20 bytes of `rawBytes`, which must hold at least that many.
    init(rawBytes: UnsafeRawBufferPointer) {
        high = UInt64(bigEndian: rawBytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        middle = UInt64(bigEndian: rawBytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        low = UInt32(bigEndian: rawBytes.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
    }

    init(_ raw: git_oid) {
        var raw = raw
        self = Swift.withUnsafeBytes(of: &raw.id) { OID(rawBytes: $0) }
    }

    /// The 20 bytes, without allocating.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        var words = (high.bigEndian, middle.bigEndian, low.bigEndian)
        return try Swift.withUnsafeBytes(of: &words) { try body(UnsafeRawBufferPointer(rebasing: $0[0..<20])) }
    }

    /// Parses 40 hex digits; nil for anything else.
    public init?(hex: String) {
        guard hex.utf8.count == 40 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(20)
        var pending: UInt8? = nil
        for c in hex.utf8 {
            let v: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): v = c - UInt8(ascii: "A") + 10
            default: return nil
            }
            if let h = pending { out.append(h << 4 | v); pending = nil } else { pending = v }
        }
        self.init(bytes: out)
    }

    public static let zero = OID(hex: String(repeating: "0", count: 40))!

    public var isZero: Bool { high == 0 && middle == 0 && low == 0 }

    public var hex: String {
        String(unsafeUninitializedCapacity: 40) { out in
            withUnsafeBytes { bytes in
                for (index, byte) in bytes.enumerated() {
                    out[2 * index] = Self.hexDigit(byte >> 4)
                    out[2 * index + 1] = Self.hexDigit(byte & 0xf)
                }
            }
            return 40
        }
    }

    /// The lower-case hex digit of `value` (0–15), as git writes ids.
    @inline(__always)
    public static func hexDigit(_ value: UInt8) -> UInt8 { value < 10 ? 0x30 + value : 0x57 + value }

    /// The abbreviation people read in listings; not guaranteed unique (use `Repository.shortID` for that).
    public var short: String { String(hex.prefix(7)) }

    public var description: String { hex }

    public static func < (lhs: OID, rhs: OID) -> Bool { (lhs.high, lhs.middle, lhs.low) < (rhs.high, rhs.middle, rhs.low) }

    var raw: git_oid {
        var raw = git_oid()
        withUnsafeBytes { source in
            Swift.withUnsafeMutableBytes(of: &raw.id) { $0.copyMemory(from: source) }
        }
        return raw
    }
}
