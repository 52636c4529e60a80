public import GitKit

/// One tier's capture as recorded in the point's note.
public struct TierCaptureRecord: Sendable, Equatable {
    public let point: String
    public let tier: String
    public let executor: String
    public let capture: JSONValue
    public let at: Timestamp

    public init(point: String, tier: String, executor: String, capture: JSONValue, at: Timestamp) {
        self.point = point
        self.tier = tier
        self.executor = executor
        self.capture = capture
        self.at = at
    }

    public var json: JSONValue {
        ["point": .string(point), "tier": .string(tier), "executor": .string(executor), "capture": capture, "at": .string(at.rfc3339)]
    }
}
