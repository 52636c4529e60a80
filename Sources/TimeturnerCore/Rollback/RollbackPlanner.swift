public import GitKit

/// Turns a request and the layered configuration into a checked `RollbackPlan`: the target,
/// the commits, the tiers and their captures, the verification commands (with trust checked)
/// and the ordered steps. Every policy decision of a rollback is made here, once.
///
/// Planning writes nothing: the new commits are built in an in-memory object store that is
/// thrown away, so a dry run leaves the object database byte for byte as it was.
public struct RollbackPlanner {
    let repository: Repository
    let configuration: TimeturnerConfiguration

    public init(repository: Repository, configuration: TimeturnerConfiguration) {
        self.repository = repository
        self.configuration = configuration
    }

    public func plan(_ request: RollbackRequest, by attribution: Attribution) throws(TimeturnerError) -> RollbackPlan {
        try request.validate()
        try Self.requireWorkTreeRepository(repository, for: "a rollback")
        let scratch: Repository
        do { scratch = try repository.inMemoryObjects() } catch { throw TimeturnerError(error, doing: "open the repository for planning (\(error))") }
        let id = UniqueID.stamped(at: attribution.time)
        var warnings: [String] = []
        let (code, basis) = try CodeRollbackPlanner(repository: scratch, id: id, attribution: attribution)
            .plan(request, warnings: &warnings)
        let tiers = try planTiers(request, target: code.target)
        let verification = try verificationCommands(request)
        return RollbackPlan(id: id, operation: .rollback, request: request, code: code, tiers: tiers, verification: verification,
                            steps: code.changesNothing && tiers.isEmpty ? []
                                : Self.steps(tiers: tiers, verification: verification, codeSteps: code.changesNothing ? [] : [.moveBranch, .updateWorkTree]),
                            warnings: warnings, basis: basis)
    }

    /// The order of a rollback (and, with other code steps, of an undo): lock, every tier's
    /// present state, the safety backup, then each tier in `Tier.order` (code runs `codeSteps`:
    /// none when the branch already holds the target's tree; the others call their executor
    /// and verify), then the verification commands, then the journal.
    static func steps(tiers: [PlannedTier], verification: [VerificationCommand],
                      codeSteps: [RollbackStep] = [.moveBranch, .updateWorkTree]) -> [RollbackStep] {
        var steps: [RollbackStep] = [.takeLock]
        steps += tiers.map { .captureTier($0.name) }
        steps.append(.writeSafetyBackup)
        for name in ([Tier.code] + tiers.map(\.name)).sorted(by: { Tier.rank($0) < Tier.rank($1) }) {
            steps += name == Tier.code ? codeSteps : [.rollBackTier(name), .verifyTier(name)]
        }
        steps += verification.indices.map(RollbackStep.runVerification)
        steps.append(.writeJournal)
        return steps
    }

    /// Command-line `--verify` first, then `timeturner.verify` from the layered configuration
    /// (`.timeturner` only once trusted, then git config, then `-c`).
    func verificationCommands(_ request: RollbackRequest) throws(TimeturnerError) -> [VerificationCommand] {
        let configured = configuration.values("timeturner.verify")
        try configuration.requireTrusted(configured, for: "verification (timeturner.verify)")
        let timeout = request.verifyTimeout
        return request.verifyCommands.map { VerificationCommand(command: $0, timeout: timeout, origin: "command line") }
            + configured.map { VerificationCommand(command: $0.value, timeout: timeout, origin: $0.origin.description) }
            + (try checkVerification(request))
    }

    /// The configured (and trusted) tiers that `--level` or `--tiers` select, each with the
    /// capture it returns to: the named point's, or the newest point on the target with
    /// captures of them all. A tier without a capture refuses the whole plan.
    func planTiers(_ request: RollbackRequest, target: OID) throws(TimeturnerError) -> [PlannedTier] {
        guard request.level != nil || request.tierNames != nil else { return [] }
        let selected = try Tier.select(level: request.level, names: request.tierNames, configured: try configuration.tierAssignments())
        guard !selected.isEmpty else { return [] }
        let found = try PointStore(repository: repository).capturePoint(for: target, named: request.target, tiers: selected.map(\.tier))
        let point = found.map { PointReference(id: $0.point.id, commit: $0.point.commit.hex) }
        let missing = selected.map(\.tier).filter { tier in !(found?.captures.contains { $0.tier == tier } ?? false) }
        if !missing.isEmpty {
            throw TimeturnerError(.refused, "the point \(point?.id ?? "") has no capture for the \(missing.joined(separator: ", ")) tier(s), so they cannot be rolled back to it",
                                  hint: "roll back fewer tiers (--tiers code,…), or choose a point made after those tiers were configured (git timeturner show <point> lists its captures)")
        }
        return selected.map { assignment in
            PlannedTier(assignment: assignment, target: found!.captures.first { $0.tier == assignment.tier }!.capture, point: point)
        }
    }

    /// The checks every operation that writes the work tree makes before reading anything else.
    static func requireWorkTreeRepository(_ repository: Repository, for operation: String) throws(TimeturnerError) {
        if repository.isBare {
            throw TimeturnerError(.refused, "this is a bare repository; \(operation) of code needs a work tree",
                                  hint: "run it in a clone with a work tree (points, marks and the journal work in bare repositories)")
        }
        if repository.isEmpty || repository.isHeadUnborn {
            throw TimeturnerError(.failure, "this repository has no commits on HEAD yet, so there is nothing to roll back",
                                  hint: "make a first commit, then try again")
        }
        try RepositoryAccess.requireFullHistory(repository, for: operation)
        if let operationInProgress = repository.inProgressOperation {
            throw TimeturnerError(.refused, "a git \(operationInProgress.rawValue) is in progress; \(operation) would mix with it",
                                  hint: "finish it or abort it first (git \(operationInProgress.rawValue) --continue or --abort), then run it again")
        }
    }
}
