/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *log_ident = "scimd";
static bool journal_prefix;

void log_init(const char *ident)
{
    log_ident = ident;
    journal_prefix = getenv("JOURNAL_STREAM") != NULL;
}

void log_msg(int priority, const char *fmt, ...)
{
    char raw[2048], buf[2048 * 4 + 64];
    int saved_errno = errno; /* callers log, then return -errno */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    int n = journal_prefix ? snprintf(buf, sizeof(buf), "<%d>", priority)
                           : snprintf(buf, sizeof(buf), "%.32s: ", log_ident);
    size_t o = n > 0 ? (size_t)n : 0;
    /* One call is one line: control bytes from client-supplied text (URLs, names) are
     * escaped so nobody can forge a second log line, e.g. a fake audit record. */
    for (const unsigned char *p = (const unsigned char *)raw; *p && o + 6 < sizeof(buf); p++) {
        if (*p == '\n') {
            buf[o++] = '\\';
            buf[o++] = 'n';
        } else if (*p < 0x20 || *p == 0x7f) {
            o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\x%02x", *p);
        } else {
            buf[o++] = (char)*p;
        }
    }
    buf[o++] = '\n';
    /* One write(2) per line keeps concurrent threads' lines whole without stdio's lock (a
     * line per request, at tens of thousands of requests a second). */
    for (size_t done = 0; done < o;) {
        ssize_t w = write(STDERR_FILENO, buf + done, o - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break; /* nowhere to log to: nothing better to do */
        done += (size_t)w;
    }
    errno = saved_errno;
}
