internal import CLibgit2

/// One configuration variable as libgit2 read it, copied out into Swift values.
public struct ConfigEntry: Equatable, Sendable {
    /// The normalised name: section and key lowercased, subsection as written
    /// (`timeturner.tier.db.backupdir`).
    public let name: String
    public let value: String
    /// Which file of the repository's configuration it came from.
    public let level: ConfigLevel
    /// 0 for the file itself; more when it came through `include.path` / `includeIf`.
    public let includeDepth: Int

    public init(name: String, value: String, level: ConfigLevel, includeDepth: Int = 0) {
        self.name = name
        self.value = value
        self.level = level
        self.includeDepth = includeDepth
    }
}

/// libgit2's configuration levels, lowest priority first.
public enum ConfigLevel: Equatable, Sendable, CustomStringConvertible {
    case programData, system, xdg, global, local, app
    case other(Int32)

    init(_ raw: git_config_level_t) {
        switch raw {
        case GIT_CONFIG_LEVEL_PROGRAMDATA: self = .programData
        case GIT_CONFIG_LEVEL_SYSTEM: self = .system
        case GIT_CONFIG_LEVEL_XDG: self = .xdg
        case GIT_CONFIG_LEVEL_GLOBAL: self = .global
        case GIT_CONFIG_LEVEL_LOCAL: self = .local
        case GIT_CONFIG_LEVEL_APP: self = .app
        default: self = .other(raw.rawValue)
        }
    }

    public var description: String {
        switch self {
        case .programData: "programdata"
        case .system: "system"
        case .xdg: "xdg"
        case .global: "global"
        case .local: "local"
        case .app: "app"
        case .other(let raw): "level \(raw)"
        }
    }
}

/// A configuration file in git-config syntax that is not one of the repository's own, such as
/// a committed `.timeturner` (read the way git reads `.gitmodules`).
public enum ConfigFile {
    /// Every entry of the file at `path`, in file order, optionally only names matching `pattern`
    /// (a regular expression, as `git config --get-regexp` takes). A syntax error throws with
    /// libgit2's message, which names the line.
    public static func entries(atPath path: String, matching pattern: String? = nil) throws(GitError) -> [ConfigEntry] {
        Libgit2.ensureInitialised()
        var config: OpaquePointer? = nil
        try Libgit2.check("read configuration file \(path)") { git_config_open_ondisk(&config, path) }
        defer { git_config_free(config) }
        return try ConfigFile.collect(config!, pattern: pattern, operation: "read configuration file \(path)")
    }

    static func collect(_ config: OpaquePointer, pattern: String?, operation: String) throws(GitError) -> [ConfigEntry] {
        var iterator: OpaquePointer? = nil
        if let pattern {
            try Libgit2.check(operation) { git_config_iterator_glob_new(&iterator, config, pattern) }
        } else {
            try Libgit2.check(operation) { git_config_iterator_new(&iterator, config) }
        }
        defer { git_config_iterator_free(iterator) }
        var entries: [ConfigEntry] = []
        while true {
            var entry: UnsafeMutablePointer<git_config_entry>? = nil
            let result = git_config_next(&entry, iterator)
            if result == GIT_ITEROVER.rawValue { git_error_clear(); break }
            try Libgit2.check(operation) { result }
            guard let entry else { break }
            entries.append(ConfigEntry(name: String(cString: entry.pointee.name),
                                       value: entry.pointee.value.map { String(cString: $0) } ?? "",
                                       level: ConfigLevel(entry.pointee.level),
                                       includeDepth: Int(entry.pointee.include_depth)))
        }
        return entries
    }
}

extension Repository {
    /// Every entry of the repository's effective configuration (system, global, local…) whose
    /// name matches `pattern`, each with the level it came from, lowest priority first.
    public func configEntries(matching pattern: String) throws(GitError) -> [ConfigEntry] {
        let config = try configurationSnapshot()
        // The iterator walks backends highest priority first; callers want file order per level
        // and lowest priority first, so reverse the level order but keep order within a level.
        let entries = try ConfigFile.collect(config, pattern: pattern, operation: "read configuration")
        var byLevel: [(ConfigLevel, [ConfigEntry])] = []
        for entry in entries {
            if let index = byLevel.firstIndex(where: { $0.0 == entry.level }) { byLevel[index].1.append(entry) }
            else { byLevel.append((entry.level, [entry])) }
        }
        return byLevel.reversed().flatMap(\.1)
    }
}
