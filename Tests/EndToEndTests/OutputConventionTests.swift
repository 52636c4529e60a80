import Glibc
import Testing
import TestSupport

/// The output conventions of issue 13: argument errors in the error:/hint: shape with exit 64,
/// multi-line text indented instead of `\n`, summaries for external executors, the rollback
/// suggestion naming what was captured, colour from NO_COLOR / color.ui / timeturner.color, and
/// the progress line on a terminal only (a terminal is given by util-linux's `script`).
@Suite struct OutputConventionTests {
    @Test func argumentParserErrorsTakeOurShape() async throws {
        let repo = try await ScratchRepository()
        let unknown = try await repo.timeturner("report")
        #expect(unknown.status == 64)
        #expect(unknown.stderr.hasPrefix("error: unexpected argument 'report'\nhint: 'report' is not a 'git timeturner' command; the commands are: point, points,"), "\(unknown)")
        let typo = try await repo.timeturner("registry", "lisst")
        #expect(typo.status == 64)
        #expect(typo.stderr.contains("hint: 'lisst' is not a 'git timeturner registry' command; did you mean 'git timeturner registry list'?"), "\(typo)")
        let option = try await repo.timeturner("point", "--frobnicate")
        #expect(option.status == 64)
        #expect(option.stderr.hasPrefix("error: unknown option '--frobnicate'"), "\(option)")
        #expect(option.stderr.contains("hint: usage: git timeturner point [<commit>]"), "\(option)")
        let value = try await repo.timeturner("point", "--severity", "huge")
        #expect(value.stderr.contains("hint: --severity <severity>: How risky the change ahead is"), "\(value)")
        for result in [unknown, typo, option, value] {
            #expect(!result.stderr.lines.contains { $0.hasPrefix("Error:") || $0.hasPrefix("Usage:") || $0.hasPrefix("  See") }, "\(result)")
        }
        // Help and --version are untouched, and succeed.
        #expect(try await repo.timeturner("--version").stdout.trimmed == "0.1.0")
        let help = try await repo.timeturner("point", "--help")
        #expect(help.status == 0 && help.stdout.hasPrefix("OVERVIEW: Record a rollback point"))
    }

    /// A reader that goes away mid-rollback (`… 2>&1 | head -3`) must not stop it between two
    /// steps: before SIGPIPE was ignored, the process died with the branch moved and the work
    /// tree not written. The pipe here has no reader at all from the start (a FIFO opened for
    /// reading and writing, then its reading end closed), so every write fails: the first would
    /// have killed it.
    @Test func aClosedPipeOnTheOutputDoesNotStopARollbackOrAnUndo() async throws {
        let repo = try await ScratchRepository()
        let first = try await repo.commit("one", files: ["a.txt": "a1\n"])
        try await repo.commit("two", files: ["a.txt": "a2\n", "b.txt": "b2\n"])
        let head = try await repo.git("rev-parse", "HEAD").trimmed
        let fifo = repo.siblingDirectory("pipes") + "/p"
        #expect(mkfifo(fifo, 0o600) == 0)
        func intoClosedPipe(_ arguments: String) async throws -> ProcessResult {
            try await runProcess("/bin/sh", ["-c", "exec 3<>\"$0\" 4>\"$0\" 3<&-; exec \"$1\" \(arguments) >&4 2>&4", fifo, TimeturnerBinary.path],
                                 environment: repo.environment, in: repo.path)
        }
        let rollback = try await intoClosedPipe("rollback --to \(first) --yes --verify true")
        #expect(rollback.status == 0, "\(rollback)")
        #expect(repo.read("a.txt") == "a1\n" && !repo.exists("b.txt"), "the work tree was written")
        #expect(try await repo.git("status", "--porcelain").isEmpty)
        let status = try await repo.timeturner("status")
        #expect(status.stdout.hasPrefix("No timeturner operation is running.") && status.stdout.contains("succeeded"), "\(status)")
        let undo = try await intoClosedPipe("undo --yes")
        #expect(undo.status == 0, "\(undo)")
        #expect(try await repo.git("rev-parse", "HEAD").trimmed == head && repo.read("b.txt") == "b2\n")
        #expect(try await repo.git("status", "--porcelain").isEmpty)
    }

    /// A command whose output is its result must not exit 0 when the output was lost: a script
    /// saving `last-good` to a file on a full disk would get an empty file and success.
    @Test func outputThatCannotBeWrittenIsAFailureNamingTheCause() async throws {
        let repo = try await ScratchRepository()
        try await repo.commit("one")
        #expect(try await repo.timeturner("good", "--env", "production").status == 0)
        for command in ["last-good --env production", "points --json", "history --json", "status", "--version", "rollback --help"] {
            let full = try await runProcess("/bin/sh", ["-c", "exec \"$0\" \(command) >/dev/full", TimeturnerBinary.path],
                                            environment: repo.environment, in: repo.path)
            #expect(full.status == 1, "\(command): \(full)")
            #expect(full.stderr.contains("error: could not write the output to standard output: No space left on device"), "\(command): \(full)")
        }
        // A reader that stops reading is not a failure (as for git): `| head` asked for no more.
        let head = try await runProcess("/bin/bash", ["-o", "pipefail", "-c", "\"$0\" points --json | head -c 1 >/dev/null && \"$0\" last-good --env production | true", TimeturnerBinary.path],
                                        environment: repo.environment, in: repo.path)
        #expect(head.status == 0 && head.stderr.isEmpty, "\(head)")
    }

