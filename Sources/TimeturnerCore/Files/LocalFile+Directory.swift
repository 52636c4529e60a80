internal import Glibc

/// Listing and removing, for the artifacts directory's retention.
extension LocalFile {
    /// The names in a directory (without `.` and `..`), sorted; empty when it cannot be read.
    public static func names(in directory: String) -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Seconds since the epoch of the last modification, or nil when nothing is there.
    public static func modificationTime(_ path: String) -> Int64? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return Int64(info.st_mtim.tv_sec)
    }

    /// Removes one file (never a directory).
    public static func removeFile(_ path: String) throws(TimeturnerError) {
        guard unlink(path) == 0 else { throw failure("remove \(path)") }
    }
}
