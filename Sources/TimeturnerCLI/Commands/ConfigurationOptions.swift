import ArgumentParser

/// `-c key=value`: the highest layer of configuration, above `.git/config`, for commands that
/// read `timeturner.*` settings.
struct ConfigurationOptions: ParsableArguments {
    @Option(name: .customShort("c"), help: ArgumentHelp("Override a setting for this run (repeatable).", valueName: "key=value"))
    var overrides: [String] = []
}
