import ArgumentParser
@testable import TimeturnerCLI
import Testing
import TimeturnerCore

/// `PlainCommandLine` may only accept what swift-argument-parser reads the same way. Every
/// command line below is parsed both ways; whenever the plain reading gives a command, the
/// library must give the same command, field by field.
@Suite struct PlainCommandLineTests {
    /// One plainly parsable command: how to read its fields (reading one the parser did not set
    /// would trap, so every field is read), and words to make command lines of.
    struct Command: Sendable, CustomTestStringConvertible {
        let name: String
        let fields: @Sendable (any ParsableCommand) -> [String]?
        let options: [PlainCommandLine.Option]
        let positionals: Int
        let words: [String]
        /// What every command line it reads must hold (`--env`), put among the generated words.
        var required: [String] = []
        var testDescription: String { name }

        func library(_ arguments: [String]) -> [String]? {
            guard let command = try? TimeturnerCommand.parseAsRoot([name] + arguments) else { return nil }
            return fields(command)
        }

        /// The plain reading, through the same entry the binary uses (which also validates).
        func plainly(_ arguments: [String]) -> [String]? {
            TimeturnerCommand.plainlyParsed([name] + arguments).flatMap { fields($0) }
        }
    }

    static let awkward = ["", "--", "-", "-x", "help", "--help", "-h", "--version", "--json=1", "x", "two words", "é", "a=b"]

    static let point = Command(
        name: "point",
        fields: { any in
            guard let command = any as? PointCommand else { return nil }
            return [command.commit, command.message ?? "<nil>", command.name ?? "<nil>",
                    command.severity.map { $0.value.rawValue } ?? "<nil>", command.env ?? "<nil>",
                    "\(command.codeOnly)", command.options.overrides.joined(separator: "\u{1}"), "\(command.json)"]
        },
        options: PointCommand.plainOptions, positionals: 1,
        words: ["-m", "--message", "--message=x", "--name", "--name=n", "--severity", "--severity=low", "--env",
                "--env=production", "--code-only", "-c", "--json", "HEAD", "HEAD~2", "high", "Critical", "bogus", "point"])

    static func markFields(_ options: MarkOptions) -> [String] {
        [options.commit, options.env, options.by ?? "<nil>", "\(options.json)"]
    }

    static let good = Command(
        name: "good",
        fields: { any in
            guard let command = any as? GoodCommand else { return nil }
            return markFields(command.options) + [command.evidence ?? "<nil>", "\(command.capture)",
                                                  command.configurationOptions.overrides.joined(separator: "\u{1}")]
        },
        options: GoodCommand.plainOptions, positionals: 1,
        words: ["--env", "--env=production", "production", "--by", "Bot <b@example.com>", "--json", "--evidence",
                "--evidence=ok", "--capture", "-c", "HEAD~1", "--reason", "good"], required: ["--env", "production"])

    static let bad = Command(
        name: "bad",
        fields: { any in
            guard let command = any as? BadCommand else { return nil }
            return markFields(command.options) + [command.reason ?? "<nil>"]
        },
        options: BadCommand.plainOptions, positionals: 1,
        words: ["--env", "--env=production", "staging", "--by", "--by=me", "--json", "--reason", "--reason=5xx",
                "HEAD", "--evidence", "bad"], required: ["--env", "production"])

    static let lastGood = Command(
        name: "last-good",
        fields: { any in
            guard let command = any as? LastGoodCommand else { return nil }
            return [command.env, "\(command.any)", command.maxAge.map { "\($0.value.seconds)" } ?? "<nil>", "\(command.json)"]
        },
        options: LastGoodCommand.plainOptions, positionals: 0,
        words: ["--env", "--env=production", "production", "--any", "--max-age", "--max-age=7d", "7d", "90s", "2w",
                "7x", "--json", "HEAD"], required: ["--env", "production"])

    static let rollback = Command(
        name: "rollback",
        fields: { any in
            guard let c = any as? RollbackCommand else { return nil }
            return [c.to ?? "<nil>", c.env ?? "<nil>", c.mode.value.rawValue, c.commits ?? "<nil>",
                    c.mainline.map(String.init) ?? "<nil>", c.verifyCommands.joined(separator: "\u{1}"),
                    c.checks.joined(separator: "\u{1}"), "\(c.fast)", "\(c.verifyTimeout.value.seconds)",
                    c.level.map { "\($0.value.rawValue)" } ?? "<nil>", c.tiers ?? "<nil>", "\(c.acceptDataLoss)",
                    "\(c.escalate)", c.configurationOptions.overrides.joined(separator: "\u{1}"), "\(c.dryRun)",
                    "\(c.yes)", c.reason ?? "<nil>", "\(c.json)"]
        },
        options: RollbackCommand.plainOptions, positionals: 0,
        words: ["--to", "--to=HEAD~2", "--env", "--env=production", "production", "--mode", "--mode=reset", "RESET",
                "revert", "sideways", "--commits", "HEAD~3..HEAD", "--mainline", "--mainline=2", "1", "0", "+1",
                "--verify", "--verify=make test", "true", "--check", "--check=errors", "--fast", "--verify-timeout",
                "90s", "10m", "30", "0", "--level", "--level=2", "3", "7", "--tiers", "code,db", "--accept-data-loss",
                "--escalate", "-c", "--dry-run", "--yes", "--reason", "--reason=5xx", "--json"])

