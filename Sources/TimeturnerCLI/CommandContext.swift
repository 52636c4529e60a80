internal import FoundationEssentials
internal import Glibc
import GitKit
import TimeturnerCore
import TimeturnerExecutors

/// What every subcommand needs: the repository, who is acting and when, and the terminal.
///
/// One per process, `CommandContext.process`, built on first use. swift-argument-parser makes
/// the command values itself, so the root command has no way to hand them one; a `static let`
/// is built exactly once (and thread-safely), and the root touches it before parsing, so `now`
/// is when the run started and every command, and the error report, sees the same environment,
/// time and terminal. The initialiser is private so that nobody builds a second one.
struct CommandContext: Sendable {
    static let process = CommandContext()

    let environment: [String: String]
    let terminal: Terminal
    let now: Timestamp

    private init() {
        environment = CommandContext.withAbsoluteGitPaths(CommandContext.processEnvironment(),
                                                          currentDirectory: FileManager.default.currentDirectoryPath)
        terminal = Terminal(environment: environment)
        now = Timestamp.now()
    }

    /// The process's environment, read from `environ` itself. `ProcessInfo.environment` took
    /// 0.74M instructions for the ~30 variables of a shell, a fifth of `status`. As `getenv`
    /// reads it (and so git and libgit2), the first of two entries with one name wins; an entry
    /// without `=` names no variable. Bytes that are not UTF-8 are repaired as `String` does.
    static func processEnvironment() -> [String: String] {
        var variables: [String: String] = [:]
        // NULL after clearenv(3).
        guard var entry = Optional(environ) else { return variables }
        while let text = entry.pointee {
            let bytes = UnsafeRawBufferPointer(start: text, count: strlen(text))
            if let equals = bytes.firstIndex(of: UInt8(ascii: "=")) {
                let name = String(decoding: bytes[..<equals], as: UTF8.self)
                if variables[name] == nil {
                    variables[name] = String(decoding: bytes[(equals + 1)...], as: UTF8.self)
                }
            }
            entry += 1
        }
        return variables
    }

    /// git hands `--git-dir` / `--work-tree` on as given (`git --git-dir=.git timeturner …` sets
    /// `GIT_DIR=.git`). The verification commands run at the work-tree root, elsewhere than here,
    /// and must see the same repository: relative values become absolute for every child.
    static func withAbsoluteGitPaths(_ environment: [String: String], currentDirectory: String) -> [String: String] {
        var environment = environment
        for name in ["GIT_DIR", "GIT_WORK_TREE"] {
            if let value = environment[name], !value.isEmpty, !value.hasPrefix("/") {
                environment[name] = LocalFile.absolute(value, relativeTo: currentDirectory)
            }
        }
        return environment
    }

    /// The repository of this run, the one every command opens once. It is never freed: the
    /// process exits when the command ends, and freeing it first only unmapped libgit2's pack
    /// windows one by one (each a TLB shootdown across the cores the threads ran on) and freed
    /// its caches object by object, 4% of a rollback, for pages exit releases all at once.
    func openRepository() throws(TimeturnerError) -> Repository {
        let repository = try RepositoryAccess.open(path: nil)
        _ = Unmanaged.passRetained(repository)
        return repository
    }

    func attribution(in repository: Repository) throws(TimeturnerError) -> Attribution {
        try Attribution.resolve(in: repository, environment: environment, now: now)
    }

    /// The layered `timeturner.*` configuration with the trust status of `.timeturner`.
    func configuration(in repository: Repository, overrides: [String]) throws(TimeturnerError) -> TimeturnerConfiguration {
        let configuration = try TimeturnerConfiguration.load(repository: repository, overrides: overrides, environment: environment,
                                                             trustStore: TrustStore(environment: environment))
        configuration.warnings.forEach(terminal.warning)
        return configuration
    }

