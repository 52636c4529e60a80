public import TimeturnerCore

/// Splits a configured command line (`timeturner.executor.<name>.command`) into an argv array
/// the way a POSIX shell splits words, but without any expansion: no variables, globs,
/// command substitution or redirection. Quotes group words; a backslash escapes the next
/// character outside single quotes. A command that needs a shell says `sh -c '…'` itself.
public enum CommandWords {
    public static func split(_ line: String) throws(TimeturnerError) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character? = nil
        var escaping = false
        for character in line {
            if escaping {
                current.append(character)
                escaping = false
                inWord = true
                continue
            }
            switch (quote, character) {
            case ("'", "'"), ("\"", "\""): quote = nil
            case ("'", _): current.append(character)
            case ("\"", "\\"): escaping = true
            case ("\"", _): current.append(character)
            case (nil, "\\"): escaping = true; inWord = true
            case (nil, "'"), (nil, "\""): quote = character; inWord = true
            case (nil, _) where character.isWhitespace:
                if inWord { words.append(current); current = ""; inWord = false }
            default: current.append(character); inWord = true
            }
        }
        if quote != nil || escaping {
            throw TimeturnerError(.usage, "the command '\(line)' has an unterminated quote or a trailing backslash")
        }
        if inWord { words.append(current) }
        return words
    }
}
