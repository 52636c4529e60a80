import ArgumentParser
import GitKit
import TimeturnerCore
import TimeturnerExecutors

struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Roll the code back to a point, a commit or the last good commit, verified and reversible.",
        discussion: """
        Plans first (target, commits undone, files changed, verification, what is written where), \
        asks you to type 'rollback' (or --yes), then: takes .git/timeturner/lock, writes the safety \
        backup refs/timeturner/safety/<id>, moves the branch with compare-and-swap, updates the work \
        tree, runs the verification commands (--verify, and timeturner.verify from .timeturner once trusted, git config or -c) and, \
        if one fails, restores the exact state before the rollback (exit 5). Every rollback is journaled.

        Tiers beyond code: --level 1 (code, deploy), 2 (+ config, db) or 3 (+ system), or \
        --tiers code,db,…, roll back each configured tier to the point's capture with its executor \
        and verify it. Every tier's present state is captured first; if a tier or the \
        verification fails, the tiers already rolled back are restored from those captures in \
        reverse order and the code is restored (exit 5, or 6 if a restore fails). --escalate \
        retries at the next level when a level's verification fails.

        revert (default) adds one commit whose tree is the target's; reset moves the branch. \
        Uncommitted changes are carried across and captured in the safety backup; a rollback that \
        would write over them, or over an untracked file, is refused.

        Examples:
          git timeturner rollback --to pre-v2.5 --verify 'make smoke' --dry-run
          git timeturner rollback --env production --yes --reason "checkout 500s"
          git timeturner rollback --to v2.4.0 --mode reset --yes
          git timeturner rollback --commits HEAD~3..HEAD~1 --yes
          git timeturner rollback --to pre-v2.5 --level 2 --yes
          git timeturner rollback --to pre-v2.5 --tiers code,db --dry-run
          git timeturner rollback --env production --level 1 --escalate --yes
        """
    )

    @Option(help: "Where to go: a point id, a commit (any revision), or last-good (the default with --env).")
    var to: String?

    @Option(help: "The environment whose last good commit is the target.")
    var env: String?

    @Option(help: "revert (a new commit, keeps history) or reset (moves the branch).")
    var mode: ModeArgument = .init(value: .revert)

    @Option(help: "Revert only these commits (OLDER..NEWER or one commit), one reverse merge each.")
    var commits: String?

    @Option(help: "With --commits: the parent (from 1) to keep when reverting a merge commit.")
    var mainline: Int?

    @Option(name: .customLong("verify"), help: "A verification command, run with /bin/sh -c at the repository root (repeatable).")
    var verifyCommands: [String] = []

    @Option(help: "How long each verification command may run, e.g. 90s, 10m.")
    var verifyTimeout: TimeoutArgument = .init(value: TimeSpan(seconds: 300))

    @Option(help: "Tiers to roll back: 1 = code and deploy, 2 = + config and db, 3 = + system (configured tiers only).")
    var level: LevelArgument?

    @Option(help: "Exactly these tiers, e.g. code,db (each configured with timeturner.tier.<tier>.executor).")
    var tiers: String?

    @Flag(help: "With --level: when a level's verification fails (and was restored), try the next level.")
    var escalate = false

    @OptionGroup var configurationOptions: ConfigurationOptions

    @Flag(help: "Print the plan and change nothing.")
    var dryRun = false

    @Flag(help: "Do not ask for confirmation (for scripts and CI).")
    var yes = false

    @Option(help: "Why, for the journal and the revert commit's message.")
    var reason: String?

    @Flag(help: "Print the plan (with --dry-run) or the journal event as JSON.")
    var json = false

    func validate() throws {
        if level != nil && tiers != nil { throw ValidationError("--level and --tiers cannot be combined") }
        if escalate && level == nil { throw ValidationError("--escalate needs --level (it moves to the next level)") }
    }

    func run() async throws {
        let context = CommandContext.process
        let repository = try context.openRepository()
        let attribution = try context.attribution(in: repository)
        let names = try tiers.map { (text) throws(TimeturnerError) in try Tier.parseList(text) }
        var currentLevel = level?.value
        while true {
            let outcome = try await attempt(level: currentLevel, names: names, context: context, repository: repository,
                                            attribution: attribution)
            guard let outcome else { return }  // dry run
            if let error = outcome.error {
                if escalate, error.kind == .verificationFailedRestored, let next = currentLevel?.next {
                    context.terminal.report(error)
                    context.terminal.err("escalating: level \(currentLevel!.rawValue) failed and was restored; trying level \(next.rawValue) (\(next.tiers.joined(separator: ", ")))")
                    currentLevel = next
                    continue
                }
                throw error
            }
            return
        }
    }

    /// One planned, confirmed and executed rollback at `level` (or with `names`); nil for a dry run.
    private func attempt(level: RollbackLevel?, names: [String]?, context: CommandContext, repository: Repository,
                         attribution: Attribution) async throws -> OperationOutcome? {
        // Verification commands from the layered configuration: .timeturner ones run only when trusted.
        let configuration = try context.configuration(in: repository, overrides: configurationOptions.overrides)
        let verifySettings = configuration.values("timeturner.verify")
        try configuration.requireTrusted(verifySettings, for: "verification (timeturner.verify)")
        var request = RollbackRequest(target: to, environment: env, mode: mode.value, commits: commits, mainline: mainline,
                                      verifyCommands: verifyCommands, verifyTimeout: verifyTimeout.value, reason: reason)
        request.configuredVerifyCommands = verifySettings.map(\.value)
        let plan = try RollbackPlanner(repository: repository).plan(request, by: attribution)
        plan.warnings.forEach(context.terminal.warning)

        // Tiers beyond code: configured (and trusted), selected by --level/--tiers, each with a
        // capture on the target's point. All checked before anything is shown as a plan.
        var session: TierRollbackSession? = nil
        if level != nil || names != nil {
            let selected = try Tier.select(level: level, names: names, configured: try configuration.tierAssignments())
            if !selected.isEmpty {
                let found = try PointStore(repository: repository).capturePoint(for: plan.target, named: to, tiers: selected.map(\.tier))
                session = try TierRollbackSession(tiers: selected, captures: found?.captures ?? [],
                                                  point: found.map { PointReference(id: $0.point.id, commit: $0.point.commit.hex) },
                                                  executing: context.tierRunner(for: configuration))
            }
        }
        let tierCalls = session?.plannedCalls ?? []
        if dryRun {
            if json {
                guard case .object(var fields) = plan.json else { return nil }
                fields["level"] = level.map { .int(Int64($0.rawValue)) } ?? .null
                fields["tierCalls"] = .array(tierCalls.map(JSONValue.string))
                context.printJSON(.object(fields))
            } else {
                PlanRenderer(terminal: context.terminal).render(plan, dryRun: true, tierCalls: tierCalls, level: level)
            }
            return nil
        }
        if !json || !yes { PlanRenderer(terminal: context.terminal).render(plan, dryRun: false, toStandardError: json, tierCalls: tierCalls, level: level) }
        try Confirmation.require("rollback", skip: yes, terminal: context.terminal, what: "a rollback")

        // The present state of every tier, so a failure can put it back; nothing changed yet.
        if let session { try await session.captureBefore() }
        let engine = context.rollbackEngine(for: repository, attribution: attribution)
        let outcome = try await engine.execute(plan.approve(), verifier: ShellVerifier(environment: context.environment),
                                               tiers: session.map(ExecutorRollbackTier.all(in:)) ?? [])
        if json {
            context.printJSON(outcome.event)
        } else if outcome.error == nil {
            let t = context.terminal
            t.out("Rolled back \(plan.head.displayName) to \(plan.target.short) (\(Terminal.escaped(plan.targetName))) in \(outcome.event["durationMs"]?.intValue ?? 0) ms: \(plan.mode.rawValue), rollback \(plan.id)")
            if let session { t.out("  tiers:         code, " + session.tiers.map(\.tier).joined(separator: ", ")) }
            t.out("  safety backup: \(plan.safetyRef)")
            t.out("  undo it:       git timeturner undo \(plan.id)")
        }
        return outcome
    }
}

