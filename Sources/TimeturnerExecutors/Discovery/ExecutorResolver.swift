internal import Glibc
public import TimeturnerCore

/// Where an executor's code comes from.
public enum ExecutorSource: Sendable, Equatable, CustomStringConvertible {
    /// Compiled into git-timeturner.
    case builtin(String)
    /// `timeturner.executor.<name>.command`, split into words.
    case configuredCommand([String])
    /// `git-timeturner-exec-<name>` found on PATH.
    case pathProgram(String)

    public var description: String {
        switch self {
        case .builtin: "built-in"
        case .configuredCommand(let argv): "command: " + argv.joined(separator: " ")
        case .pathProgram(let path): path
        }
    }
}

/// Finds executors by name: built-ins first, then `timeturner.executor.<name>.command` from
/// configuration, then `git-timeturner-exec-<name>` on PATH (like git finds `git-<command>`).
public struct ExecutorResolver: Sendable {
    public static let programPrefix = "git-timeturner-exec-"
    public static let builtins: [any BuiltinExecutor] = [
        CommandExecutor(), FilesExecutor(), MigrationsExecutor(), PostgresExecutor(), ReleaseDirectoryExecutor(),
    ]

    let path: String
    let repositoryPath: String

    public init(environment: [String: String], repositoryPath: String) {
        path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        self.repositoryPath = repositoryPath
    }

    public static func builtin(named name: String) -> (any BuiltinExecutor)? {
        builtins.first { $0.name == name }
    }

    public func resolve(_ assignment: TierAssignment) throws(TimeturnerError) -> ExecutorSource {
        if ExecutorResolver.builtin(named: assignment.executor) != nil {
            if assignment.executorCommand != nil {
                throw TimeturnerError(.usage, "'\(assignment.executor)' is a built-in executor, so timeturner.executor.\(assignment.executor).command cannot replace it",
                                      hint: "give your executor another name, e.g. timeturner.executor.my-\(assignment.executor).command")
            }
            return .builtin(assignment.executor)
        }
        if let command = assignment.executorCommand {
            var argv = try CommandWords.split(command)
            guard !argv.isEmpty else {
                throw TimeturnerError(.usage, "timeturner.executor.\(assignment.executor).command is empty")
            }
            // A relative program path in a committed file means "in this repository".
            if argv[0].contains("/") && !argv[0].hasPrefix("/") { argv[0] = LocalFile.absolute(argv[0], relativeTo: repositoryPath) }
            return .configuredCommand(argv)
        }
        if let found = findOnPath(ExecutorResolver.programPrefix + assignment.executor) { return .pathProgram(found) }
        throw TimeturnerError(.failure, "no executor named '\(assignment.executor)' (for the \(assignment.tier) tier)",
                              hint: "built-ins: \(ExecutorResolver.builtins.map(\.name).joined(separator: ", ")); or install \(ExecutorResolver.programPrefix)\(assignment.executor) on PATH; or set timeturner.executor.\(assignment.executor).command")
    }

    /// Every executor name that can be used: built-ins, then those configured
    /// (`timeturner.executor.<name>.command`, given as `configured`), then programs on PATH.
    public func allNames(configured: [String]) -> [(name: String, source: String)] {
        var out: [(String, String)] = ExecutorResolver.builtins.map { ($0.name, "built-in") }
        for name in configured where !out.contains(where: { $0.0 == name }) { out.append((name, "configured")) }
        for program in programsOnPath() where !out.contains(where: { $0.0 == program.name }) { out.append((program.name, program.path)) }
        return out
    }

    /// Every `git-timeturner-exec-*` program on PATH (first one wins, as for lookup), by name.
    public func programsOnPath() -> [(name: String, path: String)] {
        var seen = Set<String>()
        var out: [(String, String)] = []
        for directory in path.split(separator: ":").map(String.init) where !directory.isEmpty {
            guard let handle = opendir(directory) else { continue }
            defer { closedir(handle) }
            while let entry = readdir(handle) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                guard name.hasPrefix(ExecutorResolver.programPrefix), name.count > ExecutorResolver.programPrefix.count else { continue }
                let short = String(name.dropFirst(ExecutorResolver.programPrefix.count))
                let full = directory + "/" + name
                if !seen.contains(short), access(full, X_OK) == 0 {
                    seen.insert(short)
                    out.append((short, full))
                }
            }
        }
        return out.sorted { $0.0 < $1.0 }
    }

    func findOnPath(_ program: String) -> String? {
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = directory + "/" + program
            var info = stat()
            if access(candidate, X_OK) == 0, stat(candidate, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG { return candidate }
        }
        return nil
    }
}
