/* test-run-summary.c: OsiisoRunSummary, built from real runs of a thread
 * queue: its counts, look-ups, lists by outcome, values, check and report
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "test-util.h"

#include <locale.h>
#include <libintl.h>

#define RULE "----------------------------------------\n"

/* Sets the task's value: a gint64 of GPOINTER_TO_INT (@data). */
static gboolean
task_value (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  GValue value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_INT64);
  g_value_set_int64 (&value, GPOINTER_TO_INT (data));
  osiiso_task_context_take_value (ctx, &value);
  return TRUE;
}

/* Sets the task's value: a copy of the string @data. */
static gboolean
task_string (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  GValue value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_STRING);
  g_value_set_string (&value, data);
  osiiso_task_context_take_value (ctx, &value);
  return TRUE;
}

/* Fails with the message @data. */
static gboolean
task_fail_with (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, data);
  return FALSE;
}

static OsiisoTaskHandle *
submit_handle (OsiisoQueue       *queue,
               OsiisoTaskFunc     func,
               gpointer           data,
               OsiisoTaskOptions *options)
{
  GError *error = NULL;
  OsiisoTaskHandle *handle = osiiso_queue_submit (queue, func, data, NULL, options, &error);

  g_assert_no_error (error);
  g_assert_nonnull (handle);
  return handle;
}

/* Submits a task called @name, in @group_id (or none), with @retries, and
 * returns its id. */
static guint64
submit_named (OsiisoQueue    *queue,
              OsiisoTaskFunc  func,
              gpointer        data,
              const char     *name,
              const char     *group_id,
              gint            retries)
{
  g_autoptr(OsiisoTaskOptions) options =
    options_new ("name", name, "group-id", group_id, "retries", retries, NULL);
  g_autoptr(OsiisoTaskHandle) handle = submit_handle (queue, func, data, options);

  return osiiso_task_handle_get_id (handle);
}

/* The results of @summary that @keep accepts, in result order: the oracle
 * the indexed look-ups are checked against. */
typedef gboolean (*Keep) (OsiisoTaskResult *result, gconstpointer data);

static GPtrArray *
filter_results (OsiisoRunSummary *summary,
                Keep              keep,
                gconstpointer     data)
{
  guint n = 0;
  OsiisoTaskResult **results = osiiso_run_summary_get_results (summary, &n);
  GPtrArray *kept = g_ptr_array_new ();

  for (guint i = 0; i < n; i++)
    if (keep (results[i], data))
      g_ptr_array_add (kept, results[i]);
  return kept;
}

static gboolean
has_name (OsiisoTaskResult *result, gconstpointer name)
{
  return g_strcmp0 (osiiso_task_result_get_name (result), name) == 0;
}

static gboolean
has_group (OsiisoTaskResult *result, gconstpointer group_id)
{
  return g_strcmp0 (osiiso_task_result_get_group_id (result), group_id) == 0;
}

static gboolean
has_status (OsiisoTaskResult *result, gconstpointer status)
{
  return osiiso_task_result_get_status (result) == (OsiisoTaskStatus) GPOINTER_TO_INT (status);
}

/* Checks an array returned by the summary (@n results, NULL-terminated)
 * against @expected, element by element. */
static void
assert_results (OsiisoTaskResult **results,
                guint              n,
                GPtrArray         *expected)
{
  g_assert_nonnull (results);
  g_assert_cmpuint (n, ==, expected->len);
  for (guint i = 0; i < n; i++)
    g_assert_true (results[i] == g_ptr_array_index (expected, i));
  g_assert_null (results[n]);
}

static void
assert_by_name (OsiisoRunSummary *summary,
                const char       *name,
                guint             expected_n)
{
  g_autoptr(GPtrArray) expected = filter_results (summary, has_name, name);
  guint n = G_MAXUINT;
  OsiisoTaskResult **results = osiiso_run_summary_lookup_by_name (summary, name, &n);

  g_assert_cmpuint (expected->len, ==, expected_n);
  assert_results (results, n, expected);
  /* The length is optional: the array ends with NULL anyway. */
  g_assert_true (osiiso_run_summary_lookup_by_name (summary, name, NULL) == results);
}

