/* demo.c: osiiso-demo, a small mixed workload that shows the queue's policies
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Runs twenty tasks on an OsiisoThreadQueue with four workers:
 *
 *   job-01 … job-15  ordinary work, priorities 0 to 4 (lower runs first,
 *                    submission order among equals)
 *   checkpoint       must-complete, priority 0
 *   flaky            fails twice, then succeeds (retries 2, retry delay
 *                    0.05 s, backoff 2: waits 0.05 s, then 0.1 s)
 *   slow             never finishes by itself; its 0.2 s per-attempt timeout
 *                    ends both of its attempts (retries 1), so it fails
 *   reminder         becomes eligible 0.3 s after submission
 *   broken           fails at once with a GError
 *
 * Every task-started, task-retrying and task-completed signal prints one
 * line, then the run's summary is printed. The outcome never varies: 18
 * succeeded, 2 failed, 0 cancelled. The demo checks that, and exits 1 if a
 * policy misbehaved, so its test (`meson test --suite examples`) catches it.
 */

#include <locale.h>
#include <stdlib.h>

#include <osiiso-glib/osiiso-glib.h>

#define N_JOBS 15
#define N_TASKS (N_JOBS + 5)

typedef struct
{
  gint64      start;          /* monotonic µs, for the time column */
  GEnumClass *status_class;   /* OsiisoTaskStatus names */
} Demo;

/* ------------------------------------------------------------------------
 * Task functions. They run on worker threads; they must not touch the
 * terminal or any state shared with the main thread without care.
 * --------------------------------------------------------------------- */

/* Sleeps @ms milliseconds as "work". A C function cannot be pre-empted, so
 * it looks at its context now and then: after a timeout or a cancel the
 * queue has already ended the attempt, and returning promptly gives the
 * worker thread back. */
static gboolean
work_for (OsiisoTaskContext  *ctx,
          guint               ms,
          GError            **error)
{
  for (guint slept = 0; slept < ms; slept += 10)
    {
      if (osiiso_task_context_is_cancelled (ctx))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "interrupted");
          return FALSE;
        }
      g_usleep (10 * G_TIME_SPAN_MILLISECOND);
    }
  return TRUE;
}

static void
set_int_value (OsiisoTaskContext *ctx,
               gint               n)
{
  g_auto(GValue) value = G_VALUE_INIT;

  g_value_set_int (g_value_init (&value, G_TYPE_INT), n);
  osiiso_task_context_set_value (ctx, &value);
}

static void
set_string_value (OsiisoTaskContext *ctx,
                  const char        *text)
{
  g_auto(GValue) value = G_VALUE_INIT;

  g_value_set_string (g_value_init (&value, G_TYPE_STRING), text);
  osiiso_task_context_set_value (ctx, &value);
}

/* An ordinary job: a little work, then n² as its value. */
static gboolean
job_task (OsiisoTaskContext  *ctx,
          gpointer            user_data,
          GError            **error)
{
  guint n = GPOINTER_TO_UINT (user_data);

  if (!work_for (ctx, 30 + (n * 37) % 70, error))
    return FALSE;
  set_int_value (ctx, (gint) (n * n));
  return TRUE;
}

/* Fails on its first two calls. The counter lives in @user_data, shared by
 * all attempts of the task; attempts may run on different worker threads,
 * hence the atomic. */
static gboolean
flaky_task (OsiisoTaskContext  *ctx,
            gpointer            user_data,
            GError            **error)
{
  gint *calls = user_data;
  gint call = g_atomic_int_add (calls, 1) + 1;

  if (!work_for (ctx, 20, error))
    return FALSE;
  if (call <= 2)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED,
                   "connection refused (call %d)", call);
      return FALSE;
    }
  set_string_value (ctx, "connected");
  return TRUE;
}

/* Would run for 5 s; its 0.2 s timeout ends each attempt long before. The
 * cap only keeps the demo from hanging if timeouts were broken. */
static gboolean
slow_task (OsiisoTaskContext  *ctx,
           gpointer            user_data,
           GError            **error)
{
  if (!work_for (ctx, 5000, error))
    return FALSE;
  set_string_value (ctx, "finished (the timeout did not fire!)");
  return TRUE;
}

/* Must-complete: a run timeout or forced shutdown under the default exit
 * policy would let it finish. This run ends normally, so it just succeeds. */
static gboolean
checkpoint_task (OsiisoTaskContext  *ctx,
                 gpointer            user_data,
                 GError            **error)
{
  if (!work_for (ctx, 150, error))
    return FALSE;
  set_string_value (ctx, "saved");
  return TRUE;
}

static gboolean
reminder_task (OsiisoTaskContext  *ctx,
               gpointer            user_data,
               GError            **error)
{
  if (!work_for (ctx, 20, error))
    return FALSE;
  set_string_value (ctx, "ding");
  return TRUE;
}

/* Fails for good: no retries, and its GError reaches the result as is. */
static gboolean
broken_task (OsiisoTaskContext  *ctx,
             gpointer            user_data,
             GError            **error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
               "input file “%s” does not exist", "missing.csv");
  return FALSE;
}