    /// Runs tiers through executors; what they write on standard error appears prefixed with
    /// the executor's name, escaped like everything else that did not come from us.
    /// Executors get the artifacts directory (`timeturner.artifacts.dir`) in every request. One
    /// set in an untrusted `.timeturner` is not used: they get the default in the git directory
    /// (and `artifacts` refuses to list or prune until the file is trusted).
    func tierDriver(for configuration: TimeturnerConfiguration, repository: Repository? = nil) -> ExecutorTierDriver {
        let terminal = self.terminal
        let artifacts = repository.map { repository in
            (try? ArtifactStore.directory(repository: repository, configuration: configuration))
                ?? ArtifactLocation.defaultDirectory(commonGitDirectory: repository.commonDirectory)
        }
        return ExecutorTierDriver(environment: environment, repositoryPath: configuration.repositoryPath,
                                  artifactDirectory: artifacts) { executor, line in
            terminal.err(terminal.paint("\(executor):", .dim) + " " + Terminal.escaped(line))
        }
    }

    /// The engine behind rollback, undo, status and recover: tiers through executors,
    /// verification through bounded shell commands, progress to the terminal.
    /// `TIMETURNER_TEST_PAUSE_AT` is the test-only pause hook (docs/rollback.md), read here so
    /// that no command has to know about it.
    func rollbackEngine(for repository: Repository, attribution: Attribution,
                        configuration: TimeturnerConfiguration) -> RollbackEngine {
        RollbackEngine(repository: repository, attribution: attribution, progress: ProgressPrinter(terminal: terminal),
                       tiers: tierDriver(for: configuration, repository: repository), verifier: ShellVerifier(environment: environment),
                       pauseBefore: environment["TIMETURNER_TEST_PAUSE_AT"].flatMap(OperationStep.init(rawValue:)),
                       interruption: InterruptionSignals.interruption,
                       fault: environment["TIMETURNER_TEST_FAULT"].flatMap(InjectedFault.init))
    }

    /// Plan → confirm → execute with this process's engine: rollback, and the rollbacks a guard
    /// or a trigger asks for.
    func rollbackPipeline(for repository: Repository, attribution: Attribution,
                          configuration: TimeturnerConfiguration) -> RollbackPipeline {
        RollbackPipeline(planner: RollbackPlanner(repository: repository, configuration: configuration),
                         engine: rollbackEngine(for: repository, attribution: attribution, configuration: configuration),
                         attribution: attribution)
    }

    /// How a guard or trigger confirms the rollback it asks for: the plan on standard error
    /// (standard output may carry the run's JSON), then the confirmation word or `--yes`.
    func automaticRollbackConfirmation(yes: Bool, what: String) -> (RollbackPlan) throws(TimeturnerError) -> Approval? {
        { (plan) throws(TimeturnerError) in
            PlanRenderer(terminal: terminal).render(plan, dryRun: false, toStandardError: true)
            return try approve(plan, yes: yes, what: what)
        }
    }

    /// Runs checks: commands at the work-tree root with the user's environment, HTTP and
    /// Prometheus through libcurl; Ctrl-C stops the sampling.
    func checkRunner(configuration: TimeturnerConfiguration, environment deployEnvironment: String?) -> CheckRunner {
        CheckRunner(measurer: CheckProvider(environment: environment, workingDirectory: configuration.repositoryPath,
                                            deployEnvironment: deployEnvironment),
                    interruption: InterruptionSignals.interruption)
    }

    /// Asks for `plan`'s confirmation word (or takes `--yes`) and turns the answer into the
    /// approval that lets exactly this plan run.
    func approve<Plan: ConfirmablePlan>(_ plan: Plan, yes: Bool, what: String) throws(TimeturnerError) -> Approval {
        try Approval(plan, consent: Confirmation.ask(plan.confirmationWord, skip: yes, terminal: terminal, what: what))
    }

    func printJSON(_ value: JSONValue) {
        terminal.out(value.pretty())
    }
}