/// The plan, as a person reads it before typing `rollback`.
struct PlanRenderer {
    let terminal: Terminal

    func render(_ plan: RollbackPlan, dryRun: Bool, toStandardError: Bool = false, tierCalls: [String] = [], level: RollbackLevel? = nil) {
        let emit: (String) -> Void = toStandardError ? { terminal.err($0) } : { terminal.out($0) }
        emit((dryRun ? "Rollback plan (dry run, nothing will change)" : "Rollback plan") + " \(plan.id)")
        emit("  branch   \(Terminal.escaped(plan.head.displayName)) at \(plan.from.short)")
        emit("  target   \(Terminal.escaped(plan.targetName)): \(plan.target.short) \(Terminal.escaped(plan.targetSummary))")
        emit("  mode     \(plan.mode.rawValue)" + (plan.selectedRange.map { ", only the commits in \(Terminal.escaped($0))" } ?? "")
             + (plan.mainline.map { ", mainline \($0)" } ?? ""))
        if let reason = plan.reason { emit("  reason   \(Terminal.escaped(reason))") }
        let merges = plan.commits.filter(\.isMerge).count
        emit("  commits  \(plan.commits.count) \(plan.selectedRange == nil ? "undone" : "reverted")" +
             (merges > 0 && plan.selectedRange == nil ? " (\(merges) merge\(merges == 1 ? "" : "s"): the target's tree is restored, no mainline needed)" : ""))
        for commit in plan.commits.prefix(20) {
            emit("    \(commit.id.short) \(Terminal.escaped(commit.summary))\(commit.isMerge ? " (merge)" : "")")
        }
        if plan.commits.count > 20 { emit("    … and \(plan.commits.count - 20) more") }
        emit("  files    \(plan.changes.count) changed")
        for change in plan.changes.prefix(20) { emit("    \(change.kind.rawValue.padding(12)) \(Terminal.escaped(change.path))") }
        if plan.changes.count > 20 { emit("    … and \(plan.changes.count - 20) more") }
        if plan.isDirty {
            emit("  carried  \(plan.dirtyPaths.count) uncommitted and \(plan.untrackedPaths.count) untracked file(s), untouched and captured in the safety backup")
        }
        if let level { emit("  level    \(level.rawValue): \(level.tiers.joined(separator: ", ")) (configured tiers only)") }
        if !tierCalls.isEmpty {
            emit("  tiers    \(tierCalls.count) executor call(s), in order; on failure the changed tiers are restored in reverse")
            for call in tierCalls { emit("    \(Terminal.escaped(call))") }
        }
        if plan.verifyCommands.isEmpty {
            emit("  verify   nothing (add --verify <command>, or timeturner.verify in .timeturner or git config)")
        } else {
            for command in plan.verifyCommands { emit("  verify   \(Terminal.escaped(command)) (timeout \(plan.verifyTimeout))") }
        }
        emit("  writes")
        for write in plan.writes { emit("    \(Terminal.escaped(write))") }
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}

struct ModeArgument: ExpressibleByArgument {
    let value: RollbackMode
    init(value: RollbackMode) { self.value = value }
    init?(argument: String) {
        guard let value = RollbackMode(rawValue: argument.lowercased()) else { return nil }
        self.value = value
    }
    static var allValueStrings: [String] { RollbackMode.allCases.map(\.rawValue) }
    var defaultValueDescription: String { value.rawValue }
}

struct TimeoutArgument: ExpressibleByArgument {
    let value: TimeSpan
    init(value: TimeSpan) { self.value = value }
    init?(argument: String) {
        // A bare number means seconds, like `timeout 30`.
        guard let value = TimeSpan(parsing: argument) ?? Int64(argument).map({ TimeSpan(seconds: $0) }), value.seconds > 0 else { return nil }
        self.value = value
    }
    var defaultValueDescription: String { value.description }
}

struct LevelArgument: ExpressibleByArgument {
    let value: RollbackLevel
    init?(argument: String) {
        guard let number = Int(argument), let value = RollbackLevel(rawValue: number) else { return nil }
        self.value = value
    }
    static var allValueStrings: [String] { RollbackLevel.allCases.map { String($0.rawValue) } }
}