/* ------------------------------------------------------------------------
 * Signal handlers: all run on the main thread (the queue's main context),
 * so they may print freely.
 * --------------------------------------------------------------------- */

static double
elapsed (Demo *demo)
{
  return (g_get_monotonic_time () - demo->start) / (double) G_USEC_PER_SEC;
}

static void
task_started_cb (OsiisoQueue      *queue,
                 OsiisoTaskHandle *handle,
                 Demo             *demo)
{
  g_print ("%+7.3fs  start  %-10s  attempt %u  (priority %d)\n",
           elapsed (demo),
           osiiso_task_handle_get_name (handle),
           osiiso_task_handle_get_attempts (handle),
           osiiso_task_handle_get_priority (handle));
}

static void
task_retrying_cb (OsiisoQueue      *queue,
                  OsiisoTaskHandle *handle,
                  const GError     *error,
                  Demo             *demo)
{
  g_print ("%+7.3fs  retry  %-10s  attempt %u failed: %s\n",
           elapsed (demo),
           osiiso_task_handle_get_name (handle),
           osiiso_task_handle_get_attempts (handle),
           error->message);
}

static void
task_completed_cb (OsiisoQueue      *queue,
                   OsiisoTaskResult *result,
                   Demo             *demo)
{
  OsiisoTaskStatus status = osiiso_task_result_get_status (result);
  const GValue *value = osiiso_task_result_get_value (result);
  g_autofree char *outcome = NULL;

  if (status == OSIISO_TASK_STATUS_SUCCEEDED)
    outcome = G_IS_VALUE (value) ? g_strdup_value_contents (value) : g_strdup ("(no value)");
  else
    outcome = g_strdup (osiiso_task_result_get_message (result));

  g_print ("%+7.3fs  done   %-10s  %-9s  %u attempt%s  %.3fs  %s\n",
           elapsed (demo),
           osiiso_task_result_get_name (result),
           g_enum_get_value (demo->status_class, status)->value_nick,
           osiiso_task_result_get_attempts (result),
           osiiso_task_result_get_attempts (result) == 1 ? " " : "s",
           osiiso_task_result_get_duration (result),
           outcome);
}

/* ------------------------------------------------------------------------
 * Main
 * --------------------------------------------------------------------- */

static OsiisoTaskHandle *
submit (OsiisoQueue       *queue,
        OsiisoTaskFunc     func,
        gpointer           user_data,
        GDestroyNotify     destroy,
        OsiisoTaskOptions *options)
{
  g_autoptr(GError) error = NULL;
  OsiisoTaskHandle *handle;

  handle = osiiso_queue_submit (queue, func, user_data, destroy, options, &error);
  if (handle == NULL)
    {
      g_printerr ("osiiso-demo: cannot submit “%s”: %s\n",
                  osiiso_task_options_get_name (options), error->message);
      exit (EXIT_FAILURE);
    }
  return handle;
}

/* Prints @what and returns FALSE unless @ok. */
static gboolean
expect (gboolean    ok,
        const char *what)
{
  if (!ok)
    g_printerr ("osiiso-demo: unexpected outcome: %s\n", what);
  return ok;
}

