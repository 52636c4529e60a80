import GitKit
/// `timeturner.activate` and the order of the code among the tiers, from the layered configuration.
extension TimeturnerConfiguration {
    /// The command that makes a rolled-back system live (restart or reload the application),
    /// run once after every tier is in place and again after a restore put them back:
    /// `timeturner.env.<env>.activate` for the rollback's environment, else `timeturner.activate`.
    /// Its time-out is `timeturner.activateTimeout` (default 5m). Checked for trust.
    public func activation(environment: String?) throws(TimeturnerError) -> VerificationCommand? {
        let setting = environment.flatMap { value("timeturner.env.\($0).activate") } ?? value("timeturner.activate")
        guard let setting, !setting.value.trimming(\.isWhitespace).isEmpty else { return nil }
        try requireTrusted([setting], for: "activation (\(setting.key))")
        var timeout = TimeSpan(seconds: 300)
        if let raw = value("timeturner.activatetimeout") {
            guard let parsed = Int64(raw.value).map(TimeSpan.init(seconds:)) ?? TimeSpan(parsing: raw.value), parsed.seconds > 0 else {
                throw TimeturnerError(.usage, "timeturner.activateTimeout (from \(raw.origin)) is '\(raw.value)', not a duration",
                                      hint: "use seconds or a unit: 90s, 15m, 1h")
            }
            timeout = parsed
        }
        return VerificationCommand(command: setting.value, timeout: timeout, origin: setting.origin.description)
    }

    /// When the code moves among the tiers: `timeturner.tier.code.order`, else `Tier.defaultPhase`.
    public func codePhase() throws(TimeturnerError) -> Int {
        let setting = value("timeturner.tier.code.order")
        return try Tier.phase(Tier.code, setting: setting?.value, origin: setting?.origin.description ?? "")
    }
}
