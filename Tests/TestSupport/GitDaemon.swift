internal import Glibc

/// A real `git daemon` serving the bare repositories under a directory on 127.0.0.1, with
/// pushes enabled, so remotes are exercised over the git protocol with git's own receive-pack
/// (hooks included) rather than libgit2's in-process local transport.
public final class GitDaemon: @unchecked Sendable {
    public let basePath: String
    public let port: Int
    private let pid: pid_t

    /// `git://127.0.0.1:<port>/<name>`
    public func url(_ name: String) -> String { "git://127.0.0.1:\(port)/\(name)" }

    private init(basePath: String, port: Int, pid: pid_t) {
        self.basePath = basePath
        self.port = port
        self.pid = pid
    }

    /// Starts a daemon for `basePath`, runs `body`, stops the daemon (also when `body` throws).
    ///
    /// The port is free when `freePort` picks it, but another process can take it before the
    /// daemon binds (the suite starts servers in parallel); the daemon then exits, and is
    /// started again on another port, up to three times.
    public static func with<T>(basePath: String, environment: [String: String],
                               _ body: (GitDaemon) async throws -> T) async throws -> T {
        var daemon: GitDaemon? = nil
        for attempt in 1...3 {
            let started = try start(basePath: basePath, environment: environment)
            if try await waitUntilListening(port: started.port, process: started.pid, name: "git daemon") {
                daemon = started
                break
            }
            started.stop()
            if attempt == 3 { throw SetupError("git daemon exited at start three times (last port \(started.port)); run it by hand to see why") }
        }
        guard let daemon else { throw SetupError("git daemon did not start") }
        do {
            let result = try await body(daemon)
            daemon.stop()
            return result
        } catch {
            daemon.stop()
            throw error
        }
    }

    private static func start(basePath: String, environment: [String: String]) throws -> GitDaemon {
        let port = try freePort()
        let arguments = ["git", "daemon", "--export-all", "--enable=receive-pack", "--informative-errors",
                         "--reuseaddr", "--listen=127.0.0.1", "--port=\(port)", "--base-path=\(basePath)", basePath]
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        // Its own process group: `git daemon` runs git-daemon as a child, and the whole group
        // must go when the test ends (SIGTERM to the `git` wrapper alone leaves it running).
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        var pid: pid_t = 0
        guard posix_spawnp(&pid, "git", nil, &attributes, argv, envp) == 0 else { throw SetupError("could not start git daemon") }
        return GitDaemon(basePath: basePath, port: port, pid: pid)
    }

    private func stop() {
        kill(-pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    }
}

/// Waits until something accepts connections on 127.0.0.1:`port`: true then, false if `process`
/// exited first (as a server does when its port was taken). Up to 30 s: on a loaded 2-core
/// machine running the whole suite, 5 s was once not enough for `git daemon`.
func waitUntilListening(port: Int, process pid: pid_t, name: String) async throws -> Bool {
    for _ in 0..<1200 {
        if isListening(port: port) { return true }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid { return false }
        try await Task.sleep(for: .milliseconds(25))
    }
    throw SetupError("\(name) did not listen on 127.0.0.1:\(port) within 30 s")
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
public func isListening(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    } == 0
}

/// A TCP port on 127.0.0.1 that nothing listens on right now (the kernel picks it).
public func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw SetupError("socket failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw SetupError("bind failed") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}
