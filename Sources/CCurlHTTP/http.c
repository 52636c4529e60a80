#include "timeturner_http.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// The few libcurl functions used, resolved once from the shared library. The header gives the
// types and constants only: nothing here links against libcurl.
static struct {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    void (*easy_cleanup)(CURL *);
    const char *(*easy_strerror)(CURLcode);
} curl;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char load_error[256];
static int loaded;

static void load(void) {
    const char *names[] = {"libcurl.so.4", "libcurl-gnutls.so.4", "libcurl.so"};
    void *library = NULL;
    for (size_t i = 0; i < sizeof names / sizeof *names && !library; i++) library = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        snprintf(load_error, sizeof load_error, "libcurl is not installed (%s); install libcurl4 (Debian)", dlerror());
        return;
    }
#define RESOLVE(field, symbol)                                                                    \
    if (!(*(void **)&curl.field = dlsym(library, symbol))) {                                      \
        snprintf(load_error, sizeof load_error, "libcurl has no %s: it is too old", symbol);      \
        return;                                                                                   \
    }
    RESOLVE(global_init, "curl_global_init")
    RESOLVE(easy_init, "curl_easy_init")
    RESOLVE(easy_setopt, "curl_easy_setopt")
    RESOLVE(easy_perform, "curl_easy_perform")
    RESOLVE(easy_getinfo, "curl_easy_getinfo")
    RESOLVE(easy_cleanup, "curl_easy_cleanup")
    RESOLVE(easy_strerror, "curl_easy_strerror")
#undef RESOLVE
    // curl_global_init is not thread-safe in older libcurl: once, here, under pthread_once.
    if (curl.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(load_error, sizeof load_error, "curl_global_init failed");
        return;
    }
    loaded = 1;
}

int tt_http_load(char *error, size_t error_size) {
    pthread_once(&load_once, load);
    if (loaded) return 0;
    if (error && error_size) snprintf(error, error_size, "%s", load_error);
    return -1;
}

struct tt_http_cancel { atomic_int set; };

tt_http_cancel *tt_http_cancel_new(void) {
    tt_http_cancel *flag = malloc(sizeof *flag);
    if (flag) atomic_init(&flag->set, 0);
    return flag;
}

void tt_http_cancel_set(tt_http_cancel *flag) { if (flag) atomic_store(&flag->set, 1); }
void tt_http_cancel_free(tt_http_cancel *flag) { free(flag); }

struct body { tt_http_response *out; size_t limit; };

static size_t on_body(char *data, size_t size, size_t count, void *context) {
    struct body *body = context;
    size_t length = size * count;
    size_t room = body->limit - body->out->body_length;
    if (length > room) {
        body->out->truncated = 1;
        length = room;
    }
    if (length) {
        unsigned char *grown = realloc(body->out->body, body->out->body_length + length);
        if (!grown) return 0;  // makes curl fail with a write error
        memcpy(grown + body->out->body_length, data, length);
        body->out->body = grown;
        body->out->body_length += length;
    }
    // Returning less than given stops the transfer: that is how the limit is kept.
    return body->out->truncated ? 0 : size * count;
}

static int on_progress(void *context, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d) {
    (void)a; (void)b; (void)c; (void)d;
    tt_http_cancel *cancel = context;
    return cancel && atomic_load(&cancel->set) ? 1 : 0;
}

int tt_http_perform(const char *url, const char *method, long timeout_ms, size_t body_limit,
                    tt_http_cancel *cancel, tt_http_response *out) {
    memset(out, 0, sizeof *out);
    if (tt_http_load(out->error, sizeof out->error) != 0) {
        out->failed = 1;
        return -1;
    }
    CURL *handle = curl.easy_init();
    if (!handle) {
        out->failed = 1;
        snprintf(out->error, sizeof out->error, "curl_easy_init failed");
        return -1;
    }
    struct body body = {out, body_limit};
    char error[CURL_ERROR_SIZE] = "";
    curl.easy_setopt(handle, CURLOPT_URL, url);
    curl.easy_setopt(handle, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "HEAD") == 0) curl.easy_setopt(handle, CURLOPT_NOBODY, 1L);
    curl.easy_setopt(handle, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl.easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for DNS time-outs
    curl.easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 0L);
    curl.easy_setopt(handle, CURLOPT_WRITEFUNCTION, on_body);
    curl.easy_setopt(handle, CURLOPT_WRITEDATA, &body);
    curl.easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl.easy_setopt(handle, CURLOPT_XFERINFODATA, cancel);
    curl.easy_setopt(handle, CURLOPT_NOPROGRESS, 0L);
    curl.easy_setopt(handle, CURLOPT_ERRORBUFFER, error);
    curl.easy_setopt(handle, CURLOPT_USERAGENT, "git-timeturner");
    CURLcode code = curl.easy_perform(handle);
    curl.easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &out->status);
    curl.easy_cleanup(handle);
    if (code == CURLE_OK || (code == CURLE_WRITE_ERROR && out->truncated)) return 0;
    out->failed = 1;
    out->timed_out = code == CURLE_OPERATION_TIMEDOUT;
    out->cancelled = code == CURLE_ABORTED_BY_CALLBACK;
    snprintf(out->error, sizeof out->error, "%s", error[0] ? error : curl.easy_strerror(code));
    return -1;
}

void tt_http_free(tt_http_response *response) {
    free(response->body);
    response->body = NULL;
    response->body_length = 0;
}
