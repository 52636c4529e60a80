import FoundationEssentials
import Testing
@testable import TimeturnerCore

/// `JSONValueEncoder` must give what the text round trip it replaced gives (`JSONEncoder`, then
/// `JSONValue.parseDocument`), so journal lines are byte for byte what they were.
@Suite struct JSONValueEncoderTests {
    /// The replaced path, kept here as the oracle.
    func roundTrip(_ value: some Encodable) -> JSONValue? {
        guard let data = try? JSONEncoder().encode(value) else { return nil }
        return JSONValue.parseDocument(Array(data))
    }

    func expectSame(_ value: some Encodable, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let oracle = try #require(roundTrip(value), sourceLocation: sourceLocation)
        let direct = try JSONValueEncoder.encode(value)
        #expect(direct == oracle, sourceLocation: sourceLocation)
        #expect(direct.canonicalLine == oracle.canonicalLine, sourceLocation: sourceLocation)
    }

    static let nested: JSONValue = [
        "text": "ünïcødé \u{1}\"quoted\"\n", "int": 42, "negative": -7, "double": .double(2.5), "integral double": .double(3.0),
        "big double": .double(1e300), "tiny": .double(5e-324), "null": .null, "yes": true, "no": false,
        "list": [1, "two", [3], ["four": 4], .null], "empty list": [], "empty object": [:],
    ]

    @Test func fullOperationEvent() throws {
        var event = OperationEvent(
            type: "rollback", v: 2, id: "20261201T000000Z-0123456789ab", by: "Ada <ada@example.com>",
            start: "2026-12-01T00:00:00Z", durationMs: 1234, status: .verificationFailedRestored, mode: "revert",
            from: String(repeating: "a", count: 40), to: String(repeating: "b", count: 40), head: "refs/heads/main",
            safetyRef: "refs/timeturner/safety/x", commit: String(repeating: "c", count: 40), target: "HEAD~3",
            env: "production", reason: "p99 up \"twice\"\t", range: "HEAD~3..HEAD", commits: 3, files: 12)
        event.undoes = "20261130T000000Z-000000000000"
        event.level = 2
        event.tiers = [TierRecord(tier: "db", executor: "postgres", action: "rollback", status: "succeeded",
                                  start: "2026-12-01T00:00:01Z", durationMs: 10, detail: "ok", capture: Self.nested),
                       TierRecord(tier: "code", status: "failed", durationMs: 0)]
        event.captures = [TierRecord(tier: "config", status: "succeeded", durationMs: Int64.max, capture: [:])]
        event.tierRestores = []
        event.verification = [VerificationRecord(command: "curl -f http://127.0.0.1/", status: "failed", exitStatus: 22, signal: nil,
                                                 error: "exit 22", durationMs: 5, check: Self.nested),
                              VerificationRecord(command: "true", status: "succeeded", exitStatus: Int32.min, signal: 9, error: nil,
                                                 durationMs: -1, check: nil)]
        event.activation = nil
        event.dataLoss = [DataLossRecord(tier: "db", discards: "writes after the capture", capturedAt: nil)]
        event.attempt = 3
        event.escalatedFrom = "20261130T000000Z-ffffffffffff"
        event.failedStep = "update the work tree"
        event.error = "disk full; /repo/file"
        event.restoreError = "a | b"
        try expectSame(event)
    }

    @Test func sparseEvents() throws {
        let event = OperationEvent(
            type: "undo", v: 1, id: "x", by: "", start: "", durationMs: nil, status: .inProgress, mode: "", from: "", to: "",
            head: "", safetyRef: "", commit: nil, target: nil, env: nil, reason: nil, range: nil, commits: nil, files: nil)
        try expectSame(event)
        var guardEvent = GuardEvent(id: "g", start: "2026-12-01T00:00:00Z", status: .ok, env: "staging",
                                    commit: String(repeating: "d", count: 40), checks: [Self.nested, [:], "plain"], decision: "none")
        try expectSame(guardEvent)
        guardEvent.pointCreated = false
        guardEvent.windowMs = 0
        guardEvent.level = -1
        try expectSame(guardEvent)
    }

    /// Numbers at the edges of how the text reads back: integral doubles become integers where
    /// they fit, unsigned integers past `Int64.max` become doubles, floats keep their short text.
    @Test func numbersReadBackAsTheTextDoes() throws {
        let doubles: [Double] = [0, -0.0, 1, -1, 2.0, 0.1, 1e15, 1e16, 1e17, 1e18, 9.2e18, 9.3e18, -9.2e18, 1e19, 1e300,
                                 -1e300, 4503599627370496.5, 9007199254740993, 123456789.125, .leastNonzeroMagnitude,
                                 .greatestFiniteMagnitude, -9_223_372_036_854_775_808.0, 9_223_372_036_854_775_808.0]
        for value in doubles { try expectSame(["n": value]) }
        try expectSame(doubles)
        let unsigned: [UInt64] = [0, 1, UInt64(Int64.max), UInt64(Int64.max) + 1, .max]
        for value in unsigned { try expectSame(["n": value]) }
        let floats: [Float] = [0.1, 1.5, 3, 1e10, 3.4e38, -2.5e-7]
        for value in floats { try expectSame(["n": value]) }
        try expectSame(["small": Int8.min, "big": Int8.max])
        try expectSame([Int64.min, Int64.max])
    }

    @Test func topLevelValuesAndOptionals() throws {
        try expectSame("just a string")
        try expectSame(7)
        try expectSame(true)
        try expectSame(["a", nil, "c"] as [String?])
        try expectSame(["a": [String: Int]()])
        try expectSame([1: "integer keys"])
    }

    @Test func refusesWhatJSONEncoderWritesByStrategy() {
        #expect(throws: EncodingError.self) { try JSONValueEncoder.encode(["d": Data([1, 2])]) }
        #expect(throws: EncodingError.self) { try JSONValueEncoder.encode(["d": Date(timeIntervalSince1970: 0)]) }
        #expect(throws: EncodingError.self) { try JSONValueEncoder.encode(["n": Double.nan]) }
        #expect(throws: EncodingError.self) { try JSONValueEncoder.encode([Double.infinity]) }
        // The replaced path failed for non-finite numbers too.
        #expect(roundTrip(["n": Double.nan]) == nil)
    }

    /// The decoder's new order of guesses reads every kind as before.
    @Test func decodingReadsEveryKind() throws {
        let text = #"{"s":"x","o":{"a":[1,2.5,"t",null,true,false,{}]},"i":-3,"d":1.25,"b":true,"n":null,"e":[],"big":1e400}"#
        #expect(JSONValue.parseDocument(Array(text.utf8)) == nil, "a number out of range fails the document, as before")
        let valid = text.replacing(",\"big\":1e400", with: "")
        let value = try #require(JSONValue.parseDocument(Array(valid.utf8)))
        #expect(value == ["s": "x", "o": ["a": [1, .double(2.5), "t", .null, true, false, [:]]], "i": -3, "d": .double(1.25), "b": true, "n": .null, "e": []])
        #expect(JSONValue.parseDocument(Array("2.0".utf8)) != nil)
        #expect(JSONValue.parseDocument(Array("[1".utf8)) == nil)
    }
}
