/* osiiso-group-killer.c: SIGTERM now, SIGKILL after a grace period
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One helper thread for the whole process sends the delayed SIGKILLs, so
 * a process group that ignores SIGTERM dies on time even when nobody
 * iterates the main context of the queue that terminated it. The thread
 * is started by the first termination with a grace period and then waits
 * on a condition variable until the earliest deadline; a host that never
 * times out or cancels a process task never gets it. Pending kills are few
 * (at most one per worker slot), so a sorted list does.
 */

#include "osiiso-group-killer-private.h"

#include <signal.h>

typedef struct
{
  guint64 ticket;
  gint    pgid;
  gint64  deadline;   /* monotonic µs */
} PendingKill;

static GMutex   killer_lock;
static GCond    killer_cond;
static GThread *killer_thread;     /* (killer_lock) */
static GList   *killer_pending;    /* (killer_lock) sorted by deadline */
static guint64  killer_last_ticket;

static gint
compare_deadlines (gconstpointer a,
                   gconstpointer b)
{
  const PendingKill *x = a, *y = b;

  return x->deadline < y->deadline ? -1 : x->deadline > y->deadline;
}

static gpointer
killer_main (gpointer data)
{
  g_mutex_lock (&killer_lock);
  for (;;)
    {
      PendingKill *next;

      if (killer_pending == NULL)
        {
          g_cond_wait (&killer_cond, &killer_lock);
          continue;
        }
      next = killer_pending->data;
      if (g_get_monotonic_time () < next->deadline)
        {
          g_cond_wait_until (&killer_cond, &killer_lock, next->deadline);
          continue;
        }
      killer_pending = g_list_delete_link (killer_pending, killer_pending);
      /* Sent under the lock: a forget() that returned has withdrawn its
       * kill for good, so a reused group id is never signalled. */
      kill (-next->pgid, SIGKILL);
      g_free (next);
    }
  g_mutex_unlock (&killer_lock);
  return NULL;
}

guint64
_osiiso_group_kill_later (gint    pgid,
                          gdouble delay)
{
  PendingKill *pending;
  guint64 ticket;

  g_return_val_if_fail (pgid > 1, 0);   /* never our own group, never init */

  if (!(delay > 0))
    {
      kill (-pgid, SIGKILL);
      return 0;
    }

  pending = g_new0 (PendingKill, 1);
  pending->pgid = pgid;
  pending->deadline = g_get_monotonic_time () + (gint64) (delay * G_USEC_PER_SEC);

  g_mutex_lock (&killer_lock);
  ticket = pending->ticket = ++killer_last_ticket;
  killer_pending = g_list_insert_sorted (killer_pending, pending, compare_deadlines);
  if (killer_thread == NULL)
    killer_thread = g_thread_new ("osiiso-killer", killer_main, NULL);
  g_cond_signal (&killer_cond);
  g_mutex_unlock (&killer_lock);

  return ticket;
}

guint64
_osiiso_group_terminate (gint    pgid,
                         gdouble grace)
{
  g_return_val_if_fail (pgid > 1, 0);

  if (grace > 0)
    kill (-pgid, SIGTERM);
  return _osiiso_group_kill_later (pgid, grace);
}

void
_osiiso_group_forget (guint64 ticket)
{
  if (ticket == 0)
    return;

  g_mutex_lock (&killer_lock);
  for (GList *l = killer_pending; l != NULL; l = l->next)
    {
      PendingKill *pending = l->data;

      if (pending->ticket == ticket)
        {
          killer_pending = g_list_delete_link (killer_pending, l);
          g_free (pending);
          break;
        }
    }
  g_mutex_unlock (&killer_lock);
}
