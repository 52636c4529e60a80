import ArgumentParser
internal import Glibc
import GitKit
import TimeturnerCore

struct RegistryImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a known-good-commits.json file as good marks.",
        discussion: """
        Every entry becomes a good mark in the environment (dated by its "date"; its \
        "description" becomes the evidence; other fields are kept). All in one registry commit. \
        Importing the same file again adds nothing. A malformed file, or a commit this repository \
        does not have, is refused and nothing is written. Use - to read standard input.

        Examples:
          git timeturner registry import known-good-commits.json --env production
        """
    )

    @Argument(help: "The file to import (- for standard input).")
    var file: String

    @Option(help: "The environment the file's commits were good in (default: production).")
    var env: String = "production"

    @Flag(help: "Print the added marks as JSON.")
    var json = false

    func run() throws {
        let context = CommandContext.process
        let repository = try context.openRepository()
        let bytes = try readInput(file)
        let outcome = try KnownGoodRegistry(repository: repository).importKnownGood(
            bytes, source: file == "-" ? "standard input" : file, env: env,
            attribution: context.attribution(in: repository))
        context.terminal.warn(outcome.warnings)
        if json {
            context.printJSON(["added": .array(outcome.added.map(\.json)), "alreadyPresent": .int(Int64(outcome.alreadyPresent))])
        } else {
            context.terminal.out("Imported \(outcome.added.count) good mark(s) into \(Terminal.escaped(env)); \(outcome.alreadyPresent) already present.")
        }
    }

    private func readInput(_ path: String) throws(TimeturnerError) -> [UInt8] {
        guard let bytes = path == "-" ? LocalFile.readAll(from: STDIN_FILENO) : LocalFile.read(path) else {
            throw TimeturnerError(.failure, "cannot read \(path): \(String(cString: strerror(errno)))",
                                  hint: "give the path of a known-good-commits.json file, or - for standard input")
        }
        return bytes
    }
}
