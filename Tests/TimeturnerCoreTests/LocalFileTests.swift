internal import Glibc
import Testing
import TestSupport
@testable import TimeturnerCore

@Suite struct LocalFileAtomicWriteTests {
    /// Names in `directory`, without . and ..
    func entries(_ directory: String) -> [String] {
        guard let stream = opendir(directory) else { return [] }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    @Test func writesTheContentWithTheModeAndLeavesNoTemporary() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTree(directory) }
        let path = directory + "/trust.jsonl"
        let bytes = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) } // several writes' worth
        try LocalFile.writeAtomically(bytes, to: path, mode: 0o600)
        #expect(readFile(path) == bytes)
        #expect(LocalFile.kindAndMode(path)?.mode == 0o600)
        #expect(entries(directory) == ["trust.jsonl"])
    }

    @Test func replacesAnExistingFileWhole() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTree(directory) }
        let path = directory + "/state.json"
        try writeFile(path, Array("an older and much longer content\n".utf8))
        try LocalFile.writeAtomically(Array("new\n".utf8), to: path)
        #expect(readFile(path) == Array("new\n".utf8))
        #expect(LocalFile.kindAndMode(path)?.mode == 0o644 & ~currentUmask())
        #expect(entries(directory) == ["state.json"])
    }

    @Test func aFailedRenameRemovesTheTemporaryAndNamesPathAndError() throws {
        // A directory in the way makes rename(2) fail after the temporary was written and
        // synced: the latest point at which a temporary could be left behind. Works as root too.
        let directory = try makeTemporaryDirectory()
        defer { removeTree(directory) }
        let path = directory + "/in-the-way"
        mkdir(path, 0o755)
        mkdir(path + "/child", 0o755)
        let error = try #require(throws: TimeturnerError.self) {
            try LocalFile.writeAtomically(Array("x".utf8), to: path)
        }
        #expect(error.message == "could not write \(path)")
        #expect(error.causes.first?.hasPrefix("could not rename \(path).tmp-") == true)
        #expect(error.causes.first?.contains("(EISDIR)") == true || error.causes.first?.contains("(ENOTEMPTY)") == true
                || error.causes.first?.contains("directory") == true)
        #expect(entries(directory) == ["in-the-way"])
        #expect(entries(path) == ["child"])
    }

    @Test func aMissingDirectoryIsNamedWithTheOSError() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTree(directory) }
        let path = directory + "/missing/file"
        let error = try #require(throws: TimeturnerError.self) { try LocalFile.writeAtomically([1], to: path) }
        #expect(error.message == "could not write \(path)")
        #expect(error.causes.first?.hasSuffix("No such file or directory (ENOENT)") == true)
        #expect(entries(directory).isEmpty)
    }

    /// Root may write into a read-only directory, so this one needs an ordinary user.
    @Test(.enabled(if: getuid() != 0, "root ignores directory permissions"))
    func aReadOnlyDirectoryFailsAndLeavesNothing() throws {
        let directory = try makeTemporaryDirectory()
        defer { chmod(directory, 0o755); removeTree(directory) }
        try writeFile(directory + "/kept", Array("old".utf8))
        chmod(directory, 0o555)
        let error = try #require(throws: TimeturnerError.self) { try LocalFile.writeAtomically([1], to: directory + "/kept") }
        #expect(error.causes.first?.contains("(EACCES)") == true)
        #expect(entries(directory) == ["kept"])
        #expect(readFile(directory + "/kept") == Array("old".utf8))
    }

    @Test func parentDirectories() {
        #expect(LocalFile.parentDirectory(of: "/a/b/c") == "/a/b")
        #expect(LocalFile.parentDirectory(of: "/c") == "/")
        #expect(LocalFile.parentDirectory(of: "c") == ".")
        #expect(LocalFile.parentDirectory(of: "b/c") == "b")
    }

    /// umask(2) can only be read by setting it; put the same value straight back.
    func currentUmask() -> mode_t {
        let mask = umask(0o022)
        umask(mask)
        return mask
    }
}
