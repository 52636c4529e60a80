/// `< 0.01`, `>= 200`, `> baseline * 1.5 + 0.002`: a comparison of a measured value with a
/// number, or with a linear function of the baseline (the same measurement taken before the
/// deploy). Parsed once when the configuration is loaded, so a typo is refused naming its key.
public struct Threshold: Sendable, Hashable, CustomStringConvertible {
    public enum Operator: String, Sendable, CaseIterable {
        case less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">=", equal = "==", notEqual = "!="

        func holds(_ left: Double, _ right: Double) -> Bool {
            switch self {
            case .less: left < right
            case .lessOrEqual: left <= right
            case .greater: left > right
            case .greaterOrEqual: left >= right
            case .equal: left == right
            case .notEqual: left != right
            }
        }
    }

    public let comparison: Operator
    /// `baseline * factor + offset` when `factor` is set; `offset` alone otherwise.
    public let factor: Double?
    public let offset: Double

    public init(_ comparison: Operator, factor: Double? = nil, offset: Double) {
        self.comparison = comparison
        self.factor = factor
        self.offset = offset
    }

    public var usesBaseline: Bool { factor != nil }

    /// The number compared with; nil when it needs a baseline and there is none.
    public func bound(baseline: Double?) -> Double? {
        guard let factor else { return offset }
        guard let baseline, baseline.isFinite else { return nil }
        return baseline * factor + offset
    }

    /// Whether `value` satisfies it; nil when the bound needs a baseline that is missing.
    public func matches(_ value: Double, baseline: Double?) -> Bool? {
        bound(baseline: baseline).map { comparison.holds(value, $0) }
    }

    public var description: String {
        guard let factor else { return "\(comparison.rawValue) \(Self.format(offset))" }
        var text = "\(comparison.rawValue) baseline"
        if factor != 1 { text += " * \(Self.format(factor))" }
        if offset > 0 { text += " + \(Self.format(offset))" } else if offset < 0 { text += " - \(Self.format(-offset))" }
        return text
    }

    public static func format(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
    }

    /// Grammar: `OP NUMBER`, or `OP baseline [* NUMBER] [(+|-) NUMBER]`. Nil when it is neither.
    public init?(parsing text: String) {
        var rest = Substring(text).drop { $0 == " " }
        guard let op = Operator.allCases.sorted(by: { $0.rawValue.count > $1.rawValue.count })
            .first(where: { rest.hasPrefix($0.rawValue) }) else { return nil }
        rest = rest.dropFirst(op.rawValue.count)
        let words = rest.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        if words.count == 1, let number = Self.number(words[0]) {
            self.init(op, offset: number)
            return
        }
        guard words.first?.lowercased() == "baseline" else { return nil }
        var factor = 1.0
        var offset = 0.0
        var index = 1
        if index < words.count, words[index] == "*" {
            guard index + 1 < words.count, let value = Self.number(words[index + 1]) else { return nil }
            factor = value
            index += 2
        }
        if index < words.count {
            guard words[index] == "+" || words[index] == "-", index + 1 < words.count,
                  let value = Self.number(words[index + 1]) else { return nil }
            offset = words[index] == "+" ? value : -value
            index += 2
        }
        guard index == words.count else { return nil }
        self.init(op, factor: factor, offset: offset)
    }

    static func number(_ text: String) -> Double? {
        guard let value = Double(text), value.isFinite else { return nil }
        return value
    }
}
