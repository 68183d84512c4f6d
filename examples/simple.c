/* simple.c: square ten numbers on four worker threads (the README's C example)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <osiiso-glib/osiiso-glib.h>

static gboolean   /* runs on a worker thread, once per attempt */
square (OsiisoTaskContext *ctx, gpointer user_data, GError **error)
{
  g_auto(GValue) value = G_VALUE_INIT;
  gint n = GPOINTER_TO_INT (user_data);

  g_value_set_int (g_value_init (&value, G_TYPE_INT), n * n);
  osiiso_task_context_set_value (ctx, &value);   /* the task's value */
  return TRUE;                                   /* or FALSE with @error set */
}

int
main (void)
{
  g_autoptr(OsiisoQueue) q = OSIISO_QUEUE (osiiso_thread_queue_new (4));
  g_autoptr(OsiisoTaskOptions) options = g_object_new (OSIISO_TYPE_TASK_OPTIONS, "retries", 2, NULL);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *report = NULL;

  for (gint n = 1; n <= 10; n++)
    {
      g_autoptr(OsiisoTaskHandle) handle =   /* returned at once */
        osiiso_queue_submit (q, square, GINT_TO_POINTER (n), NULL, options, &error);
      if (handle == NULL)
        g_error ("%s", error->message);
    }
  if ((summary = osiiso_queue_run (q, NULL, &error)) == NULL)   /* blocks until all are done */
    g_error ("%s", error->message);
  report = osiiso_run_summary_to_string (summary);
  g_print ("%s", report);
  return osiiso_run_summary_get_ok (summary) ? 0 : 1;
}
