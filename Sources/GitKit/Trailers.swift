internal import CLibgit2

/// git's trailer rules (`git interpret-trailers`), as libgit2 1.5.1 implements them.
///
/// `parse` is a byte-level Swift port of libgit2 1.5.1's `git_message_trailers` (trailer.c): the
/// same trailer-block search (title paragraph, a line starting with `---` as the patch start,
/// trailing comment and "Conflicts:" blocks, the all-trailers or 25 %-with-a-git-prefix rule) and
/// the same key/value state machine, quirks included. Listing 10,000 points spent a tenth of its time copying every
/// message into C and the trailers back out; `GitKitTests.TrailerTests` checks that both give the
/// same answer on odd messages, through `parseWithLibgit2`.
public enum Trailers {
    /// The trailers of a message's last paragraph, in order, keys as written.
    public static func parse(_ message: String) -> [(key: String, value: String)] {
        var message = message
        return message.withUTF8 { parse(utf8: $0) }
    }

    /// The same from UTF-8 bytes (a NUL ends the message, as in C).
    public static func parse(utf8 bytes: UnsafeBufferPointer<UInt8>) -> [(key: String, value: String)] {
        let length = bytes.firstIndex(of: 0) ?? bytes.count
        // Everything below indexes a NUL-terminated copy, as the C code does.
        var text = [UInt8](unsafeUninitializedCapacity: length + 1) { buffer, count in
            for i in 0..<length { buffer[i] = bytes[i] }
            buffer[length] = 0
            count = length + 1
        }
        // Unchecked buffer access, like the C code, instead of the array's bounds checks (half of
        // the parse's cost): every scan stops at the terminating NUL. Debug builds, which the
        // tests run, still check each index.
        return text.withUnsafeMutableBufferPointer { (buffer: inout UnsafeMutableBufferPointer<UInt8>) in
            let text = UnsafeBufferPointer(buffer)
            let patchStart = findPatchStart(text)
            let trailerEnd = patchStart - ignoredTail(text, length: patchStart)
            let trailerStart = findTrailerStart(text, length: trailerEnd)
            guard trailerStart < trailerEnd else { return [] }
            // The block ends where the C code's copy of it would: the state machine reads no further
            // than this NUL and never before `trailerStart`, and writes NULs into it like the C code.
            buffer[trailerEnd] = 0
            return splitTrailers(buffer, from: trailerStart)
        }
    }

    /// libgit2's own parser, kept as the reference the Swift port is tested against.
    static func parseWithLibgit2(_ message: String) -> [(key: String, value: String)] {
        Libgit2.ensureInitialised()
        var array = git_message_trailer_array()
        guard git_message_trailers(&array, message) == 0 else { git_error_clear(); return [] }
        defer { git_message_trailer_array_free(&array) }
        return (0..<array.count).map { index in
            let trailer = array.trailers[index]
            return (String(cString: trailer.key), String(cString: trailer.value))
        }
    }

    // MARK: - The port (names follow trailer.c)

    private static let newline = UInt8(ascii: "\n"), comment = UInt8(ascii: "#")