    static let undo = Command(
        name: "undo",
        fields: { any in
            guard let c = any as? UndoCommand else { return nil }
            return [c.rollbackID ?? "<nil>", "\(c.codeOnly)", "\(c.acceptDataLoss)", "\(c.dryRun)", "\(c.yes)",
                    "\(c.json)", c.configurationOptions.overrides.joined(separator: "\u{1}")]
        },
        options: UndoCommand.plainOptions, positionals: 1,
        words: ["--code-only", "--accept-data-loss", "--dry-run", "--yes", "--json", "-c", "a.b=c",
                "20261201T120000Z-0123456789ab", "--dry-run=1"])

    static let status = Command(
        name: "status",
        fields: { any in (any as? StatusCommand).map { ["\($0.json)"] } },
        options: StatusCommand.plainOptions, positionals: 0,
        words: ["--json", "--json=true", "status"])

    static let complete = Command(
        name: "__complete",
        fields: { any in (any as? CompleteCommand).map { $0.words } },
        options: CompleteCommand.plainOptions, positionals: 1,
        words: ["--", "--values-only", "--with-refs", "--suffix= ", "--suffix=", "rollback", "--to", "-m", "--env=", "x"],
        required: ["--"])

    static let commands = [point, good, bad, lastGood, rollback, undo, status, complete]

    @Test(arguments: [
        (point, ["-m", "before the schema change"]),
        (point, ["v2.4.0", "--name", "pre-v2.5", "--severity", "high", "--env", "production"]),
        (point, ["--severity", "HIGH", "HEAD~1", "--message=a=b c", "--json"]),
        (point, ["--code-only", "-c", "timeturner.tier.db.executor=postgres", "-c", "a.b=c", "--env=staging"]),
        (point, []),
        (good, ["--env", "production", "--evidence", "health checks passed"]),
        (good, ["v2.4.0", "--env", "staging", "--by", "Deploy Bot <deploy@example.com>", "--json"]),
        (good, ["--env=production", "--capture", "-c", "a.b=c"]),
        (bad, ["--env", "production", "--reason", "error rate 12%"]),
        (bad, ["HEAD~1", "--env", "staging", "--json"]),
        (lastGood, ["--env", "production"]),
        (lastGood, ["--env", "production", "--max-age", "7d", "--json"]),
        (lastGood, ["--any", "--env=staging"]),
        (rollback, ["--env", "production", "--level", "2", "--yes"]),
        (rollback, ["--to", "HEAD~3", "--mode", "reset", "--verify", "make test", "--verify", "true", "--dry-run", "--json"]),
        (rollback, ["--commits", "HEAD~2..HEAD", "--mainline", "1", "--reason", "error rate 12%", "--yes"]),
        (rollback, ["--env=production", "--tiers", "code,db", "--accept-data-loss", "--check", "errors", "--fast",
                    "--verify-timeout", "90s", "-c", "a.b=c", "--yes"]),
        (rollback, ["--env", "production", "--level", "1", "--escalate"]),
        (rollback, []),
        (undo, []), (undo, ["--dry-run"]), (undo, ["20261201T120000Z-0123456789ab", "--yes", "--code-only", "--json"]),
        (status, []), (status, ["--json"]),
        (complete, ["--", "rollback", "--to", ""]), (complete, ["--values-only", "--with-refs", "--suffix= ", "--", "roll"]),
        (complete, ["--", "--help"]), (complete, ["--", ""]), (complete, ["--"]),
    ])
    func theCommonSpellingsAreReadPlainlyAndAsTheLibraryReadsThem(command: Command, arguments: [String]) throws {
        let plain = try #require(command.plainly(arguments), "not read plainly: \(command.name) \(arguments)")
        #expect(plain == command.library(arguments), "\(command.name) \(arguments)")
    }

