internal import Glibc
import TimeturnerCore

/// The exit codes, assigned here and nowhere else. Documented in docs/exit-codes.md; stable.
enum ExitStatus: Int32 {
    case success = 0
    case failure = 1
    case refused = 3
    case locked = 4
    case verificationFailedRestored = 5
    case verificationFailedRestoreFailed = 6
    /// `check` and `trigger`: a check failed; `check` only: no check failed but one could not decide.
    case checkFailed = 8
    case checkInconclusive = 9
    /// `guard`: the deploy was bad (marked bad; rolled back, held or reported), whatever the rollback did.
    case deployFailed = 10
    /// `trigger check`: a trigger fired (with `--rollback`, its action was carried out).
    case triggerFired = 11
    /// EX_USAGE from sysexits.h, which swift-argument-parser also uses for bad arguments.
    case usage = 64
    /// 128 + the signal, as shells report a process a signal ended: SIGHUP, SIGINT, SIGTERM.
    case interruptedByHangUp = 129
    case interruptedByInterrupt = 130
    case interruptedByTermination = 143

    init(_ kind: TimeturnerError.Kind) {
        switch kind {
        case .failure: self = .failure
        case .usage: self = .usage
        case .refused: self = .refused
        case .locked: self = .locked
        case .verificationFailedRestored: self = .verificationFailedRestored
        case .verificationFailedRestoreFailed: self = .verificationFailedRestoreFailed
        case .checkFailed: self = .checkFailed
        case .checkInconclusive: self = .checkInconclusive
        case .deployFailed: self = .deployFailed
        case .triggerFired: self = .triggerFired
        case .interrupted(let signal):
            switch signal {
            case SIGHUP: self = .interruptedByHangUp
            case SIGTERM: self = .interruptedByTermination
            default: self = .interruptedByInterrupt
            }
        }
    }
}
