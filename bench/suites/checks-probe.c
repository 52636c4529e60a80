// The checks suite's baseline: a check's probe done N times with nothing around it.
//
//   checks-probe command N     posix_spawn `/bin/sh -c true` in its own process group, both
//                              streams piped and drained, then waitpid (what a command check
//                              must do at the least)
//   checks-probe http URL N    one GET through libcurl's easy interface, one handle per request,
//                              with the options Sources/CCurlHTTP/http.c sets
#include <curl/curl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int run_command(void) {
    int out[2], err[2];
    if (pipe(out) != 0 || pipe(err) != 0) return -1;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    posix_spawn_file_actions_addclose(&actions, err[0]);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attributes, 0);
    char *argv[] = {"sh", "-c", "true", NULL};
    pid_t pid;
    int failed = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    close(out[1]);
    close(err[1]);
    if (failed) return -1;
    char buffer[4096];
    struct pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    int open_streams = 2;
    while (open_streams > 0 && poll(fds, 2, -1) > 0) {
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd >= 0 && fds[i].revents) {
                if (read(fds[i].fd, buffer, sizeof buffer) <= 0) {
                    close(fds[i].fd);
                    fds[i].fd = -1;
                    open_streams--;
                }
            }
        }
    }
    int status;
    if (waitpid(pid, &status, 0) != pid) return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static size_t discard(char *data, size_t size, size_t count, void *context) {
    (void)data;
    (void)context;
    return size * count;
}

static int run_http(const char *url) {
    CURL *handle = curl_easy_init();
    if (!handle) return -1;
    curl_easy_setopt(handle, CURLOPT_URL, url);
    curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, "GET");
    curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(handle, CURLOPT_USERAGENT, "git-timeturner");
    CURLcode code = curl_easy_perform(handle);
    long status = 0;
    curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(handle);
    return code == CURLE_OK && status == 200 ? 0 : -1;
}

int main(int argc, char **argv) {
    int http = argc == 4 && strcmp(argv[1], "http") == 0;
    if (!http && !(argc == 3 && strcmp(argv[1], "command") == 0)) {
        fprintf(stderr, "usage: checks-probe command N | checks-probe http URL N\n");
        return 64;
    }
    long count = atol(argv[argc - 1]);
    if (http) curl_global_init(CURL_GLOBAL_DEFAULT);
    for (long i = 0; i < count; i++) {
        if ((http ? run_http(argv[2]) : run_command()) != 0) {
            fprintf(stderr, "checks-probe: probe %ld failed\n", i);
            return 1;
        }
    }
    return 0;
}
