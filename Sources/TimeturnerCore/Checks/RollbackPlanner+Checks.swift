internal import GitKit

extension RollbackPlanner {
    /// Checks as verification: `--check` first, then `timeturner.verify-check` (trusted only),
    /// each once. "Verified" then means the checks passed over their window.
    func checkVerification(_ request: RollbackRequest) throws(TimeturnerError) -> [VerificationCommand] {
        let configured = configuration.values("timeturner.verify-check")
        try configuration.requireTrusted(configured, for: "verification (timeturner.verify-check)")
        var names: [(String, String)] = request.checks.map { ($0, request.checksOrigin) }
        names += configured.map { ($0.value, $0.origin.description) }
        var seen = Set<String>()
        var out: [VerificationCommand] = []
        for (name, origin) in names where seen.insert(name).inserted {
            guard configuration.checkNames.contains(name) else {
                throw TimeturnerError(.usage, "no check named '\(name)' is configured (\(origin))",
                                      hint: "define it under timeturner.check.\(name).* (docs/checks.md), or drop it")
            }
            out.append(VerificationCommand(check: try configuration.check(name), fast: request.fast, origin: origin))
        }
        return out
    }
}

/// `--fast` skips the checks' window, which is only safe when the target already proved itself:
/// its newest mark (in the rollback's environment, or any) must say good.
enum FastVerification {
    static func requireKnownGood(_ plan: RollbackPlan, in repository: Repository) throws(TimeturnerError) {
        guard plan.request.fast else { return }
        let target = plan.code.target
        let marks = try KnownGoodRegistry(repository: repository).marks(on: target).marks
            .filter { plan.request.environment == nil || $0.env == plan.request.environment }
        guard let newest = marks.first, newest.verdict == .good else {
            let state = marks.first.map { "its newest mark is \($0.verdict.rawValue) (\($0.env))" } ?? "it has no good mark"
            throw TimeturnerError(.refused, "--fast skips the checks' window, but the target \(target.short) is not known good: \(state)",
                                  hint: "drop --fast to verify over the window, or roll back to a commit marked good (git timeturner last-good --env <env>)")
        }
    }
}
