/// How the code tier goes back.
public enum RollbackMode: String, Sendable, CaseIterable, Codable {
    /// One new commit on top of HEAD whose tree is the target's (or, with `--commits`, one
    /// reverse merge per commit). History is kept; safe on shared branches.
    case revert
    /// Move the branch (or detached HEAD) to the target; the commits after it leave the branch
    /// and stay reachable from the safety ref.
    case reset
}

/// What the user asked for, before anything was looked up. Everything that decides what runs
/// (verification sources, trust, tiers, escalation) is decided from this and the layered
/// configuration by `RollbackPlanner`, nowhere else.
public struct RollbackRequest: Sendable {
    /// A point id, a commit-ish, or `last-good`. Nil with an environment means `last-good`.
    public var target: String?
    public var environment: String?
    public var mode: RollbackMode
    /// `A..B` or one commit: revert only these commits (revert mode only).
    public var commits: String?
    /// The parent (1-based) to revert merge commits towards, with `commits`.
    public var mainline: Int?
    /// Verification commands given on the command line; `timeturner.verify` is added by the planner.
    public var verifyCommands: [String]
    public var verifyTimeout: TimeSpan
    public var reason: String?
    /// `--level`: the configured tiers of that level. Exclusive with `tierNames`.
    public var level: RollbackLevel?
    /// `--tiers`: exactly these tiers; without `code` the branch stays where it is (a partial
    /// rollback of the database, the configuration or the deployed release alone).
    public var tierNames: [String]?
    /// `--escalate`: when a level fails verification and is restored, try the next level.
    public var escalate: Bool
    /// `--accept-data-loss`: with `--yes`, go ahead although a tier's rollback discards data
    /// (a dump restored: writes since it are lost). At the prompt, the person sees the loss and types.
    public var acceptDataLoss: Bool = false
    /// `--check`: checks (timeturner.check.<name>) that verify the result over their window;
    /// `timeturner.verify-check` is added by the planner.
    public var checks: [String] = []
    /// Where `checks` came from, as the plan shows it: the command line, or the guard or
    /// trigger run that asked for the rollback.
    public var checksOrigin = "command line"
    /// `--fast`: checks are measured once, without their window; only for a known-good target.
    public var fast: Bool = false
    /// Which attempt of an escalating rollback this is (1 for the first), and the id of the
    /// attempt it escalated from. Set by `RollbackPipeline`, never by the user.
    public internal(set) var attempt: Int = 1
    public internal(set) var escalatedFrom: String?

    public init(target: String? = nil, environment: String? = nil, mode: RollbackMode = .revert, commits: String? = nil,
                mainline: Int? = nil, verifyCommands: [String] = [], verifyTimeout: TimeSpan = TimeSpan(seconds: 300),
                reason: String? = nil, level: RollbackLevel? = nil, tierNames: [String]? = nil, escalate: Bool = false) {
        self.target = target
        self.environment = environment
        self.mode = mode
        self.commits = commits
        self.mainline = mainline
        self.verifyCommands = verifyCommands
        self.verifyTimeout = verifyTimeout
        self.reason = reason
        self.level = level
        self.tierNames = tierNames
        self.escalate = escalate
    }

    /// The same request one level up, for `--escalate`; nil when there is no next level.
    func escalated(after failedAttempt: String) -> RollbackRequest? {
        guard escalate, let next = level?.next else { return nil }
        var request = self
        request.level = next
        request.attempt = attempt + 1
        request.escalatedFrom = failedAttempt
        return request
    }

    /// Request checks that need nothing looked up.
    func validate() throws(TimeturnerError) {
        if commits != nil && mode == .reset {
            throw TimeturnerError(.usage, "--commits reverts selected commits and cannot be combined with --mode reset",
                                  hint: "drop --mode reset, or use --to with --mode reset")
        }
        if commits != nil && target != nil {
            throw TimeturnerError(.usage, "--commits and --to name what to undo in two different ways; give one")
        }
        if mainline != nil && commits == nil {
            throw TimeturnerError(.usage, "--mainline only applies to --commits",
                                  hint: "a rollback --to a target restores its tree; merges in between need no mainline")
        }
        if target == nil && environment == nil && commits == nil {
            throw TimeturnerError(.usage, "no rollback target",
                                  hint: "say where to go: --to <point id | commit | last-good>, or --env <environment> for its last good commit")
        }
        if let mainline, mainline < 1 {
            throw TimeturnerError(.usage, "--mainline counts parents from 1", hint: "--mainline 1 keeps the branch the merge was made on")
        }
        if level != nil && tierNames != nil { throw TimeturnerError(.usage, "--level and --tiers cannot be combined") }
        if escalate && level == nil {
            throw TimeturnerError(.usage, "--escalate needs --level (it moves to the next level)")
        }
    }
}
