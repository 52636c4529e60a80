internal import Glibc

/// Paths are bytes in git: a file name need not be valid UTF-8 (`caf\351.txt` written on a
/// Latin-1 system). Swift strings are Unicode, so GitKit carries a path as a `String` that
/// keeps every byte: bytes that are not valid UTF-8 become the private-use scalars
/// U+10FE80 to U+10FEFF (one per byte), and so does each byte of a real name that happens to
/// contain one of those scalars, which makes the mapping reversible for every byte sequence.
/// Everything that hands a path back to libgit2 or to the file system turns it into its bytes
/// with `encoded`; everything that shows it uses `quoted`, the form of git's `core.quotePath`.
public enum PathBytes {
    static let escapeBase: UInt32 = 0x10FE00
    static let escapes: ClosedRange<UInt32> = 0x10FE80...0x10FEFF

    /// A path from libgit2 (NUL-terminated bytes).
    public static func decode(_ pointer: UnsafePointer<CChar>) -> String {
        decode(UnsafeRawBufferPointer(start: pointer, count: strlen(pointer)).map { $0 })
    }

    public static func decode(_ bytes: [UInt8]) -> String {
        var out = String.UnicodeScalarView()
        var index = 0
        while index < bytes.count {
            if let (scalar, length) = scalar(in: bytes, at: index), !escapes.contains(scalar.value) {
                out.append(scalar)
                index += length
            } else {
                let length = scalar(in: bytes, at: index)?.1 ?? 1
                for byte in bytes[index..<index + length] { out.append(Unicode.Scalar(escapeBase + UInt32(byte))!) }
                index += length
            }
        }
        return String(out)
    }

    /// The path's bytes, as they are on disk and in the index.
    public static func encoded(_ path: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(path.utf8.count)
        for scalar in path.unicodeScalars {
            if escapes.contains(scalar.value) { out.append(UInt8(scalar.value - escapeBase)) } else { out += Array(String(scalar).utf8) }
        }
        return out
    }

    /// A copy for C (`free` it), NUL-terminated.
    static func duplicate(_ path: String) -> UnsafeMutablePointer<CChar> {
        let bytes = encoded(path)
        let copy = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
        for (offset, byte) in bytes.enumerated() { copy[offset] = CChar(bitPattern: byte) }
        copy[bytes.count] = 0
        return copy
    }

    /// Runs `body` with the path as a NUL-terminated C string of its bytes.
    public static func withCString<T>(_ path: String, _ body: (UnsafePointer<CChar>) throws -> T) rethrows -> T {
        let copy = duplicate(path)
        defer { copy.deallocate() }
        return try body(copy)
    }

    /// The path as `git status` shows it with `core.quotePath` on: as is when it is plain
    /// printable ASCII, otherwise in double quotes with C escapes and every other byte in octal.
    public static func quoted(_ path: String) -> String {
        let bytes = encoded(path)
        guard bytes.contains(where: { $0 < 0x20 || $0 >= 0x7f || $0 == 0x22 || $0 == 0x5c }) else { return path }
        var out = "\""
        for byte in bytes {
            switch byte {
            case 0x07: out += "\\a"
            case 0x08: out += "\\b"
            case 0x09: out += "\\t"
            case 0x0a: out += "\\n"
            case 0x0b: out += "\\v"
            case 0x0c: out += "\\f"
            case 0x0d: out += "\\r"
            case 0x22: out += "\\\""
            case 0x5c: out += "\\\\"
            case 0x20..<0x7f: out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let octal = String(byte, radix: 8)
                out += "\\" + String(repeating: "0", count: 3 - octal.count) + octal
            }
        }
        return out + "\""
    }

    /// For JSON: the name itself when its bytes are UTF-8, else the quoted form (a JSON string
    /// cannot carry bytes that are not UTF-8).
    public static func jsonForm(_ path: String) -> String {
        path.unicodeScalars.contains { escapes.contains($0.value) } ? quoted(path) : path
    }

    /// The scalar of the well-formed UTF-8 sequence at `index`, with its length; nil when the
    /// bytes there are not one (overlong, surrogate, truncated, stray continuation byte).
    private static func scalar(in bytes: [UInt8], at index: Int) -> (Unicode.Scalar, Int)? {
        let first = bytes[index]
        if first < 0x80 { return (Unicode.Scalar(first), 1) }
        let length: Int, minimum: UInt32
        switch first {
        case 0xC2...0xDF: (length, minimum) = (2, 0x80)
        case 0xE0...0xEF: (length, minimum) = (3, 0x800)
        case 0xF0...0xF4: (length, minimum) = (4, 0x10000)
        default: return nil
        }
        guard index + length <= bytes.count else { return nil }
        var value = UInt32(first) & (0xFF >> (length + 1))
        for byte in bytes[index + 1..<index + length] {
            guard byte & 0xC0 == 0x80 else { return nil }
            value = value << 6 | UInt32(byte & 0x3F)
        }
        guard value >= minimum, let scalar = Unicode.Scalar(value) else { return nil }
        return (scalar, length)
    }
}
