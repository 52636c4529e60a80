/// A plan a person (or `--yes`) must confirm before it runs.
public protocol ConfirmablePlan: Sendable {
    /// What the person types to go ahead (`rollback`, `undo`, `recover`).
    var confirmationWord: String { get }
    /// Identifies the plan's exact content; an approval is only good for this value.
    var digest: String { get }
    /// What the plan throws away that `--yes` alone must not accept (nil: nothing): the person
    /// sees it in the plan before typing; automation says `--accept-data-loss`.
    var unacceptedDataLoss: String? { get }
}

extension ConfirmablePlan {
    public var unacceptedDataLoss: String? { nil }
}

/// What the confirmation step got from the person, or `--yes`.
public enum Consent: Sendable, Equatable {
    /// The words typed at the prompt.
    case typed(String)
    /// `--yes`: automation that has looked at the plan (or its dry run) beforehand.
    case assumeYes
}

/// The permission to run one plan: made only from consent that matches the plan's word, and
/// bound to the plan's digest, so no other plan (or an edited one) can run with it.
public struct Approval: Sendable, Equatable {
    let digest: String

    public init<Plan: ConfirmablePlan>(_ plan: Plan, consent: Consent) throws(TimeturnerError) {
        if case .typed(let answer) = consent, answer != plan.confirmationWord {
            throw TimeturnerError(.refused, "not confirmed; nothing was changed",
                                  hint: "run it again and type '\(plan.confirmationWord)' when asked, or pass --yes")
        }
        if consent == .assumeYes, let loss = plan.unacceptedDataLoss {
            throw TimeturnerError(.refused, "this \(plan.confirmationWord) discards data: \(loss); --yes alone does not accept that, nothing was changed",
                                  hint: "look at the plan (--dry-run); to go ahead anyway add --accept-data-loss, or confirm at the prompt")
        }
        digest = plan.digest
    }

    /// Refuses to run `plan` with an approval given for another.
    func require<Plan: ConfirmablePlan>(for plan: Plan) throws(TimeturnerError) {
        guard digest == plan.digest else {
            throw TimeturnerError(.refused, "this approval was given for another plan; nothing was changed",
                                  hint: "plan and confirm the operation again")
        }
    }
}
