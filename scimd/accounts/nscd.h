/* SPDX-License-Identifier: MIT */
/* Tells a running nscd to drop its passwd and group caches (nscd -i), so a deactivation is
 * not hidden behind its 600 s / 3600 s positive TTLs. No-op when nscd is not running. */
#pragma once

void nscd_invalidate(void);