static void
assert_by_group (OsiisoRunSummary *summary,
                 const char       *group_id,
                 guint             expected_n)
{
  g_autoptr(GPtrArray) expected = filter_results (summary, has_group, group_id);
  guint n = G_MAXUINT;
  OsiisoTaskResult **results = osiiso_run_summary_lookup_by_group (summary, group_id, &n);

  g_assert_cmpuint (expected->len, ==, expected_n);
  assert_results (results, n, expected);
}

typedef OsiisoTaskResult **(*ByStatus) (OsiisoRunSummary *summary, guint *n);

static void
assert_by_status (OsiisoRunSummary *summary,
                  ByStatus          get,
                  OsiisoTaskStatus  status,
                  guint             expected_n)
{
  g_autoptr(GPtrArray) expected = filter_results (summary, has_status, GINT_TO_POINTER (status));
  guint n = G_MAXUINT;
  OsiisoTaskResult **results = get (summary, &n);

  g_assert_cmpuint (expected->len, ==, expected_n);
  assert_results (results, n, expected);
  g_assert_true (get (summary, NULL) == results);
  for (guint i = 0; i < n; i++)
    g_assert_cmpint (osiiso_task_result_get_status (results[i]), ==, status);
}

/* One run with everything a summary distinguishes: successes with and
 * without values, failures (one retried), cancellations, names shared by
 * several tasks, default names, groups and no group, and a detached task
 * that the summary leaves out. */
