import GitKit
public import TimeturnerCore

/// `migrations`: a database served by a tool that migrates by revision (Alembic by default;
/// Sqitch, Flyway or a script through the command settings).
///
/// Capture records the revision the database is at (and, when the strategy has `restore`, a
/// dump taken through the postgres executor, so the fallback exists). Rollback runs the tool
/// with the migration scripts of the right tree from `request.checkouts`: down with the tree
/// being left (only the code being left knows the present revision), up with the tree returned
/// to (an undo, or a restore after a failed verification), then reads the revision back. If that
/// fails and the strategy has `restore`, the dump is restored instead.
public struct MigrationsExecutor: BuiltinExecutor {
    public init() {}
    public let name = "migrations"
    /// The migration scripts of the code being left and returned to: the work tree may hold neither.
    public var wantsCheckouts: Bool { true }
    public let summary = "migrates by revision (alembic by default) with the scripts of the tree being left; restores a dump if that fails"
    public var settingsHelp: [(key: String, meaning: String)] {
        [("current", "command printing the database's revision (default 'alembic current'): one line, the revision its first word; no output = 'base'"),
         ("downgrade", "command going down to {revision} (default 'alembic downgrade {revision}')"),
         ("upgrade", "command going up to {revision} (default 'alembic upgrade {revision}')"),
         ("directory", "where the commands run inside a checkout, e.g. where alembic.ini lives (default: its root)"),
         ("strategy", "what rollback tries, in order: downgrade, restore (default: downgrade)"),
         ("base", "the revision name of an empty database (default 'base')"),
         ("url", "the database, for the restore strategy's dumps (as for postgres); in $TIMETURNER_DATABASE_URL for the commands"),
         ("backupDir", "where dumps go (default .git/timeturner/backups/<tier>)"),
         ("bin", "directory holding pg_dump, pg_restore and psql (default: PATH)")]
    }

    public func perform(_ request: ExecutorRequest, context: BuiltinContext) async throws(TimeturnerError) -> ExecutorResponse {
        let settings = try MigrationSettings(request)
        let tool = MigrationTool(settings: settings, context: context)
        switch request.verb {
        case .describe:
            return describeResponse
        case .capture:
            return try await capture(request, settings: settings, tool: tool, context: context)
        case .rollback:
            return try await rollback(request, settings: settings, tool: tool, context: context)
        case .verify:
            let tree = try tool.directory(in: request.checkouts?.to ?? request.checkouts?.from ?? request.repository, role: "the tree")
            let revision = try await tool.revision(in: tree)
            return ExecutorResponse(message: "the database is at revision \(revision) (read with '\(settings.current)' in \(tree))")
        }
    }

    // MARK: capture

    private func capture(_ request: ExecutorRequest, settings: MigrationSettings, tool: MigrationTool,
                         context: BuiltinContext) async throws(TimeturnerError) -> ExecutorResponse {
        // `current` only reads, so a dry run runs it too: it is the preflight that the scripts of
        // the running code know the database's revision.
        let tree = try tool.directory(in: request.checkouts?.from ?? request.repository, role: "the running code's tree")
        let revision = try await tool.revision(in: tree)
        if request.dryRun {
            let dump = settings.strategies.contains(.restore) ? ", and would dump the database with pg_dump -Fc" : ""
            return ExecutorResponse(capture: [:], message: "the database is at revision \(revision); would record it\(dump)")
        }
        let capturedAt = Timestamp.now().rfc3339
        // Only the revision unless there is a dump: two captures of the same state are then equal,
        // which is how the engine tells that a failed rollback changed nothing.
        var capture: [String: JSONValue] = ["revision": .string(revision)]
        var message = "the database is at revision \(revision)"
        if settings.strategies.contains(.restore) {
            capture["capturedAt"] = .string(capturedAt)
            var dumpRequest = request
            dumpRequest.verb = .capture
            let dump = try await PostgresExecutor().perform(dumpRequest, context: context.forRequest(dumpRequest))
            capture["dump"] = dump.capture
            message += "; dumped to \(dump.capture?["dump"]?.stringValue ?? "?")"
        }
        return ExecutorResponse(capture: .object(capture), message: message,
                                discards: discardsText(revision: revision, settings: settings, dumpTime: capturedAt))
    }

