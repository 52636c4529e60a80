/* The libgit2 floor of `git timeturner points`: what any libgit2 program must do to list points
   (iterate refs/timeturner/points/*, read each annotated tag object, parse its trailers), in C,
   with no sorting and no output formatting. Used by bench/suites/points.sh.

   usage: points-floor      (in the repository directory) */
#include <git2.h>
#include <stdio.h>
#include <string.h>
int main(void) {
    git_libgit2_init();
    git_repository *repo;
    if (git_repository_open_ext(&repo, ".", 0, NULL) != 0) return 1;
    git_reference_iterator *it;
    if (git_reference_iterator_glob_new(&it, repo, "refs/timeturner/points/*") != 0) return 1;
    git_reference *ref;
    size_t points = 0, bytes = 0;
    while (git_reference_next(&ref, it) == 0) {
        git_tag *tag;
        if (git_tag_lookup(&tag, repo, git_reference_target(ref)) == 0) {
            git_message_trailer_array trailers;
            const char *message = git_tag_message(tag);
            if (git_message_trailers(&trailers, message) == 0) {
                bytes += trailers.count;
                git_message_trailer_array_free(&trailers);
            }
            bytes += strlen(message) + strlen(git_tag_tagger(tag)->name);
            git_tag_free(tag);
            points++;
        }
        git_reference_free(ref);
    }
    printf("%zu points, %zu bytes\n", points, bytes);
    return 0;
}
