import ArgumentParser
import GitKit
import TimeturnerCore
import TimeturnerExecutors

/// `git timeturner __complete -- <words after 'timeturner'>`: the candidates for the last word,
/// for the bash, zsh and fish scripts in completions/. Hidden: it is an interface for those
/// scripts, not for people.
///
/// Output: a first line saying what else the shell should offer (`:words` nothing else, `:refs`
/// git's branches and tags too, `:files` file names instead), then one candidate per line,
/// `value<TAB>description` (the description may be empty).
///
/// `--values-only --suffix=' '` before the `--` (for bash) prints each value alone with the
/// suffix after it (none after a value that goes on, ending in ',' or '='): bash then reads the
/// lines straight into COMPREPLY, because its own array operations take a quarter of a second
/// over 10,000 candidates. `--with-refs` (bash again) answers an argument that takes any
/// revision (`:refs`) with the branch, tag and remote-tracking names as well, as git's own
/// completion would list them, instead of leaving them to the script (see `references(prefix:)`).
struct CompleteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "__complete",
        abstract: "Print shell completion candidates (used by the completion scripts).",
        shouldDisplay: false
    )

    @Argument(parsing: .captureForPassthrough, help: "The words after 'git timeturner', the last one being completed.")
    var words: [String] = []

    func run() {
        var words = self.words
        var valuesOnly = false
        var withRefs = false
        var suffix = ""
        while let first = words.first, first != "--", first.hasPrefix("--") {
            words.removeFirst()
            if first == "--values-only" { valuesOnly = true }
            if first == "--with-refs" { withRefs = true }
            if first.hasPrefix("--suffix=") { suffix = String(first.dropFirst("--suffix=".count)) }
        }
        if words.first == "--" { words.removeFirst() }
        if words.isEmpty { words = [""] }
        let context = CommandContext.process
        var directive = ":words"
        var candidates: [CompletionCandidate] = []
        switch CommandLineCompletion.answer(forTimeturner: words) {
        case .words(let found):
            candidates = found
        case .value(let path, let name, let allValues, let prefix, let lead):
            (directive, candidates) = Self.values(for: name, path: path, allValues: allValues, prefix: prefix,
                                                  withRefs: withRefs, context: context)
            if !lead.isEmpty { candidates = candidates.map { CompletionCandidate(lead + $0.value, $0.description) } }
        }
        // Bytes, not a String grown by `+=`: 10,000 candidates made 40,000 String appends,
        // 16M instructions, a fifth of a Tab press.
        var text: [UInt8] = []
        text.reserveCapacity(64 + candidates.count * 32)
        text.append(contentsOf: directive.utf8)
        text.append(0x0A)
        for candidate in candidates {
            text.append(contentsOf: candidate.value.utf8)
            if valuesOnly {
                let continues = candidate.value.hasSuffix(",") || candidate.value.hasSuffix("=")
                if !continues { text.append(contentsOf: suffix.utf8) }
            } else {
                text.append(0x09)
                if let description = candidate.description { text.append(contentsOf: Self.flat(description).utf8) }
            }
            text.append(0x0A)
        }
        context.terminal.out(bytes: text)
    }

    /// Which values an argument takes, by its value name (as in the usage line); with
    /// `withRefs`, where any revision goes, the ref names too instead of the `:refs` directive.
    static func values(for name: String, path: [String], allValues: [String], prefix: String, withRefs: Bool,
                       context: CommandContext) -> (String, [CompletionCandidate]) {
        if !allValues.isEmpty {
            return (":words", allValues.filter { $0.hasPrefix(prefix) }.map { CompletionCandidate($0) })
        }
        let repository = try? context.openRepository()
        let candidates = repository.map(CompletionCandidates.init(repository:))
        // Where any revision goes: the shell's own ref completion adds the refs (`:refs`), or,
        // for the bash script (`--with-refs`), they are listed here.
        func revisions(_ offered: [CompletionCandidate]) -> (String, [CompletionCandidate]) {
            withRefs ? (":words", offered + (candidates?.references(prefix: prefix) ?? [])) : (":refs", offered)
        }
        switch (path.first, name) {
        case (_, "to"):
            let lastGood = "last-good".hasPrefix(prefix) ? [CompletionCandidate("last-good", "the newest good commit of --env")] : []
            return revisions(lastGood + (candidates?.pointIDs(prefix: prefix) ?? []))
        case (_, "target"):
            return revisions(candidates?.pointIDs(prefix: prefix) ?? [])
        case (_, "id"), (_, "point"):
            return (":words", candidates?.pointIDs(prefix: prefix) ?? [])
        case (_, "commit"):
            return revisions([])
        case (_, "env"):
            return (":words", candidates?.environments(prefix: prefix) ?? [])
        case (_, "rollback-id"):
            return (":words", candidates?.rollbackIDs(prefix: prefix) ?? [])
        case (_, "remote"):
            return (":words", candidates?.remotes(prefix: prefix) ?? [])
        case (_, "check"), ("check", "names"):
            // The configured checks (git config and a trusted .timeturner), by name.
            let configuration = repository.flatMap { try? context.configuration(in: $0, overrides: []) }
            return (":words", (configuration?.checkNames ?? []).filter { $0.hasPrefix(prefix) }.map { CompletionCandidate($0, "check") })
        case ("executor", "name"):
            return (":words", executorNames(repository: repository, context: context).filter { $0.value.hasPrefix(prefix) })
        case (_, "tier"), (_, "tiers"):
            return (":words", Tier.order.filter { $0.hasPrefix(prefix) }.map { CompletionCandidate($0, "tier") })
        case (_, "level"):
            return (":words", RollbackLevel.allCases.map { CompletionCandidate(String($0.rawValue), $0.tiers.joined(separator: ", ")) }
                .filter { $0.value.hasPrefix(prefix) })
        case (_, "file"):
            return (":files", [])
        default:
            return (":words", [])
        }
    }

    static func executorNames(repository: Repository?, context: CommandContext) -> [CompletionCandidate] {
        var configured: [String] = []
        var repositoryPath = "."
        if let repository, let configuration = try? TimeturnerConfiguration.load(
            repository: repository, overrides: [], environment: context.environment, trustStore: TrustStore(environment: context.environment)) {
            repositoryPath = configuration.repositoryPath
            for setting in configuration.effective where setting.key.hasPrefix("timeturner.executor.") && setting.key.hasSuffix(".command") {
                configured.append(String(setting.key.dropFirst("timeturner.executor.".count).dropLast(".command".count)))
            }
        }
        return ExecutorResolver(environment: context.environment, repositoryPath: repositoryPath)
            .allNames(configured: configured).map { CompletionCandidate($0.name, $0.source) }
    }

    /// One line, no tabs: the shells split candidates on both.
    static func flat(_ text: String) -> String {
        Terminal.escaped(String(text.map { $0 == "\t" || $0.isNewline ? " " : $0 }))
    }
}

extension CompleteCommand: PlainlyParsable {
    static let plainOptions: [PlainCommandLine.Option] = []

    /// Every Tab press runs this command, and its one argument takes every word as it is
    /// (`.captureForPassthrough`), so the library's parse (15M instructions of reflection) can
    /// only give the same words. Read directly when the words begin as the scripts write them:
    /// the script options above, then `--`, after which the library too takes every word as
    /// it is. Anything else (`__complete --help`, which the library answers) goes to the library.
    static func plainlyParsed(_ arguments: ArraySlice<String>) -> CompleteCommand? {
        guard let terminator = arguments.firstIndex(of: "--"),
              arguments[..<terminator].allSatisfy({ $0 == "--values-only" || $0 == "--with-refs" || $0.hasPrefix("--suffix=") })
        else { return nil }
        var command = CompleteCommand()
        command.words = Array(arguments)
        return command
    }
}