    @Test(arguments: [
        (point, ["--help"]), (point, ["-h"]), (point, ["--bogus"]), (point, ["-m"]), (point, ["-mfoo"]),
        (point, ["-m", "-x"]), (point, ["--message=-x"]), (point, ["--message="]), (point, ["a", "b"]),
        (point, ["-m", "a", "-m", "b"]), (point, ["--json", "--json"]), (point, ["--json=1"]),
        (point, ["--severity", "bogus"]), (point, ["--"]), (point, ["-"]), (point, [""]),
        (point, ["--code-only=yes"]), (point, ["-cx=y"]), (point, ["--version"]),
        (good, []), (good, ["HEAD"]), (good, ["--env"]), (good, ["--env", "a", "--env", "b"]), (good, ["--reason", "x", "--env", "p"]),
        (bad, ["--env", "p", "--evidence", "x"]), (bad, ["--env", "p", "a", "b"]),
        (lastGood, []), (lastGood, ["--env", "p", "HEAD"]), (lastGood, ["--env", "p", "--max-age", "7x"]),
        (lastGood, ["--env", "p", "--max-age", "-1d"]),
        (rollback, ["--level", "2", "--tiers", "code"]), (rollback, ["--escalate"]), (rollback, ["--mode", "sideways"]),
        (rollback, ["--level", "7"]), (rollback, ["--verify-timeout", "0"]), (rollback, ["--mainline", "x"]),
        (rollback, ["HEAD~1"]), (rollback, ["--yes", "--yes"]), (rollback, ["--verify", "-x"]),
        (undo, ["a", "b"]), (undo, ["--yes=1"]), (status, ["x"]), (status, ["--json", "--json"]),
        (complete, []), (complete, ["--help"]), (complete, ["--values-only", "--help", "--"]), (complete, ["rollback", "--"]),
        (complete, ["--values-only"]),
    ])
    func everythingElseIsLeftToTheLibrary(command: Command, arguments: [String]) {
        #expect(command.plainly(arguments) == nil, "\(command.name) \(arguments)")
    }

    /// Thousands of command lines made of each command's options, their values and awkward
    /// words: whatever the plain reading accepts, the library reads identically.
    @Test(arguments: commands)
    func generatedCommandLinesAreNeverReadDifferently(command: Command) {
        let words = command.words + Self.awkward
        var generator = SplitMix64(seed: 20_261_201)
        var accepted = 0
        for _ in 0..<2_000 {
            let count = Int(generator.next() % 7)
            var arguments = (0..<count).map { _ in words[Int(generator.next() % UInt64(words.count))] }
            arguments.insert(contentsOf: command.required, at: Int(generator.next() % UInt64(count + 1)))
            guard let plain = command.plainly(arguments) else { continue }
            accepted += 1
            #expect(plain == command.library(arguments), "\(command.name) \(arguments)")
        }
        // Enough accepted lines for the comparison to mean something.
        #expect(accepted > 100, "only \(accepted) generated command lines of \(command.name) were read plainly")
    }

    /// The plain reading knows every option each command has, with the same kind: an option
    /// added to a command but not to its `plainOptions` would be left unset, and reading it traps.
    @Test(arguments: commands)
    func thePlainOptionsAreExactlyTheCommandsOptions(command: Command) throws {
        var dumped = ""
        do { _ = try TimeturnerCommand.parseAsRoot([command.name, "--experimental-dump-help"]) } catch {
            dumped = TimeturnerCommand.message(for: error)
        }
        var definition = JSONValue.parseDocument(Array(dumped.utf8))?["command"]
        if definition == nil {
            // `__complete` takes every word, `--experimental-dump-help` too: its definition is
            // read from the whole tree's dump instead.
            do { _ = try TimeturnerCommand.parseAsRoot(["--experimental-dump-help"]) } catch {
                let tree = JSONValue.parseDocument(Array(TimeturnerCommand.message(for: error).utf8))
                definition = tree?["command"]?["subcommands"]?.arrayValue?.first { $0["commandName"]?.stringValue == command.name }
            }
        }
        let document = try #require(definition, "no --experimental-dump-help")
        var declared: [String] = [], positionals = 0
        for argument in document["arguments"]?.arrayValue ?? [] {
            let kind = argument["kind"]?.stringValue ?? ""
            if kind == "positional" { positionals += 1; continue }
            let names = (argument["names"]?.arrayValue ?? []).compactMap { name -> String? in
                name["name"]?.stringValue.map { (name["kind"]?.stringValue == "short" ? "-" : "--") + $0 }
            }.sorted()
            if names == ["--help", "-h"] || names == ["--version"] { continue }   // the library's own
            let repeating = argument["isRepeating"]?.boolValue == true
            declared.append("\(kind == "flag" ? "flag" : repeating ? "repeatable" : "value") \(names.joined(separator: " "))")
        }
        let plain = command.options.map { option in
            let kind = switch option.kind { case .flag: "flag"; case .value: "value"; case .repeatableValue: "repeatable" }
            return "\(kind) \(option.names.sorted().joined(separator: " "))"
        }
        #expect(declared.sorted() == plain.sorted())
        #expect(positionals == command.positionals)
    }
}

/// A fixed-seed generator, so that a failing command line comes back on every run.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