static void
test_accessors (void)
{
  g_autoptr(OsiisoThreadQueue) thread_queue = osiiso_thread_queue_new (2);
  OsiisoQueue *queue = OSIISO_QUEUE (thread_queue);
  g_autoptr(OsiisoTaskOptions) detached = options_new ("name", "hidden", "group-id", "g1",
                                                       "detached", TRUE, NULL);
  g_autoptr(OsiisoTaskHandle) hidden = NULL;
  g_autoptr(OsiisoTaskHandle) unnamed = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *unnamed_name = NULL;
  guint64 ids[7];
  OsiisoTaskResult **cancelled;
  const GValue *values;
  guint n = G_MAXUINT, n_values = G_MAXUINT;

  /* Two cancelled before they could run: cancelling a queued task needs
   * no running queue. */
  {
    g_autoptr(OsiisoTaskOptions) options = options_new ("name", "a", "group-id", "g2", NULL);
    g_autoptr(OsiisoTaskHandle) a = submit_handle (queue, task_ok, NULL, options);
    g_autoptr(OsiisoTaskHandle) c = submit_handle (queue, task_ok, NULL, NULL);

    g_assert_true (osiiso_task_handle_cancel (a));
    g_assert_true (osiiso_task_handle_cancel (c));
    ids[5] = osiiso_task_handle_get_id (a);
    ids[6] = osiiso_task_handle_get_id (c);
  }

  ids[0] = submit_named (queue, task_value, GINT_TO_POINTER (1), "a", "g1", 0);
  ids[1] = submit_named (queue, task_value, GINT_TO_POINTER (2), "a", "g1", 0);
  ids[2] = submit_named (queue, task_ok, NULL, "b", NULL, 0);
  ids[3] = submit_named (queue, task_fail, NULL, "flaky", "g2", 2);
  ids[4] = submit_named (queue, task_fail_with, (gpointer) "broken", "a", NULL, 0);
  unnamed = submit_handle (queue, task_string, (gpointer) "text", NULL);
  hidden = submit_handle (queue, task_value, GINT_TO_POINTER (99), detached);

  summary = run_ok (queue);

  /* Counts */
  g_assert_cmpuint (osiiso_run_summary_get_total (summary), ==, 8);
  g_assert_cmpuint (osiiso_run_summary_get_succeeded (summary), ==, 4);
  g_assert_cmpuint (osiiso_run_summary_get_failed (summary), ==, 2);
  g_assert_cmpuint (osiiso_run_summary_get_cancelled (summary), ==, 2);
  g_assert_false (osiiso_run_summary_get_timed_out (summary));
  g_assert_false (osiiso_run_summary_get_ok (summary));
  g_assert_cmpfloat (osiiso_run_summary_get_duration (summary), >=, 0.0);

  /* All results: NULL-terminated too. */
  g_assert_null (osiiso_run_summary_get_results (summary, &n)[8]);
  g_assert_cmpuint (n, ==, 8);

  /* By task id; the detached task ran but is not in the summary. */
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      OsiisoTaskResult *result = osiiso_run_summary_lookup (summary, ids[i]);

      g_assert_nonnull (result);
      g_assert_cmpuint (osiiso_task_result_get_task_id (result), ==, ids[i]);
    }
  g_assert_cmpint (osiiso_task_handle_get_status (hidden), ==, OSIISO_TASK_STATUS_SUCCEEDED);
  g_assert_null (osiiso_run_summary_lookup (summary, osiiso_task_handle_get_id (hidden)));
  g_assert_null (osiiso_run_summary_lookup (summary, 0));
  g_assert_null (osiiso_run_summary_lookup (summary, G_MAXUINT64));
  g_assert_true (osiiso_run_summary_lookup (summary, osiiso_task_handle_get_id (unnamed))
                 == osiiso_task_handle_get_result (unnamed));
  g_assert_cmpuint (osiiso_task_result_get_attempts (osiiso_run_summary_lookup (summary, ids[3])), ==, 3);

  /* By name: "a" is four tasks (one cancelled, one failed); a task without
   * a name is found by its default name. */
  assert_by_name (summary, "a", 4);
  assert_by_name (summary, "b", 1);
  assert_by_name (summary, "flaky", 1);
  assert_by_name (summary, "hidden", 0);
  assert_by_name (summary, "", 0);
  assert_by_name (summary, "nobody", 0);
  unnamed_name = g_strdup_printf ("task-%" G_GUINT64_FORMAT, osiiso_task_handle_get_id (unnamed));
  assert_by_name (summary, unnamed_name, 1);
  g_assert_true (osiiso_run_summary_lookup_by_name (summary, unnamed_name, NULL)[0]
                 == osiiso_task_handle_get_result (unnamed));

  /* By group; NULL is the tasks in no group. */
  assert_by_group (summary, "g1", 2);
  assert_by_group (summary, "g2", 2);
  assert_by_group (summary, NULL, 4);
  assert_by_group (summary, "g3", 0);

  /* By outcome */
  assert_by_status (summary, osiiso_run_summary_get_successes, OSIISO_TASK_STATUS_SUCCEEDED, 4);
  assert_by_status (summary, osiiso_run_summary_get_errors, OSIISO_TASK_STATUS_FAILED, 2);
  assert_by_status (summary, osiiso_run_summary_get_cancellations, OSIISO_TASK_STATUS_CANCELLED, 2);
  cancelled = osiiso_run_summary_get_cancellations (summary, &n);
  for (guint i = 0; i < n; i++)
    {
      g_assert_cmpstr (osiiso_task_result_get_message (cancelled[i]), ==, "cancelled before execution");
      g_assert_cmpuint (osiiso_task_result_get_attempts (cancelled[i]), ==, 0);
    }

  /* Values: those of the successes, in the same order; a success without
   * a value gives a NULL pointer. They belong to the summary, and an unset
   * value ends them. */
  {
    OsiisoTaskResult **successes = osiiso_run_summary_get_successes (summary, &n);
    gint64 sum = 0;
    guint n_pointers = 0, n_strings = 0;

    values = osiiso_run_summary_get_values (summary, &n_values);
    g_assert_cmpuint (n_values, ==, n);
    for (guint i = 0; i < n_values; i++)
      {
        const GValue *value = osiiso_task_result_get_value (successes[i]);

        if (value == NULL)
          {
            g_assert_true (G_VALUE_HOLDS_POINTER (&values[i]));
            g_assert_null (g_value_get_pointer (&values[i]));
            n_pointers++;
            continue;
          }
        g_assert_cmpuint (G_VALUE_TYPE (&values[i]), ==, G_VALUE_TYPE (value));
        if (G_VALUE_HOLDS_INT64 (value))
          {
            g_assert_cmpint (g_value_get_int64 (&values[i]), ==, g_value_get_int64 (value));
            sum += g_value_get_int64 (&values[i]);
          }
        else
          {
            g_assert_cmpstr (g_value_get_string (&values[i]), ==, "text");
            n_strings++;
          }
      }
    g_assert_cmpint (sum, ==, 3);
    g_assert_cmpuint (n_pointers, ==, 1);
    g_assert_cmpuint (n_strings, ==, 1);
    g_assert_false (G_IS_VALUE (&values[n_values]));
    g_assert_true (osiiso_run_summary_get_values (summary, NULL) == values);
  }

  /* The check: failures; cancellations only when asked. */
  g_assert_false (osiiso_run_summary_check (summary, FALSE, &error));
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_EXECUTION);
  g_assert_cmpstr (error->message, ==, "2 task(s) failed");
  g_clear_error (&error);
  g_assert_false (osiiso_run_summary_check (summary, TRUE, &error));
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_EXECUTION);
  g_assert_cmpstr (error->message, ==, "2 task(s) failed; 2 task(s) cancelled");
  g_clear_error (&error);
  g_assert_false (osiiso_run_summary_check (summary, TRUE, NULL));
}

