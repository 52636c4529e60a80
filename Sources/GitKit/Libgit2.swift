internal import CLibgit2
internal import CDeferredCertificates

/// Process-wide libgit2 set-up and the one place where libgit2 return codes become Swift errors.
enum Libgit2 {
    /// `git_libgit2_init` once per process. Swift initialises globals lazily and thread-safely,
    /// and commands that never touch a repository (`--help`, `--version`) never pay for it.
    ///
    /// libgit2's TLS is not set up here: its set-up (mbedTLS's random generator, the CA bundle)
    /// waits for the first TLS connection (`CDeferredCertificates`), which no command makes;
    /// remotes go through the user's git. Even then the CA bundle is not loaded, so libgit2 has
    /// no trusted certificate and refuses any TLS server.
    ///
    /// Objects read are not re-hashed (libgit2's strict hash verification, on by default; git
    /// itself checks hashes only in fsck and on transfer): zlib's checksum still fails a read of
    /// a damaged object, and it was 42% of a rollback's checkout (docs/design-decisions.md).
    private static let initialised: Void = {
        git_libgit2_init()
        timeturner_disable_strict_hash_verification()
        // libgit2 caches parsed trees only up to 4 KiB, so the 256-entry top trees of a notes
        // ref (7.7 KiB) were inflated and parsed again on each of the ~6 lookups a note append
        // makes (reading the note, finding its path, writing the updated trees).
        timeturner_set_tree_cache_limit(64 << 10)
        // git reads no system-wide gitconfig when GIT_CONFIG_NOSYSTEM is true; libgit2 1.5.1
        // ignores the variable and reads /etc/gitconfig anyway, so the tool could see
        // settings git does not (a core.excludesFile, url rewrites, safe.directory).
        if systemConfigIsSkipped(getenv("GIT_CONFIG_NOSYSTEM").map { String(cString: $0) }) {
            timeturner_set_system_config_search_path("")
        }
    }()

    /// `GIT_CONFIG_NOSYSTEM` as git reads it (`git_env_bool`): true, yes, on or a non-zero
    /// number; unset, empty, false, no, off, 0 or anything else is false.
    static func systemConfigIsSkipped(_ value: String?) -> Bool {
        guard let value else { return false }
        switch value.lowercased() {
        case "true", "yes", "on": return true
        default: return Int(value).map { $0 != 0 } ?? false
        }
    }

    /// How many CA-bundle loads libgit2's TLS set-up was refused (1 with Debian's mbedTLS build,
    /// once a TLS connection was attempted).
    static var refusedCertificateLoads: Int { Int(timeturner_refused_certificate_loads()) }

    /// Whether libgit2's TLS has been set up in this process (by a TLS connection, or by loading
    /// certificates explicitly).
    static var tlsIsSetUp: Bool { timeturner_tls_set_up() != 0 }

    static func ensureInitialised() { _ = initialised }

    /// Runs one libgit2 call and turns a negative return code into a `GitError` naming `operation`.
    /// The error message is read right here, in the same synchronous call, because libgit2 1.5.1
    /// keeps it in thread-local storage that the next call may clear.
    @discardableResult
    static func check(_ operation: @autoclosure () -> String, _ call: () -> Int32) throws(GitError) -> Int32 {
        let result = call()
        guard result < 0 else { return result }
        throw lastError(operation: operation(), code: result)
    }

    static func lastError(operation: String, code: Int32) -> GitError {
        var message = ""
        var errorClass: Int32 = 0
        if let last = git_error_last() {
            errorClass = last.pointee.klass
            if let text = last.pointee.message { message = String(cString: text) }
        }
        // 1.5.1 sometimes leaves a stale message from an earlier, handled failure; clear it so
        // it cannot leak into the next error.
        git_error_clear()
        return GitError(operation: operation, code: .init(rawValue: code), errorClass: errorClass,
                        message: message.trimming(\.isNewline))
    }

    /// Trusts exactly the certificates in `file` for libgit2's TLS from now on (the test that
    /// shows libgit2 refuses TLS servers without it uses this as its control).
    static func trustCertificates(in file: String) throws(GitError) {
        ensureInitialised()
        try check("load CA certificates from \(file)") { timeturner_set_ssl_cert_file(file) }
    }

    /// Opens a fetch connection to `url` through libgit2's own transport (for https, its
    /// mbedTLS stream) and closes it. No command does this; the test of the certificate
    /// deferral does, to show that such a connection is refused.
    static func connectForFetch(_ url: String) throws(GitError) {
        ensureInitialised()
        var remote: OpaquePointer? = nil
        try check("create a remote for \(url)") { git_remote_create_detached(&remote, url) }
        defer { git_remote_free(remote) }
        try check("connect to \(url)") { git_remote_connect(remote, GIT_DIRECTION_FETCH, nil, nil, nil) }
        git_remote_disconnect(remote)
    }
}
