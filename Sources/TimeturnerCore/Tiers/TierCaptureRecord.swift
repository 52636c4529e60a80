internal import GitKit

/// One tier's capture as recorded in the point's note.
public struct TierCaptureRecord: Sendable, Equatable {
    public let point: String
    public let tier: String
    public let executor: String
    public let capture: JSONValue
    public let at: Timestamp
    /// What a rollback to this capture throws away, in the executor's words (nil: nothing).
    public let discards: String?

    public init(point: String, tier: String, executor: String, capture: JSONValue, at: Timestamp, discards: String? = nil) {
        self.point = point
        self.tier = tier
        self.executor = executor
        self.capture = capture
        self.at = at
        self.discards = discards
    }

    public var json: JSONValue {
        var fields: [String: JSONValue] = ["point": .string(point), "tier": .string(tier), "executor": .string(executor),
                                           "capture": capture, "at": .string(at.rfc3339)]
        if let discards { fields["discards"] = .string(discards) }
        return .object(fields)
    }
}
