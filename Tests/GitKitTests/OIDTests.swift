@testable import GitKit
import Testing

/// `OID` holds its 20 bytes in three integers; everything it says about them must be what the
/// bytes say: the hex git writes, byte order for sorting, equality, and the round trip through
/// libgit2's `git_oid`.
@Suite struct OIDTests {
    /// Ids whose bytes differ in every position, at the word boundaries (7/8, 15/16) included.
    static func randomIDs(count: Int, seed: UInt64) -> [[UInt8]] {
        var state = seed
        func next() -> UInt8 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        var ids = (0..<count).map { _ in (0..<20).map { _ in next() } }
        // Pairs equal but for one byte, in each position: ordering must look at that byte.
        for position in 0..<20 {
            var pair = ids[position]
            pair[position] = pair[position] == 0xff ? 0 : pair[position] + 1
            ids.append(pair)
        }
        ids.append([UInt8](repeating: 0, count: 20))
        ids.append([UInt8](repeating: 0xff, count: 20))
        return ids
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    @Test func hexBytesAndTheRoundTripThroughLibgit2AreTheBytes() {
        for bytes in Self.randomIDs(count: 200, seed: 1) {
            let id = OID(bytes: bytes)
            #expect(id.bytes == bytes)
            #expect(id.hex == Self.hex(bytes))
            #expect(OID(hex: id.hex) == id)
            #expect(OID(hex: id.hex.uppercased()) == id)
            #expect(OID(id.raw) == id)
            #expect(id.withUnsafeBytes { Array($0) } == bytes)
            #expect(id.isZero == bytes.allSatisfy { $0 == 0 })
        }
        #expect(OID.zero.isZero && OID.zero.hex == String(repeating: "0", count: 40))
        #expect(OID(hex: String(repeating: "g", count: 40)) == nil && OID(hex: "abc") == nil)
    }

    @Test func orderEqualityAndHashingFollowTheBytes() {
        let all = Self.randomIDs(count: 300, seed: 2)
        let sorted = all.map { OID(bytes: $0) }.sorted()
        #expect(sorted.map(\.bytes) == all.sorted { $0.lexicographicallyPrecedes($1) })
        for (a, b) in zip(all, all.dropFirst()) {
            #expect((OID(bytes: a) == OID(bytes: b)) == (a == b))
            #expect((OID(bytes: a) < OID(bytes: b)) == a.lexicographicallyPrecedes(b))
        }
        // As dictionary keys: every id found again, and no two distinct ids merged.
        let keyed = Dictionary(all.enumerated().map { (OID(bytes: $0.element), $0.offset) }, uniquingKeysWith: { first, _ in first })
        #expect(keyed.count == Set(all.map(Self.hex)).count)
        for bytes in all { #expect(keyed[OID(bytes: bytes)] != nil) }
    }
}
