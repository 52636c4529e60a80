/// The one generator of ids for things that need a unique, time-ordered name: points, registry
/// events, rollbacks, executors' backup files.
///
/// `20261121T223000Z-5f0c1a9e2b44`: the compact UTC stamp (fixed width, so plain string order
/// is time order), then 12 hex digits, zero-padded so that every id of the same second has the
/// same length and sorts the same way everywhere (`ls`, `sort`, ref listings).
///
/// Why 48 random bits: ids are drawn without coordination by every clone and every CI job,
/// and only ids drawn in the same second can collide. With 48 bits, 200 writers in one second
/// collide with a chance of about 1 in 10^10; the 16 bits points used before gave about 1 in 3
/// for the same load. 12 digits still keep a ref component short enough to type.
///
/// Valid as a ref component and as a file name: only digits, `T`, `Z`, `-` and lowercase hex.
public enum UniqueID {
    /// How many hex digits follow the stamp.
    public static let suffixDigits = 12

    public static func stamped(at time: Timestamp) -> String {
        var generator = SystemRandomNumberGenerator()
        return stamped(at: time, using: &generator)
    }

    /// The same with a chosen source of randomness, for tests that need a known suffix.
    static func stamped(at time: Timestamp, using generator: inout some RandomNumberGenerator) -> String {
        let suffix = String(UInt64.random(in: 0..<(1 << (4 * UInt64(suffixDigits))), using: &generator), radix: 16)
        return time.compactUTC + "-" + String(repeating: "0", count: suffixDigits - suffix.count) + suffix
    }
}
