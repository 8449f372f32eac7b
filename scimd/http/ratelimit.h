/* SPDX-License-Identifier: MIT */
/* Failed-authentication throttling per client address: after auth_failure_limit failures in a
 * minute, the address gets 429 + Retry-After for auth_failure_ban seconds. A request with a
 * valid token is always served (the IdP may share an address with an attacker), so the ban
 * never slows legitimate provisioning; with 256-bit keys it exists to stop log and CPU floods. */
#pragma once

#include <stdbool.h>
#include <sys/socket.h>

struct ratelimit;

struct ratelimit *ratelimit_new(unsigned limit_per_minute, unsigned ban_seconds);
void ratelimit_free(struct ratelimit *rl);

/* Seconds the address stays banned (0: not banned). */
unsigned ratelimit_banned(struct ratelimit *rl, const struct sockaddr *addr);
/* Records a failure; returns the ban length if this failure started a ban, else 0. */
unsigned ratelimit_fail(struct ratelimit *rl, const struct sockaddr *addr);
