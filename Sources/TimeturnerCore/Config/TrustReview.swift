/// Everything a `.timeturner` asks to run or reach, as `trust` shows it before and after
/// approving: nothing in the file is approved unseen. Settings are sorted into executors (and
/// the programs they resolve to), shell commands (any value that is run: verify, restart,
/// health, activate, checks' and executors' command lines), URLs (any value with a scheme, and
/// `url` keys), and everything else, which is shown too.
public struct TrustReview: Sendable, Equatable {
    public let executors: [ConfigurationSetting]
    public let commands: [ConfigurationSetting]
    public let urls: [ConfigurationSetting]
    public let other: [ConfigurationSetting]

    /// Last key components whose values are run by `/bin/sh -c` or as a program.
    static let commandKeys: Set<String> = [
        "verify", "restart", "health", "activate", "capture", "rollback", "command", "run", "prepare",
        "downgrade", "upgrade", "revision", "current", "check", "reload", "query",
    ]

    /// The settings `configuration` read from its `.timeturner` (all of them, not only the
    /// winning ones: trust approves the file's content).
    public init(_ configuration: TimeturnerConfiguration) {
        self.init(configuration.settings.filter(\.origin.needsTrust))
    }

    public init(_ settings: [ConfigurationSetting]) {
        var executors: [ConfigurationSetting] = [], commands: [ConfigurationSetting] = []
        var urls: [ConfigurationSetting] = [], other: [ConfigurationSetting] = []
        for setting in settings {
            let last = String(setting.key.split(separator: ".").last ?? "").lowercased()
            if last == "executor" || (setting.key.hasPrefix("timeturner.executor.") && last == "command") {
                executors.append(setting)
            } else if TrustReview.commandKeys.contains(last) || last.hasSuffix("command") {
                commands.append(setting)
            } else if last == "url" || last.hasSuffix("url") || setting.value.contains("://") {
                urls.append(setting.redacted)
            } else {
                other.append(setting)
            }
        }
        self.executors = executors
        self.commands = commands
        self.urls = urls
        self.other = other
    }

    public var isEmpty: Bool { executors.isEmpty && commands.isEmpty && urls.isEmpty && other.isEmpty }

    /// Groups with a heading each, for text output.
    public var sections: [(heading: String, settings: [ConfigurationSetting])] {
        [("executors", executors), ("commands it runs", commands), ("URLs it connects to", urls), ("other settings", other)]
            .filter { !$0.1.isEmpty }
    }

    public var json: JSONValue {
        func list(_ settings: [ConfigurationSetting]) -> JSONValue {
            .array(settings.map { .object(["key": .string($0.key), "value": .string($0.value)]) })
        }
        return .object(["executors": list(executors), "commands": list(commands), "urls": list(urls), "other": list(other)])
    }
}

extension ConfigurationSetting {
    /// The value with a URL's password replaced by `***` (`postgresql://app:***@db/app`), so a
    /// trust review printed in a CI log does not leak it.
    var redacted: ConfigurationSetting {
        var start = value.startIndex
        while start < value.endIndex && !value[start...].hasPrefix("://") { start = value.index(after: start) }
        guard start < value.endIndex else { return self }
        let afterScheme = value.index(start, offsetBy: 3)
        guard let at = value[afterScheme...].firstIndex(of: "@") else { return self }
        let userInfo = value[afterScheme..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return self }
        var masked = value
        masked.replaceSubrange(masked.index(after: colon)..<at, with: "***")
        return ConfigurationSetting(key: key, value: masked, origin: origin)
    }
}
