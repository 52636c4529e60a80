internal import Glibc

/// The environment every test process gets: a private HOME, no system or global git config,
/// fixed identity and dates, UTC and the C locale, so results never depend on this machine.
public enum HermeticEnvironment {
    /// A fixed instant (2026-11-18T11:06:40Z) for authors, committers and taggers.
    public static let epoch: Int64 = 1_795_000_000

    public static func make(home: String, date: Int64 = epoch) -> [String: String] {
        [
            "HOME": home,
            "XDG_CONFIG_HOME": home + "/.config",
            "PATH": inherited("PATH") ?? "/usr/local/bin:/usr/bin:/bin",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": home + "/.gitconfig",
            "GIT_AUTHOR_NAME": "Ada Tester",
            "GIT_AUTHOR_EMAIL": "ada@example.com",
            "GIT_COMMITTER_NAME": "Ada Tester",
            "GIT_COMMITTER_EMAIL": "ada@example.com",
            "GIT_AUTHOR_DATE": "@\(date) +0000",
            "GIT_COMMITTER_DATE": "@\(date) +0000",
            "TZ": "UTC",
            "LC_ALL": "C",
            "NO_COLOR": "1",
            "GIT_TERMINAL_PROMPT": "0",
        ]
    }

    static func inherited(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}

/// A fresh directory under the system's temporary directory.
public func makeTemporaryDirectory(_ label: String = "timeturner") throws -> String {
    let base = HermeticEnvironment.inherited("TMPDIR") ?? "/tmp"
    var template = Array("\(base)/\(label)-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { throw SetupError("mkdtemp failed: errno \(errno)") }
    return String(cString: made)
}

public struct SetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Reads a whole file as bytes (nil when it cannot be read).
public func readFile(_ path: String) -> [UInt8]? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buffer, 1, buffer.count, file)
        if n <= 0 { break }
        out.append(contentsOf: buffer[0..<n])
    }
    return out
}

/// Writes bytes to a file, creating parent directories.
public func writeFile(_ path: String, _ bytes: [UInt8], mode: UInt32 = 0o644) throws {
    var directory = ""
    for component in path.split(separator: "/").dropLast() {
        directory += "/" + component
        mkdir(directory, 0o755)
    }
    guard let file = fopen(path, "wb") else { throw SetupError("cannot write \(path): errno \(errno)") }
    defer { fclose(file) }
    _ = bytes.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, file) }
    chmod(path, mode)
}

/// Deletes a directory tree synchronously (`rm -rf`, spawned and waited for). Synchronous on
/// purpose: a detached task started from `deinit` may still be running when the test process
/// exits, which leaves its continuation dangling.
public func removeTree(_ path: String) {
    var pid: pid_t = 0
    let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/rm"), strdup("-rf"), strdup(path), nil]
    defer { argv.forEach { free($0) } }
    guard posix_spawn(&pid, "/bin/rm", nil, nil, argv, environ) == 0 else { return }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
}
