// libgit2 1.5.1 is linked statically (Package.swift) with its SSH transport, which calls 37
// libssh2 functions; libssh2 in turn needs OpenSSL's libcrypto. Linked in (as static archives),
// the two cost every start of every command about 100 page faults and 1 ms, mostly the dynamic
// loader relocating libcrypto's tables, and libssh2_init, which git_libgit2_init calls,
// initialises libcrypto. No command uses libgit2's SSH: remotes go through the user's git.
//
// The definitions below satisfy libgit2's references instead. libssh2_init only records that it
// was called. The first other call loads Debian's libssh2.so.1 (libgit2's own dependency) with
// dlopen, runs the real libssh2_init, and from then on every call is passed on unchanged. If the
// library cannot be loaded, every call fails the way libssh2 reports failure (NULL, or an error
// code), so libgit2 reports "failed to initialize SSH session": the connection is refused, never
// made some other way.
//
// The declarations come from libssh2.h, so the compiler checks every signature against it;
// hidden visibility keeps these out of the executable's dynamic symbol table, so nothing loaded
// later binds to them instead of the real library. See docs/design-decisions.md,
// "libssh2 and OpenSSL are loaded on first use".
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#pragma GCC visibility push(hidden)
#include <libssh2.h>
#include "deferred_ssh.h"
#pragma GCC visibility pop

// Every function libgit2 calls, with the real one's type.
#define FUNCTIONS(X) \
    X(libssh2_agent_connect) X(libssh2_agent_disconnect) X(libssh2_agent_free) \
    X(libssh2_agent_get_identity) X(libssh2_agent_init) X(libssh2_agent_list_identities) \
    X(libssh2_agent_userauth) X(libssh2_channel_close) X(libssh2_channel_free) \
    X(libssh2_channel_open_ex) X(libssh2_channel_process_startup) X(libssh2_channel_read_ex) \
    X(libssh2_channel_set_blocking) X(libssh2_channel_write_ex) X(libssh2_exit) \
    X(libssh2_hostkey_hash) X(libssh2_init) X(libssh2_knownhost_checkp) X(libssh2_knownhost_free) \
    X(libssh2_knownhost_init) X(libssh2_knownhost_readfile) X(libssh2_session_abstract) \
    X(libssh2_session_disconnect_ex) X(libssh2_session_free) X(libssh2_session_handshake) \
    X(libssh2_session_hostkey) X(libssh2_session_init_ex) X(libssh2_session_last_error) \
    X(libssh2_session_method_pref) X(libssh2_session_set_blocking) X(libssh2_userauth_authenticated) \
    X(libssh2_userauth_keyboard_interactive_ex) X(libssh2_userauth_list) X(libssh2_userauth_password_ex) \
    X(libssh2_userauth_publickey) X(libssh2_userauth_publickey_fromfile_ex) \
    X(libssh2_userauth_publickey_frommemory)

#define DECLARE(name) static __typeof__(name) *real_##name;
FUNCTIONS(DECLARE)
#undef DECLARE

static atomic_int init_requested = 0;
static atomic_int init_flags = 0;
static atomic_int library_loaded = 0;
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

