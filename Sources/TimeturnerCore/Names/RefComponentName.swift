import GitKit

/// A user-chosen name that becomes one component of a ref name (`refs/timeturner/points/<name>`)
/// or of a tree path (`marks/<env>/…`): point ids and environment names.
///
/// The rules are stricter than git's so that a name is also safe on a command line and in a
/// shell script that a person copies from our output.
public struct RefComponentName: Hashable, Sendable, CustomStringConvertible {
    public let value: String

    /// Validates `value`; `what` names the thing in the error ("point name", "environment name").
    public init(_ value: String, what: String) throws(TimeturnerError) {
        if let rule = RefComponentName.brokenRule(value) {
            throw TimeturnerError(.usage, "invalid \(what) '\(value)': \(rule)",
                                  hint: "use letters, digits, '.', '_' and '-', starting with a letter or digit")
        }
        self.value = value
    }

    public var description: String { value }

    /// The first rule `value` breaks, in words, or nil when it is acceptable.
    public static func brokenRule(_ value: String) -> String? {
        if value.isEmpty { return "it is empty" }
        if value.utf8.count > 100 { return "it is longer than 100 bytes" }
        if value.hasPrefix("-") { return "it starts with '-' (it would be read as an option)" }
        if value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            return "it contains a control character"
        }
        if value.unicodeScalars.contains(where: { $0.properties.isWhitespace }) { return "it contains white space" }
        if value.contains("..") { return "it contains '..'" }
        if value.contains("$(") || value.contains("`") { return "it contains a shell substitution ('$(' or '`')" }
        if value.contains("/") { return "it contains '/' (a name is a single ref component)" }
        if value.hasPrefix(".") { return "it starts with '.'" }
        if value.hasSuffix(".lock") { return "it ends with '.lock'" }
        if value == "@" { return "it is '@'" }
        if let bad = value.first(where: { "~^:?*[\\{}'\"!;&|<>$".contains($0) }) {
            return "it contains '\(bad)'"
        }
        if !Repository.isValidReferenceName("refs/timeturner/points/" + value) {
            return "git check-ref-format refuses it"
        }
        return nil
    }
}
