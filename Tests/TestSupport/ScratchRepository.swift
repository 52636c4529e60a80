internal import Glibc

/// A throwaway git repository in a temporary directory, made and inspected with the real git CLI.
///
/// Each instance has its own HOME, so nothing leaks between tests or from the machine.
public final class ScratchRepository: @unchecked Sendable {
    /// The work tree (or, for a bare repository, the repository itself).
    public let path: String
    public let home: String
    public private(set) var environment: [String: String]
    private var clock: Int64 = HermeticEnvironment.epoch
    private let root: String

    public init(bare: Bool = false, initialBranch: String = "main") async throws {
        root = try makeTemporaryDirectory()
        home = root + "/home"
        path = root + (bare ? "/repo.git" : "/repo")
        mkdir(home, 0o755)
        environment = HermeticEnvironment.make(home: home)
        try await runGit(["init", "-q", "-b", initialBranch] + (bare ? ["--bare"] : []) + [path], in: root)
    }

    deinit {
        removeTree(root)
    }

    /// Sets an environment variable for every later command in this repository.
    public func setEnvironment(_ key: String, _ value: String?) { environment[key] = value }

    /// Runs git in the repository; throws with its output when it fails.
    @discardableResult
    public func git(_ arguments: String..., input: String? = nil) async throws -> String {
        try await runGit(arguments, in: path, input: input)
    }

    /// Runs git and returns whatever happened, for tests that expect failures.
    public func gitResult(_ arguments: [String]) async throws -> ProcessResult {
        try await runProcess("git", arguments, environment: environment, in: path)
    }

    @discardableResult
    func runGit(_ arguments: [String], in directory: String, input: String? = nil) async throws -> String {
        let result = try await runProcess("git", arguments, environment: environment, in: directory, input: input)
        guard result.status == 0 else { throw CommandFailed(command: ["git"] + arguments, result: result) }
        return result.stdout
    }

    /// Writes `content` to a path relative to the work tree.
    public func write(_ relativePath: String, _ content: String, mode: UInt32 = 0o644) throws {
        try writeFile(path + "/" + relativePath, Array(content.utf8), mode: mode)
    }

    public func read(_ relativePath: String) -> String? {
        readFile(path + "/" + relativePath).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Commits the given files (or an empty commit) one second after the previous commit,
    /// so commit ids are deterministic. Returns the new commit's full id.
    @discardableResult
    public func commit(_ message: String, files: [String: String] = [:]) async throws -> String {
        for (file, content) in files { try write(file, content) }
        clock += 1
        var env = environment
        env["GIT_AUTHOR_DATE"] = "@\(clock) +0000"
        env["GIT_COMMITTER_DATE"] = "@\(clock) +0000"
        if !files.isEmpty { try await runGitWith(env, ["add", "-A"]) }
        try await runGitWith(env, ["commit", "-q", "--allow-empty", "-m", message])
        return try await git("rev-parse", "HEAD").trimmed
    }

    /// Makes `count` commits, each touching its own file; returns their ids oldest first.
    public func commits(_ count: Int, prefix: String = "change") async throws -> [String] {
        var ids: [String] = []
        for i in 1...count { ids.append(try await commit("\(prefix) \(i)", files: ["\(prefix)-\(i).txt": "\(prefix) \(i)\n"])) }
        return ids
    }

    private func runGitWith(_ env: [String: String], _ arguments: [String]) async throws {
        let result = try await runProcess("git", arguments, environment: env, in: path)
        guard result.status == 0 else { throw CommandFailed(command: ["git"] + arguments, result: result) }
    }

    /// Runs the built `git-timeturner` binary in this repository.
    public func timeturner(_ arguments: String..., input: String? = nil, in directory: String? = nil) async throws -> ProcessResult {
        try await timeturner(arguments, input: input, in: directory)
    }

    public func timeturner(_ arguments: [String], input: String? = nil, in directory: String? = nil,
                           extraEnvironment: [String: String] = [:]) async throws -> ProcessResult {
        try await runProcess(TimeturnerBinary.path, arguments, environment: environment.merging(extraEnvironment) { $1 },
                             in: directory ?? path, input: input)
    }

    /// A scratch directory next to the repository (for clones, remotes, outside-repo runs).
    public func siblingDirectory(_ name: String) -> String {
        let dir = root + "/" + name
        mkdir(dir, 0o755)
        return dir
    }
}

/// Where the binary under test is: `TIMETURNER_BIN`, or next to the test bundle in the build folder.
public enum TimeturnerBinary {
    public static let path: String = {
        if let explicit = HermeticEnvironment.inherited("TIMETURNER_BIN") { return explicit }
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let exe = length > 0 ? String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        // .build/<config>/git-timeturnerPackageTests.xctest → .build/<config>/git-timeturner
        var directory = exe
        while let slash = directory.lastIndex(of: "/") {
            directory = String(directory[..<slash])
            let candidate = directory + "/git-timeturner"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return "git-timeturner"
    }()
}

extension String {
    public var trimmed: String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s = s.dropFirst() }
        while let c = s.last, c.isWhitespace { s = s.dropLast() }
        return String(s)
    }

    public var lines: [String] { split(separator: "\n").map(String.init) }
}
