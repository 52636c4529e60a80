/// A failed libgit2 call, with what we were doing when it failed.
///
/// libgit2 1.5.1 may leave `git_error_last()` NULL or stale, so failure is decided by the
/// return code alone and the message is read in the same synchronous call (see `Libgit2.check`).
public struct GitError: Error, Sendable, CustomStringConvertible {
    /// What the caller was doing, in words a user understands ("look up refs/timeturner/points/x").
    public let operation: String
    /// libgit2's return code (`GIT_ENOTFOUND`, `GIT_EMODIFIED`, …) as a Swift enum.
    public let code: Code
    /// libgit2's error class (`GIT_ERROR_REFERENCE`, …); 0 when libgit2 recorded none.
    public let errorClass: Int32
    /// libgit2's own message, if it left one.
    public let message: String

    public init(operation: String, code: Code, errorClass: Int32 = 0, message: String = "") {
        self.operation = operation
        self.code = code
        self.errorClass = errorClass
        self.message = message
    }

    public var description: String {
        message.isEmpty ? "\(operation): \(code)" : "\(operation): \(message)"
    }

    /// The libgit2 return codes the rest of the tool reacts to; anything else is `.other`.
    public enum Code: Equatable, Sendable, CustomStringConvertible {
        case notFound          // GIT_ENOTFOUND
        case exists            // GIT_EEXISTS
        case ambiguous         // GIT_EAMBIGUOUS
        case unbornBranch      // GIT_EUNBORNBRANCH
        case locked            // GIT_ELOCKED
        case modified          // GIT_EMODIFIED
        case conflict          // GIT_ECONFLICT
        case invalidSpec       // GIT_EINVALIDSPEC
        case owner             // GIT_EOWNER
        case nonFastForward    // GIT_ENONFASTFORWARD
        case other(Int32)

        init(rawValue: Int32) {
            switch rawValue {
            case -3: self = .notFound
            case -4: self = .exists
            case -5: self = .ambiguous
            case -9: self = .unbornBranch
            case -11: self = .nonFastForward
            case -12: self = .invalidSpec
            case -13: self = .conflict
            case -14: self = .locked
            case -15: self = .modified
            case -36: self = .owner
            default: self = .other(rawValue)
            }
        }

        public var description: String {
            switch self {
            case .notFound: "not found"
            case .exists: "already exists"
            case .ambiguous: "ambiguous"
            case .unbornBranch: "unborn branch"
            case .locked: "locked"
            case .modified: "modified concurrently"
            case .conflict: "conflict"
            case .invalidSpec: "invalid spec"
            case .owner: "repository not owned by current user"
            case .nonFastForward: "non-fast-forward"
            case .other(let raw): "libgit2 error \(raw)"
            }
        }

        /// Another writer got there first; re-read and try again.
        public var isContention: Bool { self == .modified || self == .locked }
    }
}
