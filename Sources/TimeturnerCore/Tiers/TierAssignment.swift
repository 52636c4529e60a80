internal import GitKit

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
    /// A tier with services (`timeturner.tier.deploy.service.<name>.*`) is one assignment per
    /// service, named `deploy.<name>`: the tier's settings overridden by the service's own.
    public func tierAssignments() throws(TimeturnerError) -> [TierAssignment] {
        var tiers: [String] = []
        for setting in effective {
            let prefix = "timeturner.tier."
            guard setting.key.hasPrefix(prefix), setting.key.hasSuffix(".executor") else { continue }
            let middle = String(setting.key.dropFirst(prefix.count).dropLast(".executor".count))
            let tier = Tier.base(of: middle)
            guard Tier.order.contains(tier), tier != Tier.code,
                  middle == tier || (middle.hasPrefix(tier + ".service.") && Tier.isServiceName(middle.dropFirst(tier.count + 9))) else {
                throw TimeturnerError(.usage, "\(setting.key) (from \(setting.origin)): '\(middle)' is not a tier that takes an executor",
                                      hint: "tiers with executors are: \(Tier.order.dropFirst().joined(separator: ", ")), or one service of them (timeturner.tier.deploy.service.web.executor); code is rolled back by git-timeturner itself")
            }
            if !tiers.contains(tier) { tiers.append(tier) }
        }
        var assignments: [TierAssignment] = []
        for tier in tiers.sorted(by: { Tier.rank($0) < Tier.rank($1) }) {
            let services = serviceNames(of: tier)
            if services.isEmpty {
                assignments.append(try tierAssignment(tier, service: nil))
            } else {
                for service in services { assignments.append(try tierAssignment(tier, service: service)) }
            }
        }
        return assignments
    }

    /// The services configured under `timeturner.tier.<tier>.service.`, sorted.
    private func serviceNames(of tier: String) -> [String] {
        let prefix = "timeturner.tier.\(tier).service."
        let names = effective.compactMap { setting -> String? in
            guard setting.key.hasPrefix(prefix) else { return nil }
            let rest = setting.key.dropFirst(prefix.count)
            guard let dot = rest.lastIndex(of: "."), Tier.isServiceName(rest[..<dot]) else { return nil }
            return String(rest[..<dot])
        }
        return Set(names).sorted()
    }

    private func tierAssignment(_ tier: String, service: String?) throws(TimeturnerError) -> TierAssignment {
        let name = service.map { "\(tier).\($0)" } ?? tier
        guard let executorSetting = service.flatMap({ value("timeturner.tier.\(tier).service.\($0).executor") })
                ?? value("timeturner.tier.\(tier).executor") else {
            throw TimeturnerError(.usage, "the service \(name) has no executor: neither timeturner.tier.\(tier).executor nor timeturner.tier.\(tier).service.\(service ?? "").executor is set",
                                  hint: "set one of them")
        }
        let assignment = try assignment(executor: executorSetting.value, tier: name, extraSources: [executorSetting])
        try requireTrusted(assignment.sources, for: "the \(name) tier (executor '\(assignment.executor)')")
        return assignment
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
            // A service (`deploy.web`) has the tier's settings, then its own.
            let base = Tier.base(of: tier)
            var prefixes = ["timeturner.tier.\(base)."]
            if tier != base { prefixes.append("timeturner.tier.\(base).service.\(tier.dropFirst(base.count + 1)).") }
            for prefix in prefixes {
                for (key, values) in effective(under: prefix) where key != "executor" {
                    sources += values
                    settings[key] = values.map(\.value)
                }
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
