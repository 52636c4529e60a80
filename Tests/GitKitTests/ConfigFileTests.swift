import GitKit
import Testing
import TestSupport

/// Reading a git-config file by path and the repository's entries with their levels,
/// cross-checked against what `git config` itself wrote.
@Suite struct ConfigFileTests {
    @Test func readsAFileByPathInOrderWithIncludeDepth() async throws {
        let repo = try await ScratchRepository()
        try await repo.git("config", "-f", "shared", "timeturner.tier.db.executor", "postgres")
        try await repo.git("config", "-f", "shared", "--add", "timeturner.tier.config.path", "a")
        try await repo.git("config", "-f", "shared", "--add", "timeturner.tier.config.path", "b")
        try await repo.git("config", "-f", "shared", "include.path", "extra")
        try await repo.git("config", "-f", "extra", "timeturner.fromInclude", "yes")
        let entries = try ConfigFile.entries(atPath: repo.path + "/shared")
        #expect(entries.map(\.name) == ["timeturner.tier.db.executor", "timeturner.tier.config.path", "timeturner.tier.config.path",
                                        "include.path", "timeturner.frominclude"])
        #expect(entries.filter { $0.name == "timeturner.tier.config.path" }.map(\.value) == ["a", "b"])
        #expect(entries.first { $0.name == "timeturner.frominclude" }?.includeDepth == 1)
        #expect(try ConfigFile.entries(atPath: repo.path + "/shared", matching: "^timeturner\\.tier\\.db").count == 1)

        try repo.write("broken", "[section\nkey = value\n")
        #expect(throws: GitError.self) { try ConfigFile.entries(atPath: repo.path + "/broken") }
    }

    /// The global level (which libgit2 finds through this test process's own HOME, not the
    /// scratch one) is covered end to end by `git timeturner config`.
    @Test func repositoryEntriesCarryTheirLevelInFileOrder() async throws {
        let repo = try await ScratchRepository()
        try await repo.git("config", "timeturner.a", "first")
        try await repo.git("config", "--add", "timeturner.a", "second")
        try await repo.git("config", "timeturner.b", "third")
        try await repo.git("config", "core.other", "ignored")
        let entries = try Repository.open(path: repo.path).configEntries(matching: "^timeturner\\.")
        #expect(entries.map(\.value) == ["first", "second", "third"])
        #expect(entries.allSatisfy { $0.level == .local })
    }
}
