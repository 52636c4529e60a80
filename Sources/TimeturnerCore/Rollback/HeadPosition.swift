import GitKit

/// Where HEAD is: on a branch (the ref that moves) or detached (HEAD itself moves).
public enum HeadPosition: Equatable, Sendable {
    case branch(String)
    case detached

    /// The reference a rollback compares and moves.
    public var movingReference: String {
        switch self {
        case .branch(let name): name
        case .detached: "HEAD"
        }
    }

    /// `refs/heads/main`, or `detached` — the form stored in the safety commit and state.
    public var recorded: String {
        switch self {
        case .branch(let name): name
        case .detached: "detached"
        }
    }

    init(recorded: String) {
        self = recorded == "detached" ? .detached : .branch(recorded)
    }

    public var displayName: String {
        switch self {
        case .branch(let name): name.hasPrefix("refs/heads/") ? String(name.dropFirst("refs/heads/".count)) : name
        case .detached: "detached HEAD"
        }
    }

    static func current(in repository: Repository) throws(GitError) -> HeadPosition {
        if let head = try repository.reference("HEAD"), let branch = head.symbolicTarget { return .branch(branch) }
        return .detached
    }
}
