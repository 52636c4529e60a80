internal import Glibc

/// The Python virtual environment the real application and its Alembic migrations run with:
/// the pinned packages of Tests/Fixtures/app/requirements.txt, installed once.
///
/// Made with Debian's `python3 -m venv --without-pip` and filled by the system's pip
/// (`pip --python <venv>`), which skips ensurepip (python3-venv) and takes about half the time.
/// Kept in `.build/test-python/venv-<hash of requirements.txt>`, so one test run builds it once
/// (every suite in the process shares the one task) and later runs on this checkout reuse it;
/// a file lock keeps two test processes from building it at once.
public enum PythonEnvironment {
    /// The venv's `bin` directory (`python`, `alembic`).
    public static func bin() async throws -> String { try await shared.value }

    private static let shared: Task<String, any Error> = Task { try await build() }

    private static var requirements: String { Fixtures.directory + "/app/requirements.txt" }

    private static func build() async throws -> String {
        guard let pinned = readFile(requirements) else { throw SetupError("cannot read \(requirements)") }
        let cache = Fixtures.repositoryRoot + "/.build/test-python"
        try makeDirectories(cache)
        let venv = cache + "/venv-" + fnv1a(pinned)
        let complete = venv + "/complete"
        if access(complete, F_OK) == 0 { return venv + "/bin" }

        let lock = open(cache + "/lock", O_CREAT | O_RDWR, 0o644)
        guard lock >= 0 else { throw SetupError("cannot open \(cache)/lock: errno \(errno)") }
        defer { close(lock) }
        // Blocks only while another test process builds the same environment.
        guard flock(lock, LOCK_EX) == 0 else { throw SetupError("cannot lock \(cache)/lock: errno \(errno)") }
        defer { flock(lock, LOCK_UN) }
        if access(complete, F_OK) == 0 { return venv + "/bin" }

        removeTree(venv)
        let python = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3"
        // pip needs the machine's own settings (its index, certificates): the inherited environment.
        let environment = inheritedEnvironment()
        try await checked(python, ["-m", "venv", "--without-pip", venv], environment)
        try await checked(python, ["-m", "pip", "--python", venv + "/bin/python", "install", "--quiet", "--no-input",
                                   "--disable-pip-version-check", "--only-binary", ":all:", "-r", requirements], environment)
        try writeFile(complete, Array("made from \(requirements)\n".utf8))
        return venv + "/bin"
    }

    private static func checked(_ program: String, _ arguments: [String], _ environment: [String: String]) async throws {
        let result = try await runProcess(program, arguments, environment: environment, in: "/")
        guard result.status == 0 else {
            throw SetupError("setting up the Python environment failed (\(program) \(arguments.joined(separator: " "))): \(result)\n"
                             + "hint: .ci/deps installs python3 and python3-pip; the packages come from the Python package index")
        }
    }

    private static func fnv1a(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return String(hash, radix: 16)
    }

    private static func makeDirectories(_ path: String) throws {
        var directory = ""
        for component in path.split(separator: "/") {
            directory += "/" + component
            if mkdir(directory, 0o755) != 0 && errno != EEXIST { throw SetupError("cannot create \(directory): errno \(errno)") }
        }
    }

    private static func inheritedEnvironment() -> [String: String] {
        var out: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "=") { out[String(text[..<equals])] = String(text[text.index(after: equals)...]) }
            entry += 1
        }
        return out
    }
}

/// The small real application of Tests/Fixtures/app (see its README), deployed for a test:
/// committed version by version into `repo`, deployed Capistrano-style into a directory beside
/// it (`releases/<sha>`, `current`, `shared/config/app.ini`), its database on `server`, its
/// HTTP service on a free loopback port. `stop()` (or deinit) ends the service.
public final class RealApplication: @unchecked Sendable {
    public let repo: ScratchRepository
    public let server: PostgresServer
    public let database: String
    /// The deploy root: `releases/`, `current`, `shared/`.
    public let root: String
    public let port: Int
    /// The virtual environment's `bin` directory.
    public let pythonBin: String

