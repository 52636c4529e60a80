internal import Glibc

/// A throwaway PostgreSQL cluster: initialised in a temporary directory, listening on
/// 127.0.0.1 on a free port with trust authentication, stopped by `with` when the body ends.
///
/// PostgreSQL refuses to run as root, so under uid 0 initdb and pg_ctl run as the `postgres`
/// user (`runuser -u postgres --`) on a data directory it owns. Clients (pg_dump, psql) connect
/// over TCP as the `postgres` role, as any user.
public final class PostgresServer: @unchecked Sendable {
    /// The directory with initdb, pg_ctl, pg_dump… (Debian: /usr/lib/postgresql/<major>/bin), or nil.
    public static let binDirectory: String? = {
        for candidate in ["/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin",
                          "/usr/lib/postgresql/14/bin", "/usr/lib/postgresql/13/bin", "/usr/local/pgsql/bin"] {
            if access(candidate + "/initdb", X_OK) == 0 && access(candidate + "/pg_ctl", X_OK) == 0 { return candidate }
        }
        return nil
    }()

    public static var isAvailable: Bool {
        if binDirectory == nil {
            // Loudly: a skipped database test must not pass unnoticed.
            let message = "warning: PostgreSQL binaries not found (apt-get install postgresql); PostgreSQL tests are SKIPPED\n"
            _ = message.withCString { write(STDERR_FILENO, $0, strlen($0)) }
        }
        return binDirectory != nil
    }

    public let bin: String
    public let port: Int
    public let root: String
    public var dataDirectory: String { root + "/data" }
    let environment: [String: String]

    /// `postgresql://postgres@127.0.0.1:<port>/<database>`
    public func url(_ database: String) -> String { "postgresql://postgres@127.0.0.1:\(port)/\(database)" }

    private init(bin: String, port: Int, root: String) {
        self.bin = bin
        self.port = port
        self.root = root
        environment = ["PATH": bin + ":/usr/sbin:/usr/bin:/bin", "LC_ALL": "C", "TZ": "UTC", "HOME": root, "PGCONNECT_TIMEOUT": "10"]
    }

    /// Starts a cluster, runs `body`, stops the cluster (also when `body` throws).
    public static func with<T>(_ body: (PostgresServer) async throws -> T) async throws -> T {
        guard let bin = binDirectory else { throw SetupError("no PostgreSQL binaries") }
        let root = try makeTemporaryDirectory("postgres")
        chmod(root, 0o755)  // the postgres user must reach its data directory
        let server = PostgresServer(bin: bin, port: try freePort(), root: root)
        try await server.start()
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    private var asServerUser: [String] { getuid() == 0 ? ["runuser", "-u", "postgres", "--"] : [] }

    private func start() async throws {
        if getuid() == 0 {
            try await checked(["chown", "postgres:", root])
        }
        try await checked(asServerUser + [bin + "/initdb", "-D", dataDirectory, "-U", "postgres", "--auth=trust",
                                          "--no-sync", "--encoding=UTF8", "--locale=C"])
        try await checked(asServerUser + [bin + "/pg_ctl", "-D", dataDirectory, "-l", root + "/server.log", "-w", "-t", "60",
                                          "-o", "-p \(port) -k \(root) -c listen_addresses=127.0.0.1 -c fsync=off", "start"])
    }

    private func stop() async {
        _ = try? await runProcess(asServerUser.first ?? bin + "/pg_ctl",
                                  Array(asServerUser.dropFirst()) + (asServerUser.isEmpty ? [] : [bin + "/pg_ctl"]) + ["-D", dataDirectory, "-m", "immediate", "-w", "stop"],
                                  environment: environment, in: root)
        _ = try? await runProcess("rm", ["-rf", root], environment: environment, in: "/")
    }

    /// Runs SQL with psql against `database`; throws with psql's output when it fails.
    @discardableResult
    public func sql(_ statement: String, database: String = "postgres") async throws -> String {
        try await checked([bin + "/psql", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-d", url(database), "-c", statement])
    }

    @discardableResult
    private func checked(_ argv: [String]) async throws -> String {
        let result = try await runProcess(argv[0], Array(argv.dropFirst()), environment: environment, in: root)
        guard result.status == 0 else { throw CommandFailed(command: argv, result: result) }
        return result.stdout
    }
}
