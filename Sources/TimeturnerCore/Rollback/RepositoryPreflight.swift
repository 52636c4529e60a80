import GitKit

/// Conditions under which a rollback or undo must not start, checked when it is planned and
/// again under the lock before anything changes: an interrupted operation that `recover` has
/// not finished, a lock file of git's own, and the branch checked out in another worktree.
struct RepositoryPreflight {
    let repository: Repository

    func check(head: HeadPosition, operation: String, holdingLock: Bool = false) throws(TimeturnerError) {
        try requireNothingInterrupted(operation: operation, holdingLock: holdingLock)
        // The registry's too: every operation ends with a journal event, and a lock left there
        // would let it change everything and then fail to record it (undo finds it by its event).
        let locks = repository.gitLockFiles(forReferences: [head.movingReference, StorageLayout.registryRef])
        if !locks.isEmpty {
            throw TimeturnerError(.refused, "git's lock file\(locks.count == 1 ? "" : "s") \(locks.joined(separator: ", ")) exist\(locks.count == 1 ? "s" : ""): a git command is writing, or one crashed while writing; nothing was changed",
                                  hint: "wait for the running git to finish; if none runs (check with 'ps -C git'), remove the stale file: rm \(locks.map(Self.quoted).joined(separator: " "))")
        }
        if case .branch(let branch) = head {
            let others = repository.otherWorktrees(onBranch: branch)
            if !others.isEmpty {
                throw TimeturnerError(.refused, "\(head.displayName) is also checked out in the worktree \(others.joined(separator: ", ")); moving it here would leave that one silently stale; nothing was changed",
                                      hint: "run the \(operation) in that worktree, or switch it away first (git -C \(Self.quoted(others[0])) switch --detach)")
            }
        }
    }

    /// A `state.jsonl` without a live holder is an operation that died half way: a new one
    /// would overwrite what `recover` needs.
    private func requireNothingInterrupted(operation: String, holdingLock: Bool) throws(TimeturnerError) {
        let directory = OperationDirectory(repository: repository)
        guard let state = directory.readState() else { return }
        // Someone else is running right now: taking the lock reports them (exit 4).
        if !holdingLock, directory.lockExists, let holder = directory.currentHolder(), !holder.isStale { return }
        throw TimeturnerError(.refused, "\(state.operation) \(state.id) was interrupted at step \(state.stepLabel ?? state.step) and is not finished; a new \(operation) would lose what it needs",
                              hint: "run 'git timeturner recover' first ('git timeturner status' shows it), then run the \(operation) again")
    }

    static func quoted(_ path: String) -> String {
        path.allSatisfy { $0.isLetter || $0.isNumber || "/._-".contains($0) } ? path : "'" + path.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }
}
