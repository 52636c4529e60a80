#ifndef TIMETURNER_DEFERRED_SSH_H
#define TIMETURNER_DEFERRED_SSH_H

/// Whether this process has loaded libssh2.so.1 (see deferred_ssh.c): only a libgit2 SSH
/// connection does, and no command makes one.
__attribute__((visibility("hidden"))) int timeturner_libssh2_loaded(void);

#endif
