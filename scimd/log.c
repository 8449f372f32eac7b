#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *log_ident = "scimd";
static bool journal_prefix;

void log_init(const char *ident)
{
    log_ident = ident;
    journal_prefix = getenv("JOURNAL_STREAM") != NULL;
}

void log_msg(int priority, const char *fmt, ...)
{
    char raw[2048], buf[2048 * 4];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    /* One call is one line: control bytes from client-supplied text (URLs, names) are
     * escaped so nobody can forge a second log line, e.g. a fake audit record. */
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)raw; *p && o + 5 < sizeof(buf); p++) {
        if (*p == '\n') {
            buf[o++] = '\\';
            buf[o++] = 'n';
        } else if (*p < 0x20 || *p == 0x7f) {
            o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\x%02x", *p);
        } else {
            buf[o++] = (char)*p;
        }
    }
    buf[o] = '\0';
    /* One fprintf per line keeps concurrent threads' lines whole (stdio locks the stream). */
    if (journal_prefix)
        fprintf(stderr, "<%d>%s\n", priority, buf);
    else
        fprintf(stderr, "%s: %s\n", log_ident, buf);
}