    @Test func multiLineReasonsAreIndentedNotEscaped() async throws {
        let repo = try await ScratchRepository()
        try await repo.commit("first")
        let marked = try await repo.timeturner("bad", "--env", "production", "--reason", "check failed (exit 1):\nline two\nline three\n")
        #expect(marked.status == 0)
        #expect(marked.stdout.hasPrefix("Marked ") && marked.stdout.contains(": check failed (exit 1):\n    line two\n    line three\n"), "\(marked)")
        let list = try await repo.timeturner("registry", "list")
        #expect(!list.stdout.contains("\\n"), "\(list)")
        let rows = list.stdout.lines
        #expect(rows.count == 4, "header, the mark, two continuation lines: \(list)")
        guard rows.count == 4 else { return }
        let column = try #require(rows[0].split(separator: "EVIDENCE / REASON", omittingEmptySubsequences: false).first).count
        #expect(rows[1].hasSuffix("check failed (exit 1):"))
        #expect(rows[2] == String(repeating: " ", count: column) + "  line two", "\(rows)")
        #expect(rows[3] == String(repeating: " ", count: column) + "  line three", "\(rows)")
        let show = try await repo.timeturner("show", "HEAD")
        #expect(show.stdout.contains(": check failed (exit 1):\n      line two\n      line three\n"), "\(show)")
    }

    @Test func externalExecutorsShowTheirSummaryAndPointSuggestsTheCapturedTiers() async throws {
        let repo = try await ScratchRepository()
        try await repo.commit("first")
        repo.setEnvironment("PATH", Fixtures.executors + ":" + (repo.environment["PATH"] ?? "/usr/bin:/bin"))
        let list = try await repo.timeturner("executor", "list")
        #expect(list.status == 0, "\(list)")
        let testing = try #require(list.stdout.lines.first { $0.hasPrefix("testing ") })
        #expect(testing.hasSuffix("test-only executor"), "the summary comes from its describe: \(testing)")

        try await repo.git("config", "timeturner.tier.deploy.executor", "testing")
        let point = try await repo.timeturner("point", "--name", "p1")
        #expect(point.status == 0, "\(point)")
        #expect(point.stdout.contains("  roll back to it: git timeturner rollback --to p1 --tiers code,deploy\n"), "\(point)")
        let codeOnly = try await repo.timeturner("point", "--name", "p2", "--code-only")
        #expect(codeOnly.stdout.contains("  roll back to it: git timeturner rollback --to p2\n"), "\(codeOnly)")
    }

    @Test func colourFollowsNoColourAndConfiguration() async throws {
        let repo = try await ScratchRepository()
        repo.setEnvironment("NO_COLOR", nil)
        #expect(!(try await repo.timeturner("report").stderr.contains("\u{1b}[")), "not a terminal: no colour")
        try await repo.git("config", "color.ui", "always")
        #expect(try await repo.timeturner("report").stderr.hasPrefix("\u{1b}[31merror:\u{1b}[0m"))
        try await repo.git("config", "timeturner.color", "auto")
        #expect(!(try await repo.timeturner("report").stderr.contains("\u{1b}[")), "timeturner.color wins over color.ui")
        try await repo.git("config", "timeturner.color", "always")
        #expect(!(try await repo.timeturner(["report"], extraEnvironment: ["NO_COLOR": "1"]).stderr.contains("\u{1b}[")), "NO_COLOR wins")

        // On a terminal: colour by default, none with never.
        try await repo.git("config", "--unset", "timeturner.color")
        try await repo.git("config", "--unset", "color.ui")
        let onTerminal = try await Self.onTerminal(repo, "report")
        #expect(onTerminal.contains("\u{1b}[31merror:"), "\(onTerminal)")
        try await repo.git("config", "timeturner.color", "never")
        #expect(!(try await Self.onTerminal(repo, "report").contains("\u{1b}[")))
    }

    @Test func progressLineOnlyOnATerminalAndOnlyAfterASecond() async throws {
        let repo = try await ScratchRepository()
        try await repo.commit("first")
        try await repo.git("config", "timeturner.executor.command.verify", "sleep 1.6")
        let onTerminal = try await Self.onTerminal(repo, "executor", "run", "command", "verify")
        #expect(onTerminal.contains("command verify… 1s"), "\(onTerminal)")
        #expect(onTerminal.contains("\r\u{1b}[Kcommand verify: verified"), "the line is erased before the result: \(onTerminal)")
        let piped = try await repo.timeturner("executor", "run", "command", "verify")
        #expect(piped.status == 0)
        #expect(!piped.stderr.contains("…") && !piped.stderr.contains("\u{1b}"), "\(piped)")
        try await repo.git("config", "timeturner.executor.command.verify", "true")
        #expect(!(try await Self.onTerminal(repo, "executor", "run", "command", "verify").contains("…")), "fast work shows no progress")
    }

    /// Runs the binary with a pseudo-terminal on all three streams; returns what it wrote.
    static func onTerminal(_ repo: ScratchRepository, _ arguments: String...) async throws -> String {
        let command = ([TimeturnerBinary.path] + arguments).map { "'\($0)'" }.joined(separator: " ")
        var environment = repo.environment
        environment["NO_COLOR"] = nil
        environment["TERM"] = "xterm"
        let result = try await runProcess("script", ["-qec", command, "/dev/null"], environment: environment, in: repo.path)
        return result.stdout
    }
}
