public import GitKit

/// Which executor serves a tier and with what settings, resolved from configuration.
public struct TierAssignment: Sendable, Equatable {
    public let tier: String
    /// The executor's name: a built-in (`postgres`), or an external one.
    public let executor: String
    /// `timeturner.executor.<name>.command`, when configured: the program (and arguments) to run.
    public let executorCommand: String?
    /// The executor's settings: `timeturner.executor.<name>.*` overridden by
    /// `timeturner.tier.<tier>.*`, keys lowercased as git normalises them. Several values when
    /// the key was given several times.
    public let settings: [String: [String]]
    public let timeoutSeconds: Int64
    public let outputLimit: Int
    /// The configuration entries this came from (for trust and for `config` output).
    public let sources: [ConfigurationSetting]

    public init(tier: String, executor: String, executorCommand: String? = nil, settings: [String: [String]] = [:],
                timeoutSeconds: Int64 = 300, outputLimit: Int = 1 << 20, sources: [ConfigurationSetting] = []) {
        self.tier = tier
        self.executor = executor
        self.executorCommand = executorCommand
        self.settings = settings
        self.timeoutSeconds = timeoutSeconds
        self.outputLimit = outputLimit
        self.sources = sources
    }

    /// The single value of a setting (the last one given), or nil.
    public func setting(_ key: String) -> String? { settings[key.lowercased()]?.last }
}

extension TimeturnerConfiguration {
    /// The tiers configured with `timeturner.tier.<tier>.executor`, in rollback order, checked
    /// for trust: a tier configured by an untrusted `.timeturner` refuses here, before anything runs.
    public func tierAssignments() throws(TimeturnerError) -> [TierAssignment] {
        var tiers: [String] = []
        for setting in effective {
            let prefix = "timeturner.tier."
            guard setting.key.hasPrefix(prefix), setting.key.hasSuffix(".executor") else { continue }
            let tier = String(setting.key.dropFirst(prefix.count).dropLast(".executor".count))
            guard !tiers.contains(tier) else { continue }
            guard Tier.order.contains(tier), tier != Tier.code else {
                throw TimeturnerError(.usage, "\(setting.key) (from \(setting.origin)): '\(tier)' is not a tier that takes an executor",
                                      hint: "tiers with executors are: \(Tier.order.dropFirst().joined(separator: ", ")); code is rolled back by git-timeturner itself")
            }
            tiers.append(tier)
        }
        return try tiers.sorted { Tier.rank($0) < Tier.rank($1) }.map { (tier) throws(TimeturnerError) in
            let executorSetting = value("timeturner.tier.\(tier).executor")!
            let assignment = try assignment(executor: executorSetting.value, tier: tier, extraSources: [executorSetting])
            try requireTrusted(assignment.sources, for: "the \(tier) tier (executor '\(assignment.executor)')")
            return assignment
        }
    }

    /// The executor `name` with its settings, optionally as used by `tier`, for `executor run`.
    /// Checked for trust.
    public func executorAssignment(name: String, tier: String?) throws(TimeturnerError) -> TierAssignment {
        let assignment = try assignment(executor: name, tier: tier ?? name, includeTierSettings: tier != nil, extraSources: [])
        try requireTrusted(assignment.sources, for: "executor '\(name)'")
        return assignment
    }

    private func assignment(executor name: String, tier: String, includeTierSettings: Bool = true,
                            extraSources: [ConfigurationSetting]) throws(TimeturnerError) -> TierAssignment {
        guard !name.isEmpty, !name.contains("/"), !name.hasPrefix("-"), !name.contains(where: { $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 } ?? false }) else {
            throw TimeturnerError(.usage, "'\(name)' is not an executor name",
                                  hint: "executor names are single words such as postgres or kubectl; set a program with timeturner.executor.<name>.command")
        }
        var sources = extraSources
        var settings: [String: [String]] = [:]
        var command: String?
        for (key, values) in effective(under: "timeturner.executor.\(name).") {
            sources += values
            if key == "command" { command = values.last?.value } else { settings[key] = values.map(\.value) }
        }
        if includeTierSettings {
            for (key, values) in effective(under: "timeturner.tier.\(tier).") where key != "executor" {
                sources += values
                settings[key] = values.map(\.value)
            }
        }
        var timeout: Int64 = 300
        if let raw = settings["timeout"]?.last {
            guard let parsed = Int64(raw).map(TimeSpan.init(seconds:)) ?? TimeSpan(parsing: raw), parsed.seconds > 0 else {
                throw TimeturnerError(.usage, "timeout '\(raw)' for executor '\(name)' is not a duration", hint: "use seconds or a unit: 90s, 15m, 1h")
            }
            timeout = parsed.seconds
        }
        var outputLimit = 1 << 20
        if let raw = settings["outputlimit"]?.last {
            guard let parsed = Int(raw), parsed > 0 else {
                throw TimeturnerError(.usage, "outputLimit '\(raw)' for executor '\(name)' is not a positive number of bytes")
            }
            outputLimit = parsed
        }
        return TierAssignment(tier: tier, executor: name, executorCommand: command, settings: settings,
                              timeoutSeconds: timeout, outputLimit: outputLimit, sources: sources)
    }
}