    /// What a rollback to this capture can throw away, by strategy: a down-migration drops what
    /// later revisions added (columns, tables and the data in them); a dump restore loses every
    /// write made after the dump.
    private func discardsText(revision: String, settings: MigrationSettings, dumpTime: String) -> String? {
        var parts: [String] = []
        if settings.strategies.contains(.downgrade) {
            parts.append("a downgrade to revision \(revision) runs the down-migrations of every later revision, which can drop columns and tables and the data in them")
        }
        if settings.strategies.contains(.restore) {
            let database = settings.url.map(PostgresExecutor.redacted) ?? "the database"
            parts.append("restoring the dump loses every write to \(database) made after \(dumpTime)")
        }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }

    // MARK: rollback

    private func rollback(_ request: ExecutorRequest, settings: MigrationSettings, tool: MigrationTool,
                          context: BuiltinContext) async throws(TimeturnerError) -> ExecutorResponse {
        guard let target = request.capture?["revision"]?.stringValue else {
            throw context.fail("the capture has no revision to return to",
                               hint: "roll back to a point whose note has a capture line for the \(request.tier) tier from the migrations executor (git timeturner show <point>)")
        }
        guard MigrationTool.isRevision(target) else {
            throw context.fail("the capture's revision '\(target)' is not a revision name (letters, digits and . _ - + @ only)")
        }
        // The fallback must exist before anything changes: a downgrade that fails with no dump to
        // fall back to would leave the database half way.
        let dump = settings.strategies.contains(.restore) ? try checkedDump(request, context: context) : nil
        var failure: TimeturnerError? = nil
        if settings.strategies.first == .downgrade {
            do {
                return try await migrate(to: target, request: request, tool: tool, context: context)
            } catch {
                guard dump != nil else { throw error }
                failure = error
                context.log("migrations: \(error.message); restoring the dump instead (the strategy is \(settings.strategyText))")
            }
        }
        guard let dump else {
            throw context.fail("the strategy '\(settings.strategyText)' gives no way back to revision \(target)")
        }
        return try await restore(dump, target: target, after: failure, request: request, tool: tool, context: context)
    }

    private func checkedDump(_ request: ExecutorRequest, context: BuiltinContext) throws(TimeturnerError) -> JSONValue {
        guard let dump = request.capture?["dump"], dump["dump"]?.stringValue != nil else {
            throw context.fail("the strategy has 'restore' but the capture has no dump",
                               hint: "the capture was taken without 'restore' in timeturner.tier.\(request.tier).strategy; take a new point, or set the strategy to 'downgrade' for this rollback")
        }
        var dumpRequest = request
        dumpRequest.capture = dump
        _ = try BackupDirectory.checkedFile(dumpRequest, key: "dump", context: context.forRequest(dumpRequest))
        return dump
    }

    /// Runs the tool to `target` with the tree that knows the present revision, then checks it.
    private func migrate(to target: String, request: ExecutorRequest, tool: MigrationTool,
                         context: BuiltinContext) async throws(TimeturnerError) -> ExecutorResponse {
        let step = try await tool.plan(to: target, request: request)
        guard let step else {
            return ExecutorResponse(capture: ["revision": .string(target)], message: "the database is already at revision \(target)")
        }
        if request.dryRun {
            return ExecutorResponse(message: "would run '\(step.command)' in \(step.directory) (\(step.reason)), then check that the revision is \(target)")
        }
        try await tool.run(step, target: target)
        let after = try await tool.revision(in: step.directory)
        guard after == target else {
            throw context.fail("after '\(step.command)' the database is at revision \(after), not \(target)",
                               hint: "the migration tool did not reach the revision; check its output above")
        }
        return ExecutorResponse(capture: ["revision": .string(step.present)],
                                message: "migrated from revision \(step.present) to \(target) with '\(step.command)' in \(step.directory) (\(step.reason))")
    }

    private func restore(_ dump: JSONValue, target: String, after failure: TimeturnerError?, request: ExecutorRequest,
                         tool: MigrationTool, context: BuiltinContext) async throws(TimeturnerError) -> ExecutorResponse {
        var restoreRequest = request
        restoreRequest.capture = dump
        let restored = try await PostgresExecutor().perform(restoreRequest, context: context.forRequest(restoreRequest))
        let why = failure.map { "the migration failed (\($0.message)); " } ?? ""
        let taken = request.capture?["capturedAt"]?.stringValue.map { " taken at \($0)" } ?? ""
        if request.dryRun {
            return ExecutorResponse(message: why + (restored.message ?? "would restore the dump") + taken + ", then check that the revision is \(target)")
        }
        // The dump holds the revision table too: reading it back checks the restore, with the
        // scripts of the code returned to.
        let tree = try tool.directory(in: request.checkouts?.to ?? request.repository, role: "the tree returned to")
        let after = try await tool.revision(in: tree)
        guard after == target else {
            throw context.fail("after restoring the dump the database is at revision \(after), not \(target)",
                               hint: "the dump does not hold the captured revision; the state before the restore is in \(restored.capture?["dump"]?.stringValue ?? "the safety dump")")
        }
        var undo: [String: JSONValue] = [:]
        if let safety = restored.capture { undo["dump"] = safety }
        return ExecutorResponse(capture: .object(undo),
                                message: why + "restored the dump\(taken) (revision \(target)); writes made after it are lost. " + (restored.message ?? ""))
    }
}

