import Testing
import TimeturnerCore

@Suite struct ElapsedTests {
    @Test func wholeUnitsRoundTowardsZero() {
        #expect(Duration.seconds(2).wholeMilliseconds == 2_000)
        #expect((Duration.milliseconds(1) + .microseconds(999)).wholeMilliseconds == 1)
        #expect(Duration.microseconds(999).wholeMilliseconds == 0)
        #expect((Duration.seconds(3) + .nanoseconds(1_500)).wholeMicroseconds == 3_000_001)
        #expect(Duration.milliseconds(1_999).wholeSeconds == 1)
        #expect(Duration.milliseconds(-1_500).wholeMilliseconds == -1_500)
    }

    @Test func peopleReadDurationsInTheirLargestUsefulUnit() {
        #expect(ElapsedText.describe(milliseconds: 350) == "350 ms")
        #expect(ElapsedText.describe(milliseconds: 1_999) == "1.9 s")
        #expect(ElapsedText.describe(milliseconds: 9_999) == "9.9 s")
        #expect(ElapsedText.describe(milliseconds: 125_000) == "2m05s")
        #expect(ElapsedText.describe(milliseconds: 3_725_000) == "1h02m")
    }
}
