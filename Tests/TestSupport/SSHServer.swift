internal import Glibc

/// A real OpenSSH server on 127.0.0.1 for one test: a throwaway host key and user key in a
/// temporary directory, public-key login as the current user only, and an `ssh_config` that
/// names it `timeturner-test-host`, so git reaches it as `ssh://timeturner-test-host/<path>`
/// through `core.sshCommand = ssh -F <config>` — the way teams configure SSH for their git host.
///
/// The server side runs git with GIT_CONFIG_NOSYSTEM=1 and no global config (sshd's SetEnv), so
/// the machine's configuration stays out of it as it does for the client.
public final class SSHServer: @unchecked Sendable {
    public let directory: String
    public let port: Int
    public static let hostAlias = "timeturner-test-host"
    private let pid: pid_t

    /// The `-F` file for ssh; `sshCommand` is what to put in `core.sshCommand`.
    public var configPath: String { directory + "/ssh_config" }
    public var sshCommand: String { "ssh -F \(configPath)" }
    public func url(_ path: String) -> String { "ssh://\(SSHServer.hostAlias)\(path)" }

    private init(directory: String, port: Int, pid: pid_t) {
        self.directory = directory
        self.port = port
        self.pid = pid
    }

    public static let sshdPath = "/usr/sbin/sshd"

    public static func with<T>(environment: [String: String], _ body: (SSHServer) async throws -> T) async throws -> T {
        guard access(sshdPath, X_OK) == 0 else {
            throw SetupError("\(sshdPath) is missing: run 'bash .ci/deps' (it installs openssh-server)")
        }
        let directory = try makeTemporaryDirectory("timeturner-sshd")
        defer { removeTree(directory) }
        for key in ["host_key", "user_key"] {
            let made = try await runProcess("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "timeturner-test", "-f", "\(directory)/\(key)"],
                                            environment: environment, in: directory)
            guard made.status == 0 else { throw SetupError("ssh-keygen failed: \(made)") }
        }
        let userPublic = readFile(directory + "/user_key.pub") ?? []
        try writeFile(directory + "/authorized_keys", userPublic, mode: 0o600)
        let hostPublic = String(decoding: readFile(directory + "/host_key.pub") ?? [], as: UTF8.self).split(separator: " ").prefix(2).joined(separator: " ")
        let port = try freePort()
        let user = getpwuid(geteuid()).map { String(cString: $0.pointee.pw_name) } ?? "root"
        try writeFile(directory + "/sshd_config", Array("""
            ListenAddress 127.0.0.1
            Port \(port)
            HostKey \(directory)/host_key
            AuthorizedKeysFile \(directory)/authorized_keys
            PidFile \(directory)/sshd.pid
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            UsePAM no
            StrictModes no
            PermitRootLogin prohibit-password
            AllowUsers \(user)
            SetEnv GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null

            """.utf8), mode: 0o600)
        try writeFile(directory + "/known_hosts", Array("[127.0.0.1]:\(port) \(hostPublic)\n".utf8))
        try writeFile(directory + "/ssh_config", Array("""
            Host \(hostAlias)
              HostName 127.0.0.1
              Port \(port)
              User \(user)
              IdentityFile \(directory)/user_key
              IdentitiesOnly yes
              UserKnownHostsFile \(directory)/known_hosts
              StrictHostKeyChecking yes
              BatchMode yes

            """.utf8), mode: 0o600)
        // Debian's sshd refuses to start as root without its privilege-separation directory,
        // which the ssh service normally creates at boot.
        if geteuid() == 0 { mkdir("/run/sshd", 0o755) }

        let arguments = [sshdPath, "-D", "-e", "-f", directory + "/sshd_config"]
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        var pid: pid_t = 0
        guard posix_spawn(&pid, sshdPath, nil, &attributes, argv, envp) == 0 else { throw SetupError("could not start sshd") }
        let server = SSHServer(directory: directory, port: port, pid: pid)
        do {
            try await server.waitUntilListening()
            let result = try await body(server)
            server.stop()
            return result
        } catch {
            server.stop()
            throw error
        }
    }

    private func waitUntilListening() async throws {
        guard try await TestSupport.waitUntilListening(port: port, process: pid, name: "sshd") else {
            throw SetupError("sshd exited at start; run it by hand with -D -e to see why")
        }
    }

    private func stop() {
        kill(-pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    }
}
