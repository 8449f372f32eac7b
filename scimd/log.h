/* SPDX-License-Identifier: MIT */
/* Logging to stderr; under systemd (JOURNAL_STREAM set) with <N> priority prefixes journald reads. */
#pragma once

#include <syslog.h>

void log_init(const char *ident);
void log_msg(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
