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

/// A length of time given on the command line: `90s`, `15m`, `12h`, `7d`, `2w`.
public struct Duration: Sendable, Equatable, CustomStringConvertible {
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
