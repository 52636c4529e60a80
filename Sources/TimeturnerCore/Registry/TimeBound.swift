/// A point in time given on the command line as either a date or a length of time back from now:
/// `--since 2026-11-01`, `--since 2026-11-01T08:00:00Z`, `--since 7d`.
public enum TimeBound {
    public static func parse(_ text: String, now: Timestamp) throws(TimeturnerError) -> Timestamp {
        if let duration = TimeSpan(parsing: text) {
            return Timestamp(secondsSinceEpoch: now.secondsSinceEpoch - duration.seconds)
        }
        if let date = Timestamp(rfc3339: text) { return date }
        throw TimeturnerError(.usage, "'\(text)' is neither a date nor a duration",
                              hint: "use a date (2026-11-01 or 2026-11-01T08:00:00Z) or a duration (90s, 15m, 12h, 7d, 2w)")
    }
}
