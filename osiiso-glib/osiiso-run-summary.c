/* osiiso-run-summary.c: the immutable summary of one run
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "osiiso-task-private.h"
#include "osiiso-i18n-private.h"

/**
 * SECTION:osiiso-run-summary
 * @Title: OsiisoRunSummary
 * @Short_description: What happened during a run
 *
 * osiiso_queue_run() and osiiso_queue_run_finish() return an
 * #OsiisoRunSummary: the results of exactly the tasks that finished during
 * that run or had finished, unreported, since the previous one, in
 * completion order. Detached tasks are left out. A summary never changes;
 * it is a reference-counted boxed type.
 */

struct _OsiisoRunSummary
{
  gint       ref_count;
  gboolean   timed_out;
  gdouble    duration;
  guint      counts[OSIISO_TASK_STATUS_CANCELLED + 1];
  GPtrArray *results;
};

G_DEFINE_BOXED_TYPE (OsiisoRunSummary, osiiso_run_summary,
                     osiiso_run_summary_ref, osiiso_run_summary_unref)

/* Takes @results, an array of OsiisoTaskResult that owns its elements. */
OsiisoRunSummary *
_osiiso_run_summary_new (GPtrArray *results,
                         gboolean   timed_out,
                         gdouble    duration)
{
  OsiisoRunSummary *self = g_new0 (OsiisoRunSummary, 1);

  self->ref_count = 1;
  self->timed_out = timed_out;
  self->duration = duration;
  self->results = results;
  for (guint i = 0; i < results->len; i++)
    self->counts[osiiso_task_result_get_status (g_ptr_array_index (results, i))]++;

  return self;
}

/**
 * osiiso_run_summary_ref:
 * @self: a #OsiisoRunSummary
 *
 * Takes a reference on @self.
 *
 * Returns: (transfer full): @self
 */
OsiisoRunSummary *
osiiso_run_summary_ref (OsiisoRunSummary *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_int_inc (&self->ref_count);
  return self;
}

/**
 * osiiso_run_summary_unref:
 * @self: (transfer full): a #OsiisoRunSummary
 *
 * Drops a reference on @self.
 */
void
osiiso_run_summary_unref (OsiisoRunSummary *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_int_dec_and_test (&self->ref_count))
    return;

  g_ptr_array_unref (self->results);
  g_free (self);
}

/**
 * osiiso_run_summary_get_total:
 * @self: a #OsiisoRunSummary
 *
 * Gets the number of results in the summary.
 *
 * Returns: the number of tasks covered
 */
guint
osiiso_run_summary_get_total (OsiisoRunSummary *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->results->len;
}

/**
 * osiiso_run_summary_get_succeeded:
 * @self: a #OsiisoRunSummary
 *
 * Gets the number of tasks that succeeded.
 *
 * Returns: the count
 */
guint
osiiso_run_summary_get_succeeded (OsiisoRunSummary *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->counts[OSIISO_TASK_STATUS_SUCCEEDED];
}

/**
 * osiiso_run_summary_get_failed:
 * @self: a #OsiisoRunSummary
 *
 * Gets the number of tasks that failed.
 *
 * Returns: the count
 */
guint
osiiso_run_summary_get_failed (OsiisoRunSummary *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->counts[OSIISO_TASK_STATUS_FAILED];
}

/**
 * osiiso_run_summary_get_cancelled:
 * @self: a #OsiisoRunSummary
 *
 * Gets the number of tasks that were cancelled.
 *
 * Returns: the count
 */
guint
osiiso_run_summary_get_cancelled (OsiisoRunSummary *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->counts[OSIISO_TASK_STATUS_CANCELLED];
}

/**
 * osiiso_run_summary_get_timed_out:
 * @self: a #OsiisoRunSummary
 *
 * Gets whether the run ended because its timeout expired. Such a run ends
 * in shutdown: the queue is closed until osiiso_queue_reset().
 *
 * Returns: %TRUE if the run timed out
 */
gboolean
osiiso_run_summary_get_timed_out (OsiisoRunSummary *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->timed_out;
}

/**
 * osiiso_run_summary_get_duration:
 * @self: a #OsiisoRunSummary
 *
 * Gets how long the run lasted.
 *
 * Returns: seconds
 */
gdouble
osiiso_run_summary_get_duration (OsiisoRunSummary *self)
{
  g_return_val_if_fail (self != NULL, 0.0);
  return self->duration;
}

/**
 * osiiso_run_summary_get_ok:
 * @self: a #OsiisoRunSummary
 *
 * Gets whether everything went well: no failure, no cancellation and no
 * timeout.
 *
 * Returns: %TRUE if the run was clean
 */
gboolean
osiiso_run_summary_get_ok (OsiisoRunSummary *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return !self->timed_out
         && self->counts[OSIISO_TASK_STATUS_FAILED] == 0
         && self->counts[OSIISO_TASK_STATUS_CANCELLED] == 0;
}

/**
 * osiiso_run_summary_get_results:
 * @self: a #OsiisoRunSummary
 * @n_results: (out) (optional): return location for the number of results
 *
 * Gets the results, in completion order.
 *
 * Returns: (array length=n_results) (transfer none): the results
 */
