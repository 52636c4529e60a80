import Testing
@testable import TimeturnerCore

@Suite struct EncodingTests {
    @Test func canonicalLinePutsTypeFirstAndSortsTheRest() {
        let value: JSONValue = ["v": 1, "id": "p1", "type": "point", "at": "2026-11-21T00:00:00Z", "nested": ["b": 1, "a": true]]
        #expect(value.canonicalLine == #"{"type":"point","at":"2026-11-21T00:00:00Z","id":"p1","nested":{"a":true,"b":1},"v":1}"#)
    }

    @Test func canonicalLineEscapesEveryControlCharacter() {
        let value: JSONValue = ["type": "x", "s": .string("a\u{1b}[31mb\nc\u{7}\u{9b}\"\\")]
        let line = value.canonicalLine
        #expect(!line.contains("\u{1b}"))
        #expect(!line.contains("\n"))
        #expect(line == #"{"type":"x","s":"a\u001b[31mb\nc\u0007\u009b\"\\"}"#)
        // And it parses back to the same string.
        let parsed = JSONLines.parse(line, source: "test")
        #expect(parsed.objects.first?["s"]?.stringValue == "a\u{1b}[31mb\nc\u{7}\u{9b}\"\\")
    }

    @Test func prettyOutputIsIndentedSortedAndParsesBackToTheSameValue() throws {
        let value: JSONValue = [
            "b": ["plain", "needs \"escaping\"\n", "\u{1b}[2J", "line\u{2028}sep", "é ü 日本", "c1\u{85}"],
            "a": ["nested": [:], "empty": [], "n": 3, "none": .null, "yes": true],
        ]
        let pretty = value.pretty()
        #expect(pretty.hasPrefix("{\n  \"a\": {\n    \"empty\": [],\n    \"n\": 3,\n    \"nested\": {},\n"))
        #expect(pretty.hasSuffix("\n  ]\n}"))
        #expect(!pretty.contains("\u{1b}") && !pretty.contains("\u{2028}") && !pretty.contains("\u{85}"))
        #expect(pretty.contains("\"é ü 日本\""))
        let reparsed = JSONLines.parse(pretty.split(separator: "\n").joined(), source: "test")
        #expect(reparsed.objects == [value])
    }

    @Test func brokenLinesAreSkippedWithTheirLineNumbersAndGoodOnesKept() {
        var bytes = Array("{\"type\":\"good\",\"n\":1}\n".utf8)
        bytes += Array("not json\n".utf8)
        bytes += Array("{\"type\":\"trunc".utf8) + [0x0a]
        bytes += Array("{\"type\":\"nul\u{0}\"}\n".utf8)
        bytes += [0x7b, 0xff, 0xfe, 0x7d, 0x0a]
        bytes += Array("[1,2]\n\n".utf8)
        bytes += Array("{\"type\":\"good\",\"n\":2,\"future\":{\"x\":[1]}}\n".utf8)
        let parsed = JSONLines.parse(bytes, source: "refs/timeturner/registry:marks/p/2026-11.jsonl")
        #expect(parsed.objects.count == 2)
        #expect(parsed.objects.last?["future"]?["x"] == [1])
        #expect(parsed.skipped.map(\.lineNumber) == [2, 3, 4, 5, 6])
        #expect(parsed.skipped[2].reason.contains("NUL"))
        #expect(parsed.skipped[3].reason.contains("UTF-8"))
        #expect(parsed.skipped[0].description.hasPrefix("refs/timeturner/registry:marks/p/2026-11.jsonl:2:"))
    }

    @Test func timestampsFormatAndParseAsUTC() throws {
        let t = Timestamp(secondsSinceEpoch: 1_795_000_000)
        #expect(t.rfc3339 == "2026-11-18T11:06:40Z")
        #expect(t.compactUTC == "20261118T110640Z")
        #expect(t.yearMonth == "2026-11")
        #expect(Timestamp(rfc3339: "2026-11-18T11:06:40Z") == t)
        #expect(Timestamp(rfc3339: "2026-11-18T12:06:40+01:00") == t)
        #expect(Timestamp(rfc3339: "yesterday") == nil)
        #expect(t.age(relativeTo: Timestamp(secondsSinceEpoch: 1_795_000_000 + 7200)) == "2h ago")
    }

    @Test func durationsParseUnitsAndRefuseNonsense() {
        #expect(TimeSpan(parsing: "7d")?.seconds == 604_800)
        #expect(TimeSpan(parsing: "12h")?.seconds == 43_200)
        #expect(TimeSpan(parsing: "90s")?.seconds == 90)
        #expect(TimeSpan(parsing: "2w")?.description == "2w")
        #expect(TimeSpan(parsing: "7") == nil)
        #expect(TimeSpan(parsing: "-1d") == nil)
        #expect(TimeSpan(parsing: "d") == nil)
        #expect(TimeSpan(parsing: "99999999999999999d") == nil)
    }

    @Test func gitDatesParseLikeGit() {
        #expect(Attribution.parseGitDate("@1795000000 +0000")?.secondsSinceEpoch == 1_795_000_000)
        #expect(Attribution.parseGitDate("1795000000 +0100")?.secondsSinceEpoch == 1_795_000_000)
        #expect(Attribution.parseGitDate("2026-11-18T11:06:40Z")?.secondsSinceEpoch == 1_795_000_000)
        #expect(Attribution.parseGitDate("last tuesday") == nil)
    }
}

