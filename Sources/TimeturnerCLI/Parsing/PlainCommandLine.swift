import ArgumentParser

/// The plainest shapes of a hot command's arguments, read without swift-argument-parser.
///
/// The library finds a command's options by reflection (`Mirror`, then casts of each property
/// wrapper to its internal protocols, and of each value to `ExpressibleByArgument`). Each first
/// cast of a (type, protocol) pair makes the Swift runtime scan every protocol-conformance record
/// in the binary: parsing `point` took 146 such lookups and 10.5M of its 26M instructions,
/// more than writing the point itself. The commands hooks, CI and release engineers run on
/// every deploy and during an outage (`point`, `good`, `bad`, `last-good`, `rollback`, `undo`,
/// `status`) declare their options here once more, and a command line made only of those
/// options, spelled the unambiguous ways, is read directly.
///
/// Anything else gives nil, and the caller parses with swift-argument-parser as always: an
/// unknown or repeated option, a short option with its value attached, an option's value that
/// starts with `-`, an empty argument, `--`, help, a value a type rejects. So every error,
/// every help text and every unusual spelling is still the library's; this only ever accepts
/// what the library would read the same way, which `PlainCommandLineTests` checks by parsing
/// every accepted command line both ways.
struct PlainCommandLine {
    /// One option: its spellings (`-m`, `--message`) and whether it takes a value or may repeat.
    struct Option {
        enum Kind { case flag, value, repeatableValue }
        let names: [String]
        let kind: Kind

        static func flag(_ names: String...) -> Option { Option(names: names, kind: .flag) }
        static func value(_ names: String...) -> Option { Option(names: names, kind: .value) }
        static func repeatable(_ names: String...) -> Option { Option(names: names, kind: .repeatableValue) }
    }

    private(set) var positionals: [String] = []
    /// Values by the option's first name; a flag has one empty value.
    private var values: [String: [String]] = [:]

    /// Nil unless every argument is one of `options` or one of at most `positionals` positional
    /// arguments, spelled as described above.
    init?(_ arguments: ArraySlice<String>, options: [Option], positionals allowed: Int) {
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            index += 1
            guard !argument.isEmpty else { return nil }
            guard argument.hasPrefix("-") else {
                guard positionals.count < allowed else { return nil }
                positionals.append(argument)
                continue
            }
            // `--name=value` for long options; short ones only as `-m value`.
            var name = argument, attached: String? = nil
            if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                attached = String(argument[argument.index(after: equals)...])
            }
            guard let option = options.first(where: { $0.names.contains(name) }) else { return nil }
            let key = option.names[0]
            if option.kind != .repeatableValue, values[key] != nil { return nil }
            switch option.kind {
            case .flag:
                guard attached == nil else { return nil }
                values[key] = [""]
            case .value, .repeatableValue:
                let value: String
                if let attached {
                    value = attached
                } else {
                    guard index < arguments.endIndex else { return nil }
                    value = arguments[index]
                    index += 1
                }
                guard !value.isEmpty, !value.hasPrefix("-") else { return nil }
                values[key, default: []].append(value)
            }
        }
    }

    /// The value of a single-value option, by its first name.
    func value(_ name: String) -> String? { values[name]?.first }

    /// A typed option's value read as the library reads it (`init?(argument:)`): `.some(nil)`
    /// when the option was not given, nil when the type refuses the text (the caller then gives
    /// up, and the library parses again and says why).
    func value<Value: ExpressibleByArgument>(_ name: String, as type: Value.Type) -> Value?? {
        guard let text = value(name) else { return .some(nil) }
        return Value(argument: text).map { .some($0) }
    }

    /// Every value of a repeatable option, in order.
    func all(_ name: String) -> [String] { values[name] ?? [] }

    /// Whether a flag was given.
    func has(_ name: String) -> Bool { values[name] != nil }
}

/// A command whose plainest command lines `PlainCommandLine` reads. `plainOptions` must be every
/// option the command declares (a test compares them with the library's definitions), and
/// `plainlyParsed` must set every property: one swift-argument-parser did not parse cannot be read.
/// The command's own `validate()` is called as the library would; an option group's is not, so
/// a command whose groups validate must not be plainly parsable.
protocol PlainlyParsable: ParsableCommand {
    static var plainOptions: [PlainCommandLine.Option] { get }
    /// The command `arguments` (after its name) name, or nil when the library must read them.
    static func plainlyParsed(_ arguments: ArraySlice<String>) -> Self?
    /// `run()`, the async one when the command has one. Called on the command as parsed, so
    /// that `mainExit` need not ask at run time whether it is an `AsyncParsableCommand`: that
    /// cast scans every conformance record of the binary (0.35M instructions of each command).
    mutating func runAsParsed() async throws
}

extension PlainlyParsable {
    mutating func runAsParsed() async throws { try run() }
}

extension PlainlyParsable where Self: AsyncParsableCommand {
    mutating func runAsParsed() async throws { try await run() }
}