    public var healthURL: String { "http://127.0.0.1:\(port)/health" }
    /// Restarts the service from `current` (what `timeturner.activate` or release-dir's `restart` runs).
    public var restartCommand: String { "PYTHON=\(pythonBin)/python \(root)/current/bin/restart \(root)" }
    /// PATH for the tool, the deploy script and the executors' commands: the venv (alembic),
    /// PostgreSQL's programs, then the test's own PATH.
    public var path: String { pythonBin + ":" + server.bin + ":" + (repo.environment["PATH"] ?? "/usr/bin:/bin") }
    public var environment: [String: String] {
        repo.environment.merging(["PATH": path, "PYTHON": pythonBin + "/python"]) { $1 }
    }

    public init(repo: ScratchRepository, server: PostgresServer, database: String = "app") async throws {
        self.repo = repo
        self.server = server
        self.database = database
        root = repo.siblingDirectory("srv")
        port = try freePort()
        pythonBin = try await PythonEnvironment.bin()
        try await server.sql("CREATE DATABASE \(database)")
    }

    deinit { stop() }

    /// Lays version `number`'s files over the work tree (Tests/Fixtures/app/common first, for
    /// v1) with the placeholders filled in, and commits them as "v<number>". Returns the commit.
    @discardableResult
    public func commitVersion(_ number: Int) async throws -> String {
        let fixture = Fixtures.directory + "/app"
        let sources = (number == 1 ? [fixture + "/common"] : []) + [fixture + "/v\(number)"]
        for source in sources {
            let script = """
                set -eu
                cp -R "$1/." "$2/"
                cd "$1"
                find . -type f | while read -r file; do
                    sed -i -e "s|@DB_PORT@|$3|g" -e "s|@DB_NAME@|$4|g" -e "s|@APP_PORT@|$5|g" "$2/$file"
                done
                """
            let result = try await runProcess("/bin/sh", ["-c", script, "overlay", source, repo.path, String(server.port), database, String(port)],
                                              environment: repo.environment, in: repo.path)
            guard result.status == 0 else { throw CommandFailed(command: ["overlay", source], result: result) }
        }
        try await repo.git("add", "-A")
        return try await repo.commit("v\(number)")
    }

    /// Runs the repository's `bin/deploy` for `commit`: release, live config, migrations, restart.
    public func deploy(_ commit: String) async throws {
        let result = try await runProcess(repo.path + "/bin/deploy", [root, commit], environment: environment, in: repo.path)
        guard result.status == 0 else { throw CommandFailed(command: ["bin/deploy", root, commit], result: result) }
    }

    /// `/health`'s status code and body (status 0 when nothing answers).
    public func health() async throws -> (status: Int, body: String) {
        let result = try await runProcess("curl", ["-s", "--max-time", "5", "-w", "\n%{http_code}", healthURL],
                                          environment: repo.environment, in: root)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }

    /// The release `current` points at (the commit it was deployed from).
    public var currentRelease: String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink(root + "/current", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        let target = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return target.split(separator: "/").last.map(String.init)
    }

    /// The live configuration's `version` line.
    public var liveConfigVersion: String? {
        readFile(root + "/shared/config/app.ini").flatMap { bytes in
            String(decoding: bytes, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("version = ") }
                .map { String($0.dropFirst("version = ".count)) }
        }
    }

    /// The revision in `alembic_version`, or nil when there is none.
    public func schemaRevision() async throws -> String? {
        let answer = try await server.sql("SELECT version_num FROM alembic_version", database: database).trimmed
        return answer.isEmpty ? nil : answer
    }

    /// Ends the service (SIGTERM to the pid in its pid file), if it runs.
    public func stop() {
        guard let bytes = readFile(root + "/shared/pids/app.pid"),
              let pid = Int32(String(decoding: bytes, as: UTF8.self).trimmed) else { return }
        kill(pid, SIGTERM)
        unlink(root + "/shared/pids/app.pid")
    }
}