@Suite struct TimestampFormattingTests {
    /// Edge cases (leap days, year boundaries, the last four-digit second) and 5,000 pseudo-random
    /// times in 1970–9999.
    static func sampleSeconds(seed: UInt64) -> [Int64] {
        var seconds: [Int64] = [0, 1, 59, 86_399, 86_400, 68_169_599, 68_169_600, 951_782_399, 951_782_400,
                                951_868_799, 978_307_199, 1_700_000_000, 4_107_542_399, 4_107_542_400,
                                Timestamp.year10000 - 1]
        var seed = seed
        for _ in 0..<5000 {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            seconds.append(Int64((seed >> 20) % UInt64(Timestamp.year10000)))
        }
        return seconds
    }

    @Test func rfc3339MatchesFoundationsISO8601Formatter() {
        for value in Self.sampleSeconds(seed: 42) {
            let timestamp = Timestamp(secondsSinceEpoch: value)
            #expect(timestamp.rfc3339 == timestamp.rfc3339ThroughFoundation, "\(value)")
        }
        #expect(Timestamp(secondsSinceEpoch: 951_782_400).rfc3339 == "2000-02-29T00:00:00Z")
    }

    @Test func parsingWhatItWritesMatchesFoundationsISO8601Parser() {
        for value in Self.sampleSeconds(seed: 7) {
            let text = Timestamp(secondsSinceEpoch: value).rfc3339
            #expect(Timestamp.secondsOfPlainUTC(text) == value, "\(text)")
            #expect(Timestamp.secondsThroughFoundation(text) == value, "\(text)")
        }
    }

    /// Anything but the plain form is Foundation's to read (or refuse), exactly as before.
    @Test func otherFormsAreLeftToFoundation() {
        let texts = ["2026-02-29T00:00:00Z", "2024-02-29T00:00:00Z", "2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z",
                     "2026-04-31T12:00:00Z", "2026-11-21T24:00:00Z", "2026-11-21T23:60:00Z", "2026-11-21T23:59:60Z",
                     "1969-12-31T23:59:59Z", "2026-11-21T22:30:00+01:00", "2026-11-21T22:30:00.5Z", "2026-11-21 22:30:00Z",
                     "2026-11-21t22:30:00z", "+026-11-21T22:30:00Z", "２026-11-21T22:30:00Z", "2026-11-21", "", "garbage"]
        for text in texts {
            let expected = Timestamp.secondsThroughFoundation(text)
                ?? (text.count == 10 ? Timestamp.secondsThroughFoundation(text + "T00:00:00Z") : nil)
            #expect(Timestamp(rfc3339: text)?.secondsSinceEpoch == expected, "\(text)")
            if text == "2024-02-29T00:00:00Z" { #expect(Timestamp.secondsOfPlainUTC(text) == 1_709_164_800) }
            if text != "2024-02-29T00:00:00Z" { #expect(Timestamp.secondsOfPlainUTC(text) == nil, "\(text)") }
        }
    }

    @Test func outsideFourDigitYearsItStillFormats() {
        for value: Int64 in [-1, -86_400 * 400, Timestamp.year10000] {
            let timestamp = Timestamp(secondsSinceEpoch: value)
            #expect(timestamp.rfc3339 == timestamp.rfc3339ThroughFoundation)
        }
    }
}

@Suite struct JSONStringEscapingTests {
    /// RFC 8259 §7: '"', '\' and U+0000–U+001F must be escaped; the rest may appear raw.
    @Test func everythingJSONRequiresIsEscapedAndReadsBack() {
        var text = "\"\\/"
        for value in 0..<0x20 { text.unicodeScalars.append(Unicode.Scalar(UInt8(value))) }
        text += "\u{202e}é"
        let line = JSONValue.object(["type": "x", "s": .string(text)]).canonicalLine
        let inside = line.utf8.dropFirst(#"{"type":"x","s":""#.utf8.count).dropLast(2)
        #expect(!inside.contains { $0 < 0x20 })
        #expect(line.contains(#""\"\\/\u0000\u0001"#))
        #expect(JSONLines.parse(line, source: "test").objects.first?["s"]?.stringValue == text)
    }

    /// Every scalar up to U+3000 and the first of every later block of 256, between two letters:
    /// no control character (C0, DEL, C1, U+2028, U+2029) comes out raw, whichever path
    /// (bytes copied whole, or scalar by scalar) the writer took, and the text reads back.
    @Test func noControlCharacterIsWrittenRaw() {
        let raw: Set<UInt32> = Set(Array(0..<0x20) + [0x7f] + Array(0x80..<0xa0) + [0x2028, 0x2029])
        let values = Array(0..<0x3000) + Array(stride(from: 0x3000, to: 0x110000, by: 256))
        for value in values {
            guard let scalar = Unicode.Scalar(UInt32(value)) else { continue }   // surrogates
            var text = "a"
            text.unicodeScalars.append(scalar)
            text += "b"
            let line = JSONValue.object(["type": "x", "s": .string(text)]).canonicalLine
            let written = line.unicodeScalars.map(\.value)
            #expect(!written.contains { raw.contains($0) }, "U+\(String(value, radix: 16)) written raw: \(line)")
            #expect(JSONLines.parse(line, source: "test").objects.first?["s"]?.stringValue == text, "U+\(String(value, radix: 16))")
        }
    }
}
