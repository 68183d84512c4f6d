/* test-util.h: small helpers shared by the C tests
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <osiiso-glib/osiiso-glib.h>

G_BEGIN_DECLS

/* A latch that tasks can block on until the test opens it. */
typedef struct
{
  GMutex   lock;
  GCond    cond;
  gboolean open;
  guint    waiting;
} Gate;

void     gate_init          (Gate *gate);
void     gate_clear         (Gate *gate);
void     gate_open          (Gate *gate);
void     gate_wait          (Gate *gate);
/* Blocks until @n threads are waiting at the gate. */
void     gate_wait_for      (Gate *gate,
                             guint n);

/* Seconds on the monotonic clock. */
gdouble  now_s              (void);

/* Iterates the default main context until @done is TRUE, failing the test
 * after @timeout seconds. */
void     iterate_until_true (gboolean *done,
                             gdouble   timeout);

OsiisoTaskOptions *options_new (const char *first_property, ...) G_GNUC_NULL_TERMINATED;

/* Submits and drops the handle. */
void     submit_ok          (OsiisoQueue       *queue,
                             OsiisoTaskFunc     func,
                             gpointer           data,
                             OsiisoTaskOptions *options);

/* Task functions */
gboolean task_ok            (OsiisoTaskContext *ctx, gpointer data, GError **error);
gboolean task_fail          (OsiisoTaskContext *ctx, gpointer data, GError **error);
gboolean task_until_cancelled (OsiisoTaskContext *ctx, gpointer data, GError **error);
/* data: a Gate; waits for it, ignoring cancellation */
gboolean task_wait_gate     (OsiisoTaskContext *ctx, gpointer data, GError **error);
/* data: a GINT_TO_POINTER of milliseconds */
gboolean task_sleep_ms      (OsiisoTaskContext *ctx, gpointer data, GError **error);

/* Runs @queue with its own settings; fails the test on an error. */
OsiisoRunSummary *run_ok (OsiisoQueue *queue);

/* Waits for a process that need not be our child to end (a pidfd, or
 * probing where the pidfd is unavailable, e.g. under valgrind). */
gboolean wait_process_gone (int     pid,
                            gdouble timeout);

/* The number of open file descriptors of this process. */
guint    count_fds          (void);

OsiisoTaskResult *find_result (OsiisoRunSummary *summary,
                               const char       *name);

G_END_DECLS
