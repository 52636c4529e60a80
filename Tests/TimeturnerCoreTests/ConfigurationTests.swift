import GitKit
import Testing
import TestSupport
@testable import TimeturnerCore

/// Layering of `.timeturner` under git config and `-c`, tier assignments, and the trust store.
@Suite struct ConfigurationTests {
    func load(_ repo: ScratchRepository, overrides: [String] = [], environment: [String: String] = [:]) throws -> TimeturnerConfiguration {
        try TimeturnerConfiguration.load(repository: try Repository.open(path: repo.path), overrides: overrides,
                                         environment: environment, trustStore: TrustStore(path: repo.home + "/trust"))
    }

    @Test func keysAreNormalisedLikeGitDoes() {
        #expect(TimeturnerConfiguration.normalisedKey("TimeTurner.tier.DB.backupDir") == "timeturner.tier.DB.backupdir")
        #expect(TimeturnerConfiguration.normalisedKey("timeturner.verify") == "timeturner.verify")
        #expect(TimeturnerConfiguration.normalisedKey("core.editor") == nil)
        #expect(TimeturnerConfiguration.normalisedKey("timeturner") == nil)
        #expect(TimeturnerConfiguration.normalisedKey("timeturner.x.") == nil)
    }

    @Test func tiersComeOutInRollbackOrderWithMergedSettings() async throws {
        let repo = try await ScratchRepository()
        try await repo.commit("first")
        try await repo.git("config", "-f", ".timeturner", "timeturner.tier.system.executor", "command")
        try await repo.git("config", "-f", ".timeturner", "timeturner.tier.db.executor", "postgres")
        try await repo.git("config", "-f", ".timeturner", "timeturner.executor.postgres.backupDir", "/executor-level")
        try await repo.git("config", "-f", ".timeturner", "timeturner.executor.postgres.timeout", "2m")
        try await repo.git("config", "-f", ".timeturner", "timeturner.tier.db.url", "postgresql://x/app")
        try await repo.git("config", "timeturner.tier.db.backupDir", "/tier-level")
        let configuration = try load(repo)
        // Untrusted: nothing may be assigned.
        #expect(throws: TimeturnerError.self) { try configuration.tierAssignments() }

        let trusted = try load(repo, environment: ["TIMETURNER_TRUST": configuration.sharedFile!.sha256])
        let tiers = try trusted.tierAssignments()
        #expect(tiers.map(\.tier) == ["db", "system"])
        #expect(tiers[0].executor == "postgres")
        #expect(tiers[0].settings["backupdir"] == ["/tier-level"])
        #expect(tiers[0].settings["url"] == ["postgresql://x/app"])
        #expect(tiers[0].timeoutSeconds == 120)
        #expect(tiers[1].timeoutSeconds == 300)
    }

    @Test func badTierConfigurationIsAUsageError() async throws {
        let repo = try await ScratchRepository()
        try await repo.commit("first")
        try await repo.git("config", "timeturner.tier.code.executor", "command")
        do {
            _ = try load(repo).tierAssignments()
            Issue.record("the code tier took an executor")
        } catch let error as TimeturnerError {
            #expect(error.kind == .usage)
            #expect(error.hint?.contains("code is rolled back by git-timeturner itself") == true)
        }
        try await repo.git("config", "--unset", "timeturner.tier.code.executor")
        try await repo.git("config", "timeturner.tier.db.executor", "postgres")
        try await repo.git("config", "timeturner.tier.db.timeout", "soon")
        #expect(throws: TimeturnerError.self) { try load(repo).tierAssignments() }
        #expect(throws: TimeturnerError.self) { try load(repo, overrides: ["no-equals-sign"]) }
        #expect(throws: TimeturnerError.self) { try load(repo, overrides: ["core.editor=vi"]) }
    }

    @Test func aSyntaxErrorInTheSharedFileIsReportedNotIgnored() async throws {
        let repo = try await ScratchRepository()
        try await repo.commit("first")
        try repo.write(".timeturner", "[timeturner \"tier.db\"\n executor = postgres\n")
        do {
            _ = try load(repo)
            Issue.record("a broken .timeturner loaded")
        } catch let error as TimeturnerError {
            #expect(error.message == ".timeturner is not valid git-config syntax")
        }
    }

    @Test func trustIsPerPathAndPerContentAndKeepsLinesItCannotRead() throws {
        let directory = try makeTemporaryDirectory("trust")
        let store = TrustStore(path: directory + "/nested/trust")
        let who = Attribution(name: "Ada", email: "ada@example.com", time: Timestamp(secondsSinceEpoch: 1_795_000_000))
        #expect(store.status(repositoryPath: "/r", sha256: "aa", environment: [:]) == .untrusted(reason: "never trusted on this machine"))
        try store.trust(repositoryPath: "/r", sha256: "aa", by: who)
        try store.trust(repositoryPath: "/other", sha256: "bb", by: who)
        #expect(store.status(repositoryPath: "/r", sha256: "aa", environment: [:]).isTrusted)
        #expect(!store.status(repositoryPath: "/r", sha256: "bb", environment: [:]).isTrusted)
        if case .untrusted(let reason) = store.status(repositoryPath: "/r", sha256: "cc", environment: [:]) {
            #expect(reason.hasPrefix("it changed since you trusted it on 2026-11-18T11:06:40Z"))
        } else {
            Issue.record("changed content was trusted")
        }
        // The environment variable decides alone when set.
        #expect(store.status(repositoryPath: "/r", sha256: "cc", environment: ["TIMETURNER_TRUST": "CC"]).isTrusted)
        #expect(!store.status(repositoryPath: "/r", sha256: "aa", environment: ["TIMETURNER_TRUST": "cc"]).isTrusted)

        // A damaged line survives rewrites byte for byte.
        let damaged: [UInt8] = Array("{not json\u{1}".utf8) + [0xff]
        try writeFile(store.path, (readFile(store.path) ?? []) + damaged + [0x0a])
        try store.trust(repositoryPath: "/r", sha256: "dd", by: who)
        #expect(try store.revoke(repositoryPath: "/other"))
        #expect(!(try store.revoke(repositoryPath: "/never")))
        let bytes = readFile(store.path) ?? []
        #expect(bytes.split(separator: 0x0a).contains { Array($0) == damaged })
        #expect(store.records().records.map(\.repositoryPath) == ["/r"])
        #expect(store.records().records.map(\.sha256) == ["dd"])
    }
}

/// Colour decided as git decides it, with NO_COLOR above every setting.
@Suite struct ColourChoiceTests {
    @Test func settingsTerminalAndNoColour() {
        #expect(ColourChoice.decide(environment: [:], isTerminal: true, setting: nil))
        #expect(!ColourChoice.decide(environment: [:], isTerminal: false, setting: nil))
        #expect(!ColourChoice.decide(environment: ["TERM": "dumb"], isTerminal: true, setting: "auto"))
        #expect(ColourChoice.decide(environment: [:], isTerminal: false, setting: "always"))
        #expect(!ColourChoice.decide(environment: [:], isTerminal: true, setting: "never"))
        #expect(!ColourChoice.decide(environment: [:], isTerminal: true, setting: "false"))
        #expect(ColourChoice.decide(environment: [:], isTerminal: true, setting: "true"))
        #expect(!ColourChoice.decide(environment: ["NO_COLOR": "1"], isTerminal: true, setting: "always"))
        #expect(ColourChoice.decide(environment: ["NO_COLOR": ""], isTerminal: true, setting: nil), "an empty NO_COLOR is not set")
    }
}
