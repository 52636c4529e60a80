public import GitKit

extension GitError: GitErrorDescribing {
    var describedCause: String { description }
}

extension UpdateError: GitErrorDescribing {
    var describedCause: String {
        switch self {
        case .build(let error): "\(error)"
        case .git(let error): error.description
        case .gaveUp(let name, let attempts, let last):
            "\(name) kept changing under concurrent writers; gave up after \(attempts) attempts"
                + (last.map { " (last: \($0.description))" } ?? "")
        }
    }
}
