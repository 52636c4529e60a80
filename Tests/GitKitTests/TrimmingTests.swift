import GitKit
import Testing

@Suite struct TrimmingTests {
    @Test func removesOnlyTheChosenCharactersAndOnlyAtTheEnds() {
        #expect("\n\nsubject\n\nbody\n".trimming { $0 == "\n" } == "subject\n\nbody")
        #expect("  a b \t".trimming(\.isWhitespace) == "a b")
        #expect("._remote.name_.".trimming { $0 == "." || $0 == "_" } == "remote.name")
        #expect(" x ".trimming { $0 == "\n" } == " x ")
    }

    @Test func everythingTrimmedLeavesTheEmptyString() {
        #expect("\n\n".trimming { $0 == "\n" } == "")
        #expect("".trimming(\.isWhitespace) == "")
    }

    @Test func worksOnWholeCharactersSoCRLFIsOne() {
        #expect("message\r\n".trimming(\.isNewline) == "message")
        #expect("message\r\n".trimming { $0 == "\n" } == "message\r\n")
    }

    @Test func substringsToo() {
        let line: Substring = "  indented \r"
        #expect(line.trimming { $0 == " " || $0 == "\r" } == "indented")
    }
}
