/* Loaded with LD_PRELOAD by bench_memory_parts (bench/lib.sh): when the process exits, writes to
 * the file $MEMORY_PROBE_OUT what its resident memory is made of: the peak (VmHWM), the
 * anonymous and file-backed parts at exit (RssAnon, RssFile) and the file mapping with the most
 * resident pages. /usr/bin/time reports only the peak, which counts the clean page-cache pages of
 * every file the process maps (a pack index, the binary itself) alongside what it allocated. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long status_kb(const char *status, const char *key) {
    const char *at = strstr(status, key);
    return at ? atol(at + strlen(key)) : -1;
}

__attribute__((destructor)) static void report(void) {
    const char *out = getenv("MEMORY_PROBE_OUT");
    if (!out) return;
    char status[8192] = "";
    FILE *file = fopen("/proc/self/status", "r");
    if (!file) return;
    size_t length = fread(status, 1, sizeof status - 1, file);
    status[length] = 0;
    fclose(file);
    /* The mapping (by path) with the most resident kB, summed over its segments. */
    char line[4096], name[4096] = "", best[4096] = "";
    long best_kb = 0, current_kb = 0;
    char current[4096] = "";
    if ((file = fopen("/proc/self/smaps", "r"))) {
        while (fgets(line, sizeof line, file)) {
            unsigned long start, end;
            if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
                const char *path = strchr(line, '/');
                snprintf(name, sizeof name, "%s", path ? path : "");
                name[strcspn(name, "\n")] = 0;
                if (strcmp(name, current) != 0) { snprintf(current, sizeof current, "%s", name); current_kb = 0; }
            } else if (!strncmp(line, "Rss:", 4) && current[0]) {
                current_kb += atol(line + 4);
                if (current_kb > best_kb) { best_kb = current_kb; snprintf(best, sizeof best, "%s", current); }
            }
        }
        fclose(file);
    }
    if (!(file = fopen(out, "w"))) return;
    fprintf(file, "peak_kb=%ld\nanon_kb=%ld\nfile_kb=%ld\nlargest_kb=%ld\nlargest=%s\n",
            status_kb(status, "VmHWM:"), status_kb(status, "RssAnon:"), status_kb(status, "RssFile:"), best_kb, best);
    fclose(file);
}
