/// The one error type of the domain layer. The CLI maps `kind` to an exit code in one place.
public struct TimeturnerError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Something went wrong (git failure, unknown commit, missing point…).
        case failure
        /// The arguments were wrong (bad names, conflicting options).
        case usage
        /// A safety check refused to go on; nothing was changed.
        case refused
        /// Another operation holds the lock.
        case locked
        /// Verification failed and the pre-rollback state was restored.
        case verificationFailedRestored
        /// Verification failed and restoring failed too.
        case verificationFailedRestoreFailed
        /// A check (or the verification of a guard's deploy) failed: the deploy is bad.
        case checkFailed
        /// A check could not decide (no data, provider unreachable, neither threshold matched).
        case checkInconclusive
        /// A guard found the deploy bad; it may have rolled back successfully, but the deploy failed.
        case deployFailed
        /// A trigger fired: a check that passed before the deploy fails now.
        case triggerFired
        /// A signal stopped the operation; the state before it was restored. Exit 128 + signal.
        case interrupted(signal: Int32)
    }

    public let kind: Kind
    /// One line saying what was wrong.
    public let message: String
    /// What the user can do about it, when there is something to do.
    public let hint: String?
    /// Underlying causes, outermost first (printed as "caused by:" lines).
    public let causes: [String]

    public init(_ kind: Kind, _ message: String, hint: String? = nil, causes: [String] = []) {
        self.kind = kind
        self.message = message
        self.hint = hint
        self.causes = causes
    }

    public var description: String { message }
}

extension TimeturnerError {
    /// Wraps a libgit2 failure that the domain has no better words for.
    init(_ error: any GitErrorDescribing, doing what: String) {
        let cause = error.describedCause
        self.init(.failure, "could not \(what)", hint: Self.hint(forSystemError: cause), causes: [cause])
    }

    /// libgit2 words an operating-system failure as "failed to write out file: No space left on
    /// device", often without the path: the hint at least says what to look at.
    static func hint(forSystemError cause: String) -> String? {
        if cause.contains("No space left on device") || cause.contains("Disk quota exceeded") {
            return "the file system that holds the repository (its .git directory) is full: free some space, then run it again"
        }
        if cause.contains("Read-only file system") { return "the repository's .git directory is on a read-only file system" }
        if cause.contains("Permission denied") { return "check the permissions of the repository's .git directory and of the files in it" }
        return nil
    }
}

/// Lets the domain wrap GitKit errors without the CLI needing to know GitKit's types.
protocol GitErrorDescribing { var describedCause: String { get } }
