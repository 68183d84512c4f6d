/* map.c: one function over many inputs with osiiso_queue_map()
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Counts the steps of the Collatz sequence (n → n/2 or 3n + 1, until 1)
 * of a few numbers on four worker threads. It prints each task as it
 * finishes (completion order), then every value in input order, then maps
 * again with an input that fails to show how errors line up with inputs.
 * The step counts are well known; the example checks them and exits 1 on
 * any other outcome, so its test catches a misbehaving queue.
 */

#include <osiiso-glib/osiiso-glib.h>

/* Runs on a worker thread, once per input. Its value is a GVariant
 * "(tu)": the input and its number of steps. */
static gboolean
collatz_steps (OsiisoTaskContext *ctx, gpointer user_data, GError **error)
{
  guint64 start = g_variant_get_uint64 (osiiso_task_context_get_input (ctx));
  guint64 n = start;
  guint steps = 0;
  g_auto(GValue) value = G_VALUE_INIT;

  if (n == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "0 has no Collatz sequence");
      return FALSE;
    }
  for (; n != 1; steps++)
    n = n % 2 == 1 ? 3 * n + 1 : n / 2;

  g_value_init (&value, G_TYPE_VARIANT);
  g_value_set_variant (&value, g_variant_new ("(tu)", start, steps));
  osiiso_task_context_set_value (ctx, &value);
  return TRUE;
}

static GVariant *
numbers (const guint64 *n, gsize len)
{
  return g_variant_new_fixed_array (G_VARIANT_TYPE_UINT64, n, len, sizeof n[0]);
}

int
main (void)
{
  const guint64 inputs[] = { 837799, 27, 6171, 97, 77031, 871 };
  const guint expected[] = { 524, 111, 261, 118, 350, 178 };
  g_autoptr(OsiisoQueue) queue = OSIISO_QUEUE (osiiso_thread_queue_new (4));
  g_autoptr(OsiisoTaskGroup) group = NULL;
  g_autoptr(OsiisoTaskGroup) failing = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  const GValue *values = NULL;
  guint n_values = 0;
  g_autoptr(GError) error = NULL;
  gboolean ok = TRUE;

  /* One task per input, admitted all together (or not at all). No handle
   * is made per task unless someone asks for one. */
  group = osiiso_queue_map (queue, collatz_steps, NULL, NULL,
                            numbers (inputs, G_N_ELEMENTS (inputs)), NULL, &error);
  if (group == NULL || !osiiso_queue_start (queue, &error))
    g_error ("%s", error->message);

  /* Completion order: the (n + 1)th task to finish, as it finishes. */
  g_print ("In completion order:\n");
  for (guint n = 0; n < osiiso_task_group_get_size (group); n++)
    {
      OsiisoTaskHandle *handle = osiiso_task_group_wait_completed (group, n, 30, NULL, &error);
      const GValue *value;
      guint64 input;
      guint steps;

      if (handle == NULL)
        g_error ("%s", error->message);
      value = osiiso_task_result_get_value (osiiso_task_handle_get_result (handle));
      g_variant_get (g_value_get_variant (value), "(tu)", &input, &steps);
      g_print ("  %7" G_GUINT64_FORMAT " finished: %u steps\n", input, steps);
    }

  /* Input order: the values line up with the inputs, whatever the order
   * the tasks finished in. */
  values = osiiso_task_group_get_values (group, 30, NULL, &n_values, &error);
  if (values == NULL)
    g_error ("%s", error->message);
  g_print ("In input order:\n");
  for (guint i = 0; i < n_values; i++)
    {
      guint64 input;
      guint steps;

      g_variant_get (g_value_get_variant (&values[i]), "(tu)", &input, &steps);
      g_print ("  %7" G_GUINT64_FORMAT " takes %u steps\n", input, steps);
      ok &= input == inputs[i] && steps == expected[i];
    }

  /* A failed task: no values, an OSIISO_ERROR_EXECUTION error instead,
   * and the group's summary still lines up with the inputs. */
  {
    const guint64 some[] = { 7, 0, 9 };

    failing = osiiso_queue_map (queue, collatz_steps, NULL, NULL,
                                numbers (some, G_N_ELEMENTS (some)), NULL, &error);
    if (failing == NULL)
      g_error ("%s", error->message);
    values = osiiso_task_group_get_values (failing, 30, NULL, &n_values, &error);
    ok &= values == NULL && g_error_matches (error, OSIISO_ERROR, OSIISO_ERROR_EXECUTION);
    g_print ("Mapping again over 7, 0, 9: %s\n", error != NULL ? error->message : "no error?");
    g_clear_error (&error);

    summary = osiiso_task_group_wait (failing, 30, NULL, &error);
    if (summary == NULL)
      g_error ("%s", error->message);
    for (guint i = 0; i < G_N_ELEMENTS (some); i++)
      {
        OsiisoTaskResult *result = osiiso_task_group_get_result (failing, i);
        const GError *task_error = osiiso_task_result_get_error (result);

        g_print ("  %" G_GUINT64_FORMAT ": %s\n", some[i],
                 task_error != NULL ? task_error->message : "ok");
        ok &= (task_error != NULL) == (some[i] == 0);
      }
  }

  if (!osiiso_queue_shutdown (queue, FALSE, NULL, &error))
    g_error ("%s", error->message);
  if (!ok)
    g_printerr ("map: unexpected outcome\n");
  return ok ? 0 : 1;
}