/// The settings of one request, checked once.
struct MigrationSettings {
    enum Strategy: String, CaseIterable { case downgrade, restore }

    let current: String
    let downgrade: String
    let upgrade: String
    let directory: String
    let base: String
    let strategies: [Strategy]
    let url: String?

    var strategyText: String { strategies.map(\.rawValue).joined(separator: ",") }

    init(_ request: ExecutorRequest) throws(TimeturnerError) {
        current = request.setting("current") ?? "alembic current"
        downgrade = request.setting("downgrade") ?? "alembic downgrade {revision}"
        upgrade = request.setting("upgrade") ?? "alembic upgrade {revision}"
        base = request.setting("base") ?? "base"
        url = request.setting("url").flatMap { $0.isEmpty ? nil : $0 }
        let directory = request.setting("directory") ?? "."
        guard !directory.hasPrefix("/"), !directory.split(separator: "/").contains("..") else {
            throw TimeturnerError(.usage, "timeturner.tier.\(request.tier).directory must be a path inside the checkout (no leading / and no '..'), not '\(directory)'")
        }
        self.directory = directory
        var strategies: [Strategy] = []
        for word in request.settingValues("strategy").flatMap({ $0.split(separator: ",") }) {
            let name = String(word).trimming(\.isWhitespace).lowercased()
            guard let strategy = Strategy(rawValue: name) else {
                throw TimeturnerError(.usage, "unknown strategy '\(name)' in timeturner.tier.\(request.tier).strategy",
                                      hint: "use downgrade, restore or downgrade,restore")
            }
            if !strategies.contains(strategy) { strategies.append(strategy) }
        }
        self.strategies = strategies.isEmpty ? [.downgrade] : strategies
        if self.strategies.contains(.restore) && url == nil {
            throw TimeturnerError(.usage, "the restore strategy of the \(request.tier) tier needs the setting 'url' (the database to dump and restore)",
                                  hint: "git config -f .timeturner timeturner.tier.\(request.tier).url postgresql://app@127.0.0.1:5432/app")
        }
    }
}

/// The migration tool's commands, run with `/bin/sh -c` (they come from trusted configuration)
/// in a directory of a checkout.
struct MigrationTool {
    let settings: MigrationSettings
    let context: BuiltinContext

    /// One migration: which command, where, and why that tree.
    struct Step {
        let command: String
        let directory: String
        let present: String
        let reason: String
    }

