import ArgumentParser
@testable import TimeturnerCLI
import Testing
import TimeturnerCore

/// `PlainCommandLine` may only accept what swift-argument-parser reads the same way. Every
/// command line below is parsed both ways; whenever the plain reading gives a command, the
/// library must give the same command, field by field.
@Suite struct PlainCommandLineTests {
    /// Every field of a parsed `point`, as text (reading one the parser did not set would trap).
    static func fields(_ command: PointCommand) -> [String] {
        [command.commit, command.message ?? "<nil>", command.name ?? "<nil>",
         command.severity.map { $0.value.rawValue } ?? "<nil>", command.env ?? "<nil>",
         "\(command.codeOnly)", command.options.overrides.joined(separator: "\u{1}"), "\(command.json)"]
    }

    /// The library's reading, or nil when it refuses (or reads something other than `point`).
    static func libraryReading(_ arguments: [String]) -> [String]? {
        guard let command = try? TimeturnerCommand.parseAsRoot(arguments) as? PointCommand else { return nil }
        return fields(command)
    }

    static func plainReading(_ arguments: [String]) -> [String]? {
        guard arguments.first == "point" else { return nil }
        return PointCommand.plainlyParsed(arguments.dropFirst()).map(fields)
    }

    @Test(arguments: [
        ["point"],
        ["point", "-m", "before the schema change"],
        ["point", "v2.4.0", "--name", "pre-v2.5", "--severity", "high", "--env", "production"],
        ["point", "--severity", "HIGH", "HEAD~1", "--message=a=b c", "--json"],
        ["point", "--code-only", "-c", "timeturner.tier.db.executor=postgres", "-c", "a.b=c", "--env=staging"],
        ["point", "--json", "--message", "x", "main"],
    ])
    func theCommonSpellingsAreReadPlainlyAndAsTheLibraryReadsThem(arguments: [String]) throws {
        let plain = try #require(Self.plainReading(arguments), "not read plainly: \(arguments)")
        #expect(plain == Self.libraryReading(arguments), "\(arguments)")
    }

    @Test(arguments: [
        ["point", "--help"], ["point", "-h"], ["point", "--bogus"], ["point", "-m"], ["point", "-mfoo"],
        ["point", "-m", "-x"], ["point", "--message=-x"], ["point", "--message="], ["point", "a", "b"],
        ["point", "-m", "a", "-m", "b"], ["point", "--json", "--json"], ["point", "--json=1"],
        ["point", "--severity", "bogus"], ["point", "--"], ["point", "-"], ["point", ""],
        ["point", "--code-only=yes"], ["point", "-cx=y"],
    ])
    func everythingElseIsLeftToTheLibrary(arguments: [String]) {
        #expect(Self.plainReading(arguments) == nil, "\(arguments)")
    }

    /// The plain reading knows every option `point` has, with the same kind: a new option
    /// added to the command but not to `plainOptions` would be left unset, and reading it traps.
    @Test func thePlainOptionsAreExactlyTheCommandsOptions() throws {
        var dumped = ""
        do { _ = try TimeturnerCommand.parseAsRoot(["point", "--experimental-dump-help"]) } catch {
            dumped = TimeturnerCommand.message(for: error)
        }
        let document = try #require(JSONValue.parseDocument(Array(dumped.utf8)), "no --experimental-dump-help")
        var declared: [String] = [], positionals = 0
        for argument in document["command"]?["arguments"]?.arrayValue ?? [] {
            let kind = argument["kind"]?.stringValue ?? ""
            if kind == "positional" { positionals += 1; continue }
            let names = (argument["names"]?.arrayValue ?? []).compactMap { name -> String? in
                name["name"]?.stringValue.map { (name["kind"]?.stringValue == "short" ? "-" : "--") + $0 }
            }.sorted()
            if names == ["--help", "-h"] || names == ["--version"] { continue }   // the library's own
            let repeating = argument["isRepeating"]?.boolValue == true
            declared.append("\(kind == "flag" ? "flag" : repeating ? "repeatable" : "value") \(names.joined(separator: " "))")
        }
        let plain = PointCommand.plainOptions.map { option in
            let kind = switch option.kind { case .flag: "flag"; case .value: "value"; case .repeatableValue: "repeatable" }
            return "\(kind) \(option.names.sorted().joined(separator: " "))"
        }
        #expect(declared.sorted() == plain.sorted())
        #expect(positionals == 1)
    }

    /// Thousands of command lines made of the options, their values and awkward words: whatever
    /// the plain reading accepts, the library reads identically.
    @Test func generatedCommandLinesAreNeverReadDifferently() {
        let words = ["-m", "--message", "--message=x", "--name", "--name=n", "--severity", "--severity=low",
                     "--env", "--env=production", "--code-only", "-c", "--json", "HEAD", "HEAD~2", "high",
                     "Critical", "bogus", "a=b", "x", "-x", "", "--", "-", "help", "--help", "--version",
                     "point", "--json=1", "-h", "--message=-m", "two words", "é"]
        var generator = SplitMix64(seed: 20_261_201)
        var accepted = 0
        for _ in 0..<3_000 {
            let count = Int(generator.next() % 7)
            let arguments = ["point"] + (0..<count).map { _ in words[Int(generator.next() % UInt64(words.count))] }
            guard let plain = Self.plainReading(arguments) else { continue }
            accepted += 1
            #expect(plain == Self.libraryReading(arguments), "\(arguments)")
        }
        // Enough accepted lines for the comparison to mean something.
        #expect(accepted > 300, "only \(accepted) generated command lines were read plainly")
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
