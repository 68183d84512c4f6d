/* test-queue.c: the policy engine, driven through the thread backend
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "test-util.h"

#include <stdio.h>

static OsiisoQueue *
queue_new (const char *first_property,
           ...)
{
  OsiisoQueue *queue;
  va_list args;

  va_start (args, first_property);
  queue = (OsiisoQueue *) g_object_new_valist (OSIISO_TYPE_THREAD_QUEUE, first_property, args);
  va_end (args);
  return queue;
}

/* ---- ordering -------------------------------------------------------- */

typedef struct
{
  GMutex     lock;
  GPtrArray *order;   /* names, in execution order */
} Recorder;

static gboolean
task_record (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  Recorder *rec = data;

  g_mutex_lock (&rec->lock);
  g_ptr_array_add (rec->order, g_strdup (osiiso_task_context_get_name (ctx)));
  g_mutex_unlock (&rec->lock);
  return TRUE;
}

static void
test_priority_order (void)
{
  g_autoptr(OsiisoQueue) queue = queue_new ("workers", 1, NULL);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  Recorder rec = { .order = g_ptr_array_new_with_free_func (g_free) };
  static const gint prios[] = { 5, 1, 3, 1, 0, 5, 3, 2, 0, 1 };

  g_mutex_init (&rec.lock);
  for (guint i = 0; i < G_N_ELEMENTS (prios); i++)
    {
      g_autofree char *name = g_strdup_printf ("p%d-s%u", prios[i], i);
      g_autoptr(OsiisoTaskOptions) options = options_new ("priority", prios[i], "name", name, NULL);

      submit_ok (queue, task_record, &rec, options);
    }

  summary = run_ok (queue);
  g_assert_cmpuint (osiiso_run_summary_get_succeeded (summary), ==, G_N_ELEMENTS (prios));
  g_assert_cmpuint (rec.order->len, ==, G_N_ELEMENTS (prios));

  /* Lower priority first; equal priorities in submission order. */
  for (guint i = 1; i < rec.order->len; i++)
    {
      gint pa, pb;
      guint sa, sb;

      g_assert_cmpint (sscanf (g_ptr_array_index (rec.order, i - 1), "p%d-s%u", &pa, &sa), ==, 2);
      g_assert_cmpint (sscanf (g_ptr_array_index (rec.order, i), "p%d-s%u", &pb, &sb), ==, 2);
      g_assert_true (pa < pb || (pa == pb && sa < sb));
    }

  g_ptr_array_unref (rec.order);
  g_mutex_clear (&rec.lock);
}

/* ---- retries, backoff, timeouts ------------------------------------- */

typedef struct
{
  GMutex  lock;
  gdouble starts[16];
  guint   n;
  guint   succeed_on;   /* attempt that succeeds; 0 = never */
} Attempts;

static gboolean
task_attempts (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  Attempts *a = data;
  guint attempt = osiiso_task_context_get_attempt (ctx);

  g_mutex_lock (&a->lock);
  a->starts[a->n++] = now_s ();
  g_mutex_unlock (&a->lock);

  if (attempt == a->succeed_on)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "attempt %u failed", attempt);
  return FALSE;
}

