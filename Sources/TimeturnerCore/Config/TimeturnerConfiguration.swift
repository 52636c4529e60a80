public import GitKit

/// Where a setting came from, lowest priority first: the committed `.timeturner`, then the
/// user's and the machine's git configuration, then the repository's own `.git/config`, then
/// git's own `-c` (`git -c key=value timeturner …`), then `-c key=value` given to the tool.
public enum ConfigurationOrigin: Sendable, Equatable, CustomStringConvertible {
    case sharedFile(path: String)
    case gitConfig(ConfigLevel)
    /// `git -c` and `git --config-env`, which git hands on in its environment (GitCommandLineSettings).
    case gitCommandLine
    case commandLine

    /// Higher wins.
    var rank: Int {
        switch self {
        case .sharedFile: 0
        case .gitConfig(let level):
            switch level {
            case .programData: 1
            case .system: 2
            case .xdg: 3
            case .global: 4
            case .local: 5
            case .app: 6
            case .other: 6
            }
        case .gitCommandLine: 7
        case .commandLine: 8
        }
    }

    public var description: String {
        switch self {
        case .sharedFile: ".timeturner"
        case .gitConfig(let level): "\(level) git config"
        case .gitCommandLine: "git -c"
        case .commandLine: "command line"
        }
    }

    /// Only settings from the committed file need the user's trust: the others the user wrote.
    public var needsTrust: Bool {
        if case .sharedFile = self { return true }
        return false
    }
}

/// One `timeturner.*` setting and where it came from.
public struct ConfigurationSetting: Sendable, Equatable {
    /// Normalised like git does: section and last component lowercased, the middle kept
    /// (`timeturner.tier.db.backupdir`).
    public let key: String
    public let value: String
    public let origin: ConfigurationOrigin

    public init(key: String, value: String, origin: ConfigurationOrigin) {
        self.key = key
        self.value = value
        self.origin = origin
    }
}

/// The shared configuration file committed at the work tree root.
public struct SharedConfigurationFile: Sendable, Equatable {
    public static let name = ".timeturner"
    public let path: String
    /// SHA-256 of the exact bytes: what trust is keyed on.
    public let sha256: String
}

/// The effective `timeturner.*` configuration: `.timeturner` < system/global git config <
/// local `.git/config` < command-line `-c` overrides.
///
/// A key set at several levels takes its value(s) from the highest level that sets it; a
/// multi-valued key (several `path = …` lines) is replaced as a whole, never merged across
/// levels, so a local override means exactly what it says.
public struct TimeturnerConfiguration: Sendable {
    /// Every setting read, lowest priority first.
    public let settings: [ConfigurationSetting]
    public let sharedFile: SharedConfigurationFile?
    public let trust: TrustStatus
    /// The work tree root (canonical path), or the git directory of a bare repository.
    public let repositoryPath: String
    /// Things ignored on purpose (includes in `.timeturner`), for the user to see.
    public let warnings: [String]

    public init(settings: [ConfigurationSetting], sharedFile: SharedConfigurationFile?, trust: TrustStatus,
                repositoryPath: String, warnings: [String] = []) {
        self.settings = settings
        self.sharedFile = sharedFile
        self.trust = trust
        self.repositoryPath = repositoryPath
        self.warnings = warnings
    }

