import Testing
@testable import TimeturnerCore

@Suite struct UniqueIDTests {
    let time = Timestamp(secondsSinceEpoch: 1_795_000_000) // 2026-11-18T11:06:40Z

    @Test func stampThenTwelveLowercaseHexDigits() {
        let id = UniqueID.stamped(at: time)
        #expect(id.hasPrefix("20261118T110640Z-"))
        let suffix = id.dropFirst("20261118T110640Z-".count)
        #expect(suffix.count == 12)
        #expect(suffix.allSatisfy { "0123456789abcdef".contains($0) })
        #expect(RefComponentName.brokenRule(id) == nil)
    }

    /// A generator that always draws zero: the suffix must still have all twelve digits.
    struct Zeros: RandomNumberGenerator { mutating func next() -> UInt64 { 0 } }

    @Test func smallSuffixesAreZeroPaddedToTheSameWidth() {
        var zeros = Zeros()
        #expect(UniqueID.stamped(at: time, using: &zeros) == "20261118T110640Z-000000000000")
        let widths = Set((0..<1000).map { _ in UniqueID.stamped(at: time).count })
        #expect(widths == ["20261118T110640Z-".count + 12])
    }

    @Test func plainStringOrderIsTimeOrder() {
        let times = [0, 1, 59, 60, 3_599, 86_400, 31_536_000, 1_000_000_000].map { Timestamp(secondsSinceEpoch: time.secondsSinceEpoch + Int64($0)) }
        let ids = times.map { UniqueID.stamped(at: $0) }
        #expect(ids.shuffled().sorted() == ids)
    }

    @Test func noCollisionsInOneHundredThousandDrawsOfTheSameSecond() {
        var seen = Set<String>()
        for _ in 0..<100_000 { seen.insert(UniqueID.stamped(at: time)) }
        #expect(seen.count == 100_000)
    }
}
