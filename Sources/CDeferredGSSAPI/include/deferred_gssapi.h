#ifndef TIMETURNER_DEFERRED_GSSAPI_H
#define TIMETURNER_DEFERRED_GSSAPI_H

#include <stddef.h>
#include <stdint.h>

// The part of the GSSAPI C bindings (RFC 2744) that libgit2 1.5.1's HTTP Negotiate
// authentication calls, declared here because Debian ships gssapi.h only in libkrb5-dev. The
// definitions in deferred_gssapi.c stand in for libgssapi_krb5.so.2 (see there). They are
// visible only inside the executable: nothing outside it binds to them.

typedef uint32_t timeturner_gss_uint32;

typedef struct timeturner_gss_oid_desc {
    timeturner_gss_uint32 length;
    void *elements;
} timeturner_gss_oid_desc;

typedef struct timeturner_gss_oid_set_desc {
    size_t count;
    timeturner_gss_oid_desc *elements;
} timeturner_gss_oid_set_desc;

typedef struct timeturner_gss_buffer_desc {
    size_t length;
    void *value;
} timeturner_gss_buffer_desc;

#define TIMETURNER_HIDDEN __attribute__((visibility("hidden")))

// Read, never written, by libgit2 (which declares it without const, as gssapi.h does).
TIMETURNER_HIDDEN extern timeturner_gss_oid_desc *const GSS_C_NT_HOSTBASED_SERVICE;

TIMETURNER_HIDDEN timeturner_gss_uint32 gss_indicate_mechs(timeturner_gss_uint32 *minor,
                                                            timeturner_gss_oid_set_desc **mechanisms);
TIMETURNER_HIDDEN timeturner_gss_uint32 gss_release_oid_set(timeturner_gss_uint32 *minor,
                                                             timeturner_gss_oid_set_desc **set);
TIMETURNER_HIDDEN timeturner_gss_uint32 gss_import_name(timeturner_gss_uint32 *minor,
                                                         timeturner_gss_buffer_desc *name,
                                                         timeturner_gss_oid_desc *name_type,
                                                         void **output_name);
TIMETURNER_HIDDEN timeturner_gss_uint32 gss_release_name(timeturner_gss_uint32 *minor, void **name);
TIMETURNER_HIDDEN timeturner_gss_uint32 gss_init_sec_context(
    timeturner_gss_uint32 *minor, void *credential, void **context, void *target,
    timeturner_gss_oid_desc *mechanism, timeturner_gss_uint32 flags, timeturner_gss_uint32 lifetime,
    void *channel_bindings, timeturner_gss_buffer_desc *input_token,
    timeturner_gss_oid_desc **actual_mechanism, timeturner_gss_buffer_desc *output_token,
    timeturner_gss_uint32 *returned_flags, timeturner_gss_uint32 *time_valid);
TIMETURNER_HIDDEN timeturner_gss_uint32 gss_delete_sec_context(timeturner_gss_uint32 *minor, void **context,
                                                                timeturner_gss_buffer_desc *output_token);
TIMETURNER_HIDDEN timeturner_gss_uint32 gss_display_status(timeturner_gss_uint32 *minor,
                                                            timeturner_gss_uint32 status,
                                                            int status_type,
                                                            timeturner_gss_oid_desc *mechanism,
                                                            timeturner_gss_uint32 *message_context,
                                                            timeturner_gss_buffer_desc *status_string);
TIMETURNER_HIDDEN timeturner_gss_uint32 gss_release_buffer(timeturner_gss_uint32 *minor,
                                                            timeturner_gss_buffer_desc *buffer);

/// Whether this process has loaded libgssapi_krb5.so.2 (for tests: a command that does no
/// Negotiate authentication never does).
TIMETURNER_HIDDEN int timeturner_gssapi_loaded(void);

#endif