    /// Reads all layers. `overrides` are `key=value` strings from `-c`.
    public static func load(repository: Repository, overrides: [String], environment: [String: String],
                            trustStore: TrustStore) throws(TimeturnerError) -> TimeturnerConfiguration {
        var settings: [ConfigurationSetting] = []
        var warnings: [String] = []
        let root: String
        if let workTree = repository.workTree {
            root = LocalFile.realPath(workTree) ?? String(workTree.dropLast(workTree.hasSuffix("/") ? 1 : 0))
        } else {
            root = LocalFile.realPath(repository.gitDirectory) ?? repository.gitDirectory
        }

        var sharedFile: SharedConfigurationFile?
        if repository.workTree != nil {
            let path = root + "/" + SharedConfigurationFile.name
            if let bytes = LocalFile.read(path) {
                sharedFile = SharedConfigurationFile(path: path, sha256: SHA256.hex(of: bytes))
                let entries: [ConfigEntry]
                do { entries = try ConfigFile.entries(atPath: path) } catch {
                    throw TimeturnerError(.failure, "\(SharedConfigurationFile.name) is not valid git-config syntax",
                                          hint: "fix it (git config -f .timeturner --list shows what git reads)",
                                          causes: [error.description])
                }
                for entry in entries {
                    // An include would pull in content the trust hash does not cover.
                    if entry.includeDepth > 0 || entry.name.hasPrefix("include.") || entry.name.hasPrefix("includeif.") {
                        if entry.includeDepth == 0 {
                            warnings.append("\(SharedConfigurationFile.name): '\(entry.name)' ignored: includes are not followed in the shared file")
                        }
                        continue
                    }
                    guard entry.name.hasPrefix("timeturner.") else { continue }
                    settings.append(ConfigurationSetting(key: entry.name, value: entry.value, origin: .sharedFile(path: path)))
                }
            }
        }
        do {
            for entry in try repository.configEntries(matching: "^timeturner\\.") {
                settings.append(ConfigurationSetting(key: entry.name, value: entry.value, origin: .gitConfig(entry.level)))
            }
        } catch {
            throw TimeturnerError(error, doing: "read the git configuration")
        }
        for (raw, value) in try GitCommandLineSettings.entries(in: environment) {
            guard let key = normalisedKey(raw) else { continue }  // git's own settings, read by git and libgit2
            guard let value else {
                throw TimeturnerError(.usage, "'git -c \(raw)' gives \(key) no value",
                                      hint: "give it one: git -c \(raw)=<value> timeturner …")
            }
            settings.append(ConfigurationSetting(key: key, value: value, origin: .gitCommandLine))
        }
        for override in overrides {
            guard let equals = override.firstIndex(of: "="), let key = normalisedKey(String(override[..<equals])) else {
                throw TimeturnerError(.usage, "'-c \(override)' is not key=value with a key like timeturner.tier.db.executor",
                                      hint: "for example: -c timeturner.tier.db.executor=postgres")
            }
            settings.append(ConfigurationSetting(key: key, value: String(override[override.index(after: equals)...]), origin: .commandLine))
        }
        let trust = sharedFile.map { trustStore.status(repositoryPath: root, sha256: $0.sha256, environment: environment) } ?? .noSharedFile
        return TimeturnerConfiguration(settings: settings, sharedFile: sharedFile, trust: trust,
                                       repositoryPath: root, warnings: warnings)
    }

    /// git's normalisation: section and variable name lowercased, subsection as written.
    /// Nil for a key without a section and a variable, or one outside `timeturner.`.
    public static func normalisedKey(_ raw: String) -> String? {
        guard let firstDot = raw.firstIndex(of: "."), let lastDot = raw.lastIndex(of: "."), lastDot < raw.index(before: raw.endIndex) else {
            return nil
        }
        let section = raw[..<firstDot].lowercased()
        guard section == "timeturner" else { return nil }
        let variable = raw[raw.index(after: lastDot)...].lowercased()
        let middle = firstDot == lastDot ? "" : String(raw[firstDot..<lastDot])
        return section + middle + "." + variable
    }

    /// The effective value(s) of `key`: those from the highest-priority origin that sets it.
    public func values(_ key: String) -> [ConfigurationSetting] {
        let key = TimeturnerConfiguration.normalisedKey(key) ?? key
        let matching = settings.filter { $0.key == key }
        guard let top = matching.map(\.origin.rank).max() else { return [] }
        return matching.filter { $0.origin.rank == top }
    }

    /// The effective single value of `key` (the last one written at the winning level, as git does).
    public func value(_ key: String) -> ConfigurationSetting? { values(key).last }

    /// Every key with its effective value(s), sorted by key.
    public var effective: [ConfigurationSetting] {
        var seen = Set<String>()
        var out: [ConfigurationSetting] = []
        for key in settings.map(\.key).sorted() where !seen.contains(key) {
            seen.insert(key)
            out += values(key)
        }
        return out
    }

    /// Settings under `prefix` (`timeturner.tier.db.`), effective values only, keyed by the rest
    /// of the name (`backupdir`).
    public func effective(under prefix: String) -> [String: [ConfigurationSetting]] {
        var out: [String: [ConfigurationSetting]] = [:]
        for setting in effective where setting.key.hasPrefix(prefix) {
            let rest = String(setting.key.dropFirst(prefix.count))
            guard !rest.contains(".") else { continue }
            out[rest, default: []].append(setting)
        }
        return out
    }

    /// Refuses when any of `settings` came from a `.timeturner` the user has not trusted:
    /// commands and executors named there must never run unapproved.
    public func requireTrusted(_ used: [ConfigurationSetting], for purpose: String) throws(TimeturnerError) {
        guard used.contains(where: { $0.origin.needsTrust }) else { return }
        guard case .untrusted(let reason) = trust, let sharedFile else { return }
        let keys = Set(used.filter { $0.origin.needsTrust }.map(\.key)).sorted().joined(separator: ", ")
        throw TimeturnerError(.refused,
                              "\(purpose) is configured in \(SharedConfigurationFile.name), which is not trusted (\(reason)); nothing was run",
                              hint: "read it first (cat \(sharedFile.path)), then trust this exact content with 'git timeturner trust' (in CI: TIMETURNER_TRUST=\(sharedFile.sha256))",
                              causes: ["settings from the untrusted file: \(keys)"])
    }
}