static void
test_retry_backoff (void)
{
  g_autoptr(OsiisoQueue) queue = queue_new ("workers", 2, NULL);
  g_autoptr(OsiisoTaskOptions) options =
    options_new ("retries", 3, "retry-delay", 0.1, "backoff", 2.0, "name", "flaky", NULL);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  OsiisoTaskResult *result;
  Attempts a = { 0 };
  static const gdouble expected[] = { 0.1, 0.2, 0.4 };

  g_mutex_init (&a.lock);
  submit_ok (queue, task_attempts, &a, options);
  summary = run_ok (queue);

  result = find_result (summary, "flaky");
  g_assert_cmpint (osiiso_task_result_get_status (result), ==, OSIISO_TASK_STATUS_FAILED);
  g_assert_cmpuint (osiiso_task_result_get_attempts (result), ==, 4);
  g_assert_cmpuint (a.n, ==, 4);
  /* The last attempt's error is kept. */
  g_assert_error (osiiso_task_result_get_error (result), G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_cmpstr (osiiso_task_result_get_message (result), ==, "attempt 4 failed");

  for (guint i = 0; i < 3; i++)
    {
      gdouble gap = a.starts[i + 1] - a.starts[i];

      g_test_message ("gap %u: %.3fs (expected %.1fs)", i, gap, expected[i]);
      g_assert_cmpfloat (gap, >=, expected[i] - 0.01);
      g_assert_cmpfloat (gap, <, expected[i] * 3 + 0.5);
    }
  g_mutex_clear (&a.lock);
}

static void
test_retry_then_succeed (void)
{
  g_autoptr(OsiisoQueue) queue = queue_new ("workers", 1, NULL);
  g_autoptr(OsiisoTaskOptions) options = options_new ("retries", 4, "name", "flaky", NULL);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  OsiisoTaskResult *result;
  Attempts a = { .succeed_on = 3 };

  g_mutex_init (&a.lock);
  submit_ok (queue, task_attempts, &a, options);
  summary = run_ok (queue);

  result = find_result (summary, "flaky");
  g_assert_cmpint (osiiso_task_result_get_status (result), ==, OSIISO_TASK_STATUS_SUCCEEDED);
  g_assert_cmpuint (osiiso_task_result_get_attempts (result), ==, 3);
  g_assert_null (osiiso_task_result_get_error (result));
  g_assert_true (osiiso_run_summary_get_ok (summary));
  g_mutex_clear (&a.lock);
}

/* The first attempt ignores nothing: it waits for its cancellable, which
 * the timeout cancels; the second succeeds at once. */
static gboolean
task_slow_then_fast (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  if (osiiso_task_context_get_attempt (ctx) == 1)
    return task_until_cancelled (ctx, data, error);
  return TRUE;
}

typedef struct
{
  GThread *main_thread;
  GString *log;        /* "s1 r s2 c": per-task event order */
  GError  *retry_error;
  gboolean off_thread;
} Events;

static void
on_started (OsiisoQueue *queue, OsiisoTaskHandle *handle, Events *ev)
{
  ev->off_thread |= g_thread_self () != ev->main_thread;
  g_string_append_printf (ev->log, "s%u ", osiiso_task_handle_get_attempts (handle));
}

static void
on_retrying (OsiisoQueue *queue, OsiisoTaskHandle *handle, const GError *error, Events *ev)
{
  ev->off_thread |= g_thread_self () != ev->main_thread;
  g_string_append (ev->log, "r ");
  g_clear_error (&ev->retry_error);
  ev->retry_error = g_error_copy (error);
}

static void
on_completed (OsiisoQueue *queue, OsiisoTaskResult *result, Events *ev)
{
  ev->off_thread |= g_thread_self () != ev->main_thread;
  g_string_append (ev->log, "c");
}

static void
test_timeout_retry_succeed (void)
{
  g_autoptr(OsiisoQueue) queue = queue_new ("workers", 1, NULL);
  g_autoptr(OsiisoTaskOptions) options = options_new ("timeout", 0.1, "retries", 1, "name", "t", NULL);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  OsiisoTaskResult *result;
  Events ev = { g_thread_self (), g_string_new (NULL), NULL, FALSE };

  g_signal_connect (queue, "task-started", G_CALLBACK (on_started), &ev);
  g_signal_connect (queue, "task-retrying", G_CALLBACK (on_retrying), &ev);
  g_signal_connect (queue, "task-completed", G_CALLBACK (on_completed), &ev);

  submit_ok (queue, task_slow_then_fast, NULL, options);
  summary = run_ok (queue);

  result = find_result (summary, "t");
  g_assert_cmpint (osiiso_task_result_get_status (result), ==, OSIISO_TASK_STATUS_SUCCEEDED);
  g_assert_cmpuint (osiiso_task_result_get_attempts (result), ==, 2);
  g_assert_error (ev.retry_error, OSIISO_ERROR, OSIISO_ERROR_TIMEOUT);
  /* Signals on the main thread, in order: started, retrying, started, completed. */
  g_assert_cmpstr (ev.log->str, ==, "s1 r s2 c");
  g_assert_false (ev.off_thread);

  g_clear_error (&ev.retry_error);
  g_string_free (ev.log, TRUE);
}

static void
test_timeout_fails (void)
{
  g_autoptr(OsiisoQueue) queue = queue_new ("workers", 1, NULL);
  g_autoptr(OsiisoTaskOptions) options = options_new ("timeout", 0.05, "name", "t", NULL);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  OsiisoTaskResult *result;

  submit_ok (queue, task_until_cancelled, NULL, options);
  summary = run_ok (queue);

  result = find_result (summary, "t");
  g_assert_cmpint (osiiso_task_result_get_status (result), ==, OSIISO_TASK_STATUS_FAILED);
  g_assert_error (osiiso_task_result_get_error (result), OSIISO_ERROR, OSIISO_ERROR_TIMEOUT);
  g_assert_cmpuint (osiiso_run_summary_get_failed (summary), ==, 1);
  g_assert_false (osiiso_run_summary_get_ok (summary));
}

/* ---- fail-first ------------------------------------------------------ */

static void
check_fail_first (OsiisoQueue *queue, OsiisoRunFlags flags)
{
  g_autoptr(OsiisoTaskOptions) fail = options_new ("name", "fail", "priority", 0, NULL);
  g_autoptr(OsiisoTaskOptions) keep = options_new ("name", "keep", "priority", 1, "must-complete", TRUE, NULL);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  GError *error = NULL;

  submit_ok (queue, task_fail, NULL, fail);
  submit_ok (queue, task_sleep_ms, GINT_TO_POINTER (20), keep);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("rest%u", i);
      g_autoptr(OsiisoTaskOptions) rest = options_new ("name", name, "priority", 2, NULL);

      submit_ok (queue, task_ok, NULL, rest);
    }

  summary = osiiso_queue_run_full (queue, 0, flags, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (osiiso_run_summary_get_failed (summary), ==, 1);
  g_assert_cmpuint (osiiso_run_summary_get_succeeded (summary), ==, 1);
  g_assert_cmpuint (osiiso_run_summary_get_cancelled (summary), ==, 3);
  g_assert_cmpint (osiiso_task_result_get_status (find_result (summary, "keep")), ==,
                   OSIISO_TASK_STATUS_SUCCEEDED);
  g_assert_cmpint (osiiso_task_result_get_status (find_result (summary, "rest0")), ==,
                   OSIISO_TASK_STATUS_CANCELLED);
  g_assert_error (osiiso_task_result_get_error (find_result (summary, "rest1")),
                  G_IO_ERROR, G_IO_ERROR_CANCELLED);

  /* The trip ends with the run: the queue accepts work again. */
  submit_ok (queue, task_ok, NULL, NULL);
  g_clear_pointer (&summary, osiiso_run_summary_unref);
  summary = run_ok (queue);
  g_assert_cmpuint (osiiso_run_summary_get_succeeded (summary), ==, 1);
}

static void
test_fail_first_queue (void)
{
  g_autoptr(OsiisoQueue) queue = queue_new ("workers", 1, "fail-policy", OSIISO_FAIL_POLICY_FAIL_FIRST, NULL);

  check_fail_first (queue, OSIISO_RUN_FLAGS_NONE);
}

static void
test_fail_first_per_run (void)
{
  g_autoptr(OsiisoQueue) queue = queue_new ("workers", 1, NULL);
  g_autoptr(OsiisoRunSummary) summary = NULL;

  check_fail_first (queue, OSIISO_RUN_FLAGS_FAIL_FIRST);

  /* The override lasted one run: now a failure cancels nothing. */
  submit_ok (queue, task_fail, NULL, NULL);
  submit_ok (queue, task_ok, NULL, NULL);
  summary = run_ok (queue);
  g_assert_cmpuint (osiiso_run_summary_get_failed (summary), ==, 1);
  g_assert_cmpuint (osiiso_run_summary_get_succeeded (summary), ==, 1);
}

/* ---- run timeout and forced shutdown under the exit policies -------- */

static void
submit_exit_workload (OsiisoQueue *queue)
{
  g_autoptr(OsiisoTaskOptions) keep = options_new ("name", "keep", "must-complete", TRUE, "priority", 0, NULL);
  g_autoptr(OsiisoTaskOptions) busy = options_new ("name", "busy", "priority", 1, NULL);
  g_autoptr(OsiisoTaskOptions) queued = options_new ("name", "queued", "priority", 2, NULL);
  g_autoptr(OsiisoTaskOptions) keep_queued =
    options_new ("name", "keep-queued", "must-complete", TRUE, "priority", 3, NULL);

  submit_ok (queue, task_sleep_ms, GINT_TO_POINTER (300), keep);
  submit_ok (queue, task_until_cancelled, NULL, busy);
  submit_ok (queue, task_ok, NULL, queued);
  submit_ok (queue, task_ok, NULL, keep_queued);
}

static void
test_run_timeout_complete_priority (void)
{
  g_autoptr(OsiisoQueue) queue = queue_new ("workers", 2, NULL);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;

  submit_exit_workload (queue);
  summary = osiiso_queue_run_full (queue, 0.1, OSIISO_RUN_FLAGS_NONE, NULL, &error);
  g_assert_no_error (error);

  g_assert_true (osiiso_run_summary_get_timed_out (summary));
  g_assert_false (osiiso_run_summary_get_ok (summary));
  g_assert_cmpint (osiiso_task_result_get_status (find_result (summary, "keep")), ==, OSIISO_TASK_STATUS_SUCCEEDED);
  g_assert_cmpint (osiiso_task_result_get_status (find_result (summary, "keep-queued")), ==, OSIISO_TASK_STATUS_SUCCEEDED);
  g_assert_cmpint (osiiso_task_result_get_status (find_result (summary, "busy")), ==, OSIISO_TASK_STATUS_CANCELLED);
  g_assert_cmpint (osiiso_task_result_get_status (find_result (summary, "queued")), ==, OSIISO_TASK_STATUS_CANCELLED);
  g_assert_cmpstr (osiiso_task_result_get_message (find_result (summary, "queued")), ==, "cancelled during shutdown");
  g_assert_cmpfloat (osiiso_run_summary_get_duration (summary), >=, 0.28);

  /* A timed-out run ends in shutdown; reset reopens. */
  g_assert_true (osiiso_queue_get_closed (queue));
  g_assert_null (osiiso_queue_submit (queue, task_ok, NULL, NULL, NULL, &error));
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_CLOSED);
  g_clear_error (&error);
  g_assert_true (osiiso_queue_reset (queue, &error));
  g_assert_false (osiiso_queue_get_closed (queue));
  submit_ok (queue, task_ok, NULL, NULL);
  g_clear_pointer (&summary, osiiso_run_summary_unref);
  summary = run_ok (queue);
  g_assert_true (osiiso_run_summary_get_ok (summary));
  g_assert_cmpuint (osiiso_run_summary_get_total (summary), ==, 1);
}

static void
test_run_timeout_cancel (void)
{
  g_autoptr(OsiisoQueue) queue = queue_new ("workers", 2, "on-exit", OSIISO_EXIT_POLICY_CANCEL, NULL);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;

  submit_exit_workload (queue);
  summary = osiiso_queue_run_full (queue, 0.1, OSIISO_RUN_FLAGS_NONE, NULL, &error);
  g_assert_no_error (error);

  g_assert_true (osiiso_run_summary_get_timed_out (summary));
  g_assert_cmpuint (osiiso_run_summary_get_cancelled (summary), ==, 4);
  g_assert_cmpint (osiiso_task_result_get_status (find_result (summary, "keep")), ==, OSIISO_TASK_STATUS_CANCELLED);
  /* Nothing waited for the protected sleeper. */
  g_assert_cmpfloat (osiiso_run_summary_get_duration (summary), <, 0.28);
  g_assert_true (osiiso_queue_get_closed (queue));
}

static void
test_run_timeout_from_property (void)
{
  g_autoptr(OsiisoQueue) queue = queue_new ("workers", 1, "timeout", 0.1, NULL);
  g_autoptr(OsiisoRunSummary) summary = NULL;

  submit_ok (queue, task_until_cancelled, NULL, NULL);
  summary = run_ok (queue);
  g_assert_true (osiiso_run_summary_get_timed_out (summary));
  g_assert_cmpuint (osiiso_run_summary_get_cancelled (summary), ==, 1);
}

