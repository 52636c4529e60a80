public import ArgumentParser
internal import Glibc
import TimeturnerCore

/// `git timeturner`: the root command. Holds no logic of its own beyond dispatch and the single
/// place where errors become exit codes.
public struct TimeturnerCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "git-timeturner",
        abstract: "Rollback as a recorded, verified, first-class git operation.",
        discussion: """
        Rollback points are annotated tags under refs/timeturner/points/ with JSON Lines notes in \
        refs/notes/timeturner. Good and bad marks per environment live in the known-good registry, \
        the commit chain at refs/timeturner/registry. Nothing is written under refs/tags/ or \
        refs/heads/.

        Run it as 'git timeturner <command>'. Exit codes: 0 success, 1 error, 3 refused by a safety \
        check, 4 locked by another operation, 5 verification failed and restored, 6 verification \
        failed and restore failed, 64 usage.
        """,
        version: TimeturnerVersion.current,
        subcommands: [
            PointCommand.self,
            PointsCommand.self,
            ShowCommand.self,
            DeleteCommand.self,
            RollbackCommand.self,
            UndoCommand.self,
            StatusCommand.self,
            RecoverCommand.self,
            HistoryCommand.self,
            GoodCommand.self,
            BadCommand.self,
            LastGoodCommand.self,
            RegistryCommand.self,
            SyncCommand.self,
            ConfigCommand.self,
            TrustCommand.self,
            ExecutorCommand.self,
        ]
    )

    public init() {}

    /// Parses `CommandLine.arguments`, runs the command and exits with the documented status.
    public static func mainExit() async -> Never {
        let context = CommandContext.process
        let status: Int32
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            status = ExitStatus.success.rawValue
        } catch let error as TimeturnerError {
            context.terminal.report(error)
            status = ExitStatus(error.kind).rawValue
        } catch {
            // Help, --version, and argument errors: swift-argument-parser prints them and picks
            // 0 or 64 (EX_USAGE).
            fflush(nil)
            exit(withError: error)
        }
        fflush(nil)
        Glibc.exit(status)
    }
}

enum TimeturnerVersion {
    static let current = "0.1.0"
}
