import ArgumentParser

struct RegistryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registry",
        abstract: "Read, audit, export and import the known-good registry.",
        discussion: """
        The registry is the commit chain at refs/timeturner/registry; its tree holds \
        marks/<env>/<YYYY-MM>.jsonl (good and bad marks) and journal/<YYYY-MM>.jsonl. \
        Plain git reads it: git show refs/timeturner/registry:marks/production/2026-11.jsonl
        """,
        subcommands: [
            RegistryListCommand.self,
            RegistryLogCommand.self,
            RegistryExportCommand.self,
            RegistryImportCommand.self,
        ]
    )
}
