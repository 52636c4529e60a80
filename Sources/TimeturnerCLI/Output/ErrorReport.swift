import GitKit
import TimeturnerCore

extension Terminal {
    /// `error: …`, then `caused by: …` lines, then `hint: …`: the shape every failure takes.
    func report(_ error: TimeturnerError) {
        err(paint("error:", .red) + " " + Terminal.escaped(error.message))
        for cause in error.causes { err("caused by: " + Terminal.escaped(cause)) }
        if let hint = error.hint { err(paint("hint:", .yellow) + " " + Terminal.escaped(hint)) }
    }
}

extension Terminal {
    /// swift-argument-parser's own errors (unknown option, missing argument, bad value, unknown
    /// command) in the same `error:` / `hint:` shape as ours. Its text comes as
    /// `Error: …`, optional `Help:  <arg>  …` lines, `Usage: …` and `  See '… --help' …`.
    func reportArgumentError(_ fullMessage: String, extraHint: String?) {
        var lines = fullMessage.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        guard !lines.isEmpty else { return }
        var first = lines.removeFirst()
        if first.hasPrefix("Error: ") { first.removeFirst("Error: ".count) }
        err(paint("error:", .red) + " " + Terminal.escaped(Terminal.sentenceCase(first)))
        var hints: [String] = []
        if let extraHint { hints.append(extraHint) }
        for line in lines {
            let trimmed = line.trimming({ $0 == " " || $0 == "\t" })
            if trimmed.hasPrefix("Help:") {
                // "Help:  --env <env>  The environment." → "--env <env>: The environment." (columns
                // are separated by two or more spaces; a name holds single ones).
                let columns = trimmed.dropFirst("Help:".count).split(separator: "  ").map { String($0).trimming { $0 == " " || $0 == "\t" } }.filter { !$0.isEmpty }
                guard let name = columns.first else { continue }
                hints.append(([name + ":"] + columns.dropFirst()).joined(separator: " "))
            } else if trimmed.hasPrefix("Usage: ") {
                hints.append("usage: " + Terminal.asGitSubcommand(String(trimmed.dropFirst("Usage: ".count))))
            } else if trimmed.hasPrefix("See ") {
                hints.append(Terminal.sentenceCase(Terminal.asGitSubcommand(trimmed)))
            } else {
                hints.append(trimmed)
            }
        }
        for hint in hints { err(paint("hint:", .yellow) + " " + Terminal.escaped(hint)) }
    }

    /// Git's messages start in lower case ("error: unknown option"); names and options keep theirs.
    static func sentenceCase(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars.prefix(2))
        guard scalars.count == 2, ("A"..."Z").contains(Character(scalars[0])), ("a"..."z").contains(Character(scalars[1])) else { return text }
        return text.prefix(1).lowercased() + text.dropFirst()
    }

    /// The binary is named git-timeturner; people type `git timeturner`.
    static func asGitSubcommand(_ text: String) -> String {
        text.replacing("git-timeturner ", with: "git timeturner ").replacing("'git-timeturner'", with: "'git timeturner'")
    }
}

/// The closest of `candidates` to a mistyped `word`, for "did you mean": a unique prefix, else the
/// nearest within two edits (Levenshtein), else nil.
func closestName(to word: String, in candidates: [String]) -> String? {
    let prefixed = candidates.filter { $0.hasPrefix(word) }
    if prefixed.count == 1 { return prefixed[0] }
    let typed = Array(word)
    var best: (name: String, distance: Int)? = nil
    for candidate in candidates {
        let name = Array(candidate)
        var previous = Array(0...name.count)
        for (i, a) in typed.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: name.count)
            for (j, b) in name.enumerated() {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (a == b ? 0 : 1))
            }
            previous = current
        }
        let distance = previous[name.count]
        if distance <= 2, distance < (best?.distance ?? .max) { best = (candidate, distance) }
    }
    return best?.name
}
