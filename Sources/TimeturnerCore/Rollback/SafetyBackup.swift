public import GitKit

/// The pre-rollback state, kept at `refs/timeturner/safety/<rollback-id>` as one commit S:
///
/// - `S^1` = the HEAD commit before the rollback;
/// - `S^2` = a commit (parent `S^1`) whose tree is the index as it was;
/// - `S^3` = a commit whose tree holds one file, `index`: the bytes of `.git/index` as they
///   were (version, extensions, assume-unchanged and skip-worktree flags), which a tree cannot
///   carry; restore and undo put these bytes back (absent in backups written before 0.2);
/// - `S^{tree}` = the work tree as it was: tracked files with their uncommitted content,
///   deleted files left out, untracked (not ignored) files added — what `git stash -u` keeps (an untracked repository inside it is left out: WorkTree.swift);
/// - the message's trailers name the rollback, where HEAD was (a branch or `detached`) and
///   whether the work tree was dirty.
///
/// The ref keeps all of it reachable, so `git gc --prune=now` cannot take it away; plain git
/// reads it (`git diff S^1 S` shows the uncommitted changes).
public struct SafetyBackup: Sendable, Equatable {
    public let ref: String
    public let commit: OID
    public let rollbackID: String
    public let head: HeadPosition
    public let headCommit: OID
    public let indexTree: OID
    public let workTree: OID
    public let wasDirty: Bool
    /// The blob holding `.git/index` byte for byte, when it was captured.
    public let indexFile: OID?

    public static func ref(for id: String) -> String { StorageLayout.safetyPrefix + id }

    /// Captures HEAD, index and work tree and writes the ref (it must not exist yet).
    /// `dirty == false` skips scanning the work tree: then index and work tree equal HEAD's tree.
    static func write(id: String, operation: String, head: HeadPosition, headCommit: OID, headTree: OID, dirty: Bool,
                      in repository: Repository, by attribution: Attribution) throws(TimeturnerError) -> SafetyBackup {
        let ref = ref(for: id)
        let signature = attribution.signature
        do {
            let indexTree = dirty ? try repository.indexTree() : headTree
            let workTree = dirty ? try repository.workTreeSnapshotTree() : headTree
            let indexCommit = try repository.createCommit(
                tree: indexTree, parents: [headCommit], author: signature, committer: signature,
                message: "timeturner: index before \(operation) \(id)\n")
            var parents = [headCommit, indexCommit]
            var indexFile: OID? = nil
            if let bytes = repository.indexFileBytes() {
                let blob = try repository.createBlob(bytes)
                indexFile = blob
                parents.append(try repository.createCommit(
                    tree: try repository.tree(nil, settingBlobs: [(path: "index", blob: blob)]), parents: [], author: signature,
                    committer: signature, message: "timeturner: .git/index before \(operation) \(id), byte for byte\n"))
            }
            let message = """
            timeturner: state before \(operation) \(id)

            \(TrailerKey.rollback): \(id)
            \(TrailerKey.head): \(head.recorded)
            \(TrailerKey.from): \(headCommit.hex)
            \(TrailerKey.dirty): \(dirty ? "yes" : "no")

            """
            let commit = try repository.createCommit(tree: workTree, parents: parents,
                                                     author: signature, committer: signature, message: message)
            try repository.setReference(ref, to: commit, expecting: nil, logMessage: "timeturner: safety backup before \(operation) \(id)")
            return SafetyBackup(ref: ref, commit: commit, rollbackID: id, head: head, headCommit: headCommit,
                                indexTree: indexTree, workTree: workTree, wasDirty: dirty, indexFile: indexFile)
        } catch where error.code == .exists {
            throw TimeturnerError(.failure, "\(ref) already exists; refusing to overwrite a safety backup",
                                  hint: "run the command again (a new id is drawn)")
        } catch {
            throw TimeturnerError(error, doing: "write the safety backup \(ref)")
        }
    }

    /// Reads a safety ref back. Throws when it is missing or not in the format above.
    public static func read(id: String, in repository: Repository) throws(TimeturnerError) -> SafetyBackup {
        let ref = ref(for: id)
        let found: Reference?
        do { found = try repository.reference(ref) } catch { throw TimeturnerError(error, doing: "read \(ref)") }
        guard let found else {
            throw TimeturnerError(.failure, "no safety backup \(ref)",
                                  hint: "list them with 'git for-each-ref refs/timeturner/safety/'")
        }
        let commit: Commit, indexCommit: Commit
        var indexFile: OID? = nil
        do throws(GitError) {
            commit = try repository.commit(found.target)
            guard commit.parents.count == 2 || commit.parents.count == 3 else {
                throw GitError(operation: "read \(ref)", code: .other(-1), message: "not a timeturner safety backup (expected a commit with two or three parents)")
            }
            indexCommit = try repository.commit(commit.parents[1])
            if commit.parents.count == 3 { indexFile = try repository.treeEntry("index", in: try repository.commit(commit.parents[2]).tree) }
        } catch {
            throw TimeturnerError(error, doing: "read the safety backup \(ref)")
        }
        let trailers = Trailers.parse(commit.message)
        let headValue = TrailerKey.lastValue(TrailerKey.head, in: trailers) ?? "detached"
        return SafetyBackup(ref: ref, commit: found.target, rollbackID: id, head: HeadPosition(recorded: headValue),
                            headCommit: commit.parents[0], indexTree: indexCommit.tree, workTree: commit.tree,
                            wasDirty: TrailerKey.lastValue(TrailerKey.dirty, in: trailers) == "yes", indexFile: indexFile)
    }

