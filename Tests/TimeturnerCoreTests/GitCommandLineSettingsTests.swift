import Testing
@testable import TimeturnerCore
import TestSupport

/// `git -c` reaches the tool through GIT_CONFIG_PARAMETERS, in git's quoting; the expected
/// values below are what git 2.39 itself wrote for these `-c` arguments.
@Suite struct GitCommandLineSettingsTests {
    @Test func readsWhatGitWritesForDashC() throws {
        let written = #"'timeturner.verify'='false' 'timeturner.x'='it'\''s' 'timeturner.flag'= 'Timeturner.Tier.DB.executor'='pg' 'a.b'='x y' 'c.d'='' 'e.f'='wow'\!''"#
        let entries = try GitCommandLineSettings.parse(written)
        #expect(entries.map(\.key) == ["timeturner.verify", "timeturner.x", "timeturner.flag", "Timeturner.Tier.DB.executor", "a.b", "c.d", "e.f"])
        #expect(entries.map(\.value) == ["false", "it's", nil, "pg", "x y", "", "wow!"])
    }

    @Test func readsTheFormatBeforeGit231AndTheNumberedVariables() throws {
        let old = try GitCommandLineSettings.parse(#"'timeturner.verify=make smoke' 'core.bare'"#)
        #expect(old.map(\.key) == ["timeturner.verify", "core.bare"] && old.map(\.value) == ["make smoke", nil])
        let environment = ["GIT_CONFIG_COUNT": "2", "GIT_CONFIG_KEY_0": "timeturner.verify", "GIT_CONFIG_VALUE_0": "first",
                           "GIT_CONFIG_KEY_1": "timeturner.tier.db.executor", "GIT_CONFIG_VALUE_1": "postgres",
                           "GIT_CONFIG_PARAMETERS": "'timeturner.verify'='last'"]
        let entries = try GitCommandLineSettings.entries(in: environment)
        #expect(entries.map(\.key) == ["timeturner.verify", "timeturner.tier.db.executor", "timeturner.verify"], "numbered first, -c last: later wins")
        #expect(entries.map(\.value) == ["first", "postgres", "last"])
        #expect(try GitCommandLineSettings.entries(in: [:]).isEmpty)
    }

    @Test func refusesWhatGitWouldNotHaveWritten() {
        for bad in ["'unclosed", "bare words", "'a'='b'junk", #"'a'\x'"#] {
            #expect(throws: TimeturnerError.self, "\(bad)") { try GitCommandLineSettings.parse(bad) }
        }
        for environment in [["GIT_CONFIG_COUNT": "x"], ["GIT_CONFIG_COUNT": "1"], ["GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "a.b"]] {
            #expect(throws: TimeturnerError.self, "\(environment)") { try GitCommandLineSettings.entries(in: environment) }
        }
    }
}
