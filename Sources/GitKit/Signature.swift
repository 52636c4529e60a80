internal import CLibgit2

/// Who did something and when, as git records it (author, committer, tagger).
public struct Signature: Equatable, Sendable {
    public var name: String
    public var email: String
    /// Seconds since the epoch.
    public var time: Int64
    /// Offset from UTC in minutes, as written in the object.
    public var offsetMinutes: Int32

    public init(name: String, email: String, time: Int64, offsetMinutes: Int32 = 0) {
        self.name = name
        self.email = email
        self.time = time
        self.offsetMinutes = offsetMinutes
    }

    init(_ raw: UnsafePointer<git_signature>) {
        name = raw.pointee.name.map { String(cString: $0) } ?? ""
        email = raw.pointee.email.map { String(cString: $0) } ?? ""
        time = raw.pointee.when.time
        offsetMinutes = raw.pointee.when.offset
    }

    /// "Name <email>", the form git prints.
    public var identity: String { "\(name) <\(email)>" }

    /// Hands libgit2 a temporary `git_signature` for the duration of `body`.
    @discardableResult
    func withRaw<T>(_ body: (UnsafePointer<git_signature>) throws(GitError) -> T) throws(GitError) -> T {
        var pointer: UnsafeMutablePointer<git_signature>? = nil
        try Libgit2.check("make signature for \(identity)") {
            git_signature_new(&pointer, name, email, time, offsetMinutes)
        }
        defer { git_signature_free(pointer) }
        return try body(pointer!)
    }
}
