/* SPDX-License-Identifier: MIT */
/* Pre-probed uids: request threads ask the host's NSS about the ids the writer is likely to
 * allocate next, so the single writer thread seldom waits on NSS inside a group commit. One
 * process-wide table: a verdict is a fact about the host, not about a database. */
#pragma once

#include <stdint.h>

#include "scimd_config.h"

/* On a request thread, before queueing a write that allocates a uid: asks the host's NSS
 * about one id just above the last allocated uid and keeps the verdict (for about a second)
 * so the writer need not. Does nothing before the first allocation of the process or when
 * enough ids ahead are known; a failed lookup leaves no verdict. */
void identity_preprobe_uid(const struct scimd_config *cfg);

/* The writer: the host state of id (host_probe_id_state's 1/0/-1) from a fresh pre-probed
 * verdict for exactly that id, else from a probe of its own, which identity_inline_probes
 * counts. */
int preprobe_writer_id_state(uint32_t id);

/* The writer allocated uid id: request threads now probe the ids above it. */
void preprobe_note_allocation(uint32_t id);

/* Tests: how long a pre-probed verdict counts (default 1000 ms), and how many ids the
 * allocator had to probe itself since start. */
void identity_preprobe_set_ttl_ms(unsigned ms);
uint64_t identity_inline_probes(void);
