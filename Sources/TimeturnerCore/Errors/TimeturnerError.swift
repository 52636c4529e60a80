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
        self.init(.failure, "could not \(what)", causes: [error.describedCause])
    }
}

/// Lets the domain wrap GitKit errors without the CLI needing to know GitKit's types.
protocol GitErrorDescribing { var describedCause: String { get } }
