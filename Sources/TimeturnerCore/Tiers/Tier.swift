/// The tiers a rollback can cover, in the order they are rolled back: code first (in-process,
/// git), then what was deployed from it, then the configuration and the data it runs with,
/// then the machine under it. Configuration comes before the database: restoring files is fast
/// and cheap to undo, the database is the slowest step and the hardest to undo, so it runs when
/// everything cheaper has already worked.
public enum Tier {
    public static let code = "code"
    public static let order = ["code", "deploy", "config", "db", "system"]

    /// Position in `order`; unknown names sort last.
    public static func rank(_ tier: String) -> Int { order.firstIndex(of: tier) ?? order.count }

    /// Parses `--tiers code,deploy,db`: known names only, each once, returned in rollback order.
    public static func parseList(_ text: String) throws(TimeturnerError) -> [String] {
        var tiers: [String] = []
        for part in text.split(separator: ",") {
            let name = part.lowercased().filter { !$0.isWhitespace }
            guard order.contains(name) else {
                throw TimeturnerError(.usage, "'\(name)' is not a tier", hint: "tiers are: \(order.joined(separator: ", "))")
            }
            if !tiers.contains(name) { tiers.append(name) }
        }
        guard !tiers.isEmpty else { throw TimeturnerError(.usage, "no tiers given", hint: "for example: --tiers code,db") }
        return tiers.sorted { rank($0) < rank($1) }
    }
}

/// `--level`: bundles of tiers. 1 = code and deploy, 2 = + database and configuration,
/// 3 = + system. `--escalate` moves to the next level when one fails verification.
public enum RollbackLevel: Int, Sendable, CaseIterable, Comparable {
    case one = 1, two, three

    public var tiers: [String] {
        switch self {
        case .one: ["code", "deploy"]
        case .two: ["code", "deploy", "config", "db"]
        case .three: ["code", "deploy", "config", "db", "system"]
        }
    }

    public var next: RollbackLevel? { RollbackLevel(rawValue: rawValue + 1) }

    public static func < (lhs: RollbackLevel, rhs: RollbackLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}
