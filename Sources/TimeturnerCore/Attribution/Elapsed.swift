/// How long something took, in the whole units the journal, the JSON output and the protocol
/// record (`durationMs`, `ms`). One conversion, so that every place rounds the same way:
/// towards zero, like integer division, so 1.9999 ms is 1 ms and never 2.
extension Swift.Duration {
    public var wholeSeconds: Int64 { components.seconds }

    public var wholeMilliseconds: Int64 {
        components.seconds * 1_000 + components.attoseconds / 1_000_000_000_000_000
    }

    public var wholeMicroseconds: Int64 {
        components.seconds * 1_000_000 + components.attoseconds / 1_000_000_000_000
    }
}

/// How long something took, as people read it in plans and listings: `350 ms`, `1.2 s`,
/// `2m05s`, `1h02m`. One formatter, so that a plan's "took about" and `history` agree.
public enum ElapsedText {
    public static func describe(milliseconds: Int64) -> String {
        if milliseconds < 1_000 { return "\(milliseconds) ms" }
        if milliseconds < 10_000 { return "\(milliseconds / 1000).\(milliseconds % 1000 / 100) s" }
        let seconds = milliseconds / 1000
        if seconds < 3600 { return "\(seconds / 60)m\(twoDigits(seconds % 60))s" }
        return "\(seconds / 3600)h\(twoDigits(seconds / 60 % 60))m"
    }

    static func twoDigits(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
