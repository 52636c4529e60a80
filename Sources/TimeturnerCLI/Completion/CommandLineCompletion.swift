import ArgumentParser
import FoundationEssentials
import TimeturnerCore

/// Works out what the word under the cursor is — a subcommand, an option, an option's value or
/// a positional argument — from the same argument definitions `--help` and the manual pages are
/// made of (swift-argument-parser's `--experimental-dump-help` tree), so the shell scripts hold
/// no copy of the command line to fall out of date.
struct CommandLineCompletion {
    /// What the shell should offer.
    enum Answer: Equatable {
        /// Words (with descriptions) to offer.
        case words([CompletionCandidate])
        /// A value of this argument (`valueName` as in the usage line) of the command at `path`;
        /// `allValues` when the argument lists its choices. `prefix` is what was typed of it,
        /// `lead` goes back in front of each candidate (`--env=`, `code,db,`).
        case value(path: [String], name: String, allValues: [String], prefix: String, lead: String)
    }

    struct Argument {
        let kind: String          // "positional", "option", "flag"
        let names: [String]       // "--env", "-m"
        let valueName: String
        let abstract: String
        let allValues: [String]
        let isRepeating: Bool
    }

    struct Command {
        let name: String
        let abstract: String
        let arguments: [Argument]
        let subcommands: [Command]
    }

    let root: Command

    /// The answer for `words` (after `git timeturner`) from `TimeturnerCommand`'s definitions.
    ///
    /// Every Tab press runs this, so it reads as little of the definitions as it can: the path
    /// of subcommands comes from their configurations alone (above a leaf command there are only
    /// flags, so no word can be an option's value), a subcommand name is answered from there,
    /// and only the one command being completed is dumped (`<path> --experimental-dump-help`),
    /// never the whole tree: dumping and parsing all of it cost about 20 ms of CPU per press.
    static func answer(forTimeturner words: [String]) -> Answer {
        let current = words.last ?? ""
        var level = TimeturnerCommand.visibleSubcommands(of: TimeturnerCommand.self)
        var path: [String] = []
        var onlyPathAndFlags = true
        for word in words.dropLast() {
            if word.hasPrefix("-") { continue }
            guard let sub = level.first(where: { $0.name == word }) else { onlyPathAndFlags = false; break }
            path.append(word)
            level = sub.children
        }
        if !level.isEmpty, onlyPathAndFlags, !current.hasPrefix("-") {
            return .words(level.map { CompletionCandidate($0.name, $0.abstract) }.filter { $0.value.hasPrefix(current) })
        }
        guard let leaf = dump(path) else { return .words([]) }
        // The leaf inside parents that hold only the path: answer(for:) walks down to it.
        var root = leaf
        for name in path.reversed().dropFirst() {
            root = Command(name: name, abstract: "", arguments: [], subcommands: [root])
        }
        if !path.isEmpty { root = Command(name: "git-timeturner", abstract: "", arguments: [], subcommands: [root]) }
        return CommandLineCompletion(root: root).answer(for: words)
    }

    /// The definitions of the command at `path` alone, from swift-argument-parser's dump.
    private static func dump(_ path: [String]) -> Command? {
        let text: String
        do {
            _ = try TimeturnerCommand.parseAsRoot(path + ["--experimental-dump-help"])
            return nil
        } catch {
            text = TimeturnerCommand.message(for: error)
        }
        guard let dumped = try? JSONDecoder().decode(DumpedTool.self, from: Data(text.utf8)) else { return nil }
        return Self.command(dumped.command)
    }

    /// The few fields of the dump (`ArgumentParserToolInfo`'s `ToolInfoV0`) that completion
    /// reads, decoded as types: the decoder then reads only these keys, where a generic
    /// `JSONValue` tree made every value of the 20 KB document (9.8M of the 75M instructions
    /// of a Tab press over 10,000 points).
    private struct DumpedTool: Decodable {
        let command: DumpedCommand
    }

    private struct DumpedCommand: Decodable {
        let commandName: String
        let abstract: String?
        let shouldDisplay: Bool?
        let arguments: [DumpedArgument]?
        let subcommands: [DumpedCommand]?
    }

