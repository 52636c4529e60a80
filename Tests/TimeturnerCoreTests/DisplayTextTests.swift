import Testing
@testable import TimeturnerCore

@Suite struct DisplayTextTests {
    @Test func printableTextOfAnyScriptIsLeftAlone() {
        for text in ["plain ascii ~!@#$%^&*()", "café ü 日本語 עברית العربية", "emoji 🎉 and e\u{301} combining", ""] {
            #expect(DisplayText.escaped(text) == text)
        }
    }

    @Test func c0ControlsAndDEL() {
        #expect(DisplayText.escaped("a\u{1b}[2Jb") == "a\\e[2Jb")
        #expect(DisplayText.escaped("l1\nl2\rl3\tx") == "l1\\nl2\\rl3\\tx")
        #expect(DisplayText.escaped("\u{0}\u{7}\u{8}\u{1f}\u{7f}") == "\\x00\\x07\\x08\\x1f\\x7f")
        // Every C0 control and DEL becomes printable ASCII.
        let all = String(String.UnicodeScalarView((0..<0x20).map { Unicode.Scalar($0)! } + ["\u{7f}"]))
        #expect(DisplayText.escaped(all).utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7f })
    }

    @Test func multilineKeepsOnlyLineFeedsAndTabs() {
        #expect(DisplayText.escaped("a\n\tb\r\u{1b}", multiline: true) == "a\n\tb\\r\\e")
    }

    @Test func c1Controls() {
        #expect(DisplayText.escaped("x\u{9b}31my\u{85}z\u{80}\u{9f}") == "x\\u{9b}31my\\u{85}z\\u{80}\\u{9f}")
    }

    @Test(arguments: [0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0x200e, 0x200f, 0x061c] as [UInt32])
    func bidirectionalControls(_ value: UInt32) {
        let scalar = Unicode.Scalar(value)!
        #expect(DisplayText.escaped("a\(Character(scalar))b") == "a\\u{\(String(value, radix: 16))}b")
    }

    /// The Trojan Source pattern (CVE-2021-42574): RLO … LRI … PDI … LRI hides the real order
    /// of a line. Escaped, it shows every control where it is, in the stored order.
    @Test func trojanSourceSequence() {
        let attack = "access_level != \"user\u{202e} \u{2066}// Check if admin\u{2069} \u{2066}\" {"
        let shown = DisplayText.escaped(attack)
        #expect(shown == "access_level != \"user\\u{202e} \\u{2066}// Check if admin\\u{2069} \\u{2066}\" {")
        #expect(shown.unicodeScalars.allSatisfy { $0.isASCII })
    }

    @Test(arguments: [0x200b, 0x200c, 0x200d, 0x2060, 0xfeff, 0x00ad, 0x2061, 0x206a, 0xfff9, 0xe0001, 0xe0041] as [UInt32])
    func invisibleFormatCharacters(_ value: UInt32) {
        let scalar = Unicode.Scalar(value)!
        #expect(DisplayText.escaped("p\(Character(scalar))q") == "p\\u{\(String(value, radix: 16))}q")
    }

    @Test func lineAndParagraphSeparators() {
        #expect(DisplayText.escaped("a\u{2028}b\u{2029}c") == "a\\u{2028}b\\u{2029}c")
    }

    @Test func registrySubjectsUseTheSameEscapes() {
        #expect(KnownGoodRegistry.oneLine("ok\u{1b}[2J\nnext\u{202e}line", limit: 100) == "ok\\e[2J next\\u{202e}line")
        #expect(KnownGoodRegistry.oneLine("crlf\r\nnext", limit: 100) == "crlf next")
    }
}
