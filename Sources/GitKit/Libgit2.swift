internal import CLibgit2
internal import CDeferredCertificates

/// Process-wide libgit2 set-up and the one place where libgit2 return codes become Swift errors.
enum Libgit2 {
    /// `git_libgit2_init` once per process. Swift initialises globals lazily and thread-safely,
    /// and commands that never touch a repository (`--help`, `--version`) never pay for it
    /// (most of its ~10 ms is loading TLS certificates).
    ///
    /// The CA bundle is not loaded: libgit2's calls to load it are refused during initialisation
    /// (`CDeferredCertificates`), so libgit2 has no trusted certificate and would refuse any
    /// TLS server. No command connects through libgit2; remotes go through the user's git.
    ///
    /// Objects read are not re-hashed (libgit2's strict hash verification, on by default; git
    /// itself checks hashes only in fsck and on transfer): zlib's checksum still fails a read of
    /// a damaged object, and it was 42% of a rollback's checkout (docs/design-decisions.md).
    private static let initialised: Void = {
        timeturner_refuse_certificate_loading(1)
        git_libgit2_init()
        timeturner_refuse_certificate_loading(0)
        git_error_clear()   // libgit2 records the refused load as its last error
        timeturner_disable_strict_hash_verification()
        // libgit2 caches parsed trees only up to 4 KiB, so the 256-entry top trees of a notes
        // ref (7.7 KiB) were inflated and parsed again on each of the ~6 lookups a note append
        // makes (reading the note, finding its path, writing the updated trees).
        timeturner_set_tree_cache_limit(64 << 10)
    }()

    /// How many CA-bundle loads the initialisation refused (1 with Debian's mbedTLS build).
    static var refusedCertificateLoads: Int { Int(timeturner_refused_certificate_loads()) }

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
