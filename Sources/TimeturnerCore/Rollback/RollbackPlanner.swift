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

    /// `id`: the rollback's id, when the caller took the lock for it before planning.
    /// `readingAhead`: the plan is executed as soon as it is made (approved in advance), so the
    /// files its checkout writes are read on another thread meanwhile (never for a dry run).
    public func plan(_ request: RollbackRequest, id: String? = nil, readingAhead: Bool = false,
                     by attribution: Attribution) throws(TimeturnerError) -> RollbackPlan {
        try request.validate()
        try Self.requireWorkTreeRepository(repository, for: "a rollback")
        let id = id ?? UniqueID.stamped(at: attribution.time)
        var warnings: [String] = []
        let (code, basis) = try CodeRollbackPlanner(repository: repository, id: id, attribution: attribution, readingAhead: readingAhead)
            .plan(request, warnings: &warnings)
        let tiers = try planTiers(request, target: code.target, targetName: code.targetName)
        let verification = try verificationCommands(request)
        let includesCode = request.tierNames?.contains(Tier.code) ?? true
        if !includesCode && tiers.isEmpty {
            throw TimeturnerError(.usage, "--tiers names no tier to roll back", hint: "for example: --tiers db, or --tiers code,config")
        }
        let codePhase = try configuration.codePhase()
        let changes = (!code.changesNothing && includesCode) || !tiers.isEmpty
        let activation = changes ? try configuration.activation(environment: request.environment) : nil
        let codeSteps: [RollbackStep] = code.changesNothing || !includesCode ? [] : [.moveBranch, .updateWorkTree]
        return RollbackPlan(id: id, operation: .rollback, request: request, code: code, tiers: tiers, verification: verification,
                            activation: activation, codePhase: codePhase,
                            steps: changes ? Self.steps(tiers: tiers, codePhase: codePhase, activation: activation != nil,
                                                        verification: verification, codeSteps: codeSteps) : [],
                            warnings: warnings + Self.dataLossWarnings(tiers), basis: basis)
    }

    /// The order of a rollback (and, with other code steps, of an undo), in phases: lock; every
    /// tier's present state; the safety backup; each tier's rollback by phase (code runs
    /// `codeSteps`: none when the branch already holds the target's tree); `activate` once
    /// everything is in place; each tier's own verification (after the restart, so a health
    /// check sees the restarted system); the verification commands; the journal.
    static func steps(tiers: [PlannedTier], codePhase: Int, activation: Bool, verification: [VerificationCommand],
                      codeSteps: [RollbackStep] = [.moveBranch, .updateWorkTree]) -> [RollbackStep] {
        var steps: [RollbackStep] = [.takeLock]
        steps += tiers.map { .captureTier($0.name) }
        steps.append(.writeSafetyBackup)
        let ordered = ([(name: Tier.code, phase: codePhase)] + tiers.map { (name: $0.name, phase: $0.phase) })
            .sorted { ($0.phase, Tier.defaultPhase($0.name), $0.name) < ($1.phase, Tier.defaultPhase($1.name), $1.name) }
        for tier in ordered {
            steps += tier.name == Tier.code ? codeSteps : [.rollBackTier(tier.name)]
        }
        if activation { steps.append(.activate) }
        steps += ordered.filter { $0.name != Tier.code }.map { .verifyTier($0.name) }
        steps += verification.indices.map(RollbackStep.runVerification)
        steps.append(.writeJournal)
        return steps
    }

    /// One line per tier whose rollback throws data away, for the plan and the prompt.
    static func dataLossWarnings(_ tiers: [PlannedTier]) -> [String] {
        tiers.compactMap { tier in
            tier.discards.map { "data loss: rolling back the \(tier.name) tier discards \($0)" + (tier.capturedAt.map { " (captured \($0.rfc3339))" } ?? "") }
        }
    }

    /// Command-line `--verify` first, then `timeturner.verify` from the layered configuration
    /// (`.timeturner` only once trusted, then git config, then `-c`).
    func verificationCommands(_ request: RollbackRequest) throws(TimeturnerError) -> [VerificationCommand] {
        let configured = configuration.values("timeturner.verify")
        try configuration.requireTrusted(configured, for: "verification (timeturner.verify)")
        // An empty command "passes" without checking anything: refuse it rather than report a verified rollback.
        if let empty = configured.first(where: { $0.value.allSatisfy(\.isWhitespace) }) {
            throw TimeturnerError(.usage, "timeturner.verify (from \(empty.origin)) is empty: it would pass without checking anything",
                                  hint: "set a command that exits 0 when the application works, or remove the empty line")
        }
        if request.verifyCommands.contains(where: { $0.allSatisfy(\.isWhitespace) }) {
            throw TimeturnerError(.usage, "--verify is given an empty command: it would pass without checking anything",
                                  hint: "give a command that exits 0 when the application works, e.g. --verify 'make smoke'")
        }
        let timeout = request.verifyTimeout
        return request.verifyCommands.map { VerificationCommand(command: $0, timeout: timeout, origin: "command line") }
            + configured.map { VerificationCommand(command: $0.value, timeout: timeout, origin: $0.origin.description) }
            + (try checkVerification(request))
    }

    /// The configured (and trusted) tiers that `--level` or `--tiers` select, each with the
    /// capture it returns to: the named point's, or the newest point on the target with
    /// captures of them all. A tier without a capture refuses the whole plan.
    func planTiers(_ request: RollbackRequest, target: OID, targetName: String) throws(TimeturnerError) -> [PlannedTier] {
        guard request.level != nil || request.tierNames != nil else { return [] }
        let selected = try Tier.select(level: request.level, names: request.tierNames, configured: try configuration.tierAssignments())
        guard !selected.isEmpty else { return [] }
        let found = try PointStore(repository: repository).capturePoint(for: target, named: request.target, tiers: selected.map(\.tier))
        let point = found.map { PointReference(id: $0.point.id, commit: $0.point.commit.hex) }
        let missing = selected.map(\.tier).filter { tier in !(found?.captures.contains { $0.tier == tier } ?? false) }
        if !missing.isEmpty {
            throw Self.missingCaptures(missing, point: point, target: target, targetName: targetName, environment: request.environment)
        }
        return try selected.map { (assignment) throws(TimeturnerError) in
            let record = found!.captures.first { $0.tier == assignment.tier }!
            let phase = try Tier.phase(assignment.tier, setting: assignment.setting("order"), origin: "configuration")
            return PlannedTier(assignment: assignment, target: record.capture, point: point, phase: phase,
                               capturedAt: record.at, discards: record.discards)
        }
    }

    /// Tiers can only go back to a state someone captured on that commit. The message names the
    /// commit and how to capture next time; it does not suggest rolling back fewer tiers, which
    /// would run old code on the present data.
    static func missingCaptures(_ missing: [String], point: PointReference?, target: OID, targetName: String,
                                environment: String?) -> TimeturnerError {
        let tiers = missing.joined(separator: ", ")
        let capture = "git timeturner good \(target.short)" + (environment.map { " --env \($0)" } ?? " --env <env>") + " --capture"
        if let point {
            return TimeturnerError(.refused, "\(targetName) is \(target.short); its point \(point.id) has no capture of the \(tiers) tier(s), so they cannot be rolled back to it; nothing was changed",
                                   hint: "capture every tier when you deploy (\(capture), which hooks/post-deploy runs), or choose a point that has them ('git timeturner show <point>' lists its captures)")
        }
        return TimeturnerError(.refused, "\(targetName) is \(target.short), and no point on that commit has a capture of the \(tiers) tier(s), so they cannot be rolled back to it; nothing was changed",
                               hint: "tiers can only return to a state captured on the deployed commit: capture it when you deploy (\(capture), which hooks/post-deploy runs); rolling back the code alone would run it on the present \(tiers)")
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
