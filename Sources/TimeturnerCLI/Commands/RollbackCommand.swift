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
        tree, runs the verification commands (--verify, and timeturner.verify from .timeturner once trusted, git config or -c) \
        and checks (--check, timeturner.verify-check: passed over their window; --fast measures once, for a target marked good) and, \
        if one fails, restores the exact state before the rollback (exit 5). Every rollback is journaled.

        Tiers beyond code: --level 1 (code, deploy), 2 (+ config, db) or 3 (+ system), or \
        --tiers code,db,… (without code: that tier alone, the branch stays), roll back each \
        configured tier to the point's capture with its executor. Every executor is asked first \
        with a dry run (artifacts present, checksums right, room for the captures); then every \
        tier's present state is captured, and the tiers run in phases: system, db, config, code, \
        deploy (timeturner.tier.<tier>.order moves one), then timeturner.activate once (restart), \
        then each tier's verify. If a tier, the activation or the verification fails, what was \
        rolled back is restored in reverse order and activated again (exit 5, or 6 if a restore \
        fails). A tier whose capture discards data (a dump: writes since it are lost) says so in \
        the plan and needs the prompt or --accept-data-loss. --escalate retries at the next level \
        when a level's verification fails.

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
          git timeturner rollback --env production --check error-rate --yes
          git timeturner rollback --env production --check health --fast --yes
        """
    )

    @Option(help: "Where to go: a point id, a commit (any revision), or last-good (the default with --env).")
    var to: String?

    @Option(help: "The environment whose last good commit is the target.")
    var env: String?

    @Option(help: "revert (a new commit, keeps history) or reset (moves the branch).")
    var mode: ModeArgument = Self.defaultMode

    @Option(help: "Revert only these commits (OLDER..NEWER or one commit), one reverse merge each.")
    var commits: String?

    @Option(help: "With --commits: the parent (from 1) to keep when reverting a merge commit.")
    var mainline: Int?

    @Option(name: .customLong("verify"), help: "A verification command, run with /bin/sh -c at the repository root (repeatable).")
    var verifyCommands: [String] = []

    @Option(name: .customLong("check"), help: "A check (timeturner.check.<name>) that verifies the result over its window (repeatable).")
    var checks: [String] = []

    @Flag(help: "Measure the checks once, without their window: only for a target already marked good (recorded in the journal).")
    var fast = false

    @Option(help: "How long each verification command may run, e.g. 90s, 10m.")
    var verifyTimeout: TimeoutArgument = Self.defaultVerifyTimeout

    @Option(help: "Tiers to roll back: 1 = code and deploy, 2 = + config and db, 3 = + system (configured tiers only).")
    var level: LevelArgument?

    @Option(help: "Exactly these tiers, e.g. code,db; without code the branch stays (db, config or deploy alone).")
    var tiers: String?

    @Flag(help: "With --yes: go ahead although a tier's rollback discards data (a dump restored; the plan says since when).")
    var acceptDataLoss = false

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
        let configuration = try context.configuration(in: repository, overrides: configurationOptions.overrides)
        if !dryRun, let ended = try AbandonedGuard.end(in: repository, by: attribution) {
            context.terminal.warning("ended guard \(ended.id) as abandoned (\(ended.error ?? "its process is gone"))")
        }
        var request = RollbackRequest(
            target: to, environment: env, mode: mode.value, commits: commits, mainline: mainline,
            verifyCommands: verifyCommands, verifyTimeout: verifyTimeout.value, reason: reason, level: level?.value,
            tierNames: try tiers.map { (text) throws(TimeturnerError) in try Tier.parseList(text) }, escalate: escalate)
        request.acceptDataLoss = acceptDataLoss
        request.checks = checks
        request.fast = fast
        let pipeline = context.rollbackPipeline(for: repository, attribution: attribution, configuration: configuration)
        // --yes approves before the plan exists: the lock is taken first and the plan made under it.
        let timing: ApprovalTiming = yes && !dryRun ? .inAdvance : .afterThePlan
        let last = try await pipeline.run(request, approval: timing, confirm: { (plan) throws(TimeturnerError) in
            try confirm(plan, context: context)
        }, attempted: { attempt in
            show(attempt, context: context)
        })
        if let error = last?.result.error { throw error }
    }

    /// Shows the plan; nil after a dry run, else the approval from the prompt or `--yes`.
    private func confirm(_ plan: RollbackPlan, context: CommandContext) throws(TimeturnerError) -> Approval? {
        plan.warnings.forEach(context.terminal.warning)
        if dryRun {
            if json { context.printJSON(plan.json) } else { PlanRenderer(terminal: context.terminal).render(plan, dryRun: true) }
            return nil
        }
        if !json || !yes { PlanRenderer(terminal: context.terminal).render(plan, dryRun: false, toStandardError: json) }
        return try context.approve(plan, yes: yes, what: "a rollback")
    }

    private func show(_ attempt: RollbackAttempt, context: CommandContext) {
        let (plan, result, t) = (attempt.plan, attempt.result, context.terminal)
        if let next = attempt.escalatingTo, let error = result.error {
            t.report(error)
            t.err("escalating: level \(plan.request.level?.rawValue ?? 0) failed and was restored; trying level \(next.rawValue) (\(next.tiers.joined(separator: ", ")))")
            return
        }
        if case .alreadyThere = result.outcome {
            guard !json else {
                guard case .object(var fields) = plan.json else { return }
                fields["nothingToDo"] = .bool(true)
                return context.printJSON(.object(fields))
            }
            return t.out("\(Terminal.escaped(plan.code.head.displayName)) (\(plan.code.from.short)) already has the tree of \(Terminal.escaped(plan.code.targetName)) (\(plan.code.target.short)); nothing to do, nothing was written")
        }
        if json {
            if let event = result.event { context.printJSON(RollbackJournal.json(event)) }
        } else if case .succeeded = result.outcome {
            if let range = plan.code.selectedRange {
                // --commits: the branch does not go back to a target, it gets revert commits on top.
                let now = result.event?.commit.map { " now at \($0.prefix(7))" } ?? ""
                t.out("Reverted \(Terminal.escaped(range)) (\(plan.code.commits.count) commit\(plan.code.commits.count == 1 ? "" : "s")) on \(Terminal.escaped(plan.code.head.displayName)),\(now), in \(result.event?.durationMs ?? 0) ms: rollback \(plan.id)")
            } else {
                t.out("Rolled back \(Terminal.escaped(plan.code.head.displayName)) to \(plan.code.target.short) (\(Terminal.escaped(plan.code.targetName))) in \(result.event?.durationMs ?? 0) ms: \(plan.code.mode.rawValue), rollback \(plan.id)")
            }
            if !plan.tiers.isEmpty { t.out("  tiers:         code, " + plan.tiers.map(\.name).joined(separator: ", ")) }
            t.out("  safety backup: \(plan.safetyRef)")
            if result.journaled {
                t.out("  undo it:       git timeturner undo \(plan.id)")
            } else {
                // `undo` finds a rollback through its journal event, which the warning above says
                // could not be written: the safety backup is what is left to go back by.
                t.out("  undo it:       not with 'git timeturner undo': the journal event was not written (see the warning);")
                t.out("                 the state before is kept in \(plan.safetyRef) ('git show \(plan.safetyRef)')")
            }
        }
    }
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

extension RollbackCommand: PlainlyParsable {
    /// The defaults of `--mode` and `--verify-timeout`, shared by both readings.
    static let defaultMode = ModeArgument(value: .revert)
    static let defaultVerifyTimeout = TimeoutArgument(value: TimeSpan(seconds: 300))

    static let plainOptions: [PlainCommandLine.Option] = [
        .value("--to"), .value("--env"), .value("--mode"), .value("--commits"), .value("--mainline"),
        .repeatable("--verify"), .repeatable("--check"), .flag("--fast"), .value("--verify-timeout"),
        .value("--level"), .value("--tiers"), .flag("--accept-data-loss"), .flag("--escalate"),
        .repeatable("-c"), .flag("--dry-run"), .flag("--yes"), .value("--reason"), .flag("--json"),
    ]

    static func plainlyParsed(_ arguments: ArraySlice<String>) -> RollbackCommand? {
        guard let line = PlainCommandLine(arguments, options: plainOptions, positionals: 0),
              let mode = line.value("--mode", as: ModeArgument.self),
              let mainline = line.value("--mainline", as: Int.self),
              let verifyTimeout = line.value("--verify-timeout", as: TimeoutArgument.self),
              let level = line.value("--level", as: LevelArgument.self) else { return nil }
        var command = RollbackCommand()
        command.to = line.value("--to")
        command.env = line.value("--env")
        command.mode = mode ?? defaultMode
        command.commits = line.value("--commits")
        command.mainline = mainline
        command.verifyCommands = line.all("--verify")
        command.checks = line.all("--check")
        command.fast = line.has("--fast")
        command.verifyTimeout = verifyTimeout ?? defaultVerifyTimeout
        command.level = level
        command.tiers = line.value("--tiers")
        command.acceptDataLoss = line.has("--accept-data-loss")
        command.escalate = line.has("--escalate")
        command.configurationOptions = ConfigurationOptions.plain(line)
        command.dryRun = line.has("--dry-run")
        command.yes = line.has("--yes")
        command.reason = line.value("--reason")
        command.json = line.has("--json")
        return command
    }
}
