/// The lock of a rollback or undo approved before it is planned (`--yes`), taken before the plan is made.
///
/// With a prompt the lock waits for the answer, so execution must read HEAD and the work tree
/// again under it (a person may take minutes, and an editor may save meanwhile). Approved in
/// advance, there is nothing to wait for: the lock is taken first, the plan's own reading of the
/// repository is made under it, and the steps act on exactly what the plan read. That is the
/// same guarantee with one work-tree scan instead of two (docs/rollback.md, "When the lock is taken").
public struct PlanningLock: Sendable {
    let lock: OperationLock
    /// The plan this lock was taken for; the engine refuses it for any other.
    let id: String

    /// Ends the attempt without executing it (a refusal while planning, nothing to do). After
    /// `execute(_:approval:plannedUnder:)` the engine has released it: never call both.
    func release() { lock.release() }
}

extension RollbackEngine {
    /// Takes the lock for the plan `id` and checks, under it, what the operation must not start
    /// on (an interrupted operation, git's own lock files, the branch in another worktree).
    private func lockForPlanning(id: String, operation: String) throws(TimeturnerError) -> PlanningLock {
        let head: HeadPosition
        do { head = try HeadPosition.current(in: repository) } catch { throw TimeturnerError(error, doing: "read HEAD") }
        // First without the lock, as the planner checks: an interrupted operation is reported
        // as such (exit 3, run recover), not as the stale lock it left behind (exit 4).
        try RepositoryPreflight(repository: repository).check(head: head, operation: operation)
        let lock = try directory.acquire(operation: operation, id: id, now: attribution.time)
        do throws(TimeturnerError) {
            try RepositoryPreflight(repository: repository).check(head: head, operation: operation, holdingLock: true)
        } catch {
            lock.release()
            throw error
        }
        return PlanningLock(lock: lock, id: id)
    }

    /// One attempt of `operation` under a fresh id: `body` plans, confirms and executes it.
    /// Approved in advance, the lock is taken first and handed to `body`, with signals watched
    /// as during execution (a Ctrl-C while planning ends the attempt through the engine, which
    /// removes the lock, instead of killing the process with the lock left behind);
    /// `body` passes it to `execute(_:approval:plannedUnder:)` (which releases it) or releases
    /// it itself when it ends otherwise without throwing; a throw releases it here.
    func attempt<Outcome>(_ operation: String, approval timing: ApprovalTiming,
                          _ body: (_ id: String, _ lock: PlanningLock?) async throws(TimeturnerError) -> Outcome) async throws(TimeturnerError) -> Outcome {
        let id = UniqueID.stamped(at: attribution.time)
        guard timing == .inAdvance else { return try await body(id, nil) }
        let lock = try lockForPlanning(id: id, operation: operation)
        let outcome: Result<Outcome, TimeturnerError> = await armed {
            do throws(TimeturnerError) { return .success(try await body(id, lock)) } catch { return .failure(error) }
        }
        switch outcome {
        case .success(let made): return made
        case .failure(let error):
            lock.release()
            throw reportingInterruption(error)
        }
    }

    /// Runs `body` with signals turned into an interruption the engine's steps see.
    func armed<T>(_ body: () async -> T) async -> T {
        guard let interruption else { return await body() }
        return await interruption.armed(body)
    }

    /// The error to report when planning under the lock ended with `error`: the signal, if one
    /// arrived meanwhile (the refusal may only be its consequence), else `error` itself.
    func reportingInterruption(_ error: TimeturnerError) -> TimeturnerError {
        guard let signal = interruption?.signal else { return error }
        if case .interrupted = error.kind { return error }
        return TimeturnerError(.interrupted(signal: signal), "interrupted by \(Interruption.name(of: signal)) while planning; nothing was changed",
                               causes: [error.message] + error.causes)
    }

    /// A signal that arrived while the attempt was planned under the lock: it stops the
    /// attempt before execution, as it would stop the next step.
    func requireNotInterruptedWhilePlanning() throws(TimeturnerError) {
        guard let signal = interruption?.signal else { return }
        throw TimeturnerError(.interrupted(signal: signal), "interrupted by \(Interruption.name(of: signal)) while planning; nothing was changed")
    }
}
