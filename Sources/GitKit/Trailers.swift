internal import CLibgit2

/// git's trailer rules (`git interpret-trailers`), as libgit2 implements them.
public enum Trailers {
    /// The trailers of a message's last paragraph, in order, keys as written.
    public static func parse(_ message: String) -> [(key: String, value: String)] {
        Libgit2.ensureInitialised()
        var array = git_message_trailer_array()
        guard git_message_trailers(&array, message) == 0 else { git_error_clear(); return [] }
        defer { git_message_trailer_array_free(&array) }
        return (0..<array.count).map { index in
            let trailer = array.trailers[index]
            return (String(cString: trailer.key), String(cString: trailer.value))
        }
    }
}
