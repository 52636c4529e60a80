import Testing
@testable import TimeturnerCore

@Suite struct NameRuleTests {
    @Test(arguments: ["production", "pre-v2.5", "20261121T223000Z-7f3a", "staging_eu.1", "a"])
    func acceptsOrdinaryNames(_ name: String) {
        #expect(RefComponentName.brokenRule(name) == nil)
    }

    @Test(arguments: [
        ("", "empty"), ("-rf", "starts with '-'"), ("a..b", "'..'"), ("has space", "white space"),
        ("tab\there", "control character"), ("$(reboot)", "shell substitution"), ("a`b`", "shell substitution"),
        ("esc\u{1b}[31m", "control character"), ("x/y", "'/'"), (".hidden", "starts with '.'"),
        ("x.lock", ".lock"), ("what?", "'?'"), ("a~1", "'~'"), ("a:b", "':'"), ("@", "'@'"),
        (String(repeating: "x", count: 101), "longer than 100"),
    ])
    func refusesNamesNamingTheRule(_ name: String, _ rule: String) {
        let broken = RefComponentName.brokenRule(name)
        #expect(broken?.contains(rule) == true, "\(name.debugDescription): \(broken ?? "accepted")")
    }

    @Test func errorIsAUsageErrorWithAHint() {
        do {
            _ = try RefComponentName("a..b", what: "environment name")
            Issue.record("accepted a..b")
        } catch {
            #expect(error.kind == .usage)
            #expect(error.message == "invalid environment name 'a..b': it contains '..'")
            #expect(error.hint != nil)
        }
    }
}
