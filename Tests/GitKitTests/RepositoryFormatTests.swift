import GitKit
import Testing
import TestSupport

/// The index reader behind the split/sparse index refusal must walk every entry layout git
/// writes (v2, v3 with extended flags, v4 prefix-compressed paths) and skip optional
/// extensions: a mistake refuses a healthy repository or misses a split one.
@Suite struct RepositoryFormatTests {
    func repository(files: Int = 30) async throws -> ScratchRepository {
        let repo = try await ScratchRepository()
        var contents: [String: String] = [:]
        // Paths of many lengths, so padding and prefix compression both matter.
        for i in 0..<files { contents["dir\(i % 3)/\(String(repeating: "n", count: i))file-\(i).txt"] = "\(i)\n" }
        try await repo.commit("many paths", files: contents)
        return repo
    }

    @Test(arguments: [2, 3, 4])
    func everyIndexVersionIsReadableAndASplitOneIsFound(_ version: Int) async throws {
        let repo = try await repository()
        try repo.write("new.txt", "intent\n")
        try await repo.git("add", "-N", "new.txt")  // intent-to-add: the v3 extended flags
        try await repo.git("update-index", "--index-version", "\(version)")
        try await repo.git("update-index", "--untracked-cache")
        _ = try await repo.git("status", "--porcelain")  // writes the optional UNTR extension
        #expect(try Repository.open(path: repo.path).unsupportedIndexFeature == nil)

        try await repo.git("update-index", "--split-index")
        let path = repo.path + "/.git/index"
        #expect(try Repository.open(path: repo.path).unsupportedIndexFeature?.isSplitIndex(at: path) == true)
        try await repo.git("update-index", "--no-split-index")
        #expect(try Repository.open(path: repo.path).unsupportedIndexFeature == nil)
    }

    @Test func aBareRepositoryHasNoIndexToRefuse() async throws {
        let repo = try await ScratchRepository(bare: true)
        #expect(try Repository.open(path: repo.path).unsupportedIndexFeature == nil)
    }

    @Test func theConfigIsReadWithoutOpeningTheRepository() async throws {
        let repo = try await repository(files: 1)
        let located = try #require(Repository.locate(path: repo.path + "/dir0"))
        #expect(located.commonDirectory.hasSuffix("/repo/.git"))
        #expect(!located.ownedByAnotherUser)
        #expect(Repository.unsupportedFormat(of: located) == nil)
        // Extensions mean nothing in a version-0 repository, for git and libgit2 alike.
        // `git config -f` from outside: git itself refuses to run in the repository meanwhile.
        func set(_ key: String, _ value: String) async throws {
            let run = try await runProcess("git", ["config", "-f", repo.path + "/.git/config", key, value], environment: repo.environment, in: repo.home)
            #expect(run.status == 0, "\(run)")
        }
        try await set("extensions.objectFormat", "sha256")
        #expect(Repository.unsupportedFormat(of: located) == nil)
        try await set("core.repositoryformatversion", "1")
        #expect(Repository.unsupportedFormat(of: located) == .objectFormat("sha256"))
    }
}

extension UnsupportedRepositoryFeature {
    func isSplitIndex(at path: String) -> Bool {
        if case .splitIndex(let index) = self { return index.hasSuffix(path.split(separator: "/").suffix(3).joined(separator: "/")) }
        return false
    }
}
