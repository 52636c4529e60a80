import ArgumentParser
import GitKit
import TimeturnerCore

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Show the effective timeturner.* settings and where each came from.",
        discussion: """
        Layers, lowest first: .timeturner at the work tree root (committed, shared), system and \
        global git config, the repository's .git/config, then -c key=value. A key set in a higher \
        layer replaces all its values from lower ones. Also shows whether .timeturner is trusted \
        and which executor serves each tier.

        Examples:
          git timeturner config
          git timeturner config --json
          git timeturner config -c timeturner.tier.db.executor=postgres
        """
    )

    @OptionGroup var options: ConfigurationOptions

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        let context = CommandContext.process
        let repository = try context.openRepository()
        let configuration = try context.configuration(in: repository, overrides: options.overrides)
        let effective = configuration.effective
        let overridden = configuration.settings.filter { setting in !effective.contains(setting) }
        // Tiers are listed even when untrusted (nothing runs by listing them).
        let tiers = Result { () throws(TimeturnerError) in try configuration.tierAssignments() }

        if json {
            var fields: [String: JSONValue] = [
                "repository": .string(configuration.repositoryPath),
                "settings": .array(effective.map(Self.json)),
                "overridden": .array(overridden.map(Self.json)),
                "trust": ["trusted": .bool(configuration.trust.isTrusted), "detail": .string(configuration.trust.description)],
                "sharedFile": configuration.sharedFile.map { ["path": .string($0.path), "sha256": .string($0.sha256)] } ?? .null,
            ]
            switch tiers {
            case .success(let assignments):
                fields["tiers"] = .array(assignments.map { ["tier": .string($0.tier), "executor": .string($0.executor)] })
            case .failure(let error):
                fields["tiersError"] = .string(error.message)
            }
            context.printJSON(.object(fields))
            return
        }
        let t = context.terminal
        if let shared = configuration.sharedFile {
            t.out("\(SharedConfigurationFile.name): \(Terminal.escaped(shared.path))")
            t.out("  sha256 \(shared.sha256), \(Terminal.escaped(configuration.trust.description))")
        } else {
            t.out("\(SharedConfigurationFile.name): none")
        }
        t.out("")
        if effective.isEmpty {
            t.out("No timeturner.* settings. Tiers beyond code are configured with, for example:")
            t.out("  git config -f .timeturner timeturner.tier.db.executor postgres")
        } else {
            let rows = effective.map { setting in
                [Terminal.escaped(setting.key), Terminal.escaped(setting.value), Self.originText(setting, configuration)]
            }
            t.out(Table(header: ["KEY", "VALUE", "FROM"], rows: rows).rendered)
        }
        if !overridden.isEmpty {
            t.out("")
            t.out("overridden:")
            for setting in overridden {
                t.out("  \(Terminal.escaped(setting.key)) = \(Terminal.escaped(setting.value))  (\(setting.origin))")
            }
        }
        t.out("")
        switch tiers {
        case .success(let assignments):
            t.out("tiers: " + (["code (built in)"] + assignments.map { "\($0.tier) (\(Terminal.escaped($0.executor)))" }).joined(separator: ", "))
        case .failure(let error):
            t.out("tiers: " + Terminal.escaped(error.message))
        }
    }

    static func json(_ setting: ConfigurationSetting) -> JSONValue {
        ["key": .string(setting.key), "value": .string(setting.value), "origin": .string(setting.origin.description)]
    }

    static func originText(_ setting: ConfigurationSetting, _ configuration: TimeturnerConfiguration) -> String {
        if setting.origin.needsTrust && !configuration.trust.isTrusted { return "\(setting.origin) (untrusted)" }
        return setting.origin.description
    }
}
