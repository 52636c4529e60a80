public import TimeturnerCore

/// `files`: snapshots configured paths (configuration files, `.env`, directories) into a tar
/// archive in the backup directory, with the archive's SHA-256 and a manifest of each path
/// (kind, mode, SHA-256 of regular files, or absence). Rollback refuses an archive whose
/// checksum does not match, replaces each path with its captured bytes and modes (removing
/// paths that did not exist at capture time), and checks the result against the manifest.
/// It takes no snapshot of its own: the rollback engine captures the present state just before
/// (one archive per attempt) and restores from that on failure.
public struct FilesExecutor: BuiltinExecutor {
    public init() {}
    public let name = "files"
    public let summary = "snapshots configured paths into a checksummed archive and restores exact bytes and modes"
    public var settingsHelp: [(key: String, meaning: String)] {
        [("path", "a file or directory to snapshot, relative to the work tree or absolute (repeat for several)"),
         ("backupDir", "where archives go (default <timeturner.artifacts.dir>/<tier>)")]
    }

    public func perform(_ request: ExecutorRequest, context: BuiltinContext) async throws(TimeturnerError) -> ExecutorResponse {
        switch request.verb {
        case .describe:
            return describeResponse
        case .capture:
            let paths = try configuredPaths(request, context: context)
            if request.dryRun { return ExecutorResponse(capture: [:], message: "would snapshot \(paths.joined(separator: ", "))") }
            let capture = try await snapshot(paths, request: request, context: context)
            return ExecutorResponse(capture: capture)
        case .rollback:
            let (archive, _) = try BackupDirectory.checkedFile(request, key: "archive", context: context)
            let manifest = request.capture?["paths"]?.arrayValue ?? []
            let paths = manifest.compactMap { $0["path"]?.stringValue }
            guard !paths.isEmpty, paths.allSatisfy({ $0.hasPrefix("/") && !$0.split(separator: "/").contains("..") }) else {
                throw context.fail("the capture's manifest lists no usable absolute paths")
            }
            if request.dryRun {
                return ExecutorResponse(message: "would restore \(paths.joined(separator: ", ")) from \(archive)")
            }
            for path in paths where LocalFile.exists(path) {
                try await context.run(["rm", "-rf", "--", path], what: "removing \(path) before restoring it")
            }
            try await context.run(["tar", "-xpf", archive, "--numeric-owner", "-C", "/"], what: "extracting \(archive)")
            try check(manifest, context: context)
            return ExecutorResponse(message: "restored \(paths.count) path(s) from \(archive)")
        case .verify:
            let paths = try configuredPaths(request, context: context)
            let missing = paths.filter { !LocalFile.exists($0) }
            return ExecutorResponse(message: missing.isEmpty ? "all \(paths.count) path(s) present" : "absent: \(missing.joined(separator: ", "))")
        }
    }

    private func configuredPaths(_ request: ExecutorRequest, context: BuiltinContext) throws(TimeturnerError) -> [String] {
        let values = request.settingValues("path")
        guard !values.isEmpty else {
            _ = try context.required("path", example: "config/app.yml")
            return []
        }
        var out: [String] = []
        for value in values {
            guard !value.split(separator: "/").contains(".."), value != "/" else {
                throw TimeturnerError(.usage, "path '\(value)' for the \(request.tier) tier must not contain '..' or be /")
            }
            var absolute = context.path(value)
            while absolute.count > 1 && absolute.hasSuffix("/") { absolute.removeLast() }
            if !out.contains(absolute) { out.append(absolute) }
        }
        return out
    }

    private func snapshot(_ paths: [String], request: ExecutorRequest, context: BuiltinContext) async throws(TimeturnerError) -> JSONValue {
        let archive = try BackupDirectory.newFile(request, context: context, suffix: ".tar")
        var manifest: [JSONValue] = []
        var present: [String] = []
        for path in paths {
            guard let (kind, mode) = LocalFile.kindAndMode(path) else {
                manifest.append(["path": .string(path), "present": false])
                continue
            }
            var entry: [String: JSONValue] = ["path": .string(path), "present": true, "kind": .string(kind.rawValue),
                                              "mode": .string(String(mode, radix: 8))]
            if kind == .file { entry["sha256"] = SHA256.hex(ofFile: path).map(JSONValue.string) ?? .null }
            manifest.append(.object(entry))
            present.append(String(path.dropFirst()))
        }
        // Paths relative to / so one archive holds work-tree files and absolute ones alike.
        let members = present.isEmpty ? ["-T", "/dev/null"] : ["--"] + present
        try await context.run(["tar", "-cpf", archive, "--numeric-owner", "-C", "/"] + members, what: "archiving \(paths.joined(separator: ", "))")
        guard let sha256 = SHA256.hex(ofFile: archive), let size = LocalFile.size(archive) else {
            throw context.fail("could not read back \(archive)")
        }
        return ["archive": .string(BackupDirectory.reference(to: archive, request)), "sha256": .string(sha256), "size": .int(size), "paths": .array(manifest)]
    }

    /// After extraction, every path must be as the manifest recorded it.
    private func check(_ manifest: [JSONValue], context: BuiltinContext) throws(TimeturnerError) {
        var problems: [String] = []
        for entry in manifest {
            guard let path = entry["path"]?.stringValue else { continue }
            let now = LocalFile.kindAndMode(path)
            if entry["present"]?.boolValue == false {
                if now != nil { problems.append("\(path) should be absent") }
                continue
            }
            guard let now else { problems.append("\(path) is missing"); continue }
            if let kind = entry["kind"]?.stringValue, kind != now.kind.rawValue { problems.append("\(path) is a \(now.kind.rawValue), was a \(kind)") }
            if let mode = entry["mode"]?.stringValue, mode != String(now.mode, radix: 8) {
                problems.append("\(path) has mode \(String(now.mode, radix: 8)), was \(mode)")
            }
            if let sha256 = entry["sha256"]?.stringValue, SHA256.hex(ofFile: path) != sha256 { problems.append("\(path) content differs") }
        }
        if !problems.isEmpty {
            throw context.fail("after restoring, " + problems.joined(separator: "; "))
        }
    }
}
