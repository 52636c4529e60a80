extension Swift.Duration {
    /// Whole milliseconds, as the journal and progress report durations.
    public var wholeMilliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
