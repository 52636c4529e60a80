/// The one string trimmer of the project (libgit2 messages, commit summaries, tag messages,
/// command output, answers typed at a prompt).
///
/// It lives here, in the lowest layer, because GitKit needs it itself and cannot import Core;
/// every layer above imports GitKit anyway. Each caller says which characters go, because they
/// differ for good reasons: a tag message keeps its spaces, a prompt's answer does not.
/// Works on whole `Character`s, so "\r\n" is one character: `\.isNewline` trims it, `{ $0 == "\n" }` does not.
extension StringProtocol {
    /// The text without the leading and trailing characters for which `isTrimmed` is true.
    public func trimming(_ isTrimmed: (Character) -> Bool) -> String {
        guard let first = firstIndex(where: { !isTrimmed($0) }) else { return "" }
        let last = lastIndex(where: { !isTrimmed($0) })!
        return String(self[first...last])
    }
}
