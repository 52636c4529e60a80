// libgit2 1.5.1's loose-object reader, kept from two faults a damaged or crafted object sets off:
// writing past the buffer it allocated for the object, and inflating forever.
//
// 1. libgit2 reads a loose object by inflating its first 64 bytes (MAX_HEADER_LEN in
//    odb_loose.c), parsing the header ("blob 710\0"), allocating the size the header gives plus
//    one, copying into it the bytes of the 64 that followed the header, and inflating the rest
//    after them. When the header says less than those bytes, the copy writes past the buffer, and
//    the size left to inflate is computed as a negative number, so the inflation writes the rest
//    of the object past it too: glibc aborts ("free(): invalid next size") or the heap is damaged
//    silently. A crafted object does it on purpose (libgit2 issue #7177, fixed in 1.9.3); so does
//    one flipped bit (bit 7 of byte 37 of a 124-byte object turned "blob 710" into "blob 7e1",
//    which libgit2 reads as 7).
// 2. libgit2's git_zstream_get_output inflates until it has the bytes asked for or zlib reports
//    the stream's end. A stream whose input runs out before its end (one flipped bit in the last
//    third of the same object, in 52 of its 992 single-bit damages) makes zlib produce nothing
//    more and report no error, and libgit2 asks again forever: the command hangs.
//
// libgit2 is linked statically with `--wrap=git_zstream_get_output` (Package.swift), so every
// call odb_loose.c makes to it comes here instead. This is libgit2's function again, with two
// differences. A call that makes no progress (nothing inflated, no input consumed) fails: the
// stream ends early, as libgit2 already reports for a short object it can tell is unfinished.
// And the header read, the only call on a fresh inflating stream that asks for exactly 64 bytes
// (read_loose_standard and the read stream), inflates one byte at a time and stops after the
// header's NUL, so no byte of the object's content is copied: libgit2 then inflates exactly the
// size the header gives, into a buffer of that size. An object longer than its header says then
// fails to read ("stream aborted prematurely"); one shorter reads as before, zero-filled, as
// upstream keeps it. Sound objects read the same bytes as before.
#include <stddef.h>
#include <zlib.h>
#include <git2/errors.h>
#include "object_read_guards.h"

// libgit2 1.5.1's git_zstream (src/util/zstream.h), which is not installed; unchanged since 0.27.
struct libgit2_zstream {
    z_stream z;
    int type;  // git_zstream_t: GIT_ZSTREAM_INFLATE is 0
    const char *in;
    size_t in_len;
    int flush;
    int zerr;
};

enum { loose_header_read_length = 64, zstream_inflate = 0 };

// libgit2's (zstream.c): inflates what fits into `out`, at most what the input holds.
int git_zstream_get_output_chunk(void *out, size_t *out_len, void *zstream);

// libgit2's git_zstream_get_output, failing instead of looping when a round makes no progress.
static int inflate_into(unsigned char *out, size_t *out_len, struct libgit2_zstream *stream) {
    size_t remaining = *out_len;
    if (stream->in_len && stream->zerr == Z_STREAM_END) {
        git_error_set_str(GIT_ERROR_ZLIB, "zlib input had trailing garbage");
        return -1;
    }
    while (remaining > 0 && stream->zerr != Z_STREAM_END) {
        size_t written = remaining;
        size_t input_before = stream->in_len;
        if (git_zstream_get_output_chunk(out, &written, stream) < 0) return -1;
        if (written == 0 && stream->in_len == input_before) {
            git_error_set_str(GIT_ERROR_ZLIB, "failed to inflate loose object: the compressed data ends before the object does");
            return -1;
        }
        remaining -= written;
        out += written;
    }
    *out_len -= remaining;
    return 0;
}

int __wrap_git_zstream_get_output(void *out, size_t *out_len, void *zstream) {
    struct libgit2_zstream *stream = zstream;
    if (stream->type != zstream_inflate || stream->z.total_out != 0 || *out_len != loose_header_read_length) {
        return inflate_into(out, out_len, stream);
    }
    unsigned char *header = out;
    size_t length = 0;
    while (length < loose_header_read_length && stream->zerr != Z_STREAM_END) {
        size_t one = 1;
        if (inflate_into(header + length, &one, stream) < 0) return -1;
        if (one == 0) break;
        length += 1;
        if (header[length - 1] == '\0') break;
    }
    *out_len = length;
    return 0;
}
