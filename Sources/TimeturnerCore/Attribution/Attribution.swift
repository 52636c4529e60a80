public import GitKit

/// Who is doing something and when: the tagger of a point, the `by`/`at` of an event.
public struct Attribution: Sendable, Equatable {
    public var name: String
    public var email: String
    public var time: Timestamp

    public init(name: String, email: String, time: Timestamp) {
        self.name = name
        self.email = email
        self.time = time
    }

    /// "Name <email>", as stored in `by`.
    public var identity: String { "\(name) <\(email)>" }

    var signature: Signature {
        Signature(name: name, email: email, time: time.secondsSinceEpoch, offsetMinutes: 0)
    }

    /// Resolves identity and time the way `git commit` does for its committer, because libgit2 1.5.1
    /// reads neither the `GIT_COMMITTER_*` variables nor `GIT_COMMITTER_DATE`:
    /// `GIT_COMMITTER_NAME`/`EMAIL`, then `user.name`/`user.email` from configuration, and
    /// `GIT_COMMITTER_DATE` (`@<epoch> [+zone]`, `<epoch> [+zone]` or ISO 8601) or the clock.
    public static func resolve(in repository: Repository, environment: [String: String],
                               now: Timestamp) throws(TimeturnerError) -> Attribution {
        var name = environment["GIT_COMMITTER_NAME"], email = environment["GIT_COMMITTER_EMAIL"]
        do {
            if name == nil { name = try repository.configString("user.name") }
            if email == nil { email = try repository.configString("user.email") }
        } catch {
            throw TimeturnerError(error, doing: "read your git identity")
        }
        guard let name, !name.isEmpty, let email else {
            throw TimeturnerError(.failure, "no git identity: user.name and user.email are not set",
                                  hint: "git config --global user.name \"Your Name\" && git config --global user.email you@example.com")
        }
        var time = now
        if let raw = environment["GIT_COMMITTER_DATE"], !raw.isEmpty {
            guard let parsed = parseGitDate(raw) else {
                throw TimeturnerError(.usage, "GIT_COMMITTER_DATE='\(raw)' is not a date this tool understands",
                                      hint: "use '@<seconds since epoch> +0000' or ISO 8601 such as 2026-11-21T10:00:00Z")
            }
            time = parsed
        }
        return Attribution(name: name, email: email, time: time)
    }

    static func parseGitDate(_ raw: String) -> Timestamp? {
        let first = raw.split(separator: " ").first.map(String.init) ?? raw
        let digits = first.hasPrefix("@") ? String(first.dropFirst()) : first
        if let seconds = Int64(digits) { return Timestamp(secondsSinceEpoch: seconds) }
        return Timestamp(rfc3339: raw)
    }
}