    /// Puts back branch, HEAD, index and work tree, given that the moving ref now holds `current`.
    /// Untracked files the backup does not know are left alone; the paths that differ between
    /// `workTreeTowards` (the tree the work tree was last being checked out to; by default
    /// `current`'s) and the captured work tree are made exactly as captured, modes and symlinks
    /// included. A checkout that stopped half way only touched such paths, so they are all put back.
    func restore(from current: OID, workTreeTowards: OID? = nil, in repository: Repository) throws(TimeturnerError) {
        try requireHeadPosition(in: repository)
        // The paths being checked out while the checkout runs: if it fails, the ones whose blobs
        // do not read are named.
        var checkingOut: [TreeChange] = []
        do throws(GitError) {
            let baseline: OID
            if let workTreeTowards { baseline = workTreeTowards } else { baseline = try repository.commit(current).tree }
            let putFilesBack = { () throws(GitError) in
                checkingOut = try pathsToPutBack(from: baseline, in: repository)
                try repository.checkout(tree: workTree, baseline: baseline, paths: checkingOut.map(\.path), safety: .force)
                checkingOut = []
            }
            let moveBack = { () throws(GitError) in
                try repository.setReference(head.movingReference, to: headCommit, expecting: current,
                                            logMessage: "timeturner: restore the state before \(rollbackID)")
            }
            var filesAreBack = false
            if current != headCommit {
                do { try moveBack() } catch where error.message.contains("No space left on device") {
                    // The checkout that failed may have filled the disk itself (a large file half
                    // written): putting the files back removes it, and then the ref can be written.
                    // The compare-and-swap still guards the ref: a commit made since is never dropped.
                    try putFilesBack()
                    filesAreBack = true
                    try moveBack()
                }
            }
            if !filesAreBack { try putFilesBack() }
            if let indexFile {
                // The index exactly as it was; stat data of rewritten files is refreshed by git.
                try repository.replaceIndexFile(with: try repository.blobContent(indexFile))
            } else if indexTree != workTree || wasDirty {
                try repository.setIndex(to: indexTree)
            }
        } catch where error.code == .modified || error.code == .locked {
            throw TimeturnerError(.failure, "\(head.movingReference) moved since the rollback; not restoring over it",
                                  hint: "the pre-rollback state is kept in \(ref); look at it with 'git show \(ref)'",
                                  causes: [error.description])
        } catch {
            throw TimeturnerError(.failure, "could not restore the state kept in \(ref)",
                                  causes: [error.describedCause] + SafetyBackup.unreadableBlobs(checkingOut, in: repository))
        }
    }

    /// What putting the captured work tree back over `baseline` (the tree the work tree holds, or
    /// was being checked out to) changes: every path that differs, except the untracked files of
    /// the capture that `baseline` does not have. The operation carried those across untouched (it
    /// writes only paths of its trees, and refuses an untracked file in their way), so they are
    /// still there, or the user has changed or removed them since; writing them again would at
    /// best rewrite the same bytes and at worst clash with the state they are in now: a file the
    /// rolled-back `.gitignore` ignores made every restore and undo fail on it, and the restore of
    /// a failed undo deleted it (the safety backup still holds every one of them).
    func pathsToPutBack(from baseline: OID, in repository: Repository) throws(GitError) -> [TreeChange] {
        var kept: [TreeChange] = []
        for change in try repository.changes(from: baseline, to: workTree) {
            if change.kind == .added, indexTree != workTree, try repository.treeEntry(change.path, in: indexTree) == nil { continue }
            kept.append(change)
        }
        return kept
    }

    /// libgit2 names the tree whose checkout failed, not the file: after a failed checkout, the
    /// files whose blobs cannot be read (a damaged or missing object), each as one cause.
    static func unreadableBlobs(_ changes: [TreeChange], in repository: Repository) -> [String] {
        repository.unreadableBlobs(in: changes).map { change in
            "\(PathBytes.quoted(change.path)): blob \(change.newID?.hex ?? "") cannot be read (damaged or missing; 'git fsck' tells which objects are)"
        }
    }

    /// HEAD must still be where the backup says (on the same branch, or detached).
    func requireHeadPosition(in repository: Repository) throws(TimeturnerError) {
        let now: HeadPosition
        do { now = try HeadPosition.current(in: repository) } catch {
            throw TimeturnerError(error, doing: "read HEAD")
        }
        guard now == head else {
            throw TimeturnerError(.refused, "HEAD is now on \(now.displayName), but the state in \(ref) was on \(head.displayName)",
                                  hint: "switch back with 'git switch \(head.displayName)' (or 'git switch --detach'), then run it again")
        }
    }
}
