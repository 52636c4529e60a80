import GitKit

/// The tiers a rollback can cover. `order` lists them as people name them (code, then what was
/// deployed from it, then the configuration and data it runs with, then the machine under it);
/// the order they are *rolled back* in is `defaultPhase`, which a tier's `order` setting moves.
public enum Tier {
    public static let code = "code"
    public static let order = ["code", "deploy", "config", "db", "system"]

    /// Position in `order`; unknown names sort last. For listings, not for running.
    public static func rank(_ tier: String) -> Int { order.firstIndex(of: tier) ?? order.count }

    /// When a tier is rolled back unless `timeturner.tier.<name>.order` says otherwise (lower
    /// first). The machine first, then the data while the code being left is still in place
    /// (a database downgrade needs the present release's migration scripts, and the old code
    /// must never start against the new schema), then the configuration the old code reads,
    /// then the code, then the switch of the deployed release. Nothing restarts in between:
    /// `timeturner.activate` runs once, after every tier is in place.
    public static func defaultPhase(_ tier: String) -> Int {
        switch tier {
        case "system": 10
        case "db": 20
        case "config": 30
        case code: 40
        case "deploy": 50
        default: 60
        }
    }

    /// Parses a tier's `order` setting: a whole number from 0 to 1000.
    public static func phase(_ tier: String, setting: String?, origin: String) throws(TimeturnerError) -> Int {
        guard let setting else { return defaultPhase(tier) }
        guard let value = Int(setting.trimming(\.isWhitespace)), (0...1000).contains(value) else {
            throw TimeturnerError(.usage, "timeturner.tier.\(tier).order (from \(origin)) is '\(setting)', not a whole number from 0 to 1000",
                                  hint: "lower runs first; the defaults are system 10, db 20, config 30, code 40, deploy 50")
        }
        return value
    }

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