static void load(void) {
    void *handle = dlopen("libssh2.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!handle) return;
    int complete = 1;
#define BIND(name) *(void **)&real_##name = dlsym(handle, #name); if (!real_##name) complete = 0;
    FUNCTIONS(BIND)
#undef BIND
    // All or nothing, and initialised as libgit2 asked, or not used at all.
    if (!complete || (atomic_load(&init_requested) && real_libssh2_init(atomic_load(&init_flags)) != 0)) {
        dlclose(handle);
        return;
    }
    atomic_store(&library_loaded, 1);
}

static int loaded(void) {
    pthread_once(&load_once, load);
    return atomic_load(&library_loaded);
}

int timeturner_libssh2_loaded(void) { return atomic_load(&library_loaded); }

int libssh2_init(int flags) {
    atomic_store(&init_flags, flags);
    atomic_store(&init_requested, 1);
    return 0;
}

void libssh2_exit(void) {
    // Only a library that was loaded was initialised.
    if (atomic_load(&library_loaded)) real_libssh2_exit();
}

// What each kind of function returns when the library is not there: no object, or an error.
#define NO_OBJECT NULL
#define FAILED LIBSSH2_ERROR_INVAL

LIBSSH2_SESSION *libssh2_session_init_ex(LIBSSH2_ALLOC_FUNC((*my_alloc)), LIBSSH2_FREE_FUNC((*my_free)),
                                         LIBSSH2_REALLOC_FUNC((*my_realloc)), void *abstract) {
    return loaded() ? real_libssh2_session_init_ex(my_alloc, my_free, my_realloc, abstract) : NO_OBJECT;
}

int libssh2_session_last_error(LIBSSH2_SESSION *session, char **errmsg, int *errmsg_len, int want_buf) {
    if (loaded()) return real_libssh2_session_last_error(session, errmsg, errmsg_len, want_buf);
    // A caller asking for its own copy (want_buf) would free it with the session's allocator, and
    // there is no session: it gets no text. libgit2 asks for none and gets this one.
    static char message[] = "libssh2.so.1 could not be loaded";
    if (errmsg) *errmsg = want_buf ? NULL : message;
    if (errmsg_len) *errmsg_len = want_buf ? 0 : (int)sizeof message - 1;
    return FAILED;
}

// The rest take an object only the loaded library can have made; they are guarded all the same.
LIBSSH2_AGENT *libssh2_agent_init(LIBSSH2_SESSION *session) {
    return loaded() ? real_libssh2_agent_init(session) : NO_OBJECT;
}
int libssh2_agent_connect(LIBSSH2_AGENT *agent) { return loaded() ? real_libssh2_agent_connect(agent) : FAILED; }
int libssh2_agent_disconnect(LIBSSH2_AGENT *agent) { return loaded() ? real_libssh2_agent_disconnect(agent) : FAILED; }
void libssh2_agent_free(LIBSSH2_AGENT *agent) { if (loaded()) real_libssh2_agent_free(agent); }
int libssh2_agent_get_identity(LIBSSH2_AGENT *agent, struct libssh2_agent_publickey **store,
                               struct libssh2_agent_publickey *prev) {
    return loaded() ? real_libssh2_agent_get_identity(agent, store, prev) : FAILED;
}
int libssh2_agent_list_identities(LIBSSH2_AGENT *agent) {
    return loaded() ? real_libssh2_agent_list_identities(agent) : FAILED;
}
int libssh2_agent_userauth(LIBSSH2_AGENT *agent, const char *username, struct libssh2_agent_publickey *identity) {
    return loaded() ? real_libssh2_agent_userauth(agent, username, identity) : FAILED;
}
int libssh2_channel_close(LIBSSH2_CHANNEL *channel) { return loaded() ? real_libssh2_channel_close(channel) : FAILED; }
int libssh2_channel_free(LIBSSH2_CHANNEL *channel) { return loaded() ? real_libssh2_channel_free(channel) : FAILED; }
LIBSSH2_CHANNEL *libssh2_channel_open_ex(LIBSSH2_SESSION *session, const char *channel_type,
                                         unsigned int channel_type_len, unsigned int window_size,
                                         unsigned int packet_size, const char *message, unsigned int message_len) {
    return loaded() ? real_libssh2_channel_open_ex(session, channel_type, channel_type_len, window_size,
                                                   packet_size, message, message_len)
                    : NO_OBJECT;
}
int libssh2_channel_process_startup(LIBSSH2_CHANNEL *channel, const char *request, unsigned int request_len,
                                    const char *message, unsigned int message_len) {
    return loaded() ? real_libssh2_channel_process_startup(channel, request, request_len, message, message_len) : FAILED;
}
ssize_t libssh2_channel_read_ex(LIBSSH2_CHANNEL *channel, int stream_id, char *buf, size_t buflen) {
    return loaded() ? real_libssh2_channel_read_ex(channel, stream_id, buf, buflen) : FAILED;
}
void libssh2_channel_set_blocking(LIBSSH2_CHANNEL *channel, int blocking) {
    if (loaded()) real_libssh2_channel_set_blocking(channel, blocking);
}
ssize_t libssh2_channel_write_ex(LIBSSH2_CHANNEL *channel, int stream_id, const char *buf, size_t buflen) {
    return loaded() ? real_libssh2_channel_write_ex(channel, stream_id, buf, buflen) : FAILED;
}
const char *libssh2_hostkey_hash(LIBSSH2_SESSION *session, int hash_type) {
    return loaded() ? real_libssh2_hostkey_hash(session, hash_type) : NO_OBJECT;
}
int libssh2_knownhost_checkp(LIBSSH2_KNOWNHOSTS *hosts, const char *host, int port, const char *key,
                             size_t keylen, int typemask, struct libssh2_knownhost **knownhost) {
    return loaded() ? real_libssh2_knownhost_checkp(hosts, host, port, key, keylen, typemask, knownhost)
                    : LIBSSH2_KNOWNHOST_CHECK_FAILURE;
}
void libssh2_knownhost_free(LIBSSH2_KNOWNHOSTS *hosts) { if (loaded()) real_libssh2_knownhost_free(hosts); }
LIBSSH2_KNOWNHOSTS *libssh2_knownhost_init(LIBSSH2_SESSION *session) {
    return loaded() ? real_libssh2_knownhost_init(session) : NO_OBJECT;
}
int libssh2_knownhost_readfile(LIBSSH2_KNOWNHOSTS *hosts, const char *filename, int type) {
    return loaded() ? real_libssh2_knownhost_readfile(hosts, filename, type) : FAILED;
}
void **libssh2_session_abstract(LIBSSH2_SESSION *session) {
    return loaded() ? real_libssh2_session_abstract(session) : NO_OBJECT;
}
int libssh2_session_disconnect_ex(LIBSSH2_SESSION *session, int reason, const char *description, const char *lang) {
    return loaded() ? real_libssh2_session_disconnect_ex(session, reason, description, lang) : FAILED;
}
int libssh2_session_free(LIBSSH2_SESSION *session) { return loaded() ? real_libssh2_session_free(session) : FAILED; }
int libssh2_session_handshake(LIBSSH2_SESSION *session, libssh2_socket_t sock) {
    return loaded() ? real_libssh2_session_handshake(session, sock) : FAILED;
}
const char *libssh2_session_hostkey(LIBSSH2_SESSION *session, size_t *len, int *type) {
    return loaded() ? real_libssh2_session_hostkey(session, len, type) : NO_OBJECT;
}
int libssh2_session_method_pref(LIBSSH2_SESSION *session, int method_type, const char *prefs) {
    return loaded() ? real_libssh2_session_method_pref(session, method_type, prefs) : FAILED;
}
void libssh2_session_set_blocking(LIBSSH2_SESSION *session, int blocking) {
    if (loaded()) real_libssh2_session_set_blocking(session, blocking);
}
int libssh2_userauth_authenticated(LIBSSH2_SESSION *session) {
    // 0: not authenticated.
    return loaded() ? real_libssh2_userauth_authenticated(session) : 0;
}
int libssh2_userauth_keyboard_interactive_ex(LIBSSH2_SESSION *session, const char *username,
                                             unsigned int username_len,
                                             LIBSSH2_USERAUTH_KBDINT_RESPONSE_FUNC((*response_callback))) {
    return loaded() ? real_libssh2_userauth_keyboard_interactive_ex(session, username, username_len, response_callback)
                    : FAILED;
}
char *libssh2_userauth_list(LIBSSH2_SESSION *session, const char *username, unsigned int username_len) {
    return loaded() ? real_libssh2_userauth_list(session, username, username_len) : NO_OBJECT;
}
int libssh2_userauth_password_ex(LIBSSH2_SESSION *session, const char *username, unsigned int username_len,
                                 const char *password, unsigned int password_len,
                                 LIBSSH2_PASSWD_CHANGEREQ_FUNC((*passwd_change_cb))) {
    return loaded() ? real_libssh2_userauth_password_ex(session, username, username_len, password, password_len,
                                                        passwd_change_cb)
                    : FAILED;
}
int libssh2_userauth_publickey(LIBSSH2_SESSION *session, const char *username, const unsigned char *pubkeydata,
                               size_t pubkeydata_len, LIBSSH2_USERAUTH_PUBLICKEY_SIGN_FUNC((*sign_callback)),
                               void **abstract) {
    return loaded() ? real_libssh2_userauth_publickey(session, username, pubkeydata, pubkeydata_len, sign_callback,
                                                      abstract)
                    : FAILED;
}
int libssh2_userauth_publickey_fromfile_ex(LIBSSH2_SESSION *session, const char *username, unsigned int username_len,
                                           const char *publickey, const char *privatekey, const char *passphrase) {
    return loaded() ? real_libssh2_userauth_publickey_fromfile_ex(session, username, username_len, publickey,
                                                                  privatekey, passphrase)
                    : FAILED;
}
int libssh2_userauth_publickey_frommemory(LIBSSH2_SESSION *session, const char *username, size_t username_len,
                                          const char *publickeyfiledata, size_t publickeyfiledata_len,
                                          const char *privatekeyfiledata, size_t privatekeyfiledata_len,
                                          const char *passphrase) {
    return loaded() ? real_libssh2_userauth_publickey_frommemory(session, username, username_len, publickeyfiledata,
                                                                 publickeyfiledata_len, privatekeyfiledata,
                                                                 privatekeyfiledata_len, passphrase)
                    : FAILED;
}
