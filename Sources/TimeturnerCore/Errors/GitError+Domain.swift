public import GitKit

extension GitError: GitErrorDescribing {
    var describedCause: String { description }
}

extension UpdateError: GitErrorDescribing {
    var describedCause: String {
        switch self {
        case .build(let error): "\(error)"
        case .git(let error): error.description
        case .gaveUp(let name, let attempts, let last) where last?.code == .locked:
            // Every attempt found the ref locked: a lock file left in place (a crash), not writers
            // taking turns, which would have let one attempt through.
            "\(name).lock stayed in place for all \(attempts) attempts: a git command is writing \(name), or one crashed while writing it; if none runs, remove the stale \(name).lock in the repository's git directory"
                + (last.map { " (last: \($0.description))" } ?? "")
        case .gaveUp(let name, let attempts, let last):
            "\(name) kept changing under concurrent writers; gave up after \(attempts) attempts"
                + (last.map { " (last: \($0.description))" } ?? "")
        }
    }
}
