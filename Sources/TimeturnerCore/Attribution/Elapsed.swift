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
