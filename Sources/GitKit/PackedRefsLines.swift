internal import Glibc

/// The lines of a `packed-refs` file as git writes them, read in place: the header
/// (`# pack-refs with: peeled fully-peeled sorted`), a reference (`<40 hex> <name>`), the peeled
/// value of the reference above it (`^<40 hex>`), or anything else. Offsets index the bytes the
/// lines were read from, so a caller makes a String only of what it wants.
///
/// One reader for the three scans that do not go through libgit2 (which turns every line into a
/// reference object): the ref writer's name-conflict check, completion's name listing and the
/// points-on-a-commit lookup.
struct PackedRefsLines: Sequence, IteratorProtocol {
    enum Line {
        case header(Range<Int>)
        /// `hex`: where the 40 hex digits start; `name`: the rest of the line, never empty.
        case reference(hex: Int, name: Range<Int>)
        /// `hex`: where the peeled value's 40 hex digits start; nil for a line too short to hold them.
        case peeled(hex: Int?)
        /// A line that is none of the above (git would refuse the file; the scans skip it).
        case other
    }

    let bytes: UnsafeBufferPointer<UInt8>
    private var lineStart = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func next() -> Line? {
        guard let base = bytes.baseAddress, lineStart < bytes.count else { return nil }
        let start = lineStart
        let newline = memchr(base + start, 0x0a, bytes.count - start)
        let end = newline.map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) - base } ?? bytes.count
        lineStart = end + 1
        switch bytes[start] {
        case 0x23: return .header(start..<end)                            // '#'
        case 0x5e: return .peeled(hex: end - start >= 41 ? start + 1 : nil)  // '^'
        default:
            guard end > start + 41, bytes[start + 40] == 0x20 else { return .other }
            return .reference(hex: start, name: (start + 41)..<end)
        }
    }

    /// Whether the bytes at `range` start with `prefix`.
    func has(_ range: Range<Int>, prefix: [UInt8]) -> Bool {
        range.count >= prefix.count && memcmp(bytes.baseAddress! + range.lowerBound, prefix, prefix.count) == 0
    }

    func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }
}
