/* test-util.c: small helpers shared by the C tests
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "test-util.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

void
gate_init (Gate *gate)
{
  g_mutex_init (&gate->lock);
  g_cond_init (&gate->cond);
  gate->open = FALSE;
  gate->waiting = 0;
}

void
gate_clear (Gate *gate)
{
  g_mutex_clear (&gate->lock);
  g_cond_clear (&gate->cond);
}

void
gate_open (Gate *gate)
{
  g_mutex_lock (&gate->lock);
  gate->open = TRUE;
  g_cond_broadcast (&gate->cond);
  g_mutex_unlock (&gate->lock);
}

void
gate_wait (Gate *gate)
{
  g_mutex_lock (&gate->lock);
  gate->waiting++;
  g_cond_broadcast (&gate->cond);
  while (!gate->open)
    g_cond_wait (&gate->cond, &gate->lock);
  gate->waiting--;
  g_mutex_unlock (&gate->lock);
}

void
gate_wait_for (Gate  *gate,
               guint  n)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  g_mutex_lock (&gate->lock);
  while (gate->waiting < n)
    if (!g_cond_wait_until (&gate->cond, &gate->lock, deadline))
      g_error ("timed out waiting for %u thread(s) at a gate", n);
  g_mutex_unlock (&gate->lock);
}

gdouble
now_s (void)
{
  return g_get_monotonic_time () / (gdouble) G_USEC_PER_SEC;
}

static gboolean
set_true (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

void
iterate_until_true (gboolean *done,
                    gdouble   timeout)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add ((guint) (timeout * 1000), set_true, &expired);

  while (!*done && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (id);
  g_assert_true (*done);
}

OsiisoTaskOptions *
options_new (const char *first_property,
             ...)
{
  OsiisoTaskOptions *options;
  va_list args;

  va_start (args, first_property);
  options = (OsiisoTaskOptions *) g_object_new_valist (OSIISO_TYPE_TASK_OPTIONS, first_property, args);
  va_end (args);
  return options;
}

void
submit_ok (OsiisoQueue       *queue,
           OsiisoTaskFunc     func,
           gpointer           data,
           OsiisoTaskOptions *options)
{
  GError *error = NULL;
  OsiisoTaskHandle *handle = osiiso_queue_submit (queue, func, data, NULL, options, &error);

  g_assert_no_error (error);
  g_assert_nonnull (handle);
  g_object_unref (handle);
}

gboolean
task_ok (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  return TRUE;
}

gboolean
task_fail (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "planned failure");
  return FALSE;
}

gboolean
task_until_cancelled (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  GCancellable *cancellable = osiiso_task_context_get_cancellable (ctx);
  gint64 give_up = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (!g_cancellable_is_cancelled (cancellable) && g_get_monotonic_time () < give_up)
    g_usleep (1000);
  return !g_cancellable_set_error_if_cancelled (cancellable, error);
}

gboolean
task_wait_gate (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  gate_wait (data);
  return TRUE;
}

gboolean
task_sleep_ms (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  g_usleep (GPOINTER_TO_INT (data) * 1000);
  return TRUE;
}

OsiisoTaskResult *
find_result (OsiisoRunSummary *summary,
             const char       *name)
{
  guint n = 0;
  OsiisoTaskResult **results = osiiso_run_summary_get_results (summary, &n);

  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (osiiso_task_result_get_name (results[i]), name) == 0)
      return results[i];
  g_error ("no result named %s in the summary", name);
  return NULL;
}

OsiisoRunSummary *
run_ok (OsiisoQueue *queue)
{
  GError *error = NULL;
  OsiisoRunSummary *summary = osiiso_queue_run (queue, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (summary);
  return summary;
}

gboolean
wait_process_gone (int     pid,
                   gdouble timeout)
{
  int fd = (int) syscall (SYS_pidfd_open, pid, 0);
  struct pollfd pfd = { fd, POLLIN, 0 };
  int ret;

  if (fd < 0 && errno == ENOSYS)
    {
      /* valgrind 3.19 does not know pidfd_open(): fall back to probing. */
      gint64 deadline = g_get_monotonic_time () + (gint64) (timeout * G_USEC_PER_SEC);

      while (kill (pid, 0) == 0 && g_get_monotonic_time () < deadline)
        g_usleep (10000);
      return kill (pid, 0) != 0;
    }
  if (fd < 0)
    return errno == ESRCH;
  ret = poll (&pfd, 1, (int) (timeout * 1000));
  close (fd);
  return ret == 1;
}

guint
count_fds (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}
