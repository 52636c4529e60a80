// One HTTP request through libcurl, loaded with dlopen the first time a check needs it, so the
// tool's start-up never pays for libcurl and its TLS stack (docs/design-decisions.md).
#ifndef TIMETURNER_HTTP_H
#define TIMETURNER_HTTP_H

#include <stddef.h>

typedef struct tt_http_cancel tt_http_cancel;

typedef struct {
    long status;            // the HTTP status, 0 when no response came
    int failed;             // 1 when the request did not complete (see error)
    int timed_out;          // 1 when it failed because the time-out passed
    int cancelled;          // 1 when it was stopped through its cancel flag
    char error[256];        // why it failed, from libcurl
    unsigned char *body;    // the response body, at most body_limit bytes; free with tt_http_free
    size_t body_length;
    int truncated;          // 1 when the body was longer than body_limit (the rest was not read)
} tt_http_response;

// 0 when libcurl could be loaded; otherwise -1 with the reason in error.
int tt_http_load(char *error, size_t error_size);

// A flag another thread sets to stop a request under way (checked several times a second).
tt_http_cancel *tt_http_cancel_new(void);
void tt_http_cancel_set(tt_http_cancel *flag);
void tt_http_cancel_free(tt_http_cancel *flag);

// Performs the request (no redirects followed, no proxy from the environment unless curl's own
// variables say so). Always fills out; returns 0 when a response came, -1 otherwise.
int tt_http_perform(const char *url, const char *method, long timeout_ms, size_t body_limit,
                    tt_http_cancel *cancel, tt_http_response *out);

void tt_http_free(tt_http_response *response);

#endif
