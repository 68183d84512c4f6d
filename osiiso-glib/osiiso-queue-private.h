/* osiiso-queue-private.h: the narrow interface between OsiisoQueue and its backends
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "osiiso-glib.h"
#include "osiiso-task-private.h"

G_BEGIN_DECLS

/* What a backend knows how to do. Every policy (ordering, retries,
 * timeouts, rate limits, bounds, fail and exit policies, lifecycle,
 * summaries, signals) stays in OsiisoQueue; a backend only starts
 * attempts, interrupts them and reports their outcome.
 *
 * The attempt protocol:
 *  - the core calls kick() (queue lock held) whenever tasks may have become
 *    startable; the backend makes sure something will call
 *    _osiiso_queue_take_next_locked() soon, without blocking;
 *  - _osiiso_queue_take_next_locked() (lock held) returns the context of a
 *    newly started attempt, or NULL when nothing may start now;
 *  - the backend runs the attempt and reports its outcome exactly once with
 *    _osiiso_queue_attempt_done_locked() (lock held). A report for an
 *    attempt the core has already ended (timeout, cancel) is dropped there;
 *  - interrupt() (lock held, optional) tells the backend that the core has
 *    ended a running attempt; the backend stops it if it can;
 *  - stop() (lock not held) releases idle resources at shutdown.
 */
typedef struct
{
  guint (*default_workers) (void);
  void  (*kick)            (OsiisoQueue       *self);
  void  (*interrupt)       (OsiisoQueue       *self,
                            OsiisoTaskContext *context);
  void  (*stop)            (OsiisoQueue       *self);
  /* Called on the owner context at each dispatch, lock not held, before
   * the batch of events is delivered (optional): backends whose attempts
   * start on the owner context start them here. */
  void  (*dispatch)        (OsiisoQueue       *self);
  /* Attempts the core has ended that are still running (lock held). */
  guint (*count_stuck)     (OsiisoQueue       *self);
  /* Whether the backend runs process tasks (worker calls, commands)
   * rather than in-process task functions; groups are checked against it
   * at admission. */
  gboolean process_tasks;
} OsiisoBackend;

void               _osiiso_queue_set_backend         (OsiisoQueue         *self,
                                                      const OsiisoBackend *backend);
void               _osiiso_queue_lock                (OsiisoQueue         *self);
/* Unlocks, then cancels the cancellables of attempts interrupted while the
 * lock was held (cancel handlers run user code, so never under the lock). */
void               _osiiso_queue_unlock              (OsiisoQueue         *self);
guint              _osiiso_queue_startable_locked    (OsiisoQueue         *self);
guint              _osiiso_queue_workers_locked      (OsiisoQueue         *self);
/* Tells the backend if tasks may start now (lock held). */
void               _osiiso_queue_kick_locked         (OsiisoQueue         *self);
/* Asks the owner context to look at the queue again (lock held). */
void               _osiiso_queue_wake_locked         (OsiisoQueue         *self);
/* On the owner context, lock not held: does now what the queue's source
 * would do at the context's next iteration (start attempts, deliver
 * completions), for a backend whose own source has just completed some. */
void               _osiiso_queue_dispatch            (OsiisoQueue         *self);
OsiisoTaskContext *_osiiso_queue_take_next_locked    (OsiisoQueue         *self);
/* Lock held: the time the policies use as "now" until the lock is
 * released by _osiiso_queue_unlock(): a clock read the caller made after
 * taking the lock (never before: others may have used a later time). */
void               _osiiso_queue_set_time_hint_locked (OsiisoQueue       *self,
                                                       gint64             now);
/* The same, building the context in *@blank (from
 * _osiiso_task_context_recycle()) when there is one: taken if used. */
OsiisoTaskContext *_osiiso_queue_take_next_into_locked (OsiisoQueue       *self,
                                                        OsiisoTaskContext **blank);
void               _osiiso_queue_attempt_done_locked (OsiisoQueue         *self,
                                                      OsiisoTaskContext   *context,
                                                      gboolean             ok,
                                                      GError              *error);
/* osiiso_queue_submit() of a worker call: @argument (owned) is the task's
 * data, @function goes in its record (OsiisoTask.function). */
OsiisoTaskHandle  *_osiiso_queue_submit_call         (OsiisoQueue         *self,
                                                      OsiisoTaskFunc       marker,
                                                      GQuark               function,
                                                      GVariant            *argument,
                                                      OsiisoTaskOptions   *options,
                                                      GError             **error);

G_END_DECLS

G_BEGIN_DECLS

/* For OsiisoTaskHandle: one weak reference to the queue, shared by all its
 * handles. A GWeakRef per handle would cost a global lock and an O(n)
 * list removal each, with n the number of live handles. */

OsiisoQueueLink   *_osiiso_queue_get_link            (OsiisoQueue         *self);
OsiisoQueueLink   *_osiiso_queue_link_ref            (OsiisoQueueLink     *link);
void               _osiiso_queue_link_unref          (OsiisoQueueLink     *link);
/* Returns a strong reference, or NULL once the queue is being disposed. */
OsiisoQueue       *_osiiso_queue_link_dup_queue      (OsiisoQueueLink     *link);

/* For waits on tasks and groups: a condition read with the queue's lock
 * held. */
typedef gboolean (*OsiisoWaitDoneFunc) (gpointer data);
/* Whether the calling thread is the one that runs the queue's context
 * (and so would iterate it while waiting). */
gboolean           _osiiso_queue_is_owner_thread     (OsiisoQueue         *self);
gboolean           _osiiso_queue_wait_for            (OsiisoQueue         *self,
                                                      OsiisoWaitDoneFunc   done,
                                                      gpointer             data,
                                                      gdouble              timeout,
                                                      GCancellable        *cancellable);

/* For OsiisoTaskHandle. */
gboolean           _osiiso_queue_cancel_task         (OsiisoQueue         *self,
                                                      OsiisoTask          *task);
gboolean           _osiiso_queue_wait_task           (OsiisoQueue         *self,
                                                      OsiisoTask          *task,
                                                      gdouble              timeout,
                                                      GCancellable        *cancellable,
                                                      GError             **error);

G_END_DECLS