/* A run without tasks: everything empty, nothing NULL. */
static void
test_empty (void)
{
  g_autoptr(OsiisoThreadQueue) thread_queue = osiiso_thread_queue_new (1);
  g_autoptr(OsiisoRunSummary) summary = run_ok (OSIISO_QUEUE (thread_queue));
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *expected = NULL;
  OsiisoTaskResult **results;
  const GValue *values;
  guint n = G_MAXUINT;

  g_assert_cmpuint (osiiso_run_summary_get_total (summary), ==, 0);
  g_assert_true (osiiso_run_summary_get_ok (summary));
  results = osiiso_run_summary_get_results (summary, &n);
  g_assert_nonnull (results);
  g_assert_cmpuint (n, ==, 0);
  g_assert_null (results[0]);
  g_assert_null (osiiso_run_summary_lookup (summary, 1));

  results = osiiso_run_summary_lookup_by_name (summary, "a", &n);
  g_assert_nonnull (results);
  g_assert_cmpuint (n, ==, 0);
  g_assert_null (results[0]);
  n = G_MAXUINT;
  results = osiiso_run_summary_lookup_by_group (summary, NULL, &n);
  g_assert_cmpuint (n, ==, 0);
  g_assert_null (results[0]);
  n = G_MAXUINT;
  results = osiiso_run_summary_lookup_by_group (summary, "g", &n);
  g_assert_cmpuint (n, ==, 0);
  g_assert_null (results[0]);
  n = G_MAXUINT;
  results = osiiso_run_summary_get_successes (summary, &n);
  g_assert_cmpuint (n, ==, 0);
  g_assert_null (results[0]);
  n = G_MAXUINT;
  results = osiiso_run_summary_get_errors (summary, &n);
  g_assert_cmpuint (n, ==, 0);
  g_assert_null (results[0]);
  n = G_MAXUINT;
  results = osiiso_run_summary_get_cancellations (summary, &n);
  g_assert_cmpuint (n, ==, 0);
  g_assert_null (results[0]);
  n = G_MAXUINT;
  values = osiiso_run_summary_get_values (summary, &n);
  g_assert_nonnull (values);
  g_assert_cmpuint (n, ==, 0);
  g_assert_false (G_IS_VALUE (&values[0]));

  g_assert_true (osiiso_run_summary_check (summary, TRUE, &error));
  g_assert_no_error (error);

  text = osiiso_run_summary_to_string (summary);
  expected = g_strdup_printf (RULE
                              "  Run Summary: PASSED\n"
                              RULE
                              "  Total tasks : 0\n"
                              "  Succeeded   : 0\n"
                              "  Failed      : 0\n"
                              "  Cancelled   : 0\n"
                              "  Duration    : %.3fs\n"
                              RULE,
                              osiiso_run_summary_get_duration (summary));
  g_assert_cmpstr (text, ==, expected);
}

