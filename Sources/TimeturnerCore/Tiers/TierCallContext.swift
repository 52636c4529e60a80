internal import FoundationEssentials
internal import Glibc
public import GitKit

/// What a tier call is about besides the tier itself: the code being left and the code whose
/// state the call returns to, and, for executors that ask, directories holding those commits'
/// trees. An executor that migrates a database needs the migration scripts of the release
/// being left (only they know the present revision), which the code rollback may already
/// have removed from the work tree; `checkouts` gives it them whatever the phase order.
public struct TierCallContext: Sendable, Equatable {
    /// The commit the system runs when the call starts.
    public var from: OID?
    /// For a rollback: the commit whose state the call returns to.
    public var to: OID?
    /// Directories with exactly the trees of `from` and `to`, when the executor asked for them.
    public var checkoutFrom: String?
    public var checkoutTo: String?

    public init(from: OID? = nil, to: OID? = nil, checkoutFrom: String? = nil, checkoutTo: String? = nil) {
        self.from = from
        self.to = to
        self.checkoutFrom = checkoutFrom
        self.checkoutTo = checkoutTo
    }
}

/// Read-only copies of commits' trees for one operation, under `.git/timeturner/checkouts/`,
/// made on first use (each commit once) and removed when the operation ends. A copy is
/// written into a temporary directory and renamed into place, so a half-written copy is never
/// handed to an executor; one left by a crash is removed by the next operation.
public final class TreeCheckouts: @unchecked Sendable {
    let repository: Repository
    public let root: String
    private var made: [OID: String] = [:]

    public init(repository: Repository, operationID: String) {
        self.repository = repository
        root = OperationDirectory(repository: repository).path + "/checkouts/" + operationID
    }

    /// The directory holding `commit`'s tree, writing it first if this operation has not yet.
    public func directory(for commit: OID) throws(TimeturnerError) -> String {
        if let path = made[commit] { return path }
        let path = root + "/" + commit.hex
        let partial = path + ".partial"
        try? FileManager.default.removeItem(atPath: partial)
        try LocalFile.makeDirectories(partial)
        do {
            let tree = try repository.commit(commit).tree
            try repository.export(tree: tree, to: partial)
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw TimeturnerError(.failure, "could not write a copy of \(commit.short)'s files into \(partial) for a tier executor",
                                  hint: "check the free space and permissions there", causes: [error.description])
        }
        guard rename(partial, path) == 0 else {
            let cause = LocalFile.describeErrno(errno)
            try? FileManager.default.removeItem(atPath: partial)
            throw TimeturnerError(.failure, "could not move the copy of \(commit.short) into place at \(path): \(cause)")
        }
        made[commit] = path
        return path
    }

    /// The context for a call from `from` to `to`, with copies of both trees when `wanted`.
    public func context(from: OID?, to: OID?, wanted: Bool) throws(TimeturnerError) -> TierCallContext {
        guard wanted else { return TierCallContext(from: from, to: to) }
        return TierCallContext(from: from, to: to, checkoutFrom: try from.map(directory(for:)), checkoutTo: try to.map(directory(for:)))
    }

    /// Removes every copy this operation made (and the operation's folder).
    public func removeAll() {
        try? FileManager.default.removeItem(atPath: root)
        made = [:]
    }

    /// Copies left by operations that ended without removing theirs (a crash, SIGKILL): taken
    /// under the lock, so none of them is in use.
    public static func removeLeftovers(in repository: Repository) {
        try? FileManager.default.removeItem(atPath: OperationDirectory(repository: repository).path + "/checkouts")
    }
}
