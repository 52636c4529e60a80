internal import FoundationEssentials

/// Encodes an `Encodable` value straight into a `JSONValue`: the value that `JSONEncoder`
/// followed by `JSONValue.parseDocument` gives, without writing the text and parsing it back.
///
/// Why: a rollback turns its typed event into the journal's JSON object after every step (the
/// state file carries it, for `recover`), and the text round trip through Foundation cost 5M of
/// a reset rollback's 64M instructions, most of it the decoder's failed type probes.
///
/// What it matches (checked against the round trip by `JSONValueEncoderTests`): absent
/// optionals are left out; integers become `.int` (an unsigned one above `Int64.max` becomes
/// `.double`, as the parser reads it); a `Double` with no fraction that fits in 64 bits becomes
/// `.int`, as its text `2.0` reads back; a `Float` is the `Double` its shortest text reads back
/// as; a non-finite number throws, as `JSONEncoder` does by default. `Data`, `Date` and `URL`,
/// which `JSONEncoder` writes by strategies of its own, are refused rather than encoded another
/// way: nothing the tool journals holds them.
enum JSONValueEncoder {
    static func encode(_ value: some Encodable) throws -> JSONValue {
        let root = Slot()
        try Slot.encode(value, into: root, codingPath: [])
        return root.resolved
    }
}

/// One value being built. Containers are reference boxes because `Encoder` hands out containers
/// that are filled after they are returned, nested ones included.
private final class Slot {
    enum Content {
        case empty
        case value(JSONValue)
        case object(ObjectBox)
        case array(ArrayBox)
    }
    var content: Content = .empty

    init() {}
    init(_ value: JSONValue) { content = .value(value) }

    /// An encoder that wrote nothing stands for an empty object, as `JSONEncoder` writes `{}`.
    var resolved: JSONValue {
        switch content {
        case .empty: .object([:])
        case .value(let value): value
        case .object(let box): .object(box.fields.mapValues(\.resolved))
        case .array(let box): .array(box.items.map(\.resolved))
        }
    }

    func objectBox() -> ObjectBox {
        if case .object(let box) = content { return box }
        let box = ObjectBox()
        content = .object(box)
        return box
    }

    func arrayBox() -> ArrayBox {
        if case .array(let box) = content { return box }
        let box = ArrayBox()
        content = .array(box)
        return box
    }

    static func encode<T: Encodable>(_ value: T, into slot: Slot, codingPath: [any CodingKey]) throws {
        if T.self == Data.self || T.self == Date.self || T.self == URL.self {
            throw EncodingError.invalidValue(value, .init(codingPath: codingPath,
                                                          debugDescription: "\(T.self) has a JSONEncoder strategy this encoder does not reproduce"))
        }
        try value.encode(to: SlotEncoder(slot: slot, codingPath: codingPath))
    }

    static func number(_ value: Double, codingPath: [any CodingKey]) throws -> JSONValue {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, .init(codingPath: codingPath, debugDescription: "\(value) is not a JSON number"))
        }
        // 2^63: the first Double that no longer fits in Int64.
        if value.rounded() == value && value > -9_223_372_036_854_775_808.0 && value < 9_223_372_036_854_775_808.0 {
            return .int(Int64(value))
        }
        return .double(value)
    }

    /// A `Float` as the `Double` its shortest text reads back as (`0.1`, not `0.100000001490116`).
    static func number(_ value: Float, codingPath: [any CodingKey]) throws -> JSONValue {
        try number(Double(value.description) ?? Double(value), codingPath: codingPath)
    }

    static func number(_ value: some UnsignedInteger & FixedWidthInteger) -> JSONValue {
        if let exact = Int64(exactly: value) { return .int(exact) }
        return .double(Double(value))
    }
}

private final class ObjectBox { var fields: [String: Slot] = [:] }
private final class ArrayBox { var items: [Slot] = [] }

private struct IndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "Index \(intValue ?? 0)" }
    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { return nil }
    init?(intValue: Int) { self.intValue = intValue }
}

private struct SuperKey: CodingKey {
    var stringValue: String { "super" }
    var intValue: Int? { nil }
    init() {}
    init?(stringValue: String) {}
    init?(intValue: Int) { return nil }
}

