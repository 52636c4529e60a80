internal import CLibgit2

extension Repository {
    /// A second handle on this repository whose new objects (blobs, trees, commits) stay in
    /// memory and vanish with the handle, while every existing object, ref and the work tree are
    /// read as usual.
    ///
    /// Planning uses it: a rollback plan checks reverse merges and builds the trees it will
    /// write, yet a dry run must leave the object database exactly as it was (`git count-objects`
    /// and `git fsck --unreachable` unchanged). libgit2 writes a new object to the writable
    /// backend of highest priority, so a mempack backend above the loose and packed ones catches
    /// every write. Refs must not be moved through this handle: they would point at objects that
    /// do not exist on disk, so nothing here offers that.
    public func inMemoryObjects() throws(GitError) -> Repository {
        let scratch = try location.open()
        var odb: OpaquePointer? = nil
        try Libgit2.check("open the object database") { git_repository_odb(&odb, scratch.handle) }
        defer { git_odb_free(odb) }
        var backend: UnsafeMutablePointer<git_odb_backend>? = nil
        try Libgit2.check("create an in-memory object store") { git_mempack_new(&backend) }
        // Priority far above the defaults (1 and 2): new objects land here. The odb owns and
        // frees the backend from now on.
        try Libgit2.check("add the in-memory object store") { git_odb_add_backend(odb, backend, 1_000) }
        return scratch
    }
}
