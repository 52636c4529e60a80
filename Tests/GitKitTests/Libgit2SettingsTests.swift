@testable import GitKit
import Testing

/// How the process-wide libgit2 settings read the environment (the settings themselves are
/// watched end to end: ProcessEnvironmentTests.theSystemConfigIsSkippedAsGitSkipsIt).
@Suite struct Libgit2SettingsTests {
    @Test func gitConfigNoSystemIsReadAsGitReadsABoolean() {
        for value in ["1", "true", "TRUE", "yes", "on", "2", "-1"] {
            #expect(Libgit2.systemConfigIsSkipped(value), "\(value)")
        }
        for value in [nil, "", "0", "false", "no", "off", "maybe"] as [String?] {
            #expect(!Libgit2.systemConfigIsSkipped(value), "\(value ?? "unset")")
        }
    }
}