    private struct DumpedArgument: Decodable {
        struct Name: Decodable {
            let kind: String
            let name: String
        }
        let kind: String
        let shouldDisplay: Bool?
        let names: [Name]?
        let valueName: String?
        let abstract: String?
        let allValues: [String]?
        let isRepeating: Bool?
    }

    private static func command(_ dumped: DumpedCommand) -> Command {
        let arguments = (dumped.arguments ?? []).compactMap { argument -> Argument? in
            guard argument.shouldDisplay != false else { return nil }
            let names = (argument.names ?? []).map { ($0.kind == "short" ? "-" : "--") + $0.name }
            return Argument(kind: argument.kind, names: names, valueName: argument.valueName ?? "",
                            abstract: argument.abstract ?? "", allValues: argument.allValues ?? [],
                            isRepeating: argument.isRepeating ?? false)
        }
        let subcommands = (dumped.subcommands ?? [])
            .filter { $0.shouldDisplay != false && $0.commandName != "help" }
            .map(command)
        return Command(name: dumped.commandName, abstract: dumped.abstract ?? "", arguments: arguments, subcommands: subcommands)
    }

    /// `words` are the words after `git timeturner`; the last is the one being completed (may be empty).
    func answer(for words: [String]) -> Answer {
        let current = words.last ?? ""
        var command = root
        var path: [String] = []
        var positionals = 0
        var optionsEnded = false
        var index = 0
        var pendingOption: Argument? = nil
        let before = Array(words.dropLast())
        while index < before.count {
            let word = before[index]
            index += 1
            if optionsEnded { positionals += 1; continue }
            if word == "--" { optionsEnded = true; continue }
            if word.hasPrefix("-") {
                // An option that takes a value consumes the next word (unless written --opt=value).
                if !word.contains("="), let argument = command.argument(named: word), argument.kind == "option" {
                    if index < before.count { index += 1 } else { pendingOption = argument }
                }
                continue
            }
            if positionals == 0, let sub = command.subcommands.first(where: { $0.name == word }) {
                command = sub
                path.append(word)
                continue
            }
            positionals += 1
        }
        // The value of the option just before the cursor: `--env <TAB>`.
        if let argument = pendingOption {
            return value(of: argument, path: path, typed: current, lead: "")
        }
        // `--env=prod<TAB>`
        if !optionsEnded, current.hasPrefix("--"), let equals = current.firstIndex(of: "=") {
            let name = String(current[..<equals])
            if let argument = command.argument(named: name), argument.kind == "option" {
                return value(of: argument, path: path, typed: String(current[current.index(after: equals)...]), lead: name + "=")
            }
        }
        if !optionsEnded, current.hasPrefix("-") {
            let options = command.arguments.filter { $0.kind != "positional" }.flatMap { argument in
                argument.names.filter { $0.hasPrefix("--") }.map { CompletionCandidate($0, argument.abstract) }
            }
            return .words(options.filter { $0.value.hasPrefix(current) })
        }
        if positionals == 0, !command.subcommands.isEmpty {
            return .words(command.subcommands.map { CompletionCandidate($0.name, $0.abstract) }.filter { $0.value.hasPrefix(current) })
        }
        let positional = command.arguments.filter { $0.kind == "positional" }
        guard let argument = positional.indices.contains(positionals) ? positional[positionals] : positional.last(where: \.isRepeating) else {
            return .words([])
        }
        return value(of: argument, path: path, typed: current, lead: "")
    }

    private func value(of argument: Argument, path: [String], typed: String, lead: String) -> Answer {
        var prefix = typed
        var lead = lead
        // A comma-separated list (`--tiers code,db`): complete the last element.
        if argument.valueName == "tiers", let comma = typed.lastIndex(of: ",") {
            lead += String(typed[...comma])
            prefix = String(typed[typed.index(after: comma)...])
        }
        return .value(path: path, name: argument.valueName, allValues: argument.allValues, prefix: prefix, lead: lead)
    }
}

extension CommandLineCompletion.Command {
    func argument(named name: String) -> CommandLineCompletion.Argument? {
        arguments.first { $0.names.contains(name) }
    }
}
