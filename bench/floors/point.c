/* The libgit2 floor of `git timeturner point <commit>`: the same libgit2 calls in the same order,
   in C, with no Swift, no argument parsing and no checks beyond return codes. Used by
   bench/suites/points.sh to split the cost of `point` into libgit2's part and the tool's own.

   usage: point-floor <commit-hex> <id>     (in the repository directory) */
#include <git2.h>
#include <stdio.h>
#include <string.h>

#define CHECK(call) do { if ((call) < 0) { fprintf(stderr, "%s: %s\n", #call, git_error_last() ? git_error_last()->message : "?"); return 1; } } while (0)

int main(int argc, char **argv) {
    if (argc != 3) return 64;
    git_libgit2_init();
    git_repository *repo;
    CHECK(git_repository_open_ext(&repo, NULL, GIT_REPOSITORY_OPEN_FROM_ENV, NULL));

    git_object *target;
    CHECK(git_revparse_single(&target, repo, argv[1]));
    git_signature *who;
    CHECK(git_signature_now(&who, "Bench User", "bench@example.com"));

    char message[512], ref[256], line[1024];
    snprintf(message, sizeof message,
             "before deploy\n\nTimeturner-Point: %s\nTimeturner-Severity: high\nTimeturner-Env: production\nTimeturner-Tier: code\n",
             argv[2]);
    git_oid tag;
    CHECK(git_tag_annotation_create(&tag, repo, argv[2], target, who, message));
    snprintf(ref, sizeof ref, "refs/timeturner/points/%s", argv[2]);
    git_reference *created;
    CHECK(git_reference_create(&created, repo, ref, &tag, 0, "point"));

    /* Append a line to the note: read the notes commit, read the note, write a new notes commit
       on top, move the notes ref with compare-and-swap. */
    git_reference *notes_ref;
    CHECK(git_reference_lookup(&notes_ref, repo, "refs/notes/timeturner"));
    const git_oid *notes_oid = git_reference_target(notes_ref);
    git_commit *notes_commit;
    CHECK(git_commit_lookup(&notes_commit, repo, notes_oid));
    git_note *existing = NULL;
    const char *old = "";
    if (git_note_commit_read(&existing, repo, notes_commit, git_object_id(target)) == 0) old = git_note_message(existing);
    snprintf(line, sizeof line,
             "%s{\"type\":\"point\",\"commit\":\"%s\",\"env\":\"production\",\"id\":\"%s\",\"severity\":\"high\",\"subject\":\"before deploy\",\"tiers\":[\"code\"],\"v\":1}\n",
             old, git_oid_tostr_s(git_object_id(target)), argv[2]);
    git_oid new_commit, blob;
    CHECK(git_note_commit_create(&new_commit, &blob, repo, notes_commit, who, who, git_object_id(target), line, 1));
    git_reference *moved;
    CHECK(git_reference_create_matching(&moved, repo, "refs/notes/timeturner", &new_commit, 1, notes_oid, "notes"));
    printf("%s\n", ref);
    return 0;
}
