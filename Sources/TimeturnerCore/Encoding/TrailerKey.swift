/// Every `Timeturner-*` git trailer key the tool writes, in one place (docs/storage.md lists
/// what each holds), and the one way to compare them.
///
/// git treats trailer keys case-insensitively (`git interpret-trailers`, `%(trailers:key=…)`),
/// so a key someone wrote by hand as `timeturner-env` is the same key: compare with
/// `TrailerKey.matches`, never with `==`.
public enum TrailerKey {
    /// What every key starts with.
    public static let prefix = "Timeturner-"

    // Rollback points (annotated tag messages).
    public static let point = "Timeturner-Point"
    public static let severity = "Timeturner-Severity"
    public static let env = "Timeturner-Env"
    public static let tier = "Timeturner-Tier"

    // Rollback and revert commits.
    public static let rollback = "Timeturner-Rollback"
    public static let from = "Timeturner-From"
    public static let to = "Timeturner-To"
    public static let reverts = "Timeturner-Reverts"

    // Safety backups.
    public static let head = "Timeturner-Head"
    public static let dirty = "Timeturner-Dirty"

    // Registry commits (marks).
    public static let event = "Timeturner-Event"
    public static let commit = "Timeturner-Commit"

    /// Whether `written` (a key as found in a message) is `key`, ignoring ASCII case. ASCII is
    /// enough: git accepts only ASCII letters, digits and '-' in trailer keys. Compared byte-wise
    /// rather than through `lowercased()`, which allocated a string per trailer per point.
    /// On the contiguous UTF-8 of both strings: zipping their `utf8` views cost ~120
    /// instructions a call, and listing 10,000 points makes 400,000 calls.
    public static func matches(_ written: String, _ key: String) -> Bool {
        guard written.utf8.count == key.utf8.count else { return false }
        var written = written, key = key
        return written.withUTF8 { left in
            key.withUTF8 { right in
                for index in 0..<left.count where asciiLowercase(left[index]) != asciiLowercase(right[index]) { return false }
                return true
            }
        }
    }

    /// The value of the last trailer with `key` (git's "last one wins" for single-valued keys).
    public static func lastValue(_ key: String, in trailers: [(key: String, value: String)]) -> String? {
        trailers.last { matches($0.key, key) }?.value
    }

    /// Every value of a repeatable key (`Timeturner-Tier`), in order.
    public static func values(_ key: String, in trailers: [(key: String, value: String)]) -> [String] {
        trailers.filter { matches($0.key, key) }.map(\.value)
    }

    static func asciiLowercase(_ byte: UInt8) -> UInt8 { (0x41...0x5a).contains(byte) ? byte | 0x20 : byte }
}
