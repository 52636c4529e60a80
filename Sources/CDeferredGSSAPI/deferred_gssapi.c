// libgit2 1.5.1 is linked statically (Package.swift) and was built with GSSAPI, for HTTP
// Negotiate (Kerberos) authentication: its objects call eight gss_* functions and read one gss_*
// variable. Linking libgssapi_krb5.so.2 to satisfy them made the dynamic loader map and relocate
// it and the five Kerberos libraries behind it at every start of every command (about 60 page
// faults, 0.5 ms), for an authentication that nothing here performs: remotes go through the
// user's git, and libgit2 never opens an HTTP connection.
//
// The definitions below satisfy libgit2's references instead. The first call loads the real
// library with dlopen, and every call is passed on to it unchanged, so Negotiate would work as
// before if libgit2 ever used it. If the library cannot be loaded, every call fails with
// GSS_S_FAILURE, and libgit2 reports that it could not query the mechanisms: the authentication
// is refused, never skipped. The release functions have nothing to release then (nothing was
// ever allocated by the library) and succeed.
//
// Hidden visibility keeps these out of the executable's dynamic symbol table, so a library loaded
// later that needs GSSAPI itself (libcurl, for HTTP checks) binds to the real one, not to these.
// See docs/design-decisions.md, "GSSAPI is loaded on first use".
#include <dlfcn.h>
#include <pthread.h>
#include "deferred_gssapi.h"

typedef timeturner_gss_uint32 u32;
typedef timeturner_gss_oid_desc oid_desc;
typedef timeturner_gss_buffer_desc buffer_desc;

// RFC 2744: a calling error of 0 and routine error 13 (GSS_S_FAILURE), shifted into place.
#define GSS_S_COMPLETE 0u
#define GSS_S_FAILURE (13u << 16)

// GSS_C_NT_HOSTBASED_SERVICE, 1.2.840.113554.1.2.1.4 (RFC 2744, section 4.1). libgit2 passes this
// pointer to gss_import_name, which swaps in the library's own before calling it (a library may
// compare name types by address).
static oid_desc hostbased_service = {10, (void *)"\x2a\x86\x48\x86\xf7\x12\x01\x02\x01\x04"};
oid_desc *const GSS_C_NT_HOSTBASED_SERVICE = &hostbased_service;

static struct {
    void *handle;
    oid_desc **hostbased_service;
    u32 (*indicate_mechs)(u32 *, timeturner_gss_oid_set_desc **);
    u32 (*release_oid_set)(u32 *, timeturner_gss_oid_set_desc **);
    u32 (*import_name)(u32 *, buffer_desc *, oid_desc *, void **);
    u32 (*release_name)(u32 *, void **);
    u32 (*init_sec_context)(u32 *, void *, void **, void *, oid_desc *, u32, u32, void *, buffer_desc *,
                            oid_desc **, buffer_desc *, u32 *, u32 *);
    u32 (*delete_sec_context)(u32 *, void **, buffer_desc *);
    u32 (*display_status)(u32 *, u32, int, oid_desc *, u32 *, buffer_desc *);
    u32 (*release_buffer)(u32 *, buffer_desc *);
} real;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;

static void load(void) {
    void *handle = dlopen("libgssapi_krb5.so.2", RTLD_NOW | RTLD_LOCAL);
    if (!handle) return;
#define BIND(field, symbol) *(void **)&real.field = dlsym(handle, symbol)
    BIND(hostbased_service, "GSS_C_NT_HOSTBASED_SERVICE");
    BIND(indicate_mechs, "gss_indicate_mechs");
    BIND(release_oid_set, "gss_release_oid_set");
    BIND(import_name, "gss_import_name");
    BIND(release_name, "gss_release_name");
    BIND(init_sec_context, "gss_init_sec_context");
    BIND(delete_sec_context, "gss_delete_sec_context");
    BIND(display_status, "gss_display_status");
    BIND(release_buffer, "gss_release_buffer");
#undef BIND
    // All or nothing: a library missing any of them is treated as no library.
    if (!real.hostbased_service || !real.indicate_mechs || !real.release_oid_set || !real.import_name
        || !real.release_name || !real.init_sec_context || !real.delete_sec_context || !real.display_status
        || !real.release_buffer) {
        dlclose(handle);
        return;
    }
    real.handle = handle;
}

static int loaded(void) {
    pthread_once(&load_once, load);
    return real.handle != NULL;
}

int timeturner_gssapi_loaded(void) { return real.handle != NULL; }

static u32 unavailable(u32 *minor) {
    if (minor) *minor = 0;
    return GSS_S_FAILURE;
}

static u32 nothing_to_release(u32 *minor) {
    if (minor) *minor = 0;
    return GSS_S_COMPLETE;
}

u32 gss_indicate_mechs(u32 *minor, timeturner_gss_oid_set_desc **mechanisms) {
    if (!loaded()) {
        if (mechanisms) *mechanisms = NULL;
        return unavailable(minor);
    }
    return real.indicate_mechs(minor, mechanisms);
}

u32 gss_release_oid_set(u32 *minor, timeturner_gss_oid_set_desc **set) {
    if (!loaded()) return nothing_to_release(minor);
    return real.release_oid_set(minor, set);
}

u32 gss_import_name(u32 *minor, buffer_desc *name, oid_desc *name_type, void **output_name) {
    if (!loaded()) return unavailable(minor);
    if (name_type == &hostbased_service) name_type = *real.hostbased_service;
    return real.import_name(minor, name, name_type, output_name);
}

u32 gss_release_name(u32 *minor, void **name) {
    if (!loaded()) return nothing_to_release(minor);
    return real.release_name(minor, name);
}

u32 gss_init_sec_context(u32 *minor, void *credential, void **context, void *target, oid_desc *mechanism,
                         u32 flags, u32 lifetime, void *channel_bindings, buffer_desc *input_token,
                         oid_desc **actual_mechanism, buffer_desc *output_token, u32 *returned_flags,
                         u32 *time_valid) {
    if (!loaded()) return unavailable(minor);
    return real.init_sec_context(minor, credential, context, target, mechanism, flags, lifetime,
                                 channel_bindings, input_token, actual_mechanism, output_token,
                                 returned_flags, time_valid);
}

u32 gss_delete_sec_context(u32 *minor, void **context, buffer_desc *output_token) {
    if (!loaded()) return nothing_to_release(minor);
    return real.delete_sec_context(minor, context, output_token);
}

u32 gss_display_status(u32 *minor, u32 status, int status_type, oid_desc *mechanism, u32 *message_context,
                       buffer_desc *status_string) {
    if (!loaded()) {
        if (status_string) { status_string->length = 0; status_string->value = NULL; }
        return unavailable(minor);
    }
    return real.display_status(minor, status, status_type, mechanism, message_context, status_string);
}

u32 gss_release_buffer(u32 *minor, buffer_desc *buffer) {
    if (!loaded()) return nothing_to_release(minor);
    return real.release_buffer(minor, buffer);
}
