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
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    /* One fprintf per line keeps concurrent threads' lines whole (stdio locks the stream). */
    if (journal_prefix)
        fprintf(stderr, "<%d>%s\n", priority, buf);
    else
        fprintf(stderr, "%s: %s\n", log_ident, buf);
}
