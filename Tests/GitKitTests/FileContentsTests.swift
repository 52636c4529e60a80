import Foundation
@testable import GitKit
import Testing
import TestSupport

/// The two whole-file readers every packed-refs and index scan goes through: both must give the
/// file's bytes exactly, whichever way they read it (one sized read, a mapping from 64 KiB up).
@Suite struct FileContentsTests {
    @Test(arguments: [0, 1, 4_095, 4_096, 65_535, 65_536, 65_537, 300_001])
    func bothReadersGiveTheFileByteForByte(size: Int) throws {
        let directory = try makeTemporaryDirectory("file-contents")
        defer { removeTree(directory) }
        let path = directory + "/file"
        // Bytes that differ from page to page, so that a misplaced offset cannot pass.
        let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 / 4_096) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        #expect(readWholeFile(path) == bytes)
        #expect(withFileBytes(path) { Array($0) } == bytes)
    }

    /// A file longer than `fstat` said when it was opened (procfs reports 0 bytes) is read to
    /// its end, not cut at the size.
    @Test func aFileLongerThanItsStatSizeIsReadToTheEnd() throws {
        let whole = try #require(readWholeFile("/proc/self/status"))
        #expect(whole.count > 100)
        #expect(String(decoding: whole, as: UTF8.self).hasPrefix("Name:"))
        let viaBody = try #require(withFileBytes("/proc/self/status") { String(decoding: $0, as: UTF8.self) })
        #expect(viaBody.hasPrefix("Name:") && viaBody.contains("\nPid:"))
    }

    @Test func aMissingFileOrADirectoryIsNil() throws {
        let directory = try makeTemporaryDirectory("file-contents")
        defer { removeTree(directory) }
        #expect(readWholeFile(directory + "/absent") == nil)
        #expect(withFileBytes(directory + "/absent") { $0.count } == nil)
        // A directory opens but does not read (EISDIR).
        #expect(readWholeFile(directory) == nil)
        #expect(withFileBytes(directory) { $0.count } == nil)
    }
}
