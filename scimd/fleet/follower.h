/* SPDX-License-Identifier: MIT */
/* Follow mode ([follow] hub = ...): a thread that takes the hub's signed feed (a snapshot
 * first, then long-polled change sets), verifies it, applies it to this host's store in one
 * transaction each (store/materialize.c) and has the exporter publish it. Local accounts win:
 * a hub user or group whose name this host already gives to someone else is left out and
 * reported to the hub. docs/fleet.md describes it for operators. */
#pragma once

#include <stddef.h>

struct scimd_server;
struct follower;

/* Starts the thread; NULL with err set when the [follow] settings cannot be used. */
struct follower *follower_start(struct scimd_server *srv, char *err, size_t errlen);

/* Stops the thread promptly (an open long-poll is aborted within a second) and frees it. */
void follower_stop(struct follower *f);
