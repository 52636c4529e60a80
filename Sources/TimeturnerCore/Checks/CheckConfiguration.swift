/// Reading `timeturner.check.<name>.*` from the layered configuration. Every check is checked
/// for trust (a check runs commands and sends requests, like an executor) and for its settings:
/// an unknown key, a threshold that does not parse or a Prometheus check without `no-data` is
/// refused here, naming the key and where it came from, before anything runs.
extension TimeturnerConfiguration {
    static let checkPrefix = "timeturner.check."
    static let checkKeys: Set<String> = [
        "kind", "command", "value", "url", "method", "expect-status", "json-field", "timeout", "server", "query", "reduce",
        "pass-if", "fail-if", "interval", "initial-delay", "count", "window", "failure-limit", "consecutive-successes",
        "inconclusive-limit", "error-limit", "no-data", "severity", "env",
    ]

    /// The names of the configured checks, in the order they were first set.
    public var checkNames: [String] { subsectionNames(under: Self.checkPrefix) }

    /// The `<name>`s of `<prefix><name>.<key>` settings, in the order they were first set
    /// (a name may itself contain dots: the key is what follows the last one).
    func subsectionNames(under prefix: String) -> [String] {
        var names: [String] = []
        for setting in effective where setting.key.hasPrefix(prefix) {
            let rest = setting.key.dropFirst(prefix.count)
            guard let dot = rest.lastIndex(of: ".") else { continue }
            let name = String(rest[..<dot])
            if !names.contains(name) { names.append(name) }
        }
        return names
    }

    /// The checks `names` (every configured one when empty), limited to `environment` when
    /// given (a check with `env` settings runs only for those environments).
    public func checks(named names: [String], environment: String? = nil) throws(TimeturnerError) -> [CheckDefinition] {
        let configured = checkNames
        if configured.isEmpty && names.isEmpty {
            throw TimeturnerError(.usage, "no checks are configured",
                                  hint: "define one, e.g. git config timeturner.check.health.kind http; git config timeturner.check.health.url http://127.0.0.1:8080/health (docs/checks.md)")
        }
        var out: [CheckDefinition] = []
        for name in names.isEmpty ? configured : names {
            guard configured.contains(name) else {
                throw TimeturnerError(.usage, "no check named '\(name)' is configured",
                                      hint: configured.isEmpty ? "define it with timeturner.check.\(name).kind (docs/checks.md)"
                                          : "configured checks: \(configured.joined(separator: ", "))")
            }
            let settings = effective(under: Self.checkPrefix + name + ".")
            if let environment, names.isEmpty, let envs = settings["env"], !envs.map(\.value).contains(environment) { continue }
            out.append(try check(name))
        }
        return out
    }

    /// One check, parsed and checked for trust.
    public func check(_ name: String) throws(TimeturnerError) -> CheckDefinition {
        let prefix = Self.checkPrefix + name + "."
        let settings = effective(under: prefix)
        try requireTrusted(settings.values.flatMap { $0 }, for: "the check '\(name)'")
        var reader = CheckSettingsReader(prefix: prefix, settings: settings)
        return try reader.definition(name: name)
    }
}

/// Parses one check's settings; every refusal names the key and its origin.
struct CheckSettingsReader {
    let prefix: String
    let settings: [String: [ConfigurationSetting]]

    func raw(_ key: String) -> ConfigurationSetting? { settings[key]?.last }

    func refuse(_ key: String, _ problem: String, hint: String) -> TimeturnerError {
        let origin = raw(key).map { " (from \($0.origin))" } ?? ""
        return TimeturnerError(.usage, "\(prefix)\(key)\(origin): \(problem)", hint: hint)
    }

    func required(_ key: String, for kind: String) throws(TimeturnerError) -> String {
        guard let value = raw(key)?.value, !value.isEmpty else {
            throw refuse(key, "a \(kind) check needs it", hint: "set \(prefix)\(key) (docs/checks.md lists every key)")
        }
        return value
    }

    func duration(_ key: String) throws(TimeturnerError) -> Duration? {
        guard let text = raw(key)?.value else { return nil }
        guard let value = CheckDurationText.parse(text) else {
            throw refuse(key, "'\(text)' is not a duration", hint: "write e.g. 500ms, 10s, 5m or 1h")
        }
        return value
    }

    func count(_ key: String, minimum: Int) throws(TimeturnerError) -> Int? {
        guard let text = raw(key)?.value else { return nil }
        guard let value = Int(text), value >= minimum else {
            throw refuse(key, "'\(text)' is not a whole number of at least \(minimum)", hint: "write e.g. \(max(minimum, 3))")
        }
        return value
    }

    func threshold(_ key: String) throws(TimeturnerError) -> Threshold? {
        guard let text = raw(key)?.value else { return nil }
        guard let value = Threshold(parsing: text) else {
            throw refuse(key, "'\(text)' is not a comparison", hint: "write e.g. '< 0.01', '>= 200' or '> baseline * 1.5 + 0.002'")
        }
        return value
    }

    func choice<T: RawRepresentable & CaseIterable>(_ key: String, _ type: T.Type) throws(TimeturnerError) -> T? where T.RawValue == String {
        guard let text = raw(key)?.value else { return nil }
        guard let value = T(rawValue: text.lowercased()) else {
            throw refuse(key, "'\(text)' is not one of \(T.allCases.map(\.rawValue).joined(separator: ", "))",
                         hint: "set it to one of those")
        }
        return value
    }

