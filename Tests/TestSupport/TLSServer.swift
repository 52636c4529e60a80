internal import Glibc

/// `openssl s_server` on 127.0.0.1 with a certificate signed by a CA made for the test (no
/// certificate of the machine is involved): the server answers any TLS client that trusts
/// `caFile`, and any other client must refuse it.
public final class TLSServer: Sendable {
    public let port: Int
    /// The test CA's certificate (PEM).
    public let caFile: String
    private let pid: pid_t

    private init(port: Int, caFile: String, pid: pid_t) {
        self.port = port
        self.caFile = caFile
        self.pid = pid
    }

    /// `https://127.0.0.1:<port>/<path>`
    public func url(_ path: String) -> String { "https://127.0.0.1:\(port)/\(path)" }

    public static func with<T>(directory: String, environment: [String: String],
                               _ body: (TLSServer) async throws -> T) async throws -> T {
        func openssl(_ arguments: [String]) async throws {
            let result = try await runProcess("openssl", arguments, environment: environment, in: directory)
            guard result.status == 0 else { throw CommandFailed(command: ["openssl"] + arguments, result: result) }
        }
        let curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try await openssl(["req", "-x509"] + curve + ["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Timeturner Test CA",
                           "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"])
        // mbedTLS 2.28 matches the host name against the CN when there is no subjectAltName.
        try await openssl(["req"] + curve + ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"])
        try await openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                           "-out", "server.pem", "-days", "2"])
        let port = try freePort()
        let arguments = ["openssl", "s_server", "-quiet", "-www", "-accept", "127.0.0.1:\(port)",
                         "-cert", directory + "/server.pem", "-key", directory + "/server.key"]
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawnp(&pid, "openssl", nil, nil, argv, envp) == 0 else { throw SetupError("could not start openssl s_server") }
        let server = TLSServer(port: port, caFile: directory + "/ca.pem", pid: pid)
        defer { server.stop() }
        guard try await waitUntilListening(port: port, process: pid, name: "openssl s_server") else {
            throw SetupError("openssl s_server exited at start")
        }
        return try await body(server)
    }

    private func stop() {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    }
}
