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

/// The one reader of `packed-refs` lines that the ref writer, completion and the
/// points-on-a-commit lookup share.
@Suite struct PackedRefsLinesTests {
    func lines(_ text: String) -> [String] {
        Array(text.utf8).withUnsafeBufferPointer { bytes in
            let reader = PackedRefsLines(bytes)
            return reader.map { line in
                switch line {
                case .header(let range): "header \(reader.string(range))"
                case .reference(let hex, let name): "ref \(reader.string(hex..<(hex + 40))) \(reader.string(name))"
                case .peeled(let hex): "peeled \(hex.map { reader.string($0..<($0 + 40)) } ?? "short")"
                case .other: "other"
                }
            }
        }
    }

    @Test func classifiesEveryKindOfLine() {
        let a = String(repeating: "a", count: 40), b = String(repeating: "b", count: 40)
        let text = "# pack-refs with: peeled fully-peeled sorted \n\(a) refs/tags/v1\n^\(b)\n^short\n\n\(a)refs/no-space\n\(a) \nnot a line\n\(b) refs/heads/last"
        #expect(lines(text) == ["header # pack-refs with: peeled fully-peeled sorted ", "ref \(a) refs/tags/v1", "peeled \(b)", "peeled short",
                                "other", "other", "other", "other", "ref \(b) refs/heads/last"])
        #expect(lines("").isEmpty)
        #expect(lines("\n") == ["other"])
    }

    @Test func prefixChecksStayInsideTheRange() {
        Array("0123456789".utf8).withUnsafeBufferPointer { bytes in
            let reader = PackedRefsLines(bytes)
            #expect(reader.has(2..<5, prefix: Array("234".utf8)))
            #expect(!reader.has(2..<4, prefix: Array("234".utf8)), "a prefix longer than the range never matches")
            #expect(!reader.has(2..<5, prefix: Array("235".utf8)))
        }
    }
}