    /// Revision names the parsing rule accepts (Alembic hex ids, Sqitch change names, Flyway
    /// versions such as 1.2.3): anything else in the output is not a revision.
    static func isRevision(_ word: String) -> Bool {
        !word.isEmpty && word.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
                || [UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "@")].contains(byte)
        }
    }

    /// The rule for `current`'s standard output: blank lines are ignored; no line means the
    /// database has no revision (`base`); one line gives the revision as its first word
    /// (`alembic current` prints `003 (head)`); several lines (several heads) are refused.
    static func parseRevision(_ output: String, base: String) -> Result<String, ParseProblem> {
        let lines = output.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).map { $0.trimming(\.isWhitespace) }.filter { !$0.isEmpty }
        guard !lines.isEmpty else { return .success(base) }
        guard lines.count == 1 else { return .failure(.severalLines(lines)) }
        let word = String(lines[0].split(whereSeparator: { $0 == " " || $0 == "\t" })[0])
        return isRevision(word) ? .success(word) : .failure(.notARevision(lines[0]))
    }

    enum ParseProblem: Error {
        case severalLines([String])
        case notARevision(String)
    }

    /// `settings.directory` inside a checkout, which must exist there.
    func directory(in root: String, role: String) throws(TimeturnerError) -> String {
        let path = settings.directory == "." ? root : root + "/" + settings.directory
        guard LocalFile.isDirectory(path) else {
            throw context.fail("\(path) (\(role), setting 'directory' = \(settings.directory)) is not a directory",
                               hint: "set timeturner.tier.\(context.request.tier).directory to where the migration tool's configuration lives in the repository")
        }
        return path
    }

    /// The database's revision, as the scripts in `directory` see it.
    func revision(in directory: String) async throws(TimeturnerError) -> String {
        let result = try await context.run(["/bin/sh", "-c", settings.current], what: "the revision command '\(settings.current)' in \(directory)",
                                           extraEnvironment: environment(target: nil), keepOutput: true,
                                           hint: "the scripts there may not know the database's revision (it is newer or from another branch)",
                                           in: directory)
        switch MigrationTool.parseRevision(String(decoding: result.standardOutput, as: UTF8.self), base: settings.base) {
        case .success(let revision):
            return revision
        case .failure(.severalLines(let lines)):
            throw context.fail("'\(settings.current)' printed \(lines.count) lines (\(lines.prefix(3).joined(separator: " | "))); the migrations executor expects one revision",
                               hint: "the database has several heads, or the command prints more than the revision; make it print one line")
        case .failure(.notARevision(let line)):
            throw context.fail("'\(settings.current)' printed '\(line)', whose first word is not a revision name")
        }
    }

    /// Whether the scripts in `directory` know the database's present revision: the revision
    /// command fails with scripts older than the database.
    private func knowsPresent(in directory: String, present: String) async -> Bool {
        context.log("migrations: asking the scripts in \(directory) for the revision (an error here means they are older than the database)")
        do { return try await revision(in: directory) == present } catch { return false }
    }

    /// What to run to reach `target`, or nil when the database is there already.
    ///
    /// The tree being left (`checkouts.from`) knows the present revision. If the tree returned to
    /// (`checkouts.to`) does not, the database is newer than that code: go down with the scripts
    /// being left. If it does, the target code's scripts reach forward from here: go up with them
    /// (an undo, or a restore after a failed verification). With one tree (no checkouts, or both
    /// the same) the executor cannot tell, and goes down, as a rollback does.
    func plan(to target: String, request: ExecutorRequest) async throws(TimeturnerError) -> Step? {
        let from = try directory(in: request.checkouts?.from ?? request.repository, role: "the tree being left")
        let to = try directory(in: request.checkouts?.to ?? request.checkouts?.from ?? request.repository, role: "the tree returned to")
        let present: String
        var toKnows = false
        do {
            present = try await revision(in: from)
        } catch let fromError {
            guard to != from else { throw fromError }
            do {
                present = try await revision(in: to)
                toKnows = true
            } catch {
                throw context.fail("neither the tree being left (\(from)) nor the tree returned to (\(to)) knows the database's present revision",
                                   hint: "the database is at a revision no code of this rollback knows; restore it from a dump (strategy restore)")
            }
        }
        if present == target { return nil }
        if to != from && !toKnows { toKnows = await knowsPresent(in: to, present: present) }
        if to != from && toKnows {
            return Step(command: command(settings.upgrade, target), directory: to, present: present,
                        reason: "up from \(present): the scripts returned to know the present revision")
        }
        let why = to == from ? "one tree, so down as a rollback goes" : "the scripts returned to do not know the present revision \(present)"
        return Step(command: command(settings.downgrade, target), directory: from, present: present,
                    reason: "down from \(present) with the scripts being left: \(why)")
    }

    func run(_ step: Step, target: String) async throws(TimeturnerError) {
        try await context.run(["/bin/sh", "-c", step.command], what: "'\(step.command)' in \(step.directory)",
                              extraEnvironment: environment(target: target), in: step.directory)
    }

    /// `{revision}` in a command template, quoted for the shell.
    private func command(_ template: String, _ revision: String) -> String {
        var out = ""
        var rest = Substring(template)
        while let range = rest.firstRange(of: "{revision}") {
            out += rest[..<range.lowerBound] + "'" + revision + "'"
            rest = rest[range.upperBound...]
        }
        return out + rest
    }

    private func environment(target: String?) -> [String: String] {
        // Alembic and other Python tools would write __pycache__/ next to the scripts: into the
        // work tree when there are no checkouts (a dry run, a capture for a point), which a
        // rollback then sees as an untracked change.
        var environment: [String: String] = ["PYTHONDONTWRITEBYTECODE": "1"]
        if let target { environment["TIMETURNER_REVISION"] = target }
        if let url = settings.url { environment["TIMETURNER_DATABASE_URL"] = url }
        return environment
    }
}
