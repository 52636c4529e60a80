public import TimeturnerCore
import GitKit

/// Core's `TierDriver`, carried out by built-in and external executors: each call is one
/// protocol exchange with the tier's executor.
public struct ExecutorTierDriver: TierDriver {
    /// The tool's own environment; each executor gets a scrubbed copy.
    public let environment: [String: String]
    public let repositoryPath: String
    /// Receives each line an executor writes on standard error (and built-ins' children's output).
    public let log: @Sendable (_ executor: String, _ line: String) -> Void

    public init(environment: [String: String], repositoryPath: String,
                log: @escaping @Sendable (_ executor: String, _ line: String) -> Void) {
        self.environment = environment
        self.repositoryPath = repositoryPath
        self.log = log
    }

    /// One protocol exchange with the executor of `assignment`.
    public func call(_ assignment: TierAssignment, verb: ExecutorVerb, point: PointReference? = nil,
                     capture: JSONValue? = nil, context: TierCallContext = TierCallContext(),
                     dryRun: Bool = false) async throws(TimeturnerError) -> (response: ExecutorResponse, microseconds: Int64) {
        let started = ContinuousClock.now
        let checkouts = context.checkoutFrom == nil && context.checkoutTo == nil ? nil
            : ExecutorRequest.Checkouts(from: context.checkoutFrom, to: context.checkoutTo)
        let request = ExecutorRequest(verb: verb, tier: assignment.tier, executor: assignment.executor, repository: repositoryPath,
                                      dryRun: dryRun, point: point.map { .init(id: $0.id, commit: $0.commit) },
                                      capture: capture, settings: ExecutorRequest.settings(of: assignment),
                                      from: context.from?.hex, to: context.to?.hex, checkouts: checkouts)
        let environment = ExecutorEnvironment.scrubbed(self.environment, executor: assignment.executor, tier: assignment.tier,
                                                       repository: repositoryPath)
        let name = assignment.executor
        let sink = log
        let log: @Sendable (String) -> Void = { sink(name, $0) }
        let response: ExecutorResponse
        switch try ExecutorResolver(environment: environment, repositoryPath: repositoryPath).resolve(assignment) {
        case .builtin(let builtinName):
            let executor = ExecutorResolver.builtin(named: builtinName)!
            if verb == .describe {
                response = executor.describeResponse
            } else {
                let context = BuiltinContext(request: request, environment: environment, timeout: .seconds(assignment.timeoutSeconds),
                                             outputLimit: assignment.outputLimit, log: log)
                response = try await executor.perform(request, context: context)
            }
        case .configuredCommand(let argv):
            response = try await ExternalExecutor.call(argv: argv, request: request, assignment: assignment, environment: environment, log: log)
        case .pathProgram(let program):
            response = try await ExternalExecutor.call(argv: [program], request: request, assignment: assignment, environment: environment, log: log)
        }
        return (response, (ContinuousClock.now - started).wholeMicroseconds)
    }

    /// Built-ins say so themselves; an external executor asks with `timeturner.tier.<tier>.checkouts = true`.
    public func wantsCheckouts(_ tier: TierAssignment) -> Bool {
        if tier.executorCommand == nil, ExecutorResolver.builtin(named: tier.executor)?.wantsCheckouts == true { return true }
        return ["true", "yes", "on", "1"].contains(tier.setting("checkouts")?.lowercased() ?? "")
    }

    public func capture(_ tier: TierAssignment, point: PointReference?, context: TierCallContext, dryRun: Bool) async throws(TimeturnerError) -> TierCallOutcome {
        let (response, microseconds) = try await call(tier, verb: .capture, point: point, context: context, dryRun: dryRun)
        return TierCallOutcome(message: response.message, capture: response.capture ?? .object([:]), durationMilliseconds: microseconds / 1000,
                               discards: response.discards)
    }

    public func rollback(_ tier: TierAssignment, to capture: JSONValue, point: PointReference?, context: TierCallContext, dryRun: Bool) async throws(TimeturnerError) -> TierCallOutcome {
        let (response, microseconds) = try await call(tier, verb: .rollback, point: point, capture: capture, context: context, dryRun: dryRun)
        return TierCallOutcome(message: response.message, capture: response.capture, durationMilliseconds: microseconds / 1000)
    }

    public func verify(_ tier: TierAssignment, context: TierCallContext, dryRun: Bool) async throws(TimeturnerError) -> TierCallOutcome {
        let (response, microseconds) = try await call(tier, verb: .verify, context: context, dryRun: dryRun)
        return TierCallOutcome(message: response.message, durationMilliseconds: microseconds / 1000)
    }
}
