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
        #expect(store.records().records.map(\.repositoryPath) == ["/r", "/r"])
        // Trust is keyed by content: the earlier approval of "aa" stays next to "dd".
        #expect(store.records().records.map(\.sha256) == ["aa", "dd"])
    }

    @Test func earlierContentsStayTrustedUpToABound() throws {
        let directory = try makeTemporaryDirectory("trust-bound")
        let store = TrustStore(path: directory + "/trust")
        let who = Attribution(name: "Ada", email: "ada@example.com", time: Timestamp(secondsSinceEpoch: 1_795_000_000))
        let limit = TrustStore.digestsPerRepository
        for index in 0..<(limit + 3) { try store.trust(repositoryPath: "/r", sha256: "v\(index)", by: who) }
        // The oldest three were dropped; every later one is still trusted.
        #expect((0..<3).allSatisfy { !store.status(repositoryPath: "/r", sha256: "v\($0)", environment: [:]).isTrusted })
        #expect((3..<(limit + 3)).allSatisfy { store.status(repositoryPath: "/r", sha256: "v\($0)", environment: [:]).isTrusted })
        #expect(store.records().records.count == limit)
        // Trusting a remembered content again makes it the newest, so it outlives the others.
        try store.trust(repositoryPath: "/r", sha256: "v3", by: who)
        try store.trust(repositoryPath: "/r", sha256: "new", by: who)
        #expect(store.status(repositoryPath: "/r", sha256: "v3", environment: [:]).isTrusted)
        #expect(!store.status(repositoryPath: "/r", sha256: "v4", environment: [:]).isTrusted)
        #expect(store.records().records.last?.sha256 == "new")
        // Another repository's approvals are not touched by the bound.
        try store.trust(repositoryPath: "/s", sha256: "v0", by: who)
        #expect(store.status(repositoryPath: "/s", sha256: "v0", environment: [:]).isTrusted)
        #expect(!store.status(repositoryPath: "/r", sha256: "v0", environment: [:]).isTrusted)
    }

    @Test func trustReviewSortsEverySettingAndHidesURLPasswords() {
        let origin = ConfigurationOrigin.sharedFile(path: "/r/.timeturner")
        let review = TrustReview([
            ConfigurationSetting(key: "timeturner.tier.db.executor", value: "postgres", origin: origin),
            ConfigurationSetting(key: "timeturner.tier.db.url", value: "postgresql://app:pw@db/app", origin: origin),
            ConfigurationSetting(key: "timeturner.tier.deploy.health", value: "bin/health", origin: origin),
            ConfigurationSetting(key: "timeturner.check.api.url", value: "https://api/health", origin: origin),
            ConfigurationSetting(key: "timeturner.tier.deploy.restartcommand", value: "bin/restart", origin: origin),
            ConfigurationSetting(key: "timeturner.tier.config.path", value: "config/app.yml", origin: origin),
        ])
        #expect(review.executors.map(\.value) == ["postgres"])
        #expect(review.commands.map(\.value) == ["bin/health", "bin/restart"])
        #expect(review.urls.map(\.value) == ["postgresql://app:***@db/app", "https://api/health"])
        #expect(review.other.map(\.key) == ["timeturner.tier.config.path"])
    }
}

/// `ArtifactStore.check`: what a preflight asks of a capture before relying on it.
@Suite struct ArtifactCheckTests {
    @Test func aCapturesArtifactIsFoundByItsRelativeReferenceAndItsChecksum() async throws {
        let repo = try await ScratchRepository()
        try await repo.commit("v1")
        let repository = try Repository.open(path: repo.path)
        let directory = try makeTemporaryDirectory("artifacts")
        let store = ArtifactStore(repository: repository, directory: directory)
        try writeFile(directory + "/db/point-p1.dump", Array("dump bytes".utf8))
        let sha = SHA256.hex(of: Array("dump bytes".utf8))
        #expect(store.check(["dump": "db/point-p1.dump", "sha256": .string(sha)]) == .verified(path: directory + "/db/point-p1.dump", sha256: sha))
        // An absolute reference (older versions) resolves as it is.
        #expect(store.check(["dump": .string(directory + "/db/point-p1.dump"), "sha256": .string(sha)]).isUsable)
        #expect(store.check(["archive": "config/point-p1.tar", "sha256": .string(sha)]) == .missing(path: directory + "/config/point-p1.tar"))
        #expect(store.check(["dump": "db/point-p1.dump"]) == .noChecksum(path: directory + "/db/point-p1.dump"))
        #expect(store.check(["release": "v41"]) == .noArtifact)
        try writeFile(directory + "/db/point-p1.dump", Array("dump bytes, changed".utf8))
        if case .mismatch(let path, let expected, _) = store.check(["dump": "db/point-p1.dump", "sha256": .string(sha)]) {
            #expect(path == directory + "/db/point-p1.dump" && expected == sha)
        } else {
            Issue.record("a changed artifact was not reported")
        }
        // The default directory lives in the common git directory.
        let configuration = try TimeturnerConfiguration.load(repository: repository, overrides: [], environment: [:],
                                                             trustStore: TrustStore(path: repo.home + "/trust"))
        #expect(try ArtifactStore.directory(repository: repository, configuration: configuration).hasSuffix("/.git/timeturner/artifacts"))
        let relative = try TimeturnerConfiguration.load(repository: repository, overrides: ["timeturner.artifacts.dir=../shared/./a"], environment: [:],
                                                        trustStore: TrustStore(path: repo.home + "/trust"))
        #expect(try ArtifactStore.directory(repository: repository, configuration: relative) == ArtifactStore.normalised(configuration.repositoryPath + "/../shared/a"))
        #expect(!ArtifactStore.normalised(configuration.repositoryPath + "/../shared/a").contains(".."))
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
