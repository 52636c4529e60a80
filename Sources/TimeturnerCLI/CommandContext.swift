internal import FoundationEssentials
import GitKit
import TimeturnerCore

/// What every subcommand needs: the repository, who is acting and when, and the terminal.
/// Built once per run so commands stay thin and tests can see the same inputs.
struct CommandContext {
    let environment: [String: String]
    let terminal: Terminal
    let now: Timestamp

    init() {
        environment = ProcessInfo.processInfo.environment
        terminal = Terminal(environment: environment)
        now = Timestamp.now()
    }

    func openRepository() throws(TimeturnerError) -> Repository {
        try RepositoryAccess.open(path: nil)
    }

    func attribution(in repository: Repository) throws(TimeturnerError) -> Attribution {
        try Attribution.resolve(in: repository, environment: environment, now: now)
    }

    func printJSON(_ value: JSONValue) {
        terminal.out(value.pretty())
    }
}
