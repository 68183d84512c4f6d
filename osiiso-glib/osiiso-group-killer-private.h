/* osiiso-group-killer-private.h: SIGTERM now, SIGKILL after a grace period
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Terminating a process group is two steps: SIGTERM at once, SIGKILL after
 * a grace period. The second step must not depend on anyone iterating a
 * main context (a host may stop iterating, or block, right after a
 * timeout), so it is sent from a helper thread, started the first time a
 * group is terminated with a grace period.
 *
 * _osiiso_group_terminate() sends SIGTERM to group @pgid (> 1) now and
 * SIGKILL after @grace seconds (at once if @grace <= 0); it returns a
 * ticket for the pending SIGKILL, or 0 if none is pending.
 * _osiiso_group_forget() withdraws a pending SIGKILL: call it once the
 * group is known to be gone (its leader reaped and the group killed), so
 * that a later group with a reused id is never signalled. 0 is ignored. */
guint64 _osiiso_group_terminate (gint    pgid,
                                 gdouble grace);
/* Only the second step: SIGKILL to group @pgid after @delay seconds. */
guint64 _osiiso_group_kill_later (gint    pgid,
                                  gdouble delay);
void    _osiiso_group_forget    (guint64 ticket);

G_END_DECLS
