internal import FoundationEssentials
internal import Glibc
public import GitKit

/// What an operation in progress has done so far, recorded before each step starts (the newest
/// line of `.git/timeturner/state.jsonl`, `StateLog`), so that a crash at any point leaves enough
/// for `status` and `recover`.
public struct OperationState: Sendable, Equatable {
    public var operation: String
    public var id: String
    public var mode: String
    public var head: String
    public var from: OID
    public var to: OID
    /// The commit the moving ref is set to (revert: the new commit, known once it is built; reset: the target).
    public var result: OID
    public var safetyRef: String
    /// The tree the work tree is being moved to: a restore after a crash puts back every path
    /// that differs between it and the safety backup.
    public var towardsTree: OID?
    public var start: Timestamp
    public var pid: Int32
    /// The kinds of the steps done, in order (`lock`, `capture`, `safety-ref`, …).
    public var stepsDone: [String]
    /// The kind of the step running (or about to run), and its exact label (`capture:db`).
    public var step: String
    public var stepLabel: String?
    /// Every step of the plan, by label, and how many of them are done.
    public var plannedSteps: [String] = []
    public var doneCount: Int = 0
    /// Set only while `TIMETURNER_TEST_PAUSE_AT` holds the operation before `step` (tests).
    public var pausedBefore: String?
    /// The present state of each tier beyond code (`{"executor":…,"capture":…}` by tier),
    /// captured before anything changed: what `recover` returns a tier to.
    public var captures: [String: JSONValue] = [:]
    /// Tiers whose rollback has started, in order: they may differ from their capture.
    public var changedTiers: [String] = []
    /// `timeturner.activate`, once the activation step started: `recover` runs it again after
    /// putting the tiers back, as a restore does.
    public var activation: String?
    /// The journal event so far (reason, target, verification…), so recover can finish it.
    public var event: JSONValue

    /// Every step but the journal is done: the operation only lacks its journal line.
    public var onlyJournalLeft: Bool {
        if plannedSteps.isEmpty { return stepsDone.contains(OperationStep.verify.rawValue) }  // written by 0.1
        return doneCount >= plannedSteps.count - 1
    }

    /// The code step finished once (the moving ref moved), so even with the ref back where it
    /// started, a restore may have stopped half way through the work tree.
    public var codeMoved: Bool {
        stepsDone.contains(OperationStep.moveRef.rawValue) || (operation == "undo" && stepsDone.contains(OperationStep.restore.rawValue))
    }

    init(operation: String, id: String, mode: String, head: String, from: OID, to: OID, result: OID,
         safetyRef: String, start: Timestamp, plannedSteps: [String], event: JSONValue) {
        self.operation = operation
        self.id = id
        self.mode = mode
        self.head = head
        self.from = from
        self.to = to
        self.result = result
        self.safetyRef = safetyRef
        self.start = start
        self.pid = getpid()
        self.stepsDone = []
        self.step = OperationStep.lock.rawValue
        self.plannedSteps = plannedSteps
        self.event = event
    }

    var json: JSONValue {
        var fields: [String: JSONValue] = [
            "v": .int(2), "operation": .string(operation), "id": .string(id), "mode": .string(mode),
            "head": .string(head), "from": .string(from.hex), "to": .string(to.hex), "result": .string(result.hex),
            "safetyRef": .string(safetyRef), "start": .string(start.rfc3339), "pid": .int(Int64(pid)),
            "stepsDone": .array(stepsDone.map(JSONValue.string)), "step": .string(step), "event": event,
            "plannedSteps": .array(plannedSteps.map(JSONValue.string)), "doneCount": .int(Int64(doneCount)),
            "captures": .object(captures), "changedTiers": .array(changedTiers.map(JSONValue.string)),
        ]
        if let stepLabel { fields["stepLabel"] = .string(stepLabel) }
        if let towardsTree { fields["towardsTree"] = .string(towardsTree.hex) }
        if let pausedBefore { fields["pausedBefore"] = .string(pausedBefore) }
        if let activation { fields["activation"] = .string(activation) }
        return .object(fields)
    }

