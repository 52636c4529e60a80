/// The settings of `git -c key=value timeturner …` and `git --config-env=key=VAR timeturner …`.
///
/// git runs `git-timeturner` with them in its environment, not on its command line: `-c` in
/// GIT_CONFIG_PARAMETERS, `--config-env` (and a user's own GIT_CONFIG_COUNT) as
/// GIT_CONFIG_KEY_<n> / GIT_CONFIG_VALUE_<n>. libgit2 1.5.1 reads neither, so without this a
/// `git -c timeturner.verify='make smoke' timeturner rollback …` ran unverified, saying nothing.
/// Later entries win, as in git: the numbered ones first, then GIT_CONFIG_PARAMETERS.
enum GitCommandLineSettings {
    /// Every setting in order, keys as written; a nil value is git's key without `=` (`git -c
    /// key`), a boolean true for git.
    static func entries(in environment: [String: String]) throws(TimeturnerError) -> [(key: String, value: String?)] {
        var entries: [(key: String, value: String?)] = []
        if let countText = environment["GIT_CONFIG_COUNT"], !countText.isEmpty {
            guard let count = Int(countText), count >= 0 else {
                throw malformed("GIT_CONFIG_COUNT", "'\(countText)' is not a count")
            }
            for index in 0..<count {
                guard let key = environment["GIT_CONFIG_KEY_\(index)"], !key.isEmpty else {
                    throw malformed("GIT_CONFIG_COUNT", "GIT_CONFIG_KEY_\(index) is missing or empty")
                }
                guard let value = environment["GIT_CONFIG_VALUE_\(index)"] else {
                    throw malformed("GIT_CONFIG_COUNT", "GIT_CONFIG_VALUE_\(index) is missing")
                }
                entries.append((key, value))
            }
        }
        if let parameters = environment["GIT_CONFIG_PARAMETERS"] {
            entries += try parse(parameters)
        }
        return entries
    }

    /// GIT_CONFIG_PARAMETERS: words separated by spaces, each shell-quoted by git (a quote inside
    /// is `'\''`, an exclamation mark `'\!'`). git 2.31 and later write `'key'='value'` (`'key'=`
    /// for no value); earlier versions wrote `'key=value'` as one word.
    static func parse(_ text: String) throws(TimeturnerError) -> [(key: String, value: String?)] {
        let bytes = Array(text.utf8)
        var position = 0
        var entries: [(key: String, value: String?)] = []
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A }
        func quoted() throws(TimeturnerError) -> String {
            guard position < bytes.count, bytes[position] == 0x27 else { throw malformed("GIT_CONFIG_PARAMETERS", "expected a quoted word at byte \(position)") }
            var word: [UInt8] = []
            position += 1
            while true {
                guard position < bytes.count else { throw malformed("GIT_CONFIG_PARAMETERS", "a quote is not closed") }
                let byte = bytes[position]
                position += 1
                guard byte == 0x27 else { word.append(byte); continue }
                // Closed: `\'` or `\!` and a quote that opens again continue the same word.
                guard position < bytes.count, bytes[position] == 0x5C else { break }
                guard position + 2 < bytes.count, bytes[position + 1] == 0x27 || bytes[position + 1] == 0x21, bytes[position + 2] == 0x27 else {
                    throw malformed("GIT_CONFIG_PARAMETERS", "a backslash outside quotes at byte \(position)")
                }
                word.append(bytes[position + 1])
                position += 3
            }
            return String(decoding: word, as: UTF8.self)
        }
        while true {
            while position < bytes.count, isSpace(bytes[position]) { position += 1 }
            guard position < bytes.count else { break }
            let word = try quoted()
            if position < bytes.count, bytes[position] == 0x3D {  // 'key'=…
                position += 1
                if position < bytes.count, bytes[position] == 0x27 {
                    entries.append((word, try quoted()))
                } else {
                    entries.append((word, nil))
                }
            } else if let equals = word.firstIndex(of: "=") {  // 'key=value', before git 2.31
                entries.append((String(word[..<equals]), String(word[word.index(after: equals)...])))
            } else {
                entries.append((word, nil))
            }
            guard position >= bytes.count || isSpace(bytes[position]) else {
                throw malformed("GIT_CONFIG_PARAMETERS", "unexpected text after a setting at byte \(position)")
            }
        }
        return entries
    }

    private static func malformed(_ variable: String, _ detail: String) -> TimeturnerError {
        TimeturnerError(.usage, "\(variable) in the environment cannot be read: \(detail)",
                        hint: "git sets it for 'git -c'; if you set it yourself, use git's format, or pass -c key=value to git timeturner instead")
    }
}
