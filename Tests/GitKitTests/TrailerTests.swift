@testable import GitKit
import Testing

/// The Swift trailer parser against libgit2's `git_message_trailers`, which it replaces on the
/// hot path: both must find the same trailers, in the same order, with the same quirks.
@Suite struct TrailerTests {
    static let oddMessages: [String] = [
        "",
        "\n",
        "subject only",
        "subject\n\nTimeturner-Point: p1\nTimeturner-Severity: high\nTimeturner-Env: production\nTimeturner-Tier: code\n",
        "subject\n\nbody mentions Timeturner-Env: staging inline\n\nTimeturner-Point: p1\n",
        "subject\n\nTimeturner-Env: staging\nbut this line is prose\n",
        "Timeturner-Point: p1\n",
        "subject\n\nTimeturner-Point: p1\r\nTimeturner-Env: prod\r\n",
        "subject\r\n\r\nTimeturner-Point: p1\r\n",
        "subject\n\nTimeturner-Point: p1\nTimeturner-Tier: a\n  continued\n more\nTimeturner-Env: e\n",
        "subject\n\nKey : spaced separator\nKey\t:\ttabbed\nOther:no space\n",
        "subject\n\nTimeturner-Point: p1\n# a comment\n\n# another\n",
        "subject\n\nTimeturner-Point: p1\n---\ndiff --git a/x b/x\n",
        "subject\n\n--- not a patch\nTimeturner-Point: p1\n",
        "subject\n\nTimeturner-Point: p1\nConflicts:\n\tfile.txt\n",
        "subject\n\nprose line\nprose line\nprose line\nSigned-off-by: A <a@example.com>\nTimeturner-Point: p1\n",
        "subject\n\nprose\nprose\nprose\nprose\nprose\nSigned-off-by: A <a@example.com>\n",
        "subject\n\n(cherry picked from commit 0123456)\nTimeturner-Env: e\n",
        "subject\n\nEmpty:\nNext: value\n",
        "subject\n\nEmpty:",
        "subject\n\nKey: value without newline",
        "subject\n\n: starts with separator\nKey: v\n",
        "subject\n\n  indented first\nKey: v\n",
        "subject\n\nKey: v\n   \n",
        "subject\n\nKey: caf\u{e9} \u{1b}[31mred\u{7}\n",
        "# comment title\nsubject\n\nKey: v\n",
        "subject\n# comment in title\n\nKey: v\n",
        "subject\n\nKey: v\u{0}Hidden: after a NUL\n",
        "subject\n\n\n\nKey: v\n\n\n",
        "subject\n\nbody\n\nKey: one\n\nOther: two\n",
        "subject\n\nBug #42: hash separator is not one here\n",
        "subject\n\nKey.with.dots: v\nKey: v\n",
        "subject\n\nTimeturner-Point: p1\n\u{2028}Key: v\n",
    ]

    @Test(arguments: oddMessages)
    func matchesLibgit2OnOddMessages(_ message: String) {
        let swift = Trailers.parse(message)
        let libgit2 = Trailers.parseWithLibgit2(message)
        #expect(swift.map(\.key) == libgit2.map(\.key), "keys of \(String(reflecting: message))")
        #expect(swift.map(\.value) == libgit2.map(\.value), "values of \(String(reflecting: message))")
    }

    @Test func findsThePointTrailersInOrder() {
        let trailers = Trailers.parse("s\n\nTimeturner-Point: p\nTimeturner-Tier: code\nTimeturner-Tier: db\n")
        #expect(trailers.map(\.key) == ["Timeturner-Point", "Timeturner-Tier", "Timeturner-Tier"])
        #expect(trailers.map(\.value) == ["p", "code", "db"])
    }

    /// Messages assembled from fragments that sit on the edges of the rules, with a fixed seed.
    @Test func matchesLibgit2OnGeneratedMessages() {
        let fragments = ["subject", "", "Key: v", "Timeturner-Env: prod", "  continued", "\tcontinued", "# comment",
                         "prose here", "Signed-off-by: A <a@b>", "(cherry picked from commit 1)", "---", "--- x",
                         "---x", "Conflicts:", "\tpath", "Key:", "K y: v", "Key : v", ": v", "Bad key!: v", "x\r", "Key: v\r",
                         " ", "Key: caf\u{e9}"]
        var seed: UInt64 = 0x5eed
        func next(_ bound: Int) -> Int {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Int((seed >> 33) % UInt64(bound))
        }
        var disagreements: [String] = []
        for _ in 0..<20_000 {
            let lines = (0..<(1 + next(9))).map { _ in fragments[next(fragments.count)] }
            let message = lines.joined(separator: "\n") + (next(2) == 0 ? "\n" : "")
            let swift = Trailers.parse(message), libgit2 = Trailers.parseWithLibgit2(message)
            if swift.map(\.key) != libgit2.map(\.key) || swift.map(\.value) != libgit2.map(\.value) {
                disagreements.append(String(reflecting: message))
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(5))")
    }
}
