internal import FoundationEssentials

/// A point in time with second precision, written as RFC 3339 UTC everywhere the tool stores it.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let secondsSinceEpoch: Int64

    public init(secondsSinceEpoch: Int64) { self.secondsSinceEpoch = secondsSinceEpoch }

    public static func now() -> Timestamp {
        Timestamp(secondsSinceEpoch: Int64(Date().timeIntervalSince1970.rounded(.down)))
    }

    /// `2026-11-21T22:30:00Z`
    public var rfc3339: String {
        guard (0..<Timestamp.year10000).contains(secondsSinceEpoch) else {
            return Date(timeIntervalSince1970: TimeInterval(secondsSinceEpoch)).formatted(.iso8601)
        }
        return String(unsafeUninitializedCapacity: 20) { buffer in
            writeRFC3339(into: buffer)
            return 20
        }
    }

    /// 9999-12-31T23:59:59Z + 1 s: from here on the year no longer has four digits.
    static let year10000: Int64 = 253_402_300_800

    /// The 20 bytes of `rfc3339` for 1970 ≤ year ≤ 9999, from the proleptic Gregorian calendar
    /// (the days-to-civil conversion of H. Hinnant's date algorithms). Listing 10,000 points spent
    /// more time in Foundation's ISO 8601 formatter than in reading the tags;
    /// `EncodingTests` checks this against that formatter.
    private func writeRFC3339(into out: UnsafeMutableBufferPointer<UInt8>) {
        let days = secondsSinceEpoch / 86_400, secondOfDay = secondsSinceEpoch % 86_400
        let z = days + 719_468
        let era = z / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func digits(_ value: Int64, _ count: Int, at offset: Int) {
            var value = value
            for k in stride(from: offset + count - 1, through: offset, by: -1) {
                out[k] = UInt8(truncatingIfNeeded: 0x30 + value % 10)
                value /= 10
            }
        }
        digits(year, 4, at: 0); out[4] = UInt8(ascii: "-")
        digits(month, 2, at: 5); out[7] = UInt8(ascii: "-")
        digits(day, 2, at: 8); out[10] = UInt8(ascii: "T")
        digits(secondOfDay / 3600, 2, at: 11); out[13] = UInt8(ascii: ":")
        digits(secondOfDay / 60 % 60, 2, at: 14); out[16] = UInt8(ascii: ":")
        digits(secondOfDay % 60, 2, at: 17); out[19] = UInt8(ascii: "Z")
    }

    /// The formatter `rfc3339` used before, kept as the reference its tests compare against.
    var rfc3339ThroughFoundation: String {
        Date(timeIntervalSince1970: TimeInterval(secondsSinceEpoch)).formatted(.iso8601)
    }

    /// `20261121T223000Z`: sortable, and valid inside a ref name.
    public var compactUTC: String {
        rfc3339.filter { $0 != "-" && $0 != ":" }
    }

    /// `2026-11`: the month shard an event belongs to.
    public var yearMonth: String { String(rfc3339.prefix(7)) }

    /// Parses RFC 3339 / ISO 8601 (`2026-11-21T22:30:00Z`, with an offset, or a bare date).
    public init?(rfc3339 text: String) {
        if let date = try? Date(text, strategy: .iso8601) {
            self.init(secondsSinceEpoch: Int64(date.timeIntervalSince1970.rounded(.down)))
        } else if text.count == 10, let date = try? Date(text + "T00:00:00Z", strategy: .iso8601) {
            self.init(secondsSinceEpoch: Int64(date.timeIntervalSince1970))
        } else {
            return nil
        }
    }

    public var description: String { rfc3339 }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.secondsSinceEpoch < rhs.secondsSinceEpoch }

    /// "3h ago", "2d ago": coarse on purpose, for listings.
    public func age(relativeTo now: Timestamp) -> String {
        let seconds = now.secondsSinceEpoch - secondsSinceEpoch
        if seconds < 0 { return "in the future" }
        if seconds < 60 { return "\(seconds)s ago" }
        if seconds < 3600 { return "\(seconds / 60)m ago" }
        if seconds < 86_400 { return "\(seconds / 3600)h ago" }
        if seconds < 86_400 * 60 { return "\(seconds / 86_400)d ago" }
        return "\(seconds / (86_400 * 30))mo ago"
    }
}

/// A whole number of seconds as people write it (not `Swift.Duration`, which it would otherwise shadow)
/// on the command line and in configuration: `90s`, `15m`, `12h`, `7d`, `2w`.
public struct TimeSpan: Sendable, Hashable, CustomStringConvertible {
    public let seconds: Int64

    public init(seconds: Int64) { self.seconds = seconds }

    public init?(parsing text: String) {
        guard let unit = text.last, let number = Int64(text.dropLast()), number >= 0 else { return nil }
        let multiplier: Int64
        switch unit {
        case "s": multiplier = 1
        case "m": multiplier = 60
        case "h": multiplier = 3600
        case "d": multiplier = 86_400
        case "w": multiplier = 604_800
        default: return nil
        }
        let (product, overflow) = number.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { return nil }
        seconds = product
    }

    public var description: String {
        for (unit, size) in [("w", Int64(604_800)), ("d", 86_400), ("h", 3600), ("m", 60)] where seconds % size == 0 && seconds > 0 {
            return "\(seconds / size)\(unit)"
        }
        return "\(seconds)s"
    }
}