    mutating func definition(name: String) throws(TimeturnerError) -> CheckDefinition {
        for key in settings.keys.sorted() where !TimeturnerConfiguration.checkKeys.contains(key) {
            throw refuse(key, "unknown check setting", hint: "known settings: \(TimeturnerConfiguration.checkKeys.sorted().joined(separator: ", "))")
        }
        guard let kind = try choice("kind", CheckDefinition.Kind.self) else {
            throw refuse("kind", "every check needs a kind", hint: "set \(prefix)kind to command, http or prometheus")
        }
        let probe: CheckDefinition.Probe
        switch kind {
        case .command:
            let value = raw("value")?.value.lowercased()
            guard value == nil || value == "output" || value == "exit-status" else {
                throw refuse("value", "'\(value!)' is not output or exit-status", hint: "output: the first number the command prints is the value")
            }
            probe = .command(try required("command", for: "command"), valueFromOutput: value == "output")
        case .http:
            let url = try required("url", for: "http")
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw refuse("url", "'\(url)' is not an http:// or https:// URL", hint: "write e.g. http://127.0.0.1:8080/health")
            }
            probe = .http(url: url, method: (raw("method")?.value ?? "GET").uppercased(), expectStatus: try statusSet(),
                          jsonField: raw("json-field")?.value)
        case .prometheus:
            let server = try required("server", for: "prometheus")
            guard server.hasPrefix("http://") || server.hasPrefix("https://") else {
                throw refuse("server", "'\(server)' is not an http:// or https:// address", hint: "write e.g. http://127.0.0.1:9090")
            }
            probe = .prometheus(server: server, query: try required("query", for: "prometheus"), reduce: try choice("reduce", CheckDefinition.Reduce.self))
        }
        let noData = try choice("no-data", CheckDefinition.NoData.self)
        if kind == .prometheus && noData == nil {
            throw refuse("no-data", "a prometheus check must say what a query without data means",
                         hint: "set \(prefix)no-data to fail, inconclusive or pass (a vanished metric must not pass by accident)")
        }
        let (passIf, failIf) = (try threshold("pass-if"), try threshold("fail-if"))
        if kind == .prometheus && passIf == nil && failIf == nil {
            throw refuse("pass-if", "a prometheus check needs pass-if or fail-if", hint: "write e.g. \(prefix)fail-if '> 0.05'")
        }
        if case .command(_, false) = probe, passIf != nil || failIf != nil {
            throw refuse(passIf != nil ? "pass-if" : "fail-if", "a command check compares a value only with value = output",
                         hint: "set \(prefix)value output, or drop the threshold (the exit status decides)")
        }
        if case .http(_, _, _, nil) = probe, passIf != nil || failIf != nil {
            throw refuse(passIf != nil ? "pass-if" : "fail-if", "an http check compares a value only from json-field",
                         hint: "set \(prefix)json-field, e.g. checks.errors")
        }
        if kind != .prometheus, passIf?.usesBaseline == true || failIf?.usesBaseline == true {
            throw refuse(passIf?.usesBaseline == true ? "pass-if" : "fail-if", "only prometheus checks can measure a baseline before the deploy",
                         hint: "use a fixed number, or a prometheus query (its baseline is the same query at the deploy's start)")
        }
        let window = try duration("window")
        let count = try count("count", minimum: 1)
        if window != nil && count != nil {
            throw refuse("count", "count and window cannot both be set", hint: "measure a number of times (count) or for a while (window)")
        }
        let sampling = Sampling(
            interval: try duration("interval") ?? .seconds(10), initialDelay: try duration("initial-delay") ?? .zero,
            count: count, window: window, failureLimit: try self.count("failure-limit", minimum: 0) ?? 0,
            consecutiveSuccesses: try self.count("consecutive-successes", minimum: 1) ?? 1,
            inconclusiveLimit: try self.count("inconclusive-limit", minimum: 0) ?? 0,
            errorLimit: try self.count("error-limit", minimum: 0) ?? 4)
        let timeout = try duration("timeout") ?? .seconds(10)
        guard timeout > .zero else { throw refuse("timeout", "must be more than 0", hint: "write e.g. 2s") }
        let origin = settings.values.flatMap { $0 }.map(\.origin.description)
        return CheckDefinition(name: name, probe: probe, timeout: timeout, passIf: passIf, failIf: failIf, sampling: sampling,
                               noData: noData, severity: try choice("severity", CheckDefinition.Severity.self) ?? .high,
                               origin: Array(Set(origin)).sorted().joined(separator: ", "))
    }

    /// `200`, `200,204`, `2xx`: the statuses an http check accepts (default 200–299).
    func statusSet() throws(TimeturnerError) -> Set<Int> {
        guard let text = raw("expect-status")?.value else { return Set(200...299) }
        var statuses = Set<Int>()
        for part in text.split(separator: ",").map({ String($0.split(separator: " ").joined()) }) {
            if part.count == 3, part.hasSuffix("xx"), let hundred = Int(part.prefix(1)), (1...5).contains(hundred) {
                statuses.formUnion(hundred * 100...(hundred * 100 + 99))
            } else if let status = Int(part), (100...599).contains(status) {
                statuses.insert(status)
            } else {
                throw refuse("expect-status", "'\(part)' is not an HTTP status or a class like 2xx", hint: "write e.g. 200 or 200,204 or 2xx")
            }
        }
        return statuses
    }
}