/* Cancellations alone: no error unless asked, and then only their part of
 * the message; not ok, but no failures section. */
static void
test_cancellations_only (void)
{
  g_autoptr(OsiisoThreadQueue) thread_queue = osiiso_thread_queue_new (1);
  OsiisoQueue *queue = OSIISO_QUEUE (thread_queue);
  g_autoptr(OsiisoTaskHandle) handle = submit_handle (queue, task_ok, NULL, NULL);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *expected = NULL;

  g_assert_true (osiiso_task_handle_cancel (handle));
  submit_ok (queue, task_ok, NULL, NULL);
  summary = run_ok (queue);

  g_assert_cmpuint (osiiso_run_summary_get_total (summary), ==, 2);
  g_assert_false (osiiso_run_summary_get_ok (summary));
  g_assert_true (osiiso_run_summary_check (summary, FALSE, &error));
  g_assert_no_error (error);
  g_assert_false (osiiso_run_summary_check (summary, TRUE, &error));
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_EXECUTION);
  g_assert_cmpstr (error->message, ==, "1 task(s) cancelled");

  text = osiiso_run_summary_to_string (summary);
  expected = g_strdup_printf (RULE
                              "  Run Summary: COMPLETED WITH ERRORS\n"
                              RULE
                              "  Total tasks : 2\n"
                              "  Succeeded   : 1\n"
                              "  Failed      : 0\n"
                              "  Cancelled   : 1\n"
                              "  Duration    : %.3fs\n"
                              RULE,
                              osiiso_run_summary_get_duration (summary));
  g_assert_cmpstr (text, ==, expected);
}

/* A clean run: PASSED, and the check passes either way. */
static void
test_report_passed (void)
{
  g_autoptr(OsiisoThreadQueue) thread_queue = osiiso_thread_queue_new (2);
  OsiisoQueue *queue = OSIISO_QUEUE (thread_queue);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *expected = NULL;

  for (guint i = 0; i < 12; i++)
    submit_ok (queue, task_value, GINT_TO_POINTER (i), NULL);
  summary = run_ok (queue);

  g_assert_true (osiiso_run_summary_get_ok (summary));
  g_assert_true (osiiso_run_summary_check (summary, FALSE, &error));
  g_assert_true (osiiso_run_summary_check (summary, TRUE, &error));
  g_assert_no_error (error);

  text = osiiso_run_summary_to_string (summary);
  expected = g_strdup_printf (RULE
                              "  Run Summary: PASSED\n"
                              RULE
                              "  Total tasks : 12\n"
                              "  Succeeded   : 12\n"
                              "  Failed      : 0\n"
                              "  Cancelled   : 0\n"
                              "  Duration    : %.3fs\n"
                              RULE,
                              osiiso_run_summary_get_duration (summary));
  g_assert_cmpstr (text, ==, expected);
}

/* Failures: the section lists them in result order, with the attempts of
 * a retried one and the message (each line indented) when there is one.
 * One worker runs the tasks in submission order; the retried task is
 * alone in the queue for its retries, so it finishes last. */
