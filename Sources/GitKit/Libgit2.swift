internal import CLibgit2

/// Process-wide libgit2 set-up and the one place where libgit2 return codes become Swift errors.
enum Libgit2 {
    /// `git_libgit2_init` once per process. Swift initialises globals lazily and thread-safely,
    /// and commands that never touch a repository (`--help`, `--version`) never pay for it
    /// (most of its ~10 ms is loading TLS certificates).
    private static let initialised: Void = {
        git_libgit2_init()
    }()

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
}
