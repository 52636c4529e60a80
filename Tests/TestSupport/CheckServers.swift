import Subprocess
import SystemPackage
internal import Glibc

/// The loopback app of Tests/Fixtures/checks/app.py, driven through files in its control
/// directory, and a real Prometheus (Debian's `prometheus`) scraping it every second.
public final class CheckApp: Sendable {
    public let port: Int
    public let control: String
    let pid: Int32

    public init(directory: String) async throws {
        control = directory + "/control"
        _ = try await runProcess("/bin/mkdir", ["-p", control], environment: [:], in: "/")
        let portFile = directory + "/app-port"
        pid = try Background.start(["python3", Fixtures.directory + "/checks/app.py", portFile, control], directory: directory)
        port = try await Background.waitForFile(portFile, process: pid)
    }

    public var url: String { "http://127.0.0.1:\(port)" }

    public func set(_ name: String, _ value: String) throws {
        let fd = open(control + "/" + name, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw SetupError("cannot write \(control)/\(name)") }
        _ = value.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
        close(fd)
    }

    deinit { Background.stop(pid) }
}

public final class PrometheusServer: Sendable {
    public let port: Int
    let pid: Int32

    /// Started on 127.0.0.1 with a config that scrapes `target` (host:port) every second.
    public init(directory: String, scraping target: String) async throws {
        port = try await Background.freePort()
        let config = directory + "/prometheus.yml"
        let text = "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: app\n    static_configs:\n      - targets: ['\(target)']\n"
        let fd = open(config, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        _ = text.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
        close(fd)
        pid = try Background.start(["/usr/bin/prometheus", "--config.file=" + config, "--storage.tsdb.path=" + directory + "/tsdb",
                                    "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn"], directory: directory)
        // Ready once it has scraped the app at least twice (rate() needs two samples).
        for _ in 0..<300 {
            let answer = try await runProcess("/usr/bin/curl", ["-fsS", "http://127.0.0.1:\(port)/api/v1/query?query=count_over_time(up%5B1m%5D)"],
                                              environment: [:], in: "/")
            if answer.status == 0, answer.stdout.contains("\"value\""), !answer.stdout.contains(",\"1\"]") { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        Background.stop(pid)
        throw SetupError("prometheus on 127.0.0.1:\(port) never scraped \(target)")
    }

    public var url: String { "http://127.0.0.1:\(port)" }

    deinit { Background.stop(pid) }
}

/// Long-running helper processes of tests: started detached, stopped (SIGKILL) at the end.
public enum Background {
    public static func start(_ argv: [String], directory: String) throws -> Int32 {
        var pid: pid_t = 0
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, directory + "/background.log", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, directory + "/background.log", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        let status = posix_spawnp(&pid, argv[0], &actions, nil, &cArgs, environ)
        guard status == 0 else { throw SetupError("cannot start \(argv[0]): \(String(cString: strerror(status)))") }
        return pid
    }

    public static func stop(_ pid: Int32) {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }

    /// Waits (bounded) for `path` to appear and returns the number in it.
    public static func waitForFile(_ path: String, process: Int32) async throws -> Int {
        for _ in 0..<500 {
            if let fd = Optional(open(path, O_RDONLY)), fd >= 0 {
                var buffer = [UInt8](repeating: 0, count: 32)
                let count = read(fd, &buffer, 32)
                close(fd)
                if count > 0, let number = Int(String(decoding: buffer.prefix(count), as: UTF8.self)) { return number }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw SetupError("\(path) never appeared")
    }

    public static func freePort() async throws -> Int {
        let result = try await runProcess("/usr/bin/env", ["python3", "-c", "import socket;s=socket.socket();s.bind(('127.0.0.1',0));print(s.getsockname()[1])"],
                                          environment: ["PATH": getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"], in: "/")
        guard let port = Int(result.stdout.split(separator: "\n").first ?? "") else { throw SetupError("no free port: \(result)") }
        return port
    }
}

extension ScratchRepository {
    /// Runs the binary until `file` (relative to the repository) exists, then hands its pid to
    /// `then`, which may signal it. Returns its exit status (128 + signal when killed).
    public func timeturnerOnce(_ arguments: [String], fileExists file: String,
                               then: @Sendable (_ pid: Int32) async throws -> Void) async throws -> Int32 {
        let target = path + "/" + file
        let env = environment
        let result = try await Subprocess.run(
            .path(FilePath(TimeturnerBinary.path)), arguments: Arguments(arguments),
            environment: .custom(Dictionary(uniqueKeysWithValues: env.map { (Environment.Key(rawValue: $0.key)!, $0.value) })),
            workingDirectory: FilePath(path), input: .none, output: .discarded, error: .discarded
        ) { execution in
            let pid = execution.processIdentifier.value
            for _ in 0..<3000 where access(target, F_OK) != 0 && kill(pid, 0) == 0 {
                try await Task.sleep(for: .milliseconds(20))
            }
            guard access(target, F_OK) == 0 else { throw SetupError("\(file) never appeared") }
            try await then(pid)
        }
        switch result.terminationStatus {
        case .exited(let code): return code
        case .signaled(let signal): return 128 + signal
        }
    }
}