static void
test_report_failures (void)
{
  g_autoptr(OsiisoThreadQueue) thread_queue = osiiso_thread_queue_new (1);
  OsiisoQueue *queue = OSIISO_QUEUE (thread_queue);
  g_autoptr(OsiisoTaskHandle) never = submit_handle (queue, task_ok, NULL, NULL);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autofree char *text = NULL;
  g_autofree char *expected = NULL;
  guint n = 0;
  OsiisoTaskResult **errors;

  g_assert_true (osiiso_task_handle_cancel (never));
  submit_named (queue, task_ok, NULL, "good", NULL, 0);
  submit_named (queue, task_fail_with, (gpointer) "first line\nsecond line\n", "once", NULL, 0);
  submit_named (queue, task_fail_with, (gpointer) "", "silent", NULL, 0);
  submit_named (queue, task_fail, NULL, "flaky", NULL, 2);
  summary = run_ok (queue);

  errors = osiiso_run_summary_get_errors (summary, &n);
  g_assert_cmpuint (n, ==, 3);
  g_assert_cmpstr (osiiso_task_result_get_name (errors[0]), ==, "once");
  g_assert_cmpstr (osiiso_task_result_get_name (errors[1]), ==, "silent");
  g_assert_cmpstr (osiiso_task_result_get_name (errors[2]), ==, "flaky");
  g_assert_cmpuint (osiiso_task_result_get_attempts (errors[0]), ==, 1);
  g_assert_cmpuint (osiiso_task_result_get_attempts (errors[2]), ==, 3);

  text = osiiso_run_summary_to_string (summary);
  expected = g_strdup_printf (RULE
                              "  Run Summary: COMPLETED WITH ERRORS\n"
                              RULE
                              "  Total tasks : 5\n"
                              "  Succeeded   : 1\n"
                              "  Failed      : 3\n"
                              "  Cancelled   : 1\n"
                              "  Duration    : %.3fs\n"
                              RULE
                              "  Failures:\n"
                              "    - once\n"
                              "      first line\n"
                              "      second line\n"
                              "    - silent\n"
                              "    - flaky (3 attempts)\n"
                              "      planned failure\n"
                              RULE,
                              osiiso_run_summary_get_duration (summary));
  g_assert_cmpstr (text, ==, expected);
}

/* A run that times out: TIMED OUT wins over the errors, and the task it
 * ended is a cancellation. */
