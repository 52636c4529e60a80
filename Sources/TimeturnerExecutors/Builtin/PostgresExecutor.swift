import GitKit
public import TimeturnerCore

/// `postgres`: captures a database with `pg_dump -Fc` into the backup directory and records the
/// dump's path, size and SHA-256. Rollback refuses a dump whose checksum does not match (a
/// circuit breaker), takes a safety dump of the present database, then runs
/// `pg_restore --clean --if-exists --single-transaction`, so a restore that fails halfway
/// leaves the database as it was. Verify connects and runs an optional query.
public struct PostgresExecutor: BuiltinExecutor {
    public init() {}
    public let name = "postgres"
    public let summary = "pg_dump -Fc captures with checksums; pg_restore --clean --if-exists after a safety dump"
    public var settingsHelp: [(key: String, meaning: String)] {
        [("url", "connection string or URI for pg_dump/pg_restore/psql -d (passwords: use PGPASSWORD or ~/.pgpass)"),
         ("backupDir", "where dumps go (default .git/timeturner/backups/<tier>)"),
         ("verifyQuery", "SQL whose first value must not be false, 0 or empty (optional)"),
         ("bin", "directory holding pg_dump, pg_restore and psql (default: PATH)")]
    }

    public func perform(_ request: ExecutorRequest, context: BuiltinContext) async throws(TimeturnerError) -> ExecutorResponse {
        switch request.verb {
        case .describe:
            return describeResponse
        case .capture:
            let url = try context.required("url", example: "postgresql://app@127.0.0.1:5432/app")
            if request.dryRun { return ExecutorResponse(capture: [:], message: "would run pg_dump -Fc on \(PostgresExecutor.redacted(url))") }
            let started = Timestamp.now()
            let captured = try await dump(url: url, request: request, context: context, prefix: "")
            // A restore replaces the whole database with the dump: whatever was written after it started is gone.
            return ExecutorResponse(capture: captured, discards: "every write to \(PostgresExecutor.redacted(url)) made after \(started.rfc3339)")
        case .rollback:
            let url = try context.required("url", example: "postgresql://app@127.0.0.1:5432/app")
            let (dump, _) = try BackupDirectory.checkedFile(request, key: "dump", context: context)
            if request.dryRun {
                return ExecutorResponse(message: "would take a safety dump of \(PostgresExecutor.redacted(url)), then pg_restore --clean --if-exists \(dump)")
            }
            let safety = try await self.dump(url: url, request: request, context: context, prefix: "safety-")
            try await context.run([tool("pg_restore", request), "--clean", "--if-exists", "--single-transaction", "--no-password",
                                   "-d", url, dump],
                                  what: "pg_restore of \(dump)",
                                  hint: "the restore ran in one transaction, so the database is as it was; the safety dump is \(safety["dump"]?.stringValue ?? "?")")
            return ExecutorResponse(capture: safety,
                                    message: "restored \(PostgresExecutor.redacted(url)) from \(dump); the state before is in \(safety["dump"]?.stringValue ?? "?")")
        case .verify:
            let url = try context.required("url", example: "postgresql://app@127.0.0.1:5432/app")
            if request.dryRun { return ExecutorResponse(message: "would connect to \(PostgresExecutor.redacted(url))") }
            try await query("SELECT 1", url: url, request: request, context: context)
            guard let check = request.setting("verifyQuery") else {
                return ExecutorResponse(message: "connected to \(PostgresExecutor.redacted(url))")
            }
            let answer = try await query(check, url: url, request: request, context: context)
            if ["", "f", "false", "0"].contains(answer.lowercased()) {
                throw context.fail("the verify query returned '\(answer)'", hint: "the query was: \(check)")
            }
            return ExecutorResponse(message: "connected; verify query returned '\(answer)'")
        }
    }

    private func dump(url: String, request: ExecutorRequest, context: BuiltinContext, prefix: String) async throws(TimeturnerError) -> JSONValue {
        let directory = try BackupDirectory.resolve(request, context: context)
        let path = directory + "/" + BackupDirectory.fileName(request, prefix: prefix, suffix: ".dump")
        try await context.run([tool("pg_dump", request), "-Fc", "--no-password", "-f", path, "-d", url],
                              what: "pg_dump of \(PostgresExecutor.redacted(url))")
        guard let sha256 = SHA256.hex(ofFile: path), let size = LocalFile.size(path) else {
            throw context.fail("could not read back the dump \(path)")
        }
        return ["dump": .string(path), "sha256": .string(sha256), "size": .int(size),
                "database": .string(PostgresExecutor.redacted(url)), "format": "custom"]
    }

    /// The first value of the first row, trimmed.
    @discardableResult
    private func query(_ sql: String, url: String, request: ExecutorRequest, context: BuiltinContext) async throws(TimeturnerError) -> String {
        let result = try await context.run([tool("psql", request), "-X", "-A", "-t", "-q", "--no-password", "-v", "ON_ERROR_STOP=1",
                                            "-d", url, "-c", sql],
                                           what: "psql (\(sql))", keepOutput: true)
        let text = String(decoding: result.standardOutput, as: UTF8.self)
        return String(text.split(separator: "\n").first ?? "").split(separator: "|").first.map(String.init)?.trimming(\.isWhitespace) ?? ""
    }

    private func tool(_ program: String, _ request: ExecutorRequest) -> String {
        guard let bin = request.setting("bin"), !bin.isEmpty else { return program }
        return LocalFile.absolute(program, relativeTo: bin)
    }

    private static func endOfScheme(_ url: String) -> String.Index? {
        var index = url.startIndex
        while index < url.endIndex {
            if url[index...].hasPrefix("://") { return url.index(index, offsetBy: 3) }
            index = url.index(after: index)
        }
        return nil
    }

    /// The connection string without a password, for notes and messages.
    static func redacted(_ url: String) -> String {
        var out = url
        if let schemeEnd = PostgresExecutor.endOfScheme(out), let at = out[schemeEnd...].firstIndex(of: "@") {
            let userInfo = out[schemeEnd..<at]
            if let colon = userInfo.firstIndex(of: ":") { out.replaceSubrange(colon..<at, with: ":***") }
        }
        // key=value form: password=secret
        return out.split(separator: " ", omittingEmptySubsequences: false).map { word in
            word.lowercased().hasPrefix("password=") ? "password=***" : String(word)
        }.joined(separator: " ")
    }
}