    init?(json: JSONValue) {
        guard let operation = json["operation"]?.stringValue, let id = json["id"]?.stringValue,
              let mode = json["mode"]?.stringValue, let head = json["head"]?.stringValue,
              let from = json["from"]?.stringValue.flatMap(OID.init(hex:)),
              let to = json["to"]?.stringValue.flatMap(OID.init(hex:)),
              let result = json["result"]?.stringValue.flatMap(OID.init(hex:)),
              let safetyRef = json["safetyRef"]?.stringValue,
              let start = json["start"]?.stringValue.flatMap(Timestamp.init(rfc3339:)),
              let step = json["step"]?.stringValue else { return nil }
        self.init(operation: operation, id: id, mode: mode, head: head, from: from, to: to, result: result, safetyRef: safetyRef,
                  start: start, plannedSteps: json["plannedSteps"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                  event: json["event"] ?? .object([:]))
        pid = Int32(truncatingIfNeeded: json["pid"]?.intValue ?? 0)
        stepsDone = json["stepsDone"]?.arrayValue?.compactMap(\.stringValue) ?? []
        self.step = step
        stepLabel = json["stepLabel"]?.stringValue
        towardsTree = json["towardsTree"]?.stringValue.flatMap(OID.init(hex:))
        doneCount = Int(json["doneCount"]?.intValue ?? 0)
        pausedBefore = json["pausedBefore"]?.stringValue
        if case .object(let fields)? = json["captures"] { captures = fields }
        changedTiers = json["changedTiers"]?.arrayValue?.compactMap(\.stringValue) ?? []
        activation = json["activation"]?.stringValue
    }

    public var publicJSON: JSONValue { json }
}

extension OperationDirectory {
    /// What `status` shows: the lock holder, the interrupted or running operation, the lock's path.
    public func currentStatus() -> (holder: LockHolder?, state: OperationState?, lockPath: String, damagedRecords: Int) {
        let read = readStateReport()
        return (lockExists ? currentHolder() : nil, read.state, lockPath, read.damagedRecords)
    }

    /// The newest whole record of `state.jsonl`; else the `state.json` an older version left
    /// (one JSON document, replaced atomically), so that an operation it did not finish can still
    /// be seen and recovered.
    public func readState() -> OperationState? { readStateReport().state }

    /// `readState`, and how many whole records newer than the one read could not be read
    /// (damaged, not cut short): `status` and `recover` say so, and which steps may have run
    /// without a record that reads.
    public func readStateReport() -> (state: OperationState?, damagedRecords: Int) {
        var damaged = 0
        if let bytes = LocalFile.read(statePath) {
            let newest = Self.newestRecord(in: bytes)
            if newest.state != nil { return newest }
            damaged = newest.damagedRecords
        }
        guard let bytes = LocalFile.read(legacyStatePath), let value = JSONValue.parseDocument(bytes) else { return (nil, damaged) }
        return (OperationState(json: value), damaged)
    }

    /// The last line that ends in a newline and reads as a state. A last line without its
    /// newline was cut short by a crash and is skipped silently (its step had not started). A
    /// whole line that does not read is damage: it is skipped too, and counted, so that the
    /// record before is the state (falling back to no state at all would abandon the operation,
    /// which is worse) and the readers can warn that steps after it may have run.
    static func newestRecord(in bytes: [UInt8]) -> (state: OperationState?, damagedRecords: Int) {
        var end = bytes.lastIndex(of: 0x0A)
        var damaged = 0
        while let lineEnd = end {
            let start = bytes[..<lineEnd].lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
            if let value = JSONValue.parseDocument(Array(bytes[start..<lineEnd])), let state = OperationState(json: value) {
                return (state, damaged)
            }
            damaged += 1
            end = start > 0 ? start - 1 : nil
        }
        return (nil, damaged)
    }

    /// What to tell a person when `damaged` records of the state file could not be read. With a
    /// `state` read from an older record: the steps from the one it was written before may have
    /// run, and those that change a tier may not all be put back. Without one: what the operation
    /// did is unknown.
    public static func damageWarning(_ damaged: Int, state: OperationState?, path: String) -> String {
        let records = damaged == 1 ? "record" : "\(damaged) records"
        guard let state else {
            return "no record of \(path) could be read (\(records) damaged): what the interrupted operation did is unknown"
        }
        let next = Array(state.plannedSteps.dropFirst(state.doneCount))
        let tiers = next.compactMap { RollbackStep(label: $0)?.tierActedOn }
        let unique = tiers.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let check = unique.isEmpty ? "" : "; if they ran, check the \(unique.joined(separator: ", ")) tier\(unique.count == 1 ? "" : "s") by hand after recovering"
        return "the newest \(records) of \(path) could not be read (damaged) and \(damaged == 1 ? "was" : "were") skipped; "
            + "the state shown is the one written before step \(state.stepLabel ?? state.step), and steps after it may have run without a readable record\(check)"
    }

    /// The state file there is, for messages: this version's, or an older version's.
    public var existingStatePath: String {
        !LocalFile.exists(statePath) && LocalFile.exists(legacyStatePath) ? legacyStatePath : statePath
    }

    func removeState() {
        unlink(statePath)
        unlink(legacyStatePath)
    }
}