private struct SlotEncoder: Encoder {
    let slot: Slot
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(KeyedSlotContainer<Key>(box: slot.objectBox(), codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        UnkeyedSlotContainer(box: slot.arrayBox(), codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleSlotContainer(slot: slot, codingPath: codingPath)
    }
}

private struct KeyedSlotContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let box: ObjectBox
    let codingPath: [any CodingKey]

    private func put(_ value: JSONValue, _ key: Key) { box.fields[key.stringValue] = Slot(value) }

    mutating func encodeNil(forKey key: Key) throws { put(.null, key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { put(.bool(value), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { put(.string(value), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { put(try Slot.number(value, codingPath: codingPath + [key]), key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { put(try Slot.number(value, codingPath: codingPath + [key]), key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { put(.int(Int64(value)), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { put(.int(Int64(value)), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { put(.int(Int64(value)), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { put(.int(Int64(value)), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { put(.int(value), key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { put(Slot.number(value), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { put(Slot.number(value), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { put(Slot.number(value), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { put(Slot.number(value), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { put(Slot.number(value), key) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        let slot = Slot()
        try Slot.encode(value, into: slot, codingPath: codingPath + [key])
        box.fields[key.stringValue] = slot
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let slot = Slot()
        box.fields[key.stringValue] = slot
        return KeyedEncodingContainer(KeyedSlotContainer<NestedKey>(box: slot.objectBox(), codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let slot = Slot()
        box.fields[key.stringValue] = slot
        return UnkeyedSlotContainer(box: slot.arrayBox(), codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder { superEncoder(named: SuperKey()) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { superEncoder(named: key) }

    private func superEncoder(named key: any CodingKey) -> any Encoder {
        let slot = Slot()
        box.fields[key.stringValue] = slot
        return SlotEncoder(slot: slot, codingPath: codingPath + [key])
    }
}

/// The scalar encodings the unkeyed and the single-value container share: each only says where
/// a finished value goes (`put`) and what coding path an error names.
private protocol ScalarSink {
    var scalarPath: [any CodingKey] { get }
    func put(_ value: JSONValue)
}

extension ScalarSink {
    mutating func encodeNil() throws { put(.null) }
    mutating func encode(_ value: Bool) throws { put(.bool(value)) }
    mutating func encode(_ value: String) throws { put(.string(value)) }
    mutating func encode(_ value: Double) throws { put(try Slot.number(value, codingPath: scalarPath)) }
    mutating func encode(_ value: Float) throws { put(try Slot.number(value, codingPath: scalarPath)) }
    mutating func encode(_ value: Int) throws { put(.int(Int64(value))) }
    mutating func encode(_ value: Int8) throws { put(.int(Int64(value))) }
    mutating func encode(_ value: Int16) throws { put(.int(Int64(value))) }
    mutating func encode(_ value: Int32) throws { put(.int(Int64(value))) }
    mutating func encode(_ value: Int64) throws { put(.int(value)) }
    mutating func encode(_ value: UInt) throws { put(Slot.number(value)) }
    mutating func encode(_ value: UInt8) throws { put(Slot.number(value)) }
    mutating func encode(_ value: UInt16) throws { put(Slot.number(value)) }
    mutating func encode(_ value: UInt32) throws { put(Slot.number(value)) }
    mutating func encode(_ value: UInt64) throws { put(Slot.number(value)) }
}

private struct UnkeyedSlotContainer: UnkeyedEncodingContainer, ScalarSink {
    let box: ArrayBox
    let codingPath: [any CodingKey]
    var count: Int { box.items.count }

    private var nextPath: [any CodingKey] { codingPath + [IndexKey(box.items.count)] }
    var scalarPath: [any CodingKey] { nextPath }
    func put(_ value: JSONValue) { box.items.append(Slot(value)) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let slot = Slot()
        try Slot.encode(value, into: slot, codingPath: nextPath)
        box.items.append(slot)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let slot = Slot(), path = nextPath
        box.items.append(slot)
        return KeyedEncodingContainer(KeyedSlotContainer<NestedKey>(box: slot.objectBox(), codingPath: path))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let slot = Slot(), path = nextPath
        box.items.append(slot)
        return UnkeyedSlotContainer(box: slot.arrayBox(), codingPath: path)
    }

    mutating func superEncoder() -> any Encoder {
        let slot = Slot(), path = nextPath
        box.items.append(slot)
        return SlotEncoder(slot: slot, codingPath: path)
    }
}

private struct SingleSlotContainer: SingleValueEncodingContainer, ScalarSink {
    let slot: Slot
    let codingPath: [any CodingKey]

    var scalarPath: [any CodingKey] { codingPath }
    func put(_ value: JSONValue) { slot.content = .value(value) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try Slot.encode(value, into: slot, codingPath: codingPath)
    }
}