    /// `git__isspace`: space, \t, \n, \v, \f, \r.
    private static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || (c >= 0x09 && c <= 0x0d) }

    private static func isAlphanumeric(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
    }

    private static func hasPrefix(_ text: UnsafeBufferPointer<UInt8>, at index: Int, _ prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard index + count <= text.count else { return false }
        for k in 0..<count where text[index + k] != prefix.utf8Start[k] { return false }
        return true
    }

    /// The index after the next "\n" from `index`, or of the terminating NUL.
    private static func nextLine(_ text: UnsafeBufferPointer<UInt8>, _ index: Int) -> Int {
        var i = index
        while text[i] != 0 {
            if text[i] == newline { return i + 1 }
            i += 1
        }
        return i
    }

    private static func isBlankLine(_ text: UnsafeBufferPointer<UInt8>, _ index: Int) -> Bool {
        var i = index
        while text[i] != 0, text[i] != newline, isSpace(text[i]) { i += 1 }
        return text[i] == 0 || text[i] == newline
    }

    /// The start of the last line of the first `length` bytes (a final "\n" belongs to it).
    private static func lastLine(_ text: UnsafeBufferPointer<UInt8>, length: Int) -> Int? {
        if length == 0 { return nil }
        if length == 1 { return 0 }
        var i = length - 2
        while i > 0 {
            if text[i] == newline { return i + 1 }
            i -= 1
        }
        return 0
    }

    /// `<token><optional whitespace>:` at the line's start: the separator's offset.
    private static func separatorOffset(_ text: UnsafeBufferPointer<UInt8>, _ line: Int) -> Int? {
        var whitespaceFound = false
        var i = line
        while text[i] != 0 {
            let c = text[i]
            if c == UInt8(ascii: ":") { return i - line }
            if !whitespaceFound && (isAlphanumeric(c) || c == UInt8(ascii: "-")) { i += 1; continue }
            if i != line && (c == 0x20 || c == 0x09) { whitespaceFound = true; i += 1; continue }
            break
        }
        return nil
    }

    private static func findPatchStart(_ text: UnsafeBufferPointer<UInt8>) -> Int {
        var s = 0
        while text[s] != 0 {
            // 1.5.1 takes any line starting with "---" (later libgit2 also wants white space after it).
            if hasPrefix(text, at: s, "---") { return s }
            s = nextLine(text, s)
        }
        return s
    }

    /// How many bytes at the end are comments, blank lines or an old "Conflicts:" block.
    private static func ignoredTail(_ text: UnsafeBufferPointer<UInt8>, length: Int) -> Int {
        var beginningOfComments = 0, line = 0
        var inConflictsBlock = false
        while line < length {
            var next = line
            while next < length, text[next] != newline { next += 1 }
            if next < length { next += 1 }
            if text[line] == comment || text[line] == newline {
                if beginningOfComments == 0 { beginningOfComments = line }
            } else if hasPrefix(text, at: line, "Conflicts:\n") {
                inConflictsBlock = true
                if beginningOfComments == 0 { beginningOfComments = line }
            } else if inConflictsBlock && text[line] == 0x09 {
                // a path in the conflicts block
            } else if beginningOfComments != 0 {
                beginningOfComments = 0
                inConflictsBlock = false
            }
            line = next
        }
        return beginningOfComments != 0 ? length - beginningOfComments : 0
    }

    private static func findTrailerStart(_ text: UnsafeBufferPointer<UInt8>, length: Int) -> Int {
        // The first paragraph is the title and cannot hold trailers.
        var s = 0
        while s < length {
            if text[s] != comment, isBlankLine(text, s) { break }
            s = nextLine(text, s)
        }
        let endOfTitle = s
        var onlySpaces = true, recognizedPrefix = false
        var trailerLines = 0, nonTrailerLines = 0, possibleContinuationLines = 0
        var l = length
        while let start = lastLine(text, length: l), start >= endOfTitle {
            l = start
            if text[start] == comment {
                nonTrailerLines += possibleContinuationLines
                possibleContinuationLines = 0
                continue
            }
            if isBlankLine(text, start) {
                if onlySpaces { continue }
                nonTrailerLines += possibleContinuationLines
                if recognizedPrefix && trailerLines * 3 >= nonTrailerLines { return nextLine(text, start) }
                if trailerLines > 0 && nonTrailerLines == 0 { return nextLine(text, start) }
                return length
            }
            onlySpaces = false
            if hasPrefix(text, at: start, "Signed-off-by: ") || hasPrefix(text, at: start, "(cherry picked from commit ") {
                trailerLines += 1
                possibleContinuationLines = 0
                recognizedPrefix = true
                continue
            }
            if let separator = separatorOffset(text, start), separator >= 1, !isSpace(text[start]) {
                trailerLines += 1
                possibleContinuationLines = 0
            } else if isSpace(text[start]) {
                possibleContinuationLines += 1
            } else {
                nonTrailerLines += 1 + possibleContinuationLines
                possibleContinuationLines = 0
            }
        }
        return length
    }

    private enum State { case start, key, keyWhitespace, separatorWhitespace, value, valueNewline, valueEnd, ignore }

    /// The key/value state machine over the NUL-terminated block, writing NULs where C does.
    private static func splitTrailers(_ block: UnsafeMutableBufferPointer<UInt8>, from start: Int) -> [(key: String, value: String)] {
        var out: [(key: String, value: String)] = []
        var state = State.start
        var p = start, key = start, value = start
        func string(at index: Int) -> String {
            var end = index
            while block[end] != 0 { end += 1 }
            return String(decoding: block[index..<end], as: UTF8.self)
        }
        loop: while true {
            switch state {
            case .start:
                if block[p] == 0 { break loop }
                key = p
                state = .key
            case .key:
                let c = block[p]
                if c == 0 { break loop }
                if isAlphanumeric(c) || c == UInt8(ascii: "-") { p += 1 }
                else if c == 0x20 || c == 0x09 { block[p] = 0; p += 1; state = .keyWhitespace }
                else if c == UInt8(ascii: ":") { block[p] = 0; p += 1; state = .separatorWhitespace }
                else { state = .ignore }
            case .keyWhitespace:
                let c = block[p]
                if c == 0 { break loop }
                if c == 0x20 || c == 0x09 { p += 1 }
                else if c == UInt8(ascii: ":") { p += 1; state = .separatorWhitespace }
                else { state = .ignore }
            case .separatorWhitespace:
                let c = block[p]
                if c == 0 { break loop }
                if c == 0x20 || c == 0x09 { p += 1 } else { value = p; p += 1; state = .value }
            case .value:
                let c = block[p]
                if c == 0 { state = .valueEnd }
                else if c == newline { p += 1; state = .valueNewline }
                else { p += 1 }
            case .valueNewline:
                if block[p] == 0x20 { p += 1; state = .value }  // a continuation line
                else { block[p - 1] = 0; state = .valueEnd }
            case .valueEnd:
                out.append((string(at: key), string(at: value)))
                state = .start
            case .ignore:
                let c = block[p]
                if c == 0 { break loop }
                p += 1
                if c == newline { state = .start }
            }
        }
        return out
    }
}
