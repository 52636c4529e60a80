/// Reading annotated tag objects from their raw bytes.
///
/// `Repository.annotatedTag` reads the object once through the object database and parses it
/// here, instead of `git_tag_lookup` (which parses into C strings that are then copied into
/// Swift a second time, and caches a `git_tag` we never look at again). Listing 10,000 points
/// reads 10,000 tags, so this is on the hot path.
///
/// The grammar accepted is deliberately narrow: exactly the shape git and libgit2 write
/// (`object`, `type`, `tag`, `tagger` with a well-formed `Name <email> seconds ±hhmm`, a blank
/// line, the message), where libgit2's parser provably gives the same values. Anything else (no
/// tagger, extra headers, a NUL in the tag name, an odd signature) returns nil and the caller
/// falls back to libgit2's own parser, so odd tags read exactly as before.
extension AnnotatedTag {
    init?(id: OID, parsing bytes: UnsafeRawBufferPointer) {
        var cursor = ByteCursor(bytes)
        guard cursor.skip("object "), let targetHex = cursor.line(), targetHex.count == 40,
              let target = OID(hexBytes: targetHex) else { return nil }
        guard cursor.skip("type "), let type = cursor.line() else { return nil }
        let targetIsCommit: Bool
        switch String(decoding: type, as: UTF8.self) {
        case "commit": targetIsCommit = true
        case "tree", "blob", "tag": targetIsCommit = false
        default: return nil
        }
        guard cursor.skip("tag "), let name = cursor.line(), !name.contains(0) else { return nil }
        guard cursor.skip("tagger "), let taggerLine = cursor.line(),
              let tagger = Signature(strictlyParsing: taggerLine) else { return nil }
        // The blank line that ends the header; anything else (more headers) is left to libgit2.
        guard cursor.skip("\n") else { return nil }
        var message = cursor.rest
        // libgit2 hands the message out as a C string: it ends at the first NUL.
        if let nul = message.firstIndex(of: 0) { message = UnsafeRawBufferPointer(rebasing: message[..<nul]) }
        self.init(id: id, name: String(decoding: name, as: UTF8.self), target: target, targetIsCommit: targetIsCommit,
                  tagger: tagger, message: String(decoding: message, as: UTF8.self))
    }
}

extension Signature {
    /// `Name <email> 1700000000 +0100`, with nothing libgit2 would trim or reinterpret: a
    /// non-empty name and email without surrounding white space, one `<` and one `>`, a decimal
    /// time and a four-digit offset. Nil for anything else.
    init?(strictlyParsing line: UnsafeRawBufferPointer) {
        guard let open = line.firstIndex(of: UInt8(ascii: "<")), let close = line.firstIndex(of: UInt8(ascii: ">")),
              open < close, line.lastIndex(of: UInt8(ascii: "<")) == open,
              line.lastIndex(of: UInt8(ascii: ">")) == close,
              open >= 2, line[open - 1] == 0x20 else { return nil }
        let name = UnsafeRawBufferPointer(rebasing: line[..<(open - 1)])
        let email = UnsafeRawBufferPointer(rebasing: line[(open + 1)..<close])
        func trimmed(_ part: UnsafeRawBufferPointer) -> Bool {
            guard let first = part.first, let last = part.last else { return false }
            return !Signature.isSpace(first) && !Signature.isSpace(last) && !part.contains(0)
        }
        guard trimmed(name), trimmed(email) else { return nil }
        // " <seconds> <sign><hhmm>" after the '>'.
        let tail = UnsafeRawBufferPointer(rebasing: line[(close + 1)...])
        guard tail.count >= 8, tail.count <= 25, tail[0] == 0x20 else { return nil }
        let zone = UnsafeRawBufferPointer(rebasing: tail[(tail.count - 6)...])
        guard zone[0] == 0x20, zone[1] == UInt8(ascii: "+") || zone[1] == UInt8(ascii: "-") else { return nil }
        let secondsDigits = UnsafeRawBufferPointer(rebasing: tail[1..<(tail.count - 6)])
        let zoneDigits = UnsafeRawBufferPointer(rebasing: zone[2...])
        guard !secondsDigits.isEmpty, secondsDigits.count <= 18,
              secondsDigits.allSatisfy(Signature.isDigit), zoneDigits.allSatisfy(Signature.isDigit) else { return nil }
        let seconds = secondsDigits.reduce(Int64(0)) { $0 * 10 + Int64($1 - 0x30) }
        let hhmm = zoneDigits.reduce(Int32(0)) { $0 * 10 + Int32($1 - 0x30) }
        // libgit2 keeps offset 0 for an out-of-range zone rather than failing.
        var offset: Int32 = 0
        if hhmm / 100 <= 14 && hhmm % 100 <= 59 {
            offset = (hhmm / 100) * 60 + hhmm % 100
            if zone[1] == UInt8(ascii: "-") { offset = -offset }
        }
        self.init(name: String(decoding: name, as: UTF8.self), email: String(decoding: email, as: UTF8.self),
                  time: seconds, offsetMinutes: offset)
    }

    /// `git__isspace`.
    static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || (c >= 0x09 && c <= 0x0d) }
    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
}

extension OID {
    /// 40 lowercase hex digits, as git writes them.
    init?(hexBytes: UnsafeRawBufferPointer) {
        guard hexBytes.count == 40 else { return nil }
        var out = [UInt8](repeating: 0, count: 20)
        for i in 0..<20 {
            guard let high = OID.nibble(hexBytes[2 * i]), let low = OID.nibble(hexBytes[2 * i + 1]) else { return nil }
            out[i] = high << 4 | low
        }
        self.init(bytes: out)
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        default: nil
        }
    }
}

/// Header lines of a raw object, read front to back.
private struct ByteCursor {
    let bytes: UnsafeRawBufferPointer
    var position = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Consumes `prefix` if the bytes continue with it.
    mutating func skip(_ prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard bytes.count - position >= count else { return false }
        for k in 0..<count where bytes[position + k] != prefix.utf8Start[k] { return false }
        position += count
        return true
    }

    /// The rest of the line (without its "\n"), consuming the "\n"; nil when no "\n" follows.
    mutating func line() -> UnsafeRawBufferPointer? {
        guard let end = bytes[position...].firstIndex(of: 0x0a) else { return nil }
        let line = UnsafeRawBufferPointer(rebasing: bytes[position..<end])
        position = end + 1
        return line
    }

    var rest: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[position...]) }
}