static void
test_report_timed_out (void)
{
  g_autoptr(OsiisoThreadQueue) thread_queue = osiiso_thread_queue_new (1);
  OsiisoQueue *queue = OSIISO_QUEUE (thread_queue);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *expected = NULL;

  submit_named (queue, task_fail, NULL, "bad", NULL, 0);
  submit_named (queue, task_until_cancelled, NULL, "stuck", NULL, 0);
  summary = osiiso_queue_run_full (queue, 0.2, OSIISO_RUN_FLAGS_NONE, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (summary);

  g_assert_true (osiiso_run_summary_get_timed_out (summary));
  g_assert_false (osiiso_run_summary_get_ok (summary));
  g_assert_cmpuint (osiiso_run_summary_get_cancelled (summary), ==, 1);
  g_assert_cmpstr (osiiso_task_result_get_name (osiiso_run_summary_get_cancellations (summary, NULL)[0]),
                   ==, "stuck");

  text = osiiso_run_summary_to_string (summary);
  expected = g_strdup_printf (RULE
                              "  Run Summary: TIMED OUT\n"
                              RULE
                              "  Total tasks : 2\n"
                              "  Succeeded   : 0\n"
                              "  Failed      : 1\n"
                              "  Cancelled   : 1\n"
                              "  Duration    : %.3fs\n"
                              RULE
                              "  Failures:\n"
                              "    - bad\n"
                              "      planned failure\n"
                              RULE,
                              osiiso_run_summary_get_duration (summary));
  g_assert_cmpstr (text, ==, expected);
}

/* A big summary: many names and groups, each checked against a plain scan;
 * then several threads race to build the indexes of a second summary. */
#define N_BIG 3000
#define N_NAMES 7
#define N_GROUPS 5

static OsiisoRunSummary *
big_summary (void)
{
  g_autoptr(OsiisoThreadQueue) thread_queue = osiiso_thread_queue_new (2);
  OsiisoQueue *queue = OSIISO_QUEUE (thread_queue);

  for (guint i = 0; i < N_BIG; i++)
    {
      g_autofree char *name = g_strdup_printf ("n%u", i % N_NAMES);
      g_autofree char *group = i % N_GROUPS == 0 ? NULL : g_strdup_printf ("g%u", i % N_GROUPS);

      if (i % 11 == 0)
        submit_named (queue, task_fail, NULL, name, group, 0);
      else
        submit_named (queue, task_value, GINT_TO_POINTER (i), name, group, 0);
    }
  return run_ok (queue);
}

static void
check_big_summary (OsiisoRunSummary *summary)
{
  guint n = 0;
  OsiisoTaskResult **results = osiiso_run_summary_get_results (summary, &n);

  g_assert_cmpuint (n, ==, N_BIG);
  for (guint i = 0; i < N_NAMES; i++)
    {
      g_autofree char *name = g_strdup_printf ("n%u", i);

      assert_by_name (summary, name, N_BIG / N_NAMES + (i < N_BIG % N_NAMES));
    }
  for (guint i = 1; i < N_GROUPS; i++)
    {
      g_autofree char *group = g_strdup_printf ("g%u", i);

      assert_by_group (summary, group, N_BIG / N_GROUPS);
    }
  assert_by_group (summary, NULL, N_BIG / N_GROUPS);
  for (guint i = 0; i < n; i++)
    g_assert_true (osiiso_run_summary_lookup (summary, osiiso_task_result_get_task_id (results[i]))
                   == results[i]);
  assert_by_status (summary, osiiso_run_summary_get_errors, OSIISO_TASK_STATUS_FAILED,
                    (N_BIG + 10) / 11);
  assert_by_status (summary, osiiso_run_summary_get_successes, OSIISO_TASK_STATUS_SUCCEEDED,
                    N_BIG - (N_BIG + 10) / 11);

  {
    guint n_successes = 0, n_values = 0;
    OsiisoTaskResult **successes = osiiso_run_summary_get_successes (summary, &n_successes);
    const GValue *values = osiiso_run_summary_get_values (summary, &n_values);

    g_assert_cmpuint (n_values, ==, n_successes);
    for (guint i = 0; i < n_values; i++)
      g_assert_cmpint (g_value_get_int64 (&values[i]), ==,
                       g_value_get_int64 (osiiso_task_result_get_value (successes[i])));
  }
}

/* The sum of the values of big_summary(): every i that is not a multiple
 * of 11. */
static gint64
big_sum (void)
{
  gint64 sum = 0;

  for (guint i = 0; i < N_BIG; i++)
    if (i % 11 != 0)
      sum += i;
  return sum;
}

typedef struct
{
  Gate             *gate;
  OsiisoRunSummary *summary;
  OsiisoTaskResult *expected_first;   /* of name "n3" */
  guint             expected_n;
  gboolean          ok;
} Reader;

static gpointer
read_summary (gpointer data)
{
  Reader *reader = data;
  guint n = 0, n_group = 0;
  OsiisoTaskResult **by_name, **by_group, **errors;
  OsiisoTaskResult *first;
  const GValue *values;
  gint64 sum = 0;

  gate_wait (reader->gate);
  /* All at once, each on an index nobody has built yet. */
  by_name = osiiso_run_summary_lookup_by_name (reader->summary, "n3", &n);
  by_group = osiiso_run_summary_lookup_by_group (reader->summary, "g2", &n_group);
  errors = osiiso_run_summary_get_errors (reader->summary, NULL);
  first = osiiso_run_summary_get_results (reader->summary, NULL)[0];
  for (values = osiiso_run_summary_get_values (reader->summary, NULL); G_IS_VALUE (values); values++)
    sum += g_value_get_int64 (values);

  reader->ok = n == reader->expected_n && by_name[0] == reader->expected_first
               && by_name[n] == NULL && n_group == N_BIG / N_GROUPS && by_group[n_group] == NULL
               && errors[0] != NULL && sum == big_sum ()
               && osiiso_run_summary_lookup (reader->summary, osiiso_task_result_get_task_id (first)) == first;
  return NULL;
}

static void
test_big (void)
{
  g_autoptr(OsiisoRunSummary) summary = big_summary ();
  Reader readers[4];
  GThread *threads[G_N_ELEMENTS (readers)];
  Gate gate;
  g_autoptr(GPtrArray) expected = NULL;

  check_big_summary (summary);

  /* A second summary, with no index yet. */
  g_clear_pointer (&summary, osiiso_run_summary_unref);
  summary = big_summary ();
  expected = filter_results (summary, has_name, "n3");

  gate_init (&gate);
  for (guint i = 0; i < G_N_ELEMENTS (readers); i++)
    {
      readers[i] = (Reader) { &gate, summary, g_ptr_array_index (expected, 0), expected->len, FALSE };
      threads[i] = g_thread_new ("reader", read_summary, &readers[i]);
    }
  gate_wait_for (&gate, G_N_ELEMENTS (readers));
  gate_open (&gate);
  for (guint i = 0; i < G_N_ELEMENTS (readers); i++)
    {
      g_thread_join (threads[i]);
      g_assert_true (readers[i].ok);
    }
  gate_clear (&gate);
  check_big_summary (summary);
}

/* The report in German, from the build tree's catalogue: translated words,
 * plural attempts, and labels aligned on the widest translation. Runs in a
 * child process, so its locale settings touch no other test. */
static void
test_report_german (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(OsiisoThreadQueue) thread_queue = osiiso_thread_queue_new (1);
      OsiisoQueue *queue = OSIISO_QUEUE (thread_queue);
      g_autoptr(OsiisoRunSummary) summary = NULL;
      g_autofree char *po_dir = g_test_build_filename (G_TEST_BUILT, "..", "po", NULL);
      g_autofree char *text = NULL;
      g_autofree char *expected = NULL;
      g_autoptr(GError) error = NULL;

      g_setenv ("LANGUAGE", "de", TRUE);
      setlocale (LC_ALL, "C.UTF-8");
      submit_named (queue, task_fail, NULL, "flaky", NULL, 1);
      summary = run_ok (queue);
      /* The library binds its domain to the install prefix on first use;
       * point it at the build tree's catalogue instead. */
      g_assert_false (osiiso_run_summary_check (summary, FALSE, NULL));
      bindtextdomain (GETTEXT_PACKAGE, po_dir);

      g_assert_false (osiiso_run_summary_check (summary, FALSE, &error));
      g_assert_cmpstr (error->message, ==, "1 Aufgabe(n) fehlgeschlagen");
      text = osiiso_run_summary_to_string (summary);
      expected = g_strdup_printf (RULE
                                  "  Zusammenfassung des Durchlaufs: MIT FEHLERN BEENDET\n"
                                  RULE
                                  "  Gesamt      : 1\n"
                                  "  Erfolgreich : 0\n"
                                  "  Gescheitert : 1\n"
                                  "  Abgebrochen : 0\n"
                                  "  Dauer       : %.3fs\n"
                                  RULE
                                  "  Fehlschläge:\n"
                                  "    - flaky (2 Versuche)\n"
                                  "      planned failure\n"
                                  RULE,
                                  osiiso_run_summary_get_duration (summary));
      g_assert_cmpstr (text, ==, expected);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

int
main (int argc, char **argv)
{
  /* The report is translated: the exact texts below are the untranslated
   * ones. */
  setlocale (LC_ALL, "C");
  g_unsetenv ("LANGUAGE");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/run-summary/accessors", test_accessors);
  g_test_add_func ("/run-summary/empty", test_empty);
  g_test_add_func ("/run-summary/cancellations-only", test_cancellations_only);
  g_test_add_func ("/run-summary/report/passed", test_report_passed);
  g_test_add_func ("/run-summary/report/failures", test_report_failures);
  g_test_add_func ("/run-summary/report/timed-out", test_report_timed_out);
  g_test_add_func ("/run-summary/report/german", test_report_german);
  g_test_add_func ("/run-summary/big", test_big);

  return g_test_run ();
}
