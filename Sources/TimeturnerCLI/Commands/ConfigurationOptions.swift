import ArgumentParser

/// `-c key=value`: the highest layer of configuration, above `.git/config`, for commands that
/// read `timeturner.*` settings.
struct ConfigurationOptions: ParsableArguments {
    @Option(name: .customShort("c"), help: ArgumentHelp("Override a setting for this run (repeatable).", valueName: "key=value"))
    var overrides: [String] = []
}

extension ConfigurationOptions {
    /// `-c` from a plain reading (`PlainCommandLine`). Not an initializer: assigning a wrapped
    /// property inside one re-creates the wrapper as an unparsed definition, which traps when read.
    static func plain(_ line: PlainCommandLine) -> ConfigurationOptions {
        var options = ConfigurationOptions()
        options.overrides = line.all("-c")
        return options
    }
}
