/// An automatic trigger, from `timeturner.trigger.<name>.*`: a check whose sustained failure,
/// when the deploy caused it, calls for an action chosen by the check's severity.
public struct TriggerDefinition: Sendable, Hashable {
    /// What a fired trigger asks for, as the rollback protocol classes triggers.
    public enum Action: String, Sendable, CaseIterable, Comparable {
        /// Roll back at once (critical).
        case rollback
        /// Roll back, and say loudly that an automatic rollback happened (high).
        case rollbackWarn = "rollback-warn"
        /// Tell a human, who decides (medium, low).
        case alert

        var rank: Int { switch self { case .rollback: 0; case .rollbackWarn: 1; case .alert: 2 } }
        public static func < (a: Action, b: Action) -> Bool { a.rank < b.rank }

        public var rollsBack: Bool { self != .alert }

        public static func forSeverity(_ severity: CheckDefinition.Severity) -> Action {
            switch severity {
            case .critical: .rollback
            case .high: .rollbackWarn
            case .medium, .low: .alert
            }
        }
    }

    public let name: String
    public let check: CheckDefinition
    /// How long the check must have failed without a passing measurement (`for`); zero: one
    /// failing measurement is enough.
    public let sustained: Duration
    public let action: Action
    /// Where the action came from: `action` set explicitly, or the check's severity.
    public let actionFromSeverity: Bool
    /// The tier level of the rollback it asks for (`level`); nil: code only, as `rollback` does.
    public let level: RollbackLevel?
    /// The environments it applies to (`env`, repeatable); empty: every one.
    public let environments: [String]

    public init(name: String, check: CheckDefinition, sustained: Duration = .zero, action: Action? = nil,
                level: RollbackLevel? = nil, environments: [String] = []) {
        self.name = name
        self.check = check
        self.sustained = sustained
        self.action = action ?? Action.forSeverity(check.severity)
        self.actionFromSeverity = action == nil
        self.level = level
        self.environments = environments
    }

    public func applies(to environment: String) -> Bool { environments.isEmpty || environments.contains(environment) }
}

/// Reading `timeturner.trigger.<name>.*`. A trigger can roll a deploy back on its own, so it is
/// trusted only from trusted configuration, like the check it names, and every key is checked.
extension TimeturnerConfiguration {
    static let triggerPrefix = "timeturner.trigger."
    static let triggerKeys: Set<String> = ["check", "for", "action", "level", "env"]

    /// The names of the configured triggers, in the order they were first set.
    public var triggerNames: [String] { subsectionNames(under: Self.triggerPrefix) }

    /// Every configured trigger that applies to `environment`, parsed and checked.
    public func triggers(for environment: String) throws(TimeturnerError) -> [TriggerDefinition] {
        let names = triggerNames
        guard !names.isEmpty else {
            throw TimeturnerError(.usage, "no triggers are configured",
                                  hint: "name a check as one, e.g. git config timeturner.trigger.errors.check error-rate; git config timeturner.trigger.errors.for 5m (docs/checks.md)")
        }
        var out: [TriggerDefinition] = []
        for name in names {
            let trigger = try trigger(name)
            // The check's own env settings limit it too: a staging-only check never judges production.
            let checkEnvironments = (effective(under: Self.checkPrefix + trigger.check.name + ".")["env"] ?? []).map(\.value)
            if trigger.applies(to: environment) && (checkEnvironments.isEmpty || checkEnvironments.contains(environment)) {
                out.append(trigger)
            }
        }
        return out
    }

    public func trigger(_ name: String) throws(TimeturnerError) -> TriggerDefinition {
        let prefix = Self.triggerPrefix + name + "."
        let settings = effective(under: prefix)
        try requireTrusted(settings.values.flatMap { $0 }, for: "the trigger '\(name)'")
        let reader = CheckSettingsReader(prefix: prefix, settings: settings)
        for key in settings.keys.sorted() where !Self.triggerKeys.contains(key) {
            throw reader.refuse(key, "unknown trigger setting", hint: "known settings: \(Self.triggerKeys.sorted().joined(separator: ", "))")
        }
        guard let checkName = reader.raw("check")?.value, !checkName.isEmpty else {
            throw reader.refuse("check", "every trigger names the check it watches", hint: "set \(prefix)check to a check under timeturner.check.<name>")
        }
        guard checkNames.contains(checkName) else {
            throw reader.refuse("check", "no check named '\(checkName)' is configured",
                                hint: checkNames.isEmpty ? "define it under timeturner.check.\(checkName).* (docs/checks.md)"
                                    : "configured checks: \(checkNames.joined(separator: ", "))")
        }
        let sustained = try reader.duration("for") ?? .zero
        var level: RollbackLevel?
        if let text = reader.raw("level")?.value {
            guard let number = Int(text), let value = RollbackLevel(rawValue: number) else {
                throw reader.refuse("level", "'\(text)' is not a tier level", hint: "write 1, 2 or 3 (docs/rollback.md)")
            }
            level = value
        }
        let action = try reader.choice("action", TriggerDefinition.Action.self)
        if level != nil && action == .alert {
            throw reader.refuse("level", "an alert-only trigger never rolls back", hint: "drop \(prefix)level, or set \(prefix)action rollback")
        }
        return TriggerDefinition(name: name, check: try check(checkName), sustained: sustained, action: action, level: level,
                                 environments: (settings["env"] ?? []).map(\.value))
    }
}