OsiisoTaskResult **
osiiso_run_summary_get_results (OsiisoRunSummary *self,
                                guint            *n_results)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (n_results != NULL)
    *n_results = self->results->len;
  return (OsiisoTaskResult **) self->results->pdata;
}

/**
 * osiiso_run_summary_lookup:
 * @self: a #OsiisoRunSummary
 * @task_id: a task id
 *
 * Finds the result of a task by its id.
 *
 * Returns: (nullable) (transfer none): the result, or %NULL if the task is
 *   not in this summary
 */
OsiisoTaskResult *
osiiso_run_summary_lookup (OsiisoRunSummary *self,
                           guint64           task_id)
{
  g_return_val_if_fail (self != NULL, NULL);

  for (guint i = 0; i < self->results->len; i++)
    {
      OsiisoTaskResult *result = g_ptr_array_index (self->results, i);

      if (osiiso_task_result_get_task_id (result) == task_id)
        return result;
    }
  return NULL;
}

/**
 * osiiso_run_summary_check:
 * @self: a #OsiisoRunSummary
 * @include_cancelled: whether cancelled tasks count as errors too
 * @error: return location for the execution error
 *
 * Checks the run for failed tasks (and cancelled ones, when asked), in the
 * manner of the Python original's raise_for_errors method. The error is
 * %OSIISO_ERROR_EXECUTION with a message such as "2 task(s) failed; 1
 * task(s) cancelled".
 *
 * Returns: %TRUE if there is nothing to report, %FALSE with @error set
 *   otherwise
 */
gboolean
osiiso_run_summary_check (OsiisoRunSummary  *self,
                          gboolean           include_cancelled,
                          GError           **error)
{
  guint failed, cancelled;
  g_autoptr(GString) message = NULL;

  g_return_val_if_fail (self != NULL, FALSE);

  _osiiso_i18n_init ();

  failed = self->counts[OSIISO_TASK_STATUS_FAILED];
  cancelled = include_cancelled ? self->counts[OSIISO_TASK_STATUS_CANCELLED] : 0;
  if (failed == 0 && cancelled == 0)
    return TRUE;

  message = g_string_new (NULL);
  if (failed > 0 || cancelled == 0)
    g_string_append_printf (message, _("%u task(s) failed"), failed);
  if (cancelled > 0)
    {
      if (message->len > 0)
        g_string_append (message, "; ");
      g_string_append_printf (message, _("%u task(s) cancelled"), cancelled);
    }

  g_set_error_literal (error, OSIISO_ERROR, OSIISO_ERROR_EXECUTION, message->str);
  return FALSE;
}

/**
 * osiiso_run_summary_to_string:
 * @self: a #OsiisoRunSummary
 *
 * Formats a human-readable report of the run, laid out like the Python
 * original's `display()`: a status line (PASSED, COMPLETED WITH ERRORS or
 * TIMED OUT), the counts, the duration, and each failure with its attempts
 * and message.
 *
 * Returns: (transfer full): the report
 */
char *
osiiso_run_summary_to_string (OsiisoRunSummary *self)
{
  static const char rule[] = "----------------------------------------\n";
  GString *out;
  const char *status;

  g_return_val_if_fail (self != NULL, NULL);

  _osiiso_i18n_init ();

  if (self->timed_out)
    status = _("TIMED OUT");
  else if (osiiso_run_summary_get_ok (self))
    status = _("PASSED");
  else
    status = _("COMPLETED WITH ERRORS");

  out = g_string_new (rule);
  g_string_append_printf (out, "  %s: %s\n", _("Run Summary"), status);
  g_string_append (out, rule);
  g_string_append_printf (out, "  %-12s: %u\n", _("Total tasks"), self->results->len);
  g_string_append_printf (out, "  %-12s: %u\n", _("Succeeded"), self->counts[OSIISO_TASK_STATUS_SUCCEEDED]);
  g_string_append_printf (out, "  %-12s: %u\n", _("Failed"), self->counts[OSIISO_TASK_STATUS_FAILED]);
  g_string_append_printf (out, "  %-12s: %u\n", _("Cancelled"), self->counts[OSIISO_TASK_STATUS_CANCELLED]);
  g_string_append_printf (out, "  %-12s: %.3fs\n", _("Duration"), self->duration);

  if (self->counts[OSIISO_TASK_STATUS_FAILED] > 0)
    {
      g_string_append (out, rule);
      g_string_append_printf (out, "  %s:\n", _("Failures"));
      for (guint i = 0; i < self->results->len; i++)
        {
          OsiisoTaskResult *result = g_ptr_array_index (self->results, i);
          const char *message = osiiso_task_result_get_message (result);
          guint attempts = osiiso_task_result_get_attempts (result);

          if (osiiso_task_result_get_status (result) != OSIISO_TASK_STATUS_FAILED)
            continue;
          g_string_append_printf (out, "    - %s", osiiso_task_result_get_name (result));
          if (attempts > 1)
            g_string_append_printf (out, _(" (%u attempts)"), attempts);
          g_string_append_c (out, '\n');
          if (*message != '\0')
            g_string_append_printf (out, "      %s\n", message);
        }
    }
  g_string_append (out, rule);

  return g_string_free (out, FALSE);
}
