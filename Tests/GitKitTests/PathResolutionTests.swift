import CPathResolution
@testable import GitKit
import Glibc
import Testing
import TestSupport

/// realpath through the kernel (`CPathResolution`): for every kind of path it gives what glibc's
/// component-by-component realpath gives, result and error alike, and libgit2's own calls reach it.
@Suite struct PathResolutionTests {
    /// (result, errno when it failed) of the fast realpath and of glibc's.
    private func both(_ path: String) -> (fast: String?, fastError: Int32, glibc: String?, glibcError: Int32) {
        errno = 0
        let fast = realpath(path, nil)
        let fastError = fast == nil ? errno : 0
        defer { free(fast) }
        errno = 0
        let glibc = timeturner_realpath_by_components(path, nil)
        let glibcError = glibc == nil ? errno : 0
        defer { free(glibc) }
        return (fast.map { String(cString: $0) }, fastError, glibc.map { String(cString: $0) }, glibcError)
    }

    @Test func resolvesEveryKindOfPathAsGlibcDoes() throws {
        let root = try makeTemporaryDirectory("realpath")
        defer { removeTree(root) }
        let deep = root + "/a/b/c"
        #expect(mkdir(root + "/a", 0o755) == 0 && mkdir(root + "/a/b", 0o755) == 0 && mkdir(deep, 0o755) == 0)
        for name in ["file", "with space", "line\nbreak", "named (deleted)"] {
            let descriptor = open(deep + "/" + name, O_WRONLY | O_CREAT, 0o644)
            #expect(descriptor >= 0)
            close(descriptor)
        }
        #expect(symlink(deep, root + "/to-c") == 0)                  // absolute target
        #expect(symlink("a/b", root + "/to-b") == 0)                 // relative target
        #expect(symlink("to-b/c/file", root + "/chain") == 0)        // through another link
        #expect(symlink("missing", root + "/dangling") == 0)
        #expect(symlink("loop-2", root + "/loop-1") == 0 && symlink("loop-1", root + "/loop-2") == 0)

        let cases = [
            root, root + "/", root + "//a///b/", deep + "/file", deep + "/with space", deep + "/line\nbreak",
            deep + "/named (deleted)", root + "/to-c/file", root + "/to-b/c/../c/./file", root + "/chain",
            root + "/to-c/../../b/c",                                   // `..` after a link: from where it points
            root + "/dangling", root + "/missing", root + "/missing/file", deep + "/file/",
            deep + "/file/more", root + "/loop-1", ".", "..", "/", "/proc/self",
        ]
        for path in cases {
            let result = both(path)
            #expect(result.fast == result.glibc && result.fastError == result.glibcError,
                    "\(path.debugDescription): fast \(result.fast.debugDescription) (errno \(result.fastError)), glibc \(result.glibc.debugDescription) (errno \(result.glibcError))")
        }
        // The answers themselves, so that the comparison is not of two wrong results.
        #expect(both(root + "/chain").glibc == both(deep + "/file").glibc)
        #expect(both(root + "/missing").fastError == ENOENT)
        #expect(both(deep + "/file/").fastError == ENOTDIR)
        #expect(both(root + "/loop-1").fastError == ELOOP)
    }

    @Test func fillsTheCallersBufferWhenGivenOne() throws {
        let root = try makeTemporaryDirectory("realpath-buffer")
        defer { removeTree(root) }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX))
        let before = timeturner_kernel_resolved_paths()
        let result = buffer.withUnsafeMutableBufferPointer { realpath(root + "/.", $0.baseAddress) }
        #expect(result != nil)
        let expected = try #require(both(root).glibc)
        #expect(buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) } == expected)
        #expect(timeturner_kernel_resolved_paths() > before, "answered by glibc, not by the kernel's name")
    }

    /// libgit2 resolves a checked-out file's directory (its attribute lookup) through realpath:
    /// those calls are the ones this exists for, so they must be bound to it.
    @Test func libgit2sCallsReachIt() async throws {
        let scratch = try await ScratchRepository()
        let first = try await scratch.commit("one", files: ["dir/f.txt": "1\n"])
        try await scratch.commit("two", files: ["dir/f.txt": "2\n"])
        let repository = try Repository.open(path: scratch.path)
        let oldTree = try repository.commit(try #require(OID(hex: first))).tree
        let newTree = try repository.commit(try repository.headCommit()).tree
        let before = timeturner_kernel_resolved_paths()
        try repository.checkout(tree: oldTree, baseline: newTree, paths: ["dir/f.txt"], safety: .safe)
        #expect(scratch.read("dir/f.txt") == "1\n")
        #expect(timeturner_kernel_resolved_paths() > before, "libgit2's checkout did not call the wrapped realpath")
    }
}
