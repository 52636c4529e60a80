import ArgumentParser

struct TriggerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trigger",
        abstract: "Automatic triggers: checks whose sustained failure, caused by the deploy, rolls it back or alerts.",
        discussion: """
        A trigger is timeturner.trigger.<name>.check (a check under timeturner.check.<name>), \
        .for (how long it must fail without a pass), .action (rollback, rollback-warn or alert; \
        default from the check's severity: critical rollback, high rollback-warn, medium and low \
        alert), .level (the tier level of its rollback) and .env (the environments it applies to). \
        See docs/checks.md.
        """,
        subcommands: [TriggerCheckCommand.self]
    )
}
