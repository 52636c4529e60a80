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
            ArtifactsCommand.self,
            CheckCommand.self,
            GuardCommand.self,
            TriggerCommand.self,
            GoodCommand.self,
            BadCommand.self,
            LastGoodCommand.self,
            RegistryCommand.self,
            SyncCommand.self,
            ConfigCommand.self,
            TrustCommand.self,
            ExecutorCommand.self,
            HooksCommand.self,
            CompleteCommand.self,
        ]
    )

    public init() {}

    /// Parses `CommandLine.arguments`, runs the command and exits with the documented status.
    public static func mainExit() async -> Never {
        let context = CommandContext.process
        let status: Int32
        do {
            switch try parseCommandLine() {
            case .plain(var command):
                try await command.runAsParsed()
            case .library(var command):
                if var asyncCommand = command as? any AsyncParsableCommand {
                    try await asyncCommand.run()
                } else {
                    try command.run()
                }
            }
            status = ExitStatus.success.rawValue
        } catch let error as TimeturnerError {
            context.terminal.report(error)
            status = ExitStatus(error.kind).rawValue
        } catch {
            // Help and --version (exit code 0) are printed as swift-argument-parser prints them;
            // its errors (64, EX_USAGE) are rewritten into our error:/hint: shape.
            let code = exitCode(for: error)
            guard code != .success else {
                // Printed here rather than by `exit(withError:)`, so that lost output (a full
                // disk) is an error for these too (StandardOutput).
                let text = fullMessage(for: error)
                if !text.isEmpty { context.terminal.out(text) }
                Glibc.exit(StandardOutput.exitStatus(after: ExitStatus.success.rawValue, terminal: context.terminal))
            }
            context.terminal.reportArgumentError(fullMessage(for: error), extraHint: unknownCommandHint(for: error))
            fflush(nil)
            Glibc.exit(code == .validationFailure ? ExitStatus.usage.rawValue : code.rawValue)
        }
        Glibc.exit(StandardOutput.exitStatus(after: status, terminal: context.terminal))
    }
}

extension TimeturnerCommand {
    /// The command the arguments name, parsed as `parseAsRoot()` parses them.
    ///
    /// On every run, swift-argument-parser's `parseAsRoot` first tries to read the arguments as
    /// `--generate-completion-script`, building and decoding two extra argument sets by
    /// reflection: 5.8M of the 11.6M instructions that parsing `point` took, most of it Swift
    /// protocol-conformance lookups (each scans all of the binary's conformance records). The
    /// library skips that check for a root with a super-command name, which otherwise changes
    /// only help and usage text. So the arguments are parsed against such a root
    /// (`QuickParseRoot`, the same subcommands) first, and the result kept only when it is one of
    /// our commands; anything else, help, `--version`, a usage error, no command, the
    /// completion script, is parsed again against the real root, which makes the same text as
    /// before. Parsing has no side effects, so parsing twice changes nothing but the time.
    ///
    /// Before either, the hot commands' plainest command lines are read without the library
    /// at all (`PlainCommandLine`): its reflection was still most of what parsing cost.
    static func parseCommandLine() throws -> ParsedCommand {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let command = plainlyParsed(arguments) { return .plain(command) }
        if !arguments.contains(where: { $0.hasPrefix("--generate-completion-script") }),
           let command = try? QuickParseRoot.parseAsRoot(arguments),
           !(command is QuickParseRoot),
           !_typeName(type(of: command), qualified: true).hasPrefix("ArgumentParser.") {
            return .library(command)
        }
        return .library(try parseAsRoot(arguments))
    }

    /// A command read without the library (which knows how it runs) or by it.
    enum ParsedCommand {
        case plain(any PlainlyParsable)
        case library(any ParsableCommand)
    }
}

extension TimeturnerCommand {
    /// The hot commands' plainest command lines, read without the library's reflection
    /// (`PlainCommandLine`); nil for anything else.
    static func plainlyParsed(_ arguments: [String]) -> (any PlainlyParsable)? {
        guard let name = arguments.first else { return nil }
        let rest = arguments.dropFirst()
        let commands: [any PlainlyParsable.Type] = [PointCommand.self, GoodCommand.self, BadCommand.self, LastGoodCommand.self,
                                                    RollbackCommand.self, UndoCommand.self, StatusCommand.self,
                                                    CompleteCommand.self]
        guard var command = commands.first(where: { $0.configuration.commandName == name })?.plainlyParsed(rest) else { return nil }
        // As the library would after parsing; if it refuses, the library parses again and says why.
        guard (try? command.validate()) != nil else { return nil }
        return command
    }
}

/// `TimeturnerCommand`'s command tree under a root that swift-argument-parser does not check for
/// `--generate-completion-script` (see `parseCommandLine`). Never prints anything itself.
struct QuickParseRoot: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: TimeturnerCommand.configuration.commandName,
        _superCommandName: "git",
        version: TimeturnerCommand.configuration.version,
        subcommands: TimeturnerCommand.configuration.subcommands
    )
}

extension TimeturnerCommand {
    /// For `git timeturner report`: which command was probably meant, or what the commands are.
    /// swift-argument-parser reports an unknown command as an unexpected argument; its usage line
    /// names the command whose subcommands were expected.
    static func unknownCommandHint(for error: any Error) -> String? {
        let message = self.message(for: error)
        guard message.hasPrefix("Unexpected argument '"), message.hasSuffix("'") else { return nil }
        let word = String(message.dropFirst("Unexpected argument '".count).dropLast())
        let usage = fullMessage(for: error).split(separator: "\n").first { $0.hasPrefix("Usage: ") } ?? ""
        guard usage.hasSuffix(" <subcommand>") else { return nil }
        // "Usage: git-timeturner registry <subcommand>" → the path ["registry"].
        let path = usage.split(separator: " ").dropFirst(2).dropLast().map(String.init)
        var level = Self.visibleSubcommands(of: TimeturnerCommand.self)
        for name in path {
            guard let next = level.first(where: { $0.name == name }) else { return nil }
            level = next.children
        }
        let names = level.map(\.name)
        let spelled = (["git timeturner"] + path).joined(separator: " ")
        if let guess = closestName(to: word, in: names) {
            return "'\(word)' is not a '\(spelled)' command; did you mean '\(spelled) \(guess)'?"
        }
        return "'\(word)' is not a '\(spelled)' command; the commands are: " + names.joined(separator: ", ")
    }
}

extension TimeturnerCommand {
    /// The visible command tree (names only). Generic over the command type because opening
    /// `any ParsableCommand.Type` inline crashed Swift 6.3.1's SIL generation.
    struct CommandName { let name: String; let abstract: String; let children: [CommandName] }

    static func visibleSubcommands<Command: ParsableCommand>(of command: Command.Type) -> [CommandName] {
        command.configuration.subcommands.compactMap { sub in describe(sub) }
    }

    private static func describe<Command: ParsableCommand>(_ command: Command.Type) -> CommandName? {
        guard command.configuration.shouldDisplay, command._commandName != "help" else { return nil }
        return CommandName(name: command._commandName, abstract: command.configuration.abstract, children: visibleSubcommands(of: command))
    }
}

enum TimeturnerVersion {
    static let current = "0.1.0"
}
