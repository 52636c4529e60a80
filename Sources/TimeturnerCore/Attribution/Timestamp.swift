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
        if let seconds = Timestamp.secondsOfPlainUTC(text) ?? Timestamp.secondsThroughFoundation(text) {
            self.init(secondsSinceEpoch: seconds)
        } else if text.count == 10, let seconds = Timestamp.secondsThroughFoundation(text + "T00:00:00Z") {
            self.init(secondsSinceEpoch: seconds)
        } else {
            return nil
        }
    }

    /// The form the tool writes itself (`rfc3339`: `YYYY-MM-DDTHH:MM:SSZ`, 1970 ≤ year ≤ 9999, a
    /// valid date and time), read without Foundation; nil for anything else, which Foundation's
    /// parser then reads. Its first use cost 1.6M instructions (its calendar and time-zone caches
    /// set up), a twentieth of a rollback, which reads the lock's start time back.
    /// `EncodingTests` checks that both agree.
    static func secondsOfPlainUTC(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { (bytes) -> Int64? in
            guard bytes.count == 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
                  bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"), bytes[19] == UInt8(ascii: "Z") else { return nil }
            func number(_ offset: Int, _ count: Int) -> Int64? {
                var value: Int64 = 0
                for k in offset..<(offset + count) {
                    let digit = bytes[k] &- 0x30
                    guard digit < 10 else { return nil }
                    value = value * 10 + Int64(digit)
                }
                return value
            }
            guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
                  let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
                  year >= 1970, (1...12).contains(month), hour < 24, minute < 60, second < 60 else { return nil }
            let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
            let monthDays: [Int64] = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
            guard day >= 1, day <= monthDays[Int(month) - 1] else { return nil }
            // Days from civil (H. Hinnant), the inverse of `writeRFC3339`'s conversion.
            let y = month <= 2 ? year - 1 : year
            let era = y / 400
            let yearOfEra = y - era * 400
            let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
            let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
            let days = era * 146_097 + dayOfEra - 719_468
            return days * 86_400 + hour * 3600 + minute * 60 + second
        }
    }

    /// Foundation's parser, for every other form (and the reference the tests compare with).
    static func secondsThroughFoundation(_ text: String) -> Int64? {
        (try? Date(text, strategy: .iso8601)).map { Int64($0.timeIntervalSince1970.rounded(.down)) }
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