static gboolean
expect_result (OsiisoTaskHandle *handle,
               OsiisoTaskStatus  status,
               guint             attempts,
               GQuark            domain,
               gint              code)
{
  OsiisoTaskResult *result = osiiso_task_handle_get_result (handle);
  const GError *error;

  if (result == NULL)
    return expect (FALSE, osiiso_task_handle_get_name (handle));

  error = osiiso_task_result_get_error (result);
  return expect (osiiso_task_result_get_status (result) == status
                 && osiiso_task_result_get_attempts (result) == attempts
                 && (domain == 0 || g_error_matches (error, domain, code)),
                 osiiso_task_handle_get_name (handle));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) option_context = NULL;
  g_autoptr(OsiisoQueue) queue = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(OsiisoTaskHandle) flaky = NULL;
  g_autoptr(OsiisoTaskHandle) slow = NULL;
  g_autoptr(OsiisoTaskHandle) reminder = NULL;
  g_autoptr(OsiisoTaskHandle) broken = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *report = NULL;
  OsiisoTaskResult *reminder_result;
  gint workers = 4;
  gboolean ok = TRUE;
  Demo demo;
  const GOptionEntry entries[] = {
    { "workers", 'w', 0, G_OPTION_ARG_INT, &workers, "Worker threads (default 4)", "N" },
    { NULL }
  };

  setlocale (LC_ALL, "");

  option_context = g_option_context_new (NULL);
  g_option_context_set_summary (option_context,
                                "Runs a small mixed workload on an OsiisoThreadQueue and prints "
                                "what the queue does with it.");
  g_option_context_add_main_entries (option_context, entries, NULL);
  if (!g_option_context_parse (option_context, &argc, &argv, &error) || workers < 1)
    {
      g_printerr ("osiiso-demo: %s\n", error != NULL ? error->message : "--workers must be >= 1");
      return 2;
    }

  demo.start = g_get_monotonic_time ();
  demo.status_class = g_type_class_ref (OSIISO_TYPE_TASK_STATUS);

  /* The queue captures this thread's default main context: every signal
   * below is emitted here, never on a worker thread. */
  queue = OSIISO_QUEUE (osiiso_thread_queue_new ((guint) workers));
  g_signal_connect (queue, "task-started", G_CALLBACK (task_started_cb), &demo);
  g_signal_connect (queue, "task-retrying", G_CALLBACK (task_retrying_cb), &demo);
  g_signal_connect (queue, "task-completed", G_CALLBACK (task_completed_cb), &demo);

  /* Submitting to a queue that has not started only queues the tasks, so
   * the first starts show the priority order. Options are immutable: the
   * queue keeps its own reference. Handles we do not need are dropped at
   * once; the task runs regardless. */
  for (guint i = 1; i <= N_JOBS; i++)
    {
      g_autofree char *name = g_strdup_printf ("job-%02u", i);
      g_autoptr(OsiisoTaskOptions) options =
        g_object_new (OSIISO_TYPE_TASK_OPTIONS, "name", name, "priority", (gint) (i % 5), NULL);

      g_object_unref (submit (queue, job_task, GUINT_TO_POINTER (i), NULL, options));
    }

  {
    g_autoptr(OsiisoTaskOptions) options =
      g_object_new (OSIISO_TYPE_TASK_OPTIONS, "name", "checkpoint", "priority", 0,
                    "must-complete", TRUE, NULL);

    g_object_unref (submit (queue, checkpoint_task, NULL, NULL, options));
  }
  {
    g_autoptr(OsiisoTaskOptions) options =
      g_object_new (OSIISO_TYPE_TASK_OPTIONS, "name", "flaky", "priority", 1,
                    "retries", 2, "retry-delay", 0.05, "backoff", 2.0, NULL);

    /* The call counter is freed with the task, on the main context. */
    flaky = submit (queue, flaky_task, g_new0 (gint, 1), g_free, options);
  }
  {
    g_autoptr(OsiisoTaskOptions) options =
      g_object_new (OSIISO_TYPE_TASK_OPTIONS, "name", "slow", "priority", 1,
                    "timeout", 0.2, "retries", 1, NULL);

    slow = submit (queue, slow_task, NULL, NULL, options);
  }
  {
    g_autoptr(OsiisoTaskOptions) options =
      g_object_new (OSIISO_TYPE_TASK_OPTIONS, "name", "reminder", "priority", 0,
                    "delay", 0.3, NULL);

    reminder = submit (queue, reminder_task, NULL, NULL, options);
  }
  {
    g_autoptr(OsiisoTaskOptions) options =
      g_object_new (OSIISO_TYPE_TASK_OPTIONS, "name", "broken", "priority", 2, NULL);

    broken = submit (queue, broken_task, NULL, NULL, options);
  }

  /* Blocks, iterating this thread's main context (which delivers the
   * signals), until nothing is outstanding. */
  summary = osiiso_queue_run (queue, NULL, &error);
  if (summary == NULL)
    {
      g_printerr ("osiiso-demo: run failed: %s\n", error->message);
      return EXIT_FAILURE;
    }

  report = osiiso_run_summary_to_string (summary);
  g_print ("\n%s", report);

  /* Graceful: nothing is left, but it also waits (briefly) for a worker
   * still inside an abandoned attempt of "slow" to return. */
  if (!osiiso_queue_shutdown (queue, FALSE, NULL, &error))
    {
      g_printerr ("osiiso-demo: shutdown failed: %s\n", error->message);
      return EXIT_FAILURE;
    }

  /* The outcome does not depend on timing; check it, so the demo doubles
   * as a test of the policies it shows. */
  ok &= expect (osiiso_run_summary_get_total (summary) == N_TASKS, "total");
  ok &= expect (osiiso_run_summary_get_succeeded (summary) == N_TASKS - 2, "succeeded");
  ok &= expect (osiiso_run_summary_get_failed (summary) == 2, "failed");
  ok &= expect (osiiso_run_summary_get_cancelled (summary) == 0, "cancelled");
  ok &= expect (!osiiso_run_summary_get_timed_out (summary), "timed out");
  ok &= expect_result (flaky, OSIISO_TASK_STATUS_SUCCEEDED, 3, 0, 0);
  ok &= expect_result (slow, OSIISO_TASK_STATUS_FAILED, 2, OSIISO_ERROR, OSIISO_ERROR_TIMEOUT);
  ok &= expect_result (broken, OSIISO_TASK_STATUS_FAILED, 1, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  ok &= expect_result (reminder, OSIISO_TASK_STATUS_SUCCEEDED, 1, 0, 0);
  reminder_result = osiiso_task_handle_get_result (reminder);
  ok &= expect (reminder_result != NULL
                && osiiso_task_result_get_started (reminder_result)
                   - osiiso_task_result_get_created (reminder_result) >= 300 * G_TIME_SPAN_MILLISECOND,
                "reminder started before its delay");

  g_type_class_unref (demo.status_class);

  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