static void
test_exit_timeout_bounds_protected_work (void)
{
  g_autoptr(OsiisoQueue) queue = queue_new ("workers", 1, "exit-timeout", 0.1, NULL);
  g_autoptr(OsiisoTaskOptions) keep = options_new ("name", "keep", "must-complete", TRUE, NULL);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;

  submit_ok (queue, task_until_cancelled, NULL, keep);
  summary = osiiso_queue_run_full (queue, 0.05, OSIISO_RUN_FLAGS_NONE, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (osiiso_run_summary_get_timed_out (summary));
  g_assert_cmpint (osiiso_task_result_get_status (find_result (summary, "keep")), ==, OSIISO_TASK_STATUS_CANCELLED);
}

static void
check_forced_shutdown (OsiisoExitPolicy policy)
{
  g_autoptr(OsiisoQueue) queue = queue_new ("workers", 2, "on-exit", policy, NULL);
  g_autoptr(OsiisoTaskOptions) keep = options_new ("name", "keep", "must-complete", TRUE, NULL);
  g_autoptr(OsiisoTaskHandle) keep_handle = NULL;
  g_autoptr(OsiisoTaskHandle) busy_handle = NULL;
  g_autoptr(OsiisoTaskHandle) queued_handle = NULL;
  g_autoptr(GError) error = NULL;
  Gate started;

  gate_init (&started);
  g_assert_true (osiiso_queue_start (queue, &error));
  keep_handle = osiiso_queue_submit (queue, task_sleep_ms, GINT_TO_POINTER (200), NULL, keep, &error);
  busy_handle = osiiso_queue_submit (queue, task_until_cancelled, NULL, NULL, NULL, &error);
  queued_handle = osiiso_queue_submit (queue, task_ok, NULL, NULL, NULL, &error);
  g_assert_no_error (error);

  /* Both workers busy: the third task is still queued. */
  while (osiiso_queue_get_active (queue) < 2)
    g_main_context_iteration (NULL, TRUE);

  g_assert_true (osiiso_queue_shutdown (queue, TRUE, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (osiiso_queue_get_closed (queue));

  g_assert_cmpint (osiiso_task_handle_get_status (busy_handle), ==, OSIISO_TASK_STATUS_CANCELLED);
  g_assert_cmpint (osiiso_task_handle_get_status (queued_handle), ==, OSIISO_TASK_STATUS_CANCELLED);
  g_assert_cmpint (osiiso_task_handle_get_status (keep_handle), ==,
                   policy == OSIISO_EXIT_POLICY_CANCEL ? OSIISO_TASK_STATUS_CANCELLED
                                                      : OSIISO_TASK_STATUS_SUCCEEDED);
  gate_clear (&started);
}

static void
test_forced_shutdown_complete_priority (void)
{
  check_forced_shutdown (OSIISO_EXIT_POLICY_COMPLETE_PRIORITY);
}

static void
test_forced_shutdown_cancel (void)
{
  check_forced_shutdown (OSIISO_EXIT_POLICY_CANCEL);
}

/* ---- modes and lifecycle -------------------------------------------- */

typedef struct
{
  OsiisoQueue *queue;
  guint        submitted;
  guint        completed;
} Producer;

static gboolean
produce (gpointer data)
{
  Producer *p = data;

  submit_ok (p->queue, task_ok, NULL, NULL);
  return ++p->submitted < 5 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static void
count_and_stop (OsiisoQueue *queue, OsiisoTaskResult *result, Producer *p)
{
  if (++p->completed == 5)
    osiiso_queue_shutdown_async (queue, FALSE, NULL, NULL, NULL);
}

static void
test_infinite_mode (void)
{
  g_autoptr(OsiisoQueue) queue = queue_new ("workers", 2, "mode", OSIISO_QUEUE_MODE_INFINITE, NULL);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  Producer p = { queue, 0, 0 };

  /* Producers keep adding work while the run serves; it returns only when
   * the queue is shut down. */
  g_timeout_add (20, produce, &p);
  g_signal_connect (queue, "task-completed", G_CALLBACK (count_and_stop), &p);
  summary = run_ok (queue);

  g_assert_cmpuint (p.submitted, ==, 5);
  g_assert_cmpuint (osiiso_run_summary_get_total (summary), ==, 5);
  g_assert_cmpuint (osiiso_run_summary_get_succeeded (summary), ==, 5);
  g_assert_false (osiiso_run_summary_get_timed_out (summary));
  g_assert_true (osiiso_queue_get_closed (queue));
}

static void
test_infinite_mode_timeout (void)
{
  g_autoptr(OsiisoQueue) queue = queue_new ("workers", 2, "mode", OSIISO_QUEUE_MODE_INFINITE, NULL);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;

  submit_ok (queue, task_ok, NULL, NULL);
  summary = osiiso_queue_run_full (queue, 0.1, OSIISO_RUN_FLAGS_NONE, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (osiiso_run_summary_get_timed_out (summary));
  g_assert_cmpuint (osiiso_run_summary_get_succeeded (summary), ==, 1);
}

static void
test_graceful_shutdown_drains_delayed (void)
{
  g_autoptr(OsiisoQueue) queue = queue_new ("workers", 1, NULL);
  g_autoptr(OsiisoTaskOptions) later = options_new ("delay", 0.2, NULL);
  g_autoptr(OsiisoTaskHandle) delayed = NULL;
  g_autoptr(OsiisoTaskHandle) plain = NULL;
  g_autoptr(GError) error = NULL;
  gdouble t0 = now_s ();
  OsiisoTaskResult *result;

  delayed = osiiso_queue_submit (OSIISO_QUEUE (queue), task_ok, NULL, NULL, later, &error);
  plain = osiiso_queue_submit (OSIISO_QUEUE (queue), task_ok, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (osiiso_task_handle_get_status (delayed), ==, OSIISO_TASK_STATUS_SCHEDULED);
  g_assert_cmpuint (osiiso_queue_get_scheduled (queue), ==, 1);
  g_assert_cmpuint (osiiso_queue_get_pending (queue), ==, 2);

  /* Never started: shutdown starts it and drains everything. */
  g_assert_true (osiiso_queue_shutdown (queue, FALSE, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (now_s () - t0, >=, 0.19);

  result = osiiso_task_handle_get_result (delayed);
  g_assert_cmpint (osiiso_task_result_get_status (result), ==, OSIISO_TASK_STATUS_SUCCEEDED);
  g_assert_cmpint (osiiso_task_result_get_scheduled_for (result), >, 0);
  g_assert_cmpint (osiiso_task_result_get_started (result), >=, osiiso_task_result_get_scheduled_for (result));
  g_assert_cmpint (osiiso_task_handle_get_status (plain), ==, OSIISO_TASK_STATUS_SUCCEEDED);
  g_assert_true (osiiso_queue_get_closed (queue));

  /* Closed: no more tasks, and shutting down again is fine. */
  g_assert_null (osiiso_queue_submit (queue, task_ok, NULL, NULL, NULL, &error));
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_CLOSED);
  g_assert_true (osiiso_queue_shutdown (queue, FALSE, NULL, NULL));
}

static void
test_run_at (void)
{
  g_autoptr(OsiisoQueue) queue = queue_new ("workers", 1, NULL);
  g_autoptr(OsiisoTaskOptions) at = options_new ("run-at", g_get_real_time () + 150000, "name", "at", NULL);
  g_autoptr(OsiisoTaskOptions) past = options_new ("run-at", (gint64) 0, "name", "past", NULL);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  OsiisoTaskResult *r_at, *r_past;

  submit_ok (queue, task_ok, NULL, at);
  submit_ok (queue, task_ok, NULL, past);
  summary = run_ok (queue);
  r_at = find_result (summary, "at");
  r_past = find_result (summary, "past");
  g_assert_cmpint (osiiso_task_result_get_started (r_at) - osiiso_task_result_get_created (r_at), >=, 140000);
  /* A time in the past means now. */
  g_assert_cmpint (osiiso_task_result_get_started (r_past) - osiiso_task_result_get_created (r_past), <, 140000);
}

static void
test_reset_and_reuse (void)
{
  g_autoptr(OsiisoQueue) queue = queue_new ("workers", 2, NULL);
  g_autoptr(OsiisoRunSummary) first = NULL;
  g_autoptr(OsiisoRunSummary) second = NULL;
  g_autoptr(OsiisoTaskOptions) later = options_new ("delay", 30.0, NULL);
  g_autoptr(OsiisoTaskHandle) pending = NULL;
  g_autoptr(GError) error = NULL;

  submit_ok (queue, task_ok, NULL, NULL);
  submit_ok (queue, task_ok, NULL, NULL);
  first = run_ok (queue);
  g_assert_cmpuint (osiiso_run_summary_get_total (first), ==, 2);
  g_assert_cmpuint (osiiso_queue_get_completed (queue), ==, 2);

  /* Reset cancels what is outstanding and clears the history. */
  pending = osiiso_queue_submit (queue, task_ok, NULL, NULL, later, &error);
  g_assert_no_error (error);
  g_assert_true (osiiso_queue_reset (queue, &error));
  g_assert_cmpint (osiiso_task_handle_get_status (pending), ==, OSIISO_TASK_STATUS_CANCELLED);
  g_assert_cmpuint (osiiso_queue_get_completed (queue), ==, 0);
  g_assert_cmpuint (osiiso_queue_get_pending (queue), ==, 0);

  submit_ok (queue, task_ok, NULL, NULL);
  second = run_ok (queue);
  g_assert_cmpuint (osiiso_run_summary_get_total (second), ==, 1);
  g_assert_cmpuint (osiiso_run_summary_get_succeeded (second), ==, 1);
  g_assert_cmpuint (osiiso_run_summary_get_cancelled (second), ==, 0);
}

static void
test_clear_results (void)
{
  g_autoptr(OsiisoQueue) queue = queue_new ("workers", 1, NULL);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;
  OsiisoTaskResult **results;
  guint n = 0;

  submit_ok (queue, task_ok, NULL, NULL);
  summary = run_ok (queue);
  results = osiiso_queue_get_results (queue, &n);
  g_assert_cmpuint (n, ==, 1);
  for (guint i = 0; i < n; i++)
    osiiso_task_result_unref (results[i]);
  g_free (results);

  /* Results no run has reported yet go too, and are not counted by the
   * next run's summary. */
  submit_ok (queue, task_ok, NULL, NULL);
  submit_ok (queue, task_fail, NULL, NULL);
  g_assert_true (osiiso_queue_start (queue, &error));
  g_assert_true (osiiso_queue_join (queue, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (osiiso_queue_get_completed (queue), ==, 3);

  osiiso_queue_clear_results (queue);
  g_assert_cmpuint (osiiso_queue_get_completed (queue), ==, 0);
  g_assert_false (osiiso_queue_get_closed (queue));

  /* Still open and usable. */
  submit_ok (queue, task_ok, NULL, NULL);
  g_clear_pointer (&summary, osiiso_run_summary_unref);
  summary = run_ok (queue);
  g_assert_cmpuint (osiiso_run_summary_get_total (summary), ==, 1);
  g_assert_cmpuint (osiiso_run_summary_get_succeeded (summary), ==, 1);
  g_assert_cmpuint (osiiso_run_summary_get_failed (summary), ==, 0);
}

static void
test_detached (void)
{
  g_autoptr(OsiisoQueue) queue = queue_new ("workers", 1, NULL);
  g_autoptr(OsiisoTaskOptions) detached = options_new ("detached", TRUE, NULL);
  g_autoptr(OsiisoTaskHandle) handle = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;

  handle = osiiso_queue_submit (queue, task_ok, NULL, NULL, detached, &error);
  submit_ok (queue, task_ok, NULL, NULL);
  summary = run_ok (queue);

  g_assert_cmpuint (osiiso_run_summary_get_total (summary), ==, 1);
  g_assert_null (osiiso_run_summary_lookup (summary, osiiso_task_handle_get_id (handle)));
  g_assert_true (osiiso_task_result_get_detached (osiiso_task_handle_get_result (handle)));
  g_assert_cmpint (osiiso_task_handle_get_status (handle), ==, OSIISO_TASK_STATUS_SUCCEEDED);
  g_assert_cmpuint (osiiso_queue_get_completed (queue), ==, 2);
}

static void
test_finished_before_run (void)
{
  g_autoptr(OsiisoQueue) queue = queue_new ("workers", 1, NULL);
  g_autoptr(OsiisoTaskHandle) handle = NULL;
  g_autoptr(OsiisoTaskResult) result = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(OsiisoRunSummary) again = NULL;
  g_autoptr(GError) error = NULL;

  /* A started queue runs tasks before any run()… */
  g_assert_true (osiiso_queue_start (queue, &error));
  handle = osiiso_queue_submit (queue, task_ok, NULL, NULL, NULL, &error);
  result = osiiso_task_handle_wait (handle, 10, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (osiiso_task_result_get_status (result), ==, OSIISO_TASK_STATUS_SUCCEEDED);

  /* …and the next run reports it, once. */
  summary = run_ok (queue);
  g_assert_cmpuint (osiiso_run_summary_get_total (summary), ==, 1);
  g_assert_true (osiiso_run_summary_lookup (summary, osiiso_task_handle_get_id (handle)) != NULL);
  again = run_ok (queue);
  g_assert_cmpuint (osiiso_run_summary_get_total (again), ==, 0);
}

static void
test_join (void)
{
  g_autoptr(OsiisoQueue) queue = queue_new ("workers", 2, "mode", OSIISO_QUEUE_MODE_INFINITE, NULL);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 10; i++)
    submit_ok (queue, task_sleep_ms, GINT_TO_POINTER (5), NULL);
  g_assert_true (osiiso_queue_join (queue, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (osiiso_queue_get_pending (queue) + osiiso_queue_get_active (queue), ==, 0);
  g_assert_cmpuint (osiiso_queue_get_completed (queue), ==, 10);
  /* join stops nothing. */
  g_assert_false (osiiso_queue_get_closed (queue));
  submit_ok (queue, task_ok, NULL, NULL);
  g_assert_true (osiiso_queue_join (queue, NULL, &error));
  g_assert_cmpuint (osiiso_queue_get_completed (queue), ==, 11);
}

/* ---- rate and size --------------------------------------------------- */

typedef struct
{
  GMutex  lock;
  gdouble first, last;
  guint   n;
} Starts;

static gboolean
task_stamp (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  Starts *s = data;
  gdouble t = now_s ();

  g_mutex_lock (&s->lock);
  if (s->n++ == 0)
    s->first = t;
  s->last = MAX (s->last, t);
  g_mutex_unlock (&s->lock);
  return TRUE;
}

static void
test_rate_spacing (void)
{
  g_autoptr(OsiisoQueue) queue = queue_new ("workers", 4, "rate", 20.0, NULL);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  Starts s = { 0 };

  g_mutex_init (&s.lock);
  for (guint i = 0; i < 6; i++)
    submit_ok (queue, task_stamp, &s, NULL);
  summary = run_ok (queue);
  g_assert_cmpuint (s.n, ==, 6);
  /* One start per 50 ms after the first: at least 0.25 s in all. */
  g_assert_cmpfloat (s.last - s.first, >=, 0.24);
  g_mutex_clear (&s.lock);
}

static void
test_rate_burst (void)
{
  g_autoptr(OsiisoQueue) queue = queue_new ("workers", 4, "rate", 5.0, "burst", 4, NULL);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  Starts s = { 0 };

  g_mutex_init (&s.lock);
  for (guint i = 0; i < 5; i++)
    submit_ok (queue, task_stamp, &s, NULL);
  summary = run_ok (queue);
  g_assert_cmpuint (s.n, ==, 5);
  /* The first four start together; the fifth waits for a slot (0.2 s). */
  g_assert_cmpfloat (s.last - s.first, >=, 0.15);
  g_mutex_clear (&s.lock);
}

typedef struct
{
  OsiisoQueue *queue;
  GError      *error;
  gdouble      waited;
} Submitter;

static gpointer
blocking_submitter (gpointer data)
{
  Submitter *s = data;
  gdouble t0 = now_s ();
  OsiisoTaskHandle *handle;

  handle = osiiso_queue_submit_wait (s->queue, task_ok, NULL, NULL, NULL, 30, NULL, &s->error);
  s->waited = now_s () - t0;
  g_clear_object (&handle);
  return NULL;
}

static void
test_size_bound (void)
{
  g_autoptr(OsiisoQueue) queue = queue_new ("workers", 1, "size", 2, NULL);
  g_autoptr(GError) error = NULL;
  Submitter s = { queue, NULL, 0 };
  GThread *thread;
  Gate gate;

  gate_init (&gate);
  submit_ok (queue, task_wait_gate, &gate, NULL);
  submit_ok (queue, task_ok, NULL, NULL);

  /* Full: submit fails at once, submit_wait gives up after its timeout. */
  g_assert_null (osiiso_queue_submit (queue, task_ok, NULL, NULL, NULL, &error));
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_FULL);
  g_clear_error (&error);
  g_assert_null (osiiso_queue_submit_wait (queue, task_ok, NULL, NULL, NULL, 0.05, NULL, &error));
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_TIMEOUT);
  g_clear_error (&error);

  /* A submitter in another thread blocks until a worker frees space. */
  g_assert_true (osiiso_queue_start (queue, &error));
  gate_wait_for (&gate, 1);
  thread = g_thread_new ("submitter", blocking_submitter, &s);
  g_usleep (50000);   /* give it time to block: only makes the test stronger */
  gate_open (&gate);
  g_thread_join (thread);
  g_assert_no_error (s.error);

  g_assert_true (osiiso_queue_join (queue, NULL, &error));
  g_assert_cmpuint (osiiso_queue_get_completed (queue), ==, 3);
  gate_clear (&gate);
}

/* ---- cancellation ---------------------------------------------------- */

static void
test_handle_cancel (void)
{
  g_autoptr(OsiisoQueue) queue = queue_new ("workers", 1, NULL);
  g_autoptr(OsiisoTaskOptions) keep = options_new ("must-complete", TRUE, NULL);
  g_autoptr(OsiisoTaskHandle) running = NULL;
  g_autoptr(OsiisoTaskHandle) queued = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;
  GValue value = G_VALUE_INIT;

  g_assert_true (osiiso_queue_start (queue, &error));
  running = osiiso_queue_submit (queue, task_until_cancelled, NULL, NULL, keep, &error);
  queued = osiiso_queue_submit (queue, task_ok, NULL, NULL, NULL, &error);
  while (osiiso_task_handle_get_status (running) != OSIISO_TASK_STATUS_RUNNING)
    g_main_context_iteration (NULL, TRUE);

  /* Explicit cancel wins over must-complete; the attempt ends at once. */
  g_assert_true (osiiso_task_handle_cancel (queued));
  g_assert_cmpint (osiiso_task_handle_get_status (queued), ==, OSIISO_TASK_STATUS_CANCELLED);
  g_assert_cmpstr (osiiso_task_result_get_message (osiiso_task_handle_get_result (queued)), ==,
                   "cancelled before execution");
  g_assert_true (osiiso_task_handle_cancel (running));
  g_assert_cmpint (osiiso_task_handle_get_status (running), ==, OSIISO_TASK_STATUS_CANCELLED);
  g_assert_false (osiiso_task_handle_cancel (running));

  g_assert_false (osiiso_task_handle_get_value (running, &value, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_value_unset (&value);

  summary = run_ok (queue);
  g_assert_cmpuint (osiiso_run_summary_get_cancelled (summary), ==, 2);
  g_assert_cmpuint (osiiso_run_summary_get_total (summary), ==, 2);
}

/* Cancelled waiting tasks leave the ready queue from anywhere: from the
 * middle of a priority's FIFO, emptying some, or from the heap (dropped
 * lazily, some at its top, most at once when they outnumber the others);
 * the rest still run in exact order, each task once. With @n_priorities
 * beyond the ready queue's bucket limit, some priorities are in the heap. */
static void
check_cancel_waiting_keeps_order (guint n,
                                  guint n_priorities)
{
  g_autoptr(OsiisoQueue) queue = queue_new ("workers", 1, NULL);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GPtrArray) handles = g_ptr_array_new_with_free_func (g_object_unref);
  Recorder rec = { .order = g_ptr_array_new_with_free_func (g_free) };
  guint n_cancelled = 0;

  g_mutex_init (&rec.lock);
  for (guint i = 0; i < n; i++)
    {
      gint prio = (gint) ((i * 7919) % n_priorities);
      g_autofree char *name = g_strdup_printf ("p%d-s%u", prio, i);
      g_autoptr(OsiisoTaskOptions) options = options_new ("priority", prio, "name", name, NULL);
      g_autoptr(GError) error = NULL;

      g_ptr_array_add (handles, osiiso_queue_submit (queue, task_record, &rec, NULL, options, &error));
      g_assert_no_error (error);
    }
  /* First a few, then two of every three. */
  for (guint i = 0; i < n; i++)
    if (i % 3 != 0 || i < 40)
      {
        OsiisoTaskHandle *handle = g_ptr_array_index (handles, i);

        g_assert_true (osiiso_task_handle_cancel (handle));
        g_assert_false (osiiso_task_handle_cancel (handle));
        n_cancelled++;
      }

  summary = run_ok (queue);
  g_assert_cmpuint (osiiso_run_summary_get_cancelled (summary), ==, n_cancelled);
  g_assert_cmpuint (osiiso_run_summary_get_succeeded (summary), ==, n - n_cancelled);
  g_assert_cmpuint (rec.order->len, ==, n - n_cancelled);
  for (guint i = 0; i < rec.order->len; i++)
    {
      gint pb;
      guint sb;

      g_assert_cmpint (sscanf (g_ptr_array_index (rec.order, i), "p%d-s%u", &pb, &sb), ==, 2);
      g_assert_true (sb % 3 == 0 && sb >= 40);
      if (i > 0)
        {
          gint pa;
          guint sa;

          g_assert_cmpint (sscanf (g_ptr_array_index (rec.order, i - 1), "p%d-s%u", &pa, &sa), ==, 2);
          g_assert_true (pa < pb || (pa == pb && sa < sb));
        }
    }
  for (guint i = 0; i < n; i++)
    g_assert_cmpint (osiiso_task_handle_get_status (g_ptr_array_index (handles, i)), ==,
                     i % 3 != 0 || i < 40 ? OSIISO_TASK_STATUS_CANCELLED : OSIISO_TASK_STATUS_SUCCEEDED);

  g_ptr_array_unref (rec.order);
  g_mutex_clear (&rec.lock);
}

static void
test_cancel_waiting_keeps_order (void)
{
  check_cancel_waiting_keeps_order (600, 23);
  check_cancel_waiting_keeps_order (15000, 6000);
}

/* Cancelling waiting tasks of a priority whose earlier tasks have started:
 * the ready queue keeps no back link on the task at the head of a
 * priority (taking the head must not touch the next record), so this
 * cancels the head, the tail and a task between them after heads were
 * taken, and then checks what runs, and in which order. */
typedef struct
{
  Recorder *rec;
  Gate     *gate;
} RecordThenWait;

static gboolean
task_record_then_wait (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  RecordThenWait *rw = data;

  task_record (ctx, rw->rec, error);
  gate_wait (rw->gate);
  return TRUE;
}

static OsiisoTaskHandle *
submit_named (OsiisoQueue    *queue,
              OsiisoTaskFunc  func,
              gpointer        data,
              const char     *name)
{
  g_autoptr(OsiisoTaskOptions) options = options_new ("priority", 3, "name", name, NULL);
  g_autoptr(GError) error = NULL;
  OsiisoTaskHandle *handle = osiiso_queue_submit (queue, func, data, NULL, options, &error);

  g_assert_no_error (error);
  return handle;
}

static void
test_cancel_after_starts_keeps_order (void)
{
  g_autoptr(OsiisoQueue) queue = queue_new ("workers", 1, NULL);
  g_autoptr(GError) error = NULL;
  Recorder rec = { .order = g_ptr_array_new_with_free_func (g_free) };
  Gate first, second;
  RecordThenWait wait_first = { &rec, &first }, wait_second = { &rec, &second };
  OsiisoTaskHandle *h[8];
  static const char *const expected[] = { "a", "c", "h" };

  g_mutex_init (&rec.lock);
  gate_init (&first);
  gate_init (&second);
  h[0] = submit_named (queue, task_record_then_wait, &wait_first, "a");
  h[1] = submit_named (queue, task_record, &rec, "b");
  h[2] = submit_named (queue, task_record_then_wait, &wait_second, "c");
  h[3] = submit_named (queue, task_record, &rec, "d");
  h[4] = submit_named (queue, task_record, &rec, "e");
  h[5] = submit_named (queue, task_record, &rec, "f");

  g_assert_true (osiiso_queue_start (queue, &error));
  gate_wait_for (&first, 1);
  /* "a" runs; "b" is the head now, "f" the tail. */
  g_assert_true (osiiso_task_handle_cancel (h[1]));   /* the head */
  g_assert_true (osiiso_task_handle_cancel (h[5]));   /* the tail */
  h[6] = submit_named (queue, task_record, &rec, "g");   /* appended after "e" */
  g_assert_true (osiiso_task_handle_cancel (h[4]));   /* between "d" and "g" */
  g_assert_cmpuint (osiiso_queue_get_pending (queue), ==, 3);
  gate_open (&first);

  gate_wait_for (&second, 1);
  /* "c" runs: "d" is the head, "g" the tail. */
  g_assert_true (osiiso_task_handle_cancel (h[3]));   /* the head again */
  g_assert_true (osiiso_task_handle_cancel (h[6]));   /* the next head, the last one */
  h[7] = submit_named (queue, task_record, &rec, "h");   /* into the emptied priority */
  gate_open (&second);

  g_assert_true (osiiso_queue_join (queue, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rec.order->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < rec.order->len; i++)
    g_assert_cmpstr (g_ptr_array_index (rec.order, i), ==, expected[i]);
  for (guint i = 0; i < G_N_ELEMENTS (h); i++)
    if (h[i] != NULL)
      g_assert_cmpint (osiiso_task_handle_get_status (h[i]), ==,
                       i == 0 || i == 2 || i == 7 ? OSIISO_TASK_STATUS_SUCCEEDED : OSIISO_TASK_STATUS_CANCELLED);

  for (guint i = 0; i < G_N_ELEMENTS (h); i++)
    g_clear_object (&h[i]);
  gate_clear (&first);
  gate_clear (&second);
  g_ptr_array_unref (rec.order);
  g_mutex_clear (&rec.lock);
}

/* A priority's bucket hints each task at the one pushed a few pushes
 * later, for prefetching, through a ring of its last pushed tasks:
 * cancelled tasks must leave that ring, or pushing more tasks of their
 * priority writes into their freed records (ASan, valgrind). */
static void
test_cancel_recent_then_push (void)
{
  g_autoptr(OsiisoQueue) queue = queue_new ("workers", 1, NULL);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  Recorder rec = { .order = g_ptr_array_new_with_free_func (g_free) };
  static const char *const expected[] = { "t0", "t1", "u0", "u1", "u2", "u3", "u4", "u5" };
  OsiisoTaskHandle *h[6];

  g_mutex_init (&rec.lock);
  for (guint i = 0; i < G_N_ELEMENTS (h); i++)
    {
      g_autofree char *name = g_strdup_printf ("t%u", i);

      h[i] = submit_named (queue, task_record, &rec, name);
    }
  /* The last four pushed: the whole ring, whatever its size up to four. */
  for (guint i = 2; i < G_N_ELEMENTS (h); i++)
    {
      g_assert_true (osiiso_task_handle_cancel (h[i]));
      g_clear_object (&h[i]);
    }
  /* Their completions delivered, nothing holds their records any more. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (osiiso_queue_get_pending (queue), ==, 2);
  for (guint i = 0; i < 6; i++)
    {
      g_autofree char *name = g_strdup_printf ("u%u", i);

      g_object_unref (submit_named (queue, task_record, &rec, name));
    }

  summary = run_ok (queue);
  g_assert_cmpuint (osiiso_run_summary_get_succeeded (summary), ==, 8);
  g_assert_cmpuint (rec.order->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < rec.order->len; i++)
    g_assert_cmpstr (g_ptr_array_index (rec.order, i), ==, expected[i]);

  g_clear_object (&h[0]);
  g_clear_object (&h[1]);
  g_ptr_array_unref (rec.order);
  g_mutex_clear (&rec.lock);
}

/* A retry keeps its place: it runs before the tasks of its priority that
 * were submitted after it, whichever way it re-enters the ready queue. */
static gboolean
task_fail_first (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  task_record (ctx, data, error);
  if (osiiso_task_context_get_attempt (ctx) == 1)
    return g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "first attempt"), FALSE;
  return TRUE;
}

static void
test_retry_keeps_place (void)
{
  g_autoptr(OsiisoQueue) queue = queue_new ("workers", 1, NULL);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  Recorder rec = { .order = g_ptr_array_new_with_free_func (g_free) };
  static const char *const expected[] = { "a", "a", "b", "z", "z", "c" };

  g_mutex_init (&rec.lock);
  {
    g_autoptr(OsiisoTaskOptions) a = options_new ("priority", 1, "name", "a", "retries", 1, NULL);
    g_autoptr(OsiisoTaskOptions) b = options_new ("priority", 1, "name", "b", NULL);
    g_autoptr(OsiisoTaskOptions) z = options_new ("priority", 2, "name", "z", "retries", 1, NULL);
    g_autoptr(OsiisoTaskOptions) c = options_new ("priority", 2, "name", "c", NULL);

    submit_ok (queue, task_fail_first, &rec, a);
    submit_ok (queue, task_record, &rec, b);
    submit_ok (queue, task_fail_first, &rec, z);
    submit_ok (queue, task_record, &rec, c);
  }

  summary = run_ok (queue);
  g_assert_cmpuint (osiiso_run_summary_get_succeeded (summary), ==, 4);
  g_assert_cmpuint (rec.order->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < rec.order->len; i++)
    g_assert_cmpstr (g_ptr_array_index (rec.order, i), ==, expected[i]);

  g_ptr_array_unref (rec.order);
  g_mutex_clear (&rec.lock);
}

static gboolean
task_cancel_queue (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  osiiso_queue_cancel (data);
  return TRUE;
}

static void
test_cancel_from_task (void)
{
  g_autoptr(OsiisoQueue) queue = queue_new ("workers", 1, NULL);
  g_autoptr(OsiisoTaskOptions) later = options_new ("priority", 9, NULL);
  g_autoptr(OsiisoTaskOptions) keep = options_new ("must-complete", TRUE, NULL);
  g_autoptr(OsiisoRunSummary) summary = NULL;

  /* The canceller is protected, so under complete-priority it finishes;
   * everything else is cancelled and the queue closes. */
  submit_ok (queue, task_cancel_queue, queue, keep);
  submit_ok (queue, task_ok, NULL, later);
  summary = run_ok (queue);

  g_assert_cmpuint (osiiso_run_summary_get_succeeded (summary), ==, 1);
  g_assert_cmpuint (osiiso_run_summary_get_cancelled (summary), ==, 1);
  g_assert_true (osiiso_queue_get_closed (queue));
}

static void
cancel_soon (GCancellable *cancellable)
{
  g_cancellable_cancel (cancellable);
}

static void
test_run_cancellable (void)
{
  g_autoptr(OsiisoQueue) queue = queue_new ("workers", 1, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;

  submit_ok (queue, task_until_cancelled, NULL, NULL);
  g_timeout_add_once (50, (GSourceOnceFunc) cancel_soon, cancellable);
  summary = osiiso_queue_run (queue, cancellable, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (osiiso_run_summary_get_cancelled (summary), ==, 1);
  g_assert_true (osiiso_queue_get_closed (queue));
}

/* ---- signals, counts and threads ------------------------------------ */

typedef struct
{
  GThread *main_thread;
  gboolean off_thread;
  guint    notifies;
  guint    completed;
} Notes;

static void
on_notify (GObject *object, GParamSpec *pspec, Notes *notes)
{
  notes->off_thread |= g_thread_self () != notes->main_thread;
  notes->notifies++;
}

static void
on_completed_count (OsiisoQueue *queue, OsiisoTaskResult *result, Notes *notes)
{
  notes->off_thread |= g_thread_self () != notes->main_thread;
  notes->completed++;
}

static void
test_counts_notify_on_main_thread (void)
{
  g_autoptr(OsiisoQueue) queue = queue_new ("workers", 2, NULL);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  Notes notes = { g_thread_self (), FALSE, 0, 0 };

  g_signal_connect (queue, "notify::pending", G_CALLBACK (on_notify), &notes);
  g_signal_connect (queue, "notify::active", G_CALLBACK (on_notify), &notes);
  g_signal_connect (queue, "notify::completed", G_CALLBACK (on_notify), &notes);
  g_signal_connect (queue, "task-completed", G_CALLBACK (on_completed_count), &notes);

  for (guint i = 0; i < 50; i++)
    submit_ok (queue, task_sleep_ms, GINT_TO_POINTER (1), NULL);
  summary = run_ok (queue);

  g_assert_cmpuint (notes.completed, ==, 50);
  g_assert_cmpuint (notes.notifies, >, 0);
  g_assert_false (notes.off_thread);
  g_assert_cmpuint (osiiso_queue_get_pending (queue), ==, 0);
  g_assert_cmpuint (osiiso_queue_get_active (queue), ==, 0);
  g_assert_cmpuint (osiiso_queue_get_completed (queue), ==, 50);
}

typedef struct
{
  OsiisoQueue *queue;
  guint        count;
  GPtrArray   *handles;
} SubmitJob;

static gint *hits;

static gboolean
task_hit (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  g_atomic_int_inc (&hits[GPOINTER_TO_UINT (data)]);
  return TRUE;
}

static gpointer
submit_many (gpointer data)
{
  SubmitJob *job = data;

  for (guint i = 0; i < job->count; i++)
    {
      GError *error = NULL;
      guint index = GPOINTER_TO_UINT (g_ptr_array_index (job->handles, i));
      OsiisoTaskHandle *handle = osiiso_queue_submit (job->queue, task_hit, GUINT_TO_POINTER (index),
                                                      NULL, NULL, &error);
      g_assert_no_error (error);
      g_ptr_array_index (job->handles, i) = handle;
    }
  return NULL;
}

static gboolean
free_key (gpointer key, gpointer value, gpointer data)
{
  g_free (key);
  return TRUE;
}

static void
test_many_submitters (void)
{
  const guint n_threads = 8, per_thread = 1250;
  g_autoptr(OsiisoQueue) queue = queue_new ("workers", 2, NULL);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;
  SubmitJob jobs[8];
  GThread *threads[8];
  Notes notes = { g_thread_self (), FALSE, 0, 0 };
  g_autoptr(GHashTable) ids = g_hash_table_new (g_int64_hash, g_int64_equal);
  guint n_results = 0;

  hits = g_new0 (gint, n_threads * per_thread);
  g_signal_connect (queue, "task-completed", G_CALLBACK (on_completed_count), &notes);
  g_assert_true (osiiso_queue_start (queue, &error));

  for (guint t = 0; t < n_threads; t++)
    {
      jobs[t].queue = queue;
      jobs[t].count = per_thread;
      jobs[t].handles = g_ptr_array_new ();
      for (guint i = 0; i < per_thread; i++)
        g_ptr_array_add (jobs[t].handles, GUINT_TO_POINTER (t * per_thread + i));
      threads[t] = g_thread_new ("submitter", submit_many, &jobs[t]);
    }
  for (guint t = 0; t < n_threads; t++)
    g_thread_join (threads[t]);

  summary = run_ok (queue);
  g_assert_cmpuint (osiiso_run_summary_get_total (summary), ==, n_threads * per_thread);
  g_assert_cmpuint (osiiso_run_summary_get_succeeded (summary), ==, n_threads * per_thread);
  g_assert_cmpuint (notes.completed, ==, n_threads * per_thread);
  g_assert_false (notes.off_thread);

  /* Every task ran exactly once, and every result is there exactly once. */
  for (guint i = 0; i < n_threads * per_thread; i++)
    g_assert_cmpint (hits[i], ==, 1);
  for (guint t = 0; t < n_threads; t++)
    {
      for (guint i = 0; i < per_thread; i++)
        {
          OsiisoTaskHandle *handle = g_ptr_array_index (jobs[t].handles, i);

          g_assert_cmpint (osiiso_task_handle_get_status (handle), ==, OSIISO_TASK_STATUS_SUCCEEDED);
          g_object_unref (handle);
        }
      g_ptr_array_unref (jobs[t].handles);
    }
  {
    OsiisoTaskResult **results = osiiso_run_summary_get_results (summary, &n_results);

    for (guint i = 0; i < n_results; i++)
      {
        guint64 *id = g_new (guint64, 1);

        *id = osiiso_task_result_get_task_id (results[i]);
        g_assert_false (g_hash_table_contains (ids, id));
        g_hash_table_add (ids, id);
      }
    g_hash_table_foreach_remove (ids, free_key, NULL);
  }
  g_free (hits);
}

/* ---- results, summaries and errors ---------------------------------- */

static gboolean
task_value (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  GValue value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_STRING);
  g_value_set_string (&value, data);
  osiiso_task_context_set_value (ctx, &value);
  g_value_unset (&value);
  return TRUE;
}

static gboolean
task_false_no_error (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  return FALSE;
}

static void
test_values_and_errors (void)
{
  g_autoptr(OsiisoQueue) queue = queue_new ("workers", 2, NULL);
  g_autoptr(OsiisoTaskOptions) meta = options_new ("metadata", g_variant_new_int32 (42), "group-id", "g", NULL);
  g_autoptr(OsiisoTaskHandle) ok = NULL;
  g_autoptr(OsiisoTaskHandle) bad = NULL;
  g_autoptr(OsiisoTaskHandle) silent = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *report = NULL;
  GValue value = G_VALUE_INIT;

  ok = osiiso_queue_submit (queue, task_value, "hello", NULL, meta, &error);
  bad = osiiso_queue_submit (queue, task_fail, NULL, NULL, NULL, &error);
  silent = osiiso_queue_submit (queue, task_false_no_error, NULL, NULL, NULL, &error);
  g_assert_no_error (error);

  g_assert_false (osiiso_task_handle_get_value (ok, &value, &error));
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_NOT_READY);
  g_clear_error (&error);
  /* Always initialized, even on failure: bindings read it anyway. */
  g_assert_true (G_VALUE_HOLDS_POINTER (&value));
  g_value_unset (&value);

  summary = run_ok (queue);
  g_assert_true (osiiso_task_handle_get_value (ok, &value, &error));
  g_assert_cmpstr (g_value_get_string (&value), ==, "hello");
  g_value_unset (&value);
  g_assert_cmpint (g_variant_get_int32 (osiiso_task_result_get_metadata (osiiso_task_handle_get_result (ok))), ==, 42);
  g_assert_cmpstr (osiiso_task_handle_get_group_id (ok), ==, "g");

  g_assert_false (osiiso_task_handle_get_value (bad, &value, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_clear_error (&error);
  g_value_unset (&value);
  g_assert_cmpint (osiiso_task_handle_get_status (silent), ==, OSIISO_TASK_STATUS_FAILED);
  g_assert_error (osiiso_task_result_get_error (osiiso_task_handle_get_result (silent)),
                  OSIISO_ERROR, OSIISO_ERROR_FAILED);

  g_assert_false (osiiso_run_summary_check (summary, FALSE, &error));
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_EXECUTION);
  g_assert_cmpstr (error->message, ==, "2 task(s) failed");
  g_clear_error (&error);

  report = osiiso_run_summary_to_string (summary);
  g_assert_nonnull (strstr (report, "Run Summary: COMPLETED WITH ERRORS"));
  g_assert_nonnull (strstr (report, "  Total tasks : 3\n"));
  g_assert_nonnull (strstr (report, "  Succeeded   : 1\n"));
  g_assert_nonnull (strstr (report, "  Failed      : 2\n"));
  g_assert_nonnull (strstr (report, "      planned failure\n"));
}

static void
test_strict_run (void)
{
  g_autoptr(OsiisoQueue) queue = queue_new ("workers", 1, NULL);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;

  submit_ok (queue, task_fail, NULL, NULL);
  summary = osiiso_queue_run_full (queue, 0, OSIISO_RUN_FLAGS_STRICT, NULL, &error);
  g_assert_null (summary);
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_EXECUTION);
}

static void
test_summary_check_cancelled (void)
{
  g_autoptr(OsiisoQueue) queue = queue_new ("workers", 1, NULL);
  g_autoptr(OsiisoTaskHandle) handle = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;

  handle = osiiso_queue_submit (queue, task_ok, NULL, NULL, NULL, &error);
  submit_ok (queue, task_fail, NULL, NULL);
  osiiso_task_handle_cancel (handle);
  summary = run_ok (queue);

  g_assert_false (osiiso_run_summary_check (summary, TRUE, &error));
  g_assert_cmpstr (error->message, ==, "1 task(s) failed; 1 task(s) cancelled");
}

static void
run_done_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

static void
test_misuse_errors (void)
{
  g_autoptr(OsiisoQueue) queue = queue_new ("workers", 1, NULL);
  g_autoptr(OsiisoQueue) bad_burst = queue_new ("burst", 0, NULL);
  g_autoptr(OsiisoTaskOptions) invalid = options_new ("retries", -1, NULL);
  g_autoptr(GAsyncResult) first = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;
  Gate gate;

  /* Invalid options: refused before anything is queued. */
  g_assert_null (osiiso_queue_submit (queue, task_ok, NULL, NULL, invalid, &error));
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION);
  g_clear_error (&error);
  g_assert_cmpuint (osiiso_queue_get_pending (queue), ==, 0);

  /* Invalid settings: refused when the queue starts. */
  g_assert_false (osiiso_queue_start (bad_burst, &error));
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION);
  g_clear_error (&error);
  g_assert_null (osiiso_queue_run (bad_burst, NULL, &error));
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION);
  g_clear_error (&error);

  /* Conflicting run flags. */
  g_assert_null (osiiso_queue_run_full (queue, 0, OSIISO_RUN_FLAGS_FAIL_FIRST | OSIISO_RUN_FLAGS_CONTINUE,
                                        NULL, &error));
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION);
  g_clear_error (&error);

  /* A second run, and a reset, while a run is in progress. */
  gate_init (&gate);
  submit_ok (queue, task_wait_gate, &gate, NULL);
  osiiso_queue_run_async (queue, 0, OSIISO_RUN_FLAGS_NONE, NULL, run_done_cb, &first);
  g_assert_null (osiiso_queue_run (queue, NULL, &error));
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_BUSY);
  g_clear_error (&error);
  g_assert_false (osiiso_queue_reset (queue, &error));
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_BUSY);
  g_clear_error (&error);
  gate_open (&gate);
  while (first == NULL)
    g_main_context_iteration (NULL, TRUE);
  summary = osiiso_queue_run_finish (queue, first, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (osiiso_run_summary_get_succeeded (summary), ==, 1);
  gate_clear (&gate);

  /* Closed queue. */
  g_assert_true (osiiso_queue_shutdown (queue, FALSE, NULL, &error));
  g_assert_null (osiiso_queue_run (queue, NULL, &error));
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_CLOSED);
  g_clear_error (&error);
  g_assert_false (osiiso_queue_start (queue, &error));
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_CLOSED);
}

/* ---- handles --------------------------------------------------------- */

static void
wait_done_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

static void
test_handle_wait_async (void)
{
  g_autoptr(OsiisoQueue) queue = queue_new ("workers", 1, NULL);
  g_autoptr(OsiisoTaskHandle) handle = NULL;
  g_autoptr(OsiisoTaskHandle) other = NULL;
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GAsyncResult) res_cancelled = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(OsiisoTaskResult) result = NULL;
  g_autoptr(OsiisoTaskResult) none = NULL;
  g_autoptr(GError) error = NULL;

  handle = osiiso_queue_submit (queue, task_value, "v", NULL, NULL, &error);
  other = osiiso_queue_submit (queue, task_ok, NULL, NULL, NULL, &error);
  osiiso_task_handle_wait_async (handle, NULL, wait_done_cb, &res);
  osiiso_task_handle_wait_async (other, cancellable, wait_done_cb, &res_cancelled);

  /* Cancelling a wait stops the wait, not the task. */
  g_cancellable_cancel (cancellable);
  while (res_cancelled == NULL)
    g_main_context_iteration (NULL, TRUE);
  none = osiiso_task_handle_wait_finish (other, res_cancelled, &error);
  g_assert_null (none);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  g_assert_true (osiiso_queue_start (queue, &error));
  while (res == NULL)
    g_main_context_iteration (NULL, TRUE);
  result = osiiso_task_handle_wait_finish (handle, res, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_value_get_string (osiiso_task_result_get_value (result)), ==, "v");
  g_assert_true (osiiso_queue_join (queue, NULL, &error));
  g_assert_cmpint (osiiso_task_handle_get_status (other), ==, OSIISO_TASK_STATUS_SUCCEEDED);

  /* Once the completion is delivered, a wait gives the same result. */
  {
    g_autoptr(GAsyncResult) late = NULL;
    g_autoptr(OsiisoTaskResult) again = NULL;

    osiiso_task_handle_wait_async (handle, NULL, wait_done_cb, &late);
    while (late == NULL)
      g_main_context_iteration (NULL, TRUE);
    again = osiiso_task_handle_wait_finish (handle, late, &error);
    g_assert_no_error (error);
    g_assert_true (again == result);
  }

  /* Without a name option, the handle's name is made once and kept. */
  {
    g_autofree char *expected = g_strdup_printf ("task-%" G_GUINT64_FORMAT, osiiso_task_handle_get_id (other));
    const char *name = osiiso_task_handle_get_name (other);

    g_assert_cmpstr (name, ==, expected);
    g_assert_true (osiiso_task_handle_get_name (other) == name);
  }
}

typedef struct
{
  OsiisoTaskHandle *handle;
  OsiisoTaskResult *result;
  GError           *error;
} Waiter;

static gpointer
wait_in_thread (gpointer data)
{
  Waiter *w = data;

  w->result = osiiso_task_handle_wait (w->handle, 30, NULL, &w->error);
  return NULL;
}

static void
test_handle_wait_other_thread (void)
{
  g_autoptr(OsiisoQueue) queue = queue_new ("workers", 1, NULL);
  g_autoptr(OsiisoTaskHandle) handle = NULL;
  g_autoptr(OsiisoTaskResult) early = NULL;
  g_autoptr(GError) error = NULL;
  Waiter w = { 0 };
  GThread *thread;
  Gate gate;
  Notes notes = { g_thread_self (), FALSE, 0, 0 };

  gate_init (&gate);
  g_signal_connect (queue, "task-completed", G_CALLBACK (on_completed_count), &notes);
  handle = osiiso_queue_submit (queue, task_wait_gate, &gate, NULL, NULL, &error);
  w.handle = handle;

  /* Not started, nothing iterates the context: a short wait times out. */
  early = osiiso_task_handle_wait (handle, 0.05, NULL, &error);
  g_assert_null (early);
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_TIMEOUT);
  g_clear_error (&error);

  /* A waiter in another thread wakes as soon as the task ends, without the
   * main context running. */
  g_assert_true (osiiso_queue_start (queue, &error));
  thread = g_thread_new ("waiter", wait_in_thread, &w);
  gate_wait_for (&gate, 1);
  gate_open (&gate);
  g_thread_join (thread);
  g_assert_no_error (w.error);
  g_assert_cmpint (osiiso_task_result_get_status (w.result), ==, OSIISO_TASK_STATUS_SUCCEEDED);
  osiiso_task_result_unref (w.result);
  gate_clear (&gate);

  /* The waiting thread did not take over the main context: the signal is
   * still waiting for the main thread. */
  g_assert_cmpuint (notes.completed, ==, 0);
  g_assert_true (osiiso_queue_join (queue, NULL, &error));
  g_assert_cmpuint (notes.completed, ==, 1);
  g_assert_false (notes.off_thread);
}

/* ---- lifetime -------------------------------------------------------- */

static void
count_destroy (gpointer data)
{
  g_atomic_int_inc ((gint *) data);
}

static void
test_finalize_cancels_pending (void)
{
  OsiisoQueue *queue = queue_new ("workers", 1, NULL);
  g_autoptr(OsiisoTaskOptions) later = options_new ("delay", 60.0, NULL);
  g_autoptr(OsiisoTaskOptions) invalid = options_new ("backoff", -1.0, NULL);
  g_autoptr(OsiisoTaskHandle) handle = NULL;
  g_autoptr(GError) error = NULL;
  gint destroyed = 0;

  handle = osiiso_queue_submit (queue, task_ok, &destroyed, count_destroy, NULL, &error);
  submit_ok (queue, task_ok, NULL, later);
  g_assert_null (osiiso_queue_submit (queue, task_ok, &destroyed, count_destroy,
                                      invalid, &error));
  g_clear_error (&error);
  g_assert_cmpint (destroyed, ==, 1);   /* a refused submission frees its data at once */

  g_object_unref (queue);
  g_assert_cmpint (destroyed, ==, 2);
  g_assert_cmpint (osiiso_task_handle_get_status (handle), ==, OSIISO_TASK_STATUS_CANCELLED);
  g_assert_false (osiiso_task_handle_cancel (handle));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/queue/priority-order", test_priority_order);
  g_test_add_func ("/queue/retry/backoff", test_retry_backoff);
  g_test_add_func ("/queue/retry/then-succeed", test_retry_then_succeed);
  g_test_add_func ("/queue/retry/keeps-place", test_retry_keeps_place);
  g_test_add_func ("/queue/timeout/retry-then-succeed", test_timeout_retry_succeed);
  g_test_add_func ("/queue/timeout/fails", test_timeout_fails);
  g_test_add_func ("/queue/fail-first/queue", test_fail_first_queue);
  g_test_add_func ("/queue/fail-first/per-run", test_fail_first_per_run);
  g_test_add_func ("/queue/run-timeout/complete-priority", test_run_timeout_complete_priority);
  g_test_add_func ("/queue/run-timeout/cancel", test_run_timeout_cancel);
  g_test_add_func ("/queue/run-timeout/from-property", test_run_timeout_from_property);
  g_test_add_func ("/queue/run-timeout/exit-timeout", test_exit_timeout_bounds_protected_work);
  g_test_add_func ("/queue/shutdown/forced-complete-priority", test_forced_shutdown_complete_priority);
  g_test_add_func ("/queue/shutdown/forced-cancel", test_forced_shutdown_cancel);
  g_test_add_func ("/queue/shutdown/graceful-drains-delayed", test_graceful_shutdown_drains_delayed);
  g_test_add_func ("/queue/mode/infinite", test_infinite_mode);
  g_test_add_func ("/queue/mode/infinite-timeout", test_infinite_mode_timeout);
  g_test_add_func ("/queue/run-at", test_run_at);
  g_test_add_func ("/queue/reset-and-reuse", test_reset_and_reuse);
  g_test_add_func ("/queue/clear-results", test_clear_results);
  g_test_add_func ("/queue/detached", test_detached);
  g_test_add_func ("/queue/finished-before-run", test_finished_before_run);
  g_test_add_func ("/queue/join", test_join);
  g_test_add_func ("/queue/rate/spacing", test_rate_spacing);
  g_test_add_func ("/queue/rate/burst", test_rate_burst);
  g_test_add_func ("/queue/size-bound", test_size_bound);
  g_test_add_func ("/queue/cancel/handle", test_handle_cancel);
  g_test_add_func ("/queue/cancel/waiting-keeps-order", test_cancel_waiting_keeps_order);
  g_test_add_func ("/queue/cancel/after-starts-keeps-order", test_cancel_after_starts_keeps_order);
  g_test_add_func ("/queue/cancel/recent-then-pushed", test_cancel_recent_then_push);
  g_test_add_func ("/queue/cancel/from-task", test_cancel_from_task);
  g_test_add_func ("/queue/cancel/run-cancellable", test_run_cancellable);
  g_test_add_func ("/queue/signals/counts-on-main-thread", test_counts_notify_on_main_thread);
  g_test_add_func ("/queue/many-submitters", test_many_submitters);
  g_test_add_func ("/queue/values-and-errors", test_values_and_errors);
  g_test_add_func ("/queue/strict-run", test_strict_run);
  g_test_add_func ("/queue/summary-check-cancelled", test_summary_check_cancelled);
  g_test_add_func ("/queue/misuse-errors", test_misuse_errors);
  g_test_add_func ("/queue/handle/wait-async", test_handle_wait_async);
  g_test_add_func ("/queue/handle/wait-other-thread", test_handle_wait_other_thread);
  g_test_add_func ("/queue/finalize-cancels-pending", test_finalize_cancels_pending);

  return g_test_run ();
}
