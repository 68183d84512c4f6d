/* test-async-queue.c: the async backend
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "test-util.h"

static OsiisoQueue *
async_queue_new (const char *first_property,
                 ...)
{
  OsiisoQueue *queue;
  va_list args;

  va_start (args, first_property);
  queue = (OsiisoQueue *) g_object_new_valist (OSIISO_TYPE_ASYNC_QUEUE, first_property, args);
  va_end (args);
  return queue;
}

/* ---- async task functions -------------------------------------------- */

/* Sources on the thread-default context: task functions run on their
 * queue's context, which is not always the global default. */
static void
after_ms_here (guint ms, GSourceFunc func, gpointer data)
{
  GSource *source = ms > 0 ? g_timeout_source_new (ms) : g_idle_source_new ();

  g_source_set_callback (source, func, data, NULL);
  g_source_attach (source, g_main_context_get_thread_default ());
  g_source_unref (source);
}

static GThread *main_thread;
static gint in_flight, peak_in_flight;
static gboolean started_off_main;

static void
note_start (void)
{
  gint now = g_atomic_int_add (&in_flight, 1) + 1;

  started_off_main |= g_thread_self () != main_thread;
  peak_in_flight = MAX (peak_in_flight, now);
}

static gboolean
complete_ok (gpointer data)
{
  OsiisoTaskContext *ctx = data;
  g_auto(GValue) value = G_VALUE_INIT;

  g_atomic_int_add (&in_flight, -1);
  g_value_init (&value, G_TYPE_UINT);
  g_value_set_uint (&value, osiiso_task_context_get_attempt (ctx));
  osiiso_task_context_return_value (ctx, &value);
  return G_SOURCE_REMOVE;
}

/* Completes after GPOINTER_TO_INT (data) ms on the main context. */
static gboolean
task_after_ms (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  note_start ();
  after_ms_here (GPOINTER_TO_INT (data), complete_ok, ctx);
  return TRUE;
}

static gboolean
task_sync_ok (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  note_start ();
  return complete_ok (ctx), TRUE;
}

static gboolean
task_no_start (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "could not start");
  return FALSE;
}

static gboolean
complete_fail (gpointer data)
{
  osiiso_task_context_return_new_error (data, G_IO_ERROR, G_IO_ERROR_FAILED, "failed later");
  return G_SOURCE_REMOVE;
}

static gboolean
task_fail_later (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  after_ms_here (0, complete_fail, ctx);
  return TRUE;
}

/* Operations that never complete by themselves: kept so the test can
 * complete them late, after the queue has moved on. */
static GPtrArray *stale;

static gboolean
task_never (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  g_ptr_array_add (stale, ctx);
  return TRUE;
}

static void
complete_stale (void)
{
  /* Late completions are dropped: no crash, no second result. */
  for (guint i = 0; i < stale->len; i++)
    osiiso_task_context_return_value (g_ptr_array_index (stale, i), NULL);
  g_ptr_array_set_size (stale, 0);
}

static gboolean
return_if_cancelled (gpointer data)
{
  osiiso_task_context_return_error_if_cancelled (data);
  return G_SOURCE_REMOVE;
}

/* A well-behaved never-ending operation: ends when cancelled. */
static void
on_cancelled (GCancellable *cancellable, gpointer data)
{
  after_ms_here (0, return_if_cancelled, data);
}

static gboolean
task_until_cancelled_async (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  g_cancellable_connect (osiiso_task_context_get_cancellable (ctx), G_CALLBACK (on_cancelled), ctx, NULL);
  return TRUE;
}

static void
reset_counters (void)
{
  in_flight = peak_in_flight = 0;
  started_off_main = FALSE;
}

/* ---- tests ------------------------------------------------------------ */

static void
test_basic_values (void)
{
  g_autoptr(OsiisoQueue) queue = async_queue_new ("workers", 2, NULL);
  g_autoptr(OsiisoTaskHandle) later = NULL;
  g_autoptr(OsiisoTaskHandle) now = NULL;
  g_autoptr(OsiisoTaskHandle) failed = NULL;
  g_autoptr(OsiisoTaskHandle) refused = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;

  reset_counters ();
  later = osiiso_queue_submit (queue, task_after_ms, GINT_TO_POINTER (20), NULL, NULL, &error);
  now = osiiso_queue_submit (queue, task_sync_ok, NULL, NULL, NULL, &error);
  failed = osiiso_queue_submit (queue, task_fail_later, NULL, NULL, NULL, &error);
  refused = osiiso_queue_submit (queue, task_no_start, NULL, NULL, NULL, &error);
  g_assert_no_error (error);

  summary = run_ok (queue);
  g_assert_cmpuint (osiiso_run_summary_get_succeeded (summary), ==, 2);
  g_assert_cmpuint (osiiso_run_summary_get_failed (summary), ==, 2);
  g_assert_cmpuint (g_value_get_uint (osiiso_task_result_get_value (osiiso_task_handle_get_result (later))), ==, 1);
  g_assert_error (osiiso_task_result_get_error (osiiso_task_handle_get_result (failed)),
                  G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_error (osiiso_task_result_get_error (osiiso_task_handle_get_result (refused)),
                  G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_false (started_off_main);
}

typedef struct
{
  GString *order;
} Order;

static gboolean
task_record_order (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  Order *o = data;

  g_string_append (o->order, osiiso_task_context_get_name (ctx));
  after_ms_here (0, complete_ok, ctx);
  note_start ();
  return TRUE;
}

static void
test_priority_order (void)
{
  g_autoptr(OsiisoQueue) queue = async_queue_new ("workers", 1, NULL);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  Order o = { g_string_new (NULL) };
  static const struct { const char *name; gint prio; } tasks[] = {
    { "d", 5 }, { "a", 0 }, { "c", 3 }, { "b", 1 }, { "e", 5 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (tasks); i++)
    {
      g_autoptr(OsiisoTaskOptions) options = options_new ("name", tasks[i].name, "priority", tasks[i].prio, NULL);

      submit_ok (queue, task_record_order, &o, options);
    }
  summary = run_ok (queue);
  g_assert_cmpstr (o.order->str, ==, "abcde");
  g_string_free (o.order, TRUE);
}

static void
on_notify_active (OsiisoQueue *queue, GParamSpec *pspec, guint *peak)
{
  *peak = MAX (*peak, osiiso_queue_get_active (queue));
}

static void
test_concurrency_limit (void)
{
  g_autoptr(OsiisoQueue) queue = async_queue_new ("workers", 3, NULL);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  guint peak_active = 0;

  reset_counters ();
  g_signal_connect (queue, "notify::active", G_CALLBACK (on_notify_active), &peak_active);
  for (guint i = 0; i < 30; i++)
    submit_ok (queue, task_after_ms, GINT_TO_POINTER (5 + i % 3), NULL);
  summary = run_ok (queue);

  g_assert_cmpuint (osiiso_run_summary_get_succeeded (summary), ==, 30);
  g_assert_cmpint (peak_in_flight, ==, 3);
  g_assert_cmpuint (peak_active, <=, 3);
  g_assert_cmpuint (peak_active, >=, 1);
}

static void
test_timeout_never_completes (void)
{
  g_autoptr(OsiisoQueue) queue = async_queue_new ("workers", 1, NULL);
  g_autoptr(OsiisoTaskOptions) options = options_new ("timeout", 0.05, "retries", 1, NULL);
  g_autoptr(OsiisoTaskHandle) handle = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;
  OsiisoTaskResult *result;

  handle = osiiso_queue_submit (queue, task_never, NULL, NULL, options, &error);
  summary = run_ok (queue);

  result = osiiso_task_handle_get_result (handle);
  g_assert_cmpint (osiiso_task_result_get_status (result), ==, OSIISO_TASK_STATUS_FAILED);
  g_assert_cmpuint (osiiso_task_result_get_attempts (result), ==, 2);
  g_assert_error (osiiso_task_result_get_error (result), OSIISO_ERROR, OSIISO_ERROR_TIMEOUT);
  g_assert_cmpuint (stale->len, ==, 2);

  /* Both attempts' operations complete long after: dropped. */
  complete_stale ();
  g_assert_cmpint (osiiso_task_result_get_status (osiiso_task_handle_get_result (handle)), ==,
                   OSIISO_TASK_STATUS_FAILED);
  g_assert_cmpuint (osiiso_queue_get_completed (queue), ==, 1);
}

static void
test_cancel_running_and_queued (void)
{
  g_autoptr(OsiisoQueue) queue = async_queue_new ("workers", 1, NULL);
  g_autoptr(OsiisoTaskHandle) running = NULL;
  g_autoptr(OsiisoTaskHandle) queued = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (osiiso_queue_start (queue, &error));
  running = osiiso_queue_submit (queue, task_until_cancelled_async, NULL, NULL, NULL, &error);
  queued = osiiso_queue_submit (queue, task_sync_ok, NULL, NULL, NULL, &error);
  while (osiiso_task_handle_get_status (running) != OSIISO_TASK_STATUS_RUNNING)
    g_main_context_iteration (NULL, TRUE);

  g_assert_true (osiiso_task_handle_cancel (queued));
  g_assert_true (osiiso_task_handle_cancel (running));
  g_assert_cmpint (osiiso_task_handle_get_status (running), ==, OSIISO_TASK_STATUS_CANCELLED);
  g_assert_cmpint (osiiso_task_handle_get_status (queued), ==, OSIISO_TASK_STATUS_CANCELLED);
  summary = run_ok (queue);
  g_assert_cmpuint (osiiso_run_summary_get_cancelled (summary), ==, 2);
}

typedef struct
{
  gdouble starts[8];
  guint   n;
} Starts;

static gboolean
task_flaky_async (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  Starts *s = data;

  s->starts[s->n++] = now_s ();
  if (osiiso_task_context_get_attempt (ctx) < 3)
    after_ms_here (0, complete_fail, ctx);
  else
    after_ms_here (0, complete_ok, ctx);
  return TRUE;
}

static void
test_retries_backoff (void)
{
  g_autoptr(OsiisoQueue) queue = async_queue_new ("workers", 2, NULL);
  g_autoptr(OsiisoTaskOptions) options = options_new ("retries", 3, "retry-delay", 0.05, "backoff", 2.0, NULL);
  g_autoptr(OsiisoTaskHandle) handle = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;
  Starts s = { 0 };

  handle = osiiso_queue_submit (queue, task_flaky_async, &s, NULL, options, &error);
  summary = run_ok (queue);
  g_assert_cmpint (osiiso_task_handle_get_status (handle), ==, OSIISO_TASK_STATUS_SUCCEEDED);
  g_assert_cmpuint (osiiso_task_handle_get_attempts (handle), ==, 3);
  g_assert_cmpuint (s.n, ==, 3);
  g_assert_cmpfloat (s.starts[1] - s.starts[0], >=, 0.045);
  g_assert_cmpfloat (s.starts[2] - s.starts[1], >=, 0.095);
}

static void
test_fail_first (void)
{
  g_autoptr(OsiisoQueue) queue = async_queue_new ("workers", 1, NULL);
  g_autoptr(OsiisoTaskOptions) keep = options_new ("must-complete", TRUE, "priority", 1, NULL);
  g_autoptr(OsiisoTaskOptions) rest = options_new ("priority", 2, NULL);
  g_autoptr(OsiisoTaskOptions) first = options_new ("priority", 0, NULL);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;

  submit_ok (queue, task_fail_later, NULL, first);
  submit_ok (queue, task_after_ms, GINT_TO_POINTER (10), keep);
  submit_ok (queue, task_sync_ok, NULL, rest);
  submit_ok (queue, task_sync_ok, NULL, rest);
  summary = osiiso_queue_run_full (queue, 0, OSIISO_RUN_FLAGS_FAIL_FIRST, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (osiiso_run_summary_get_failed (summary), ==, 1);
  g_assert_cmpuint (osiiso_run_summary_get_succeeded (summary), ==, 1);
  g_assert_cmpuint (osiiso_run_summary_get_cancelled (summary), ==, 2);
}

static void
check_exit_policy (OsiisoExitPolicy policy,
                   gboolean         forced)
{
  g_autoptr(OsiisoQueue) queue = async_queue_new ("workers", 2, "on-exit", policy, NULL);
  g_autoptr(OsiisoTaskOptions) keep = options_new ("must-complete", TRUE, "name", "keep", NULL);
  g_autoptr(OsiisoTaskHandle) keep_handle = NULL;
  g_autoptr(OsiisoTaskHandle) busy_handle = NULL;
  g_autoptr(OsiisoTaskHandle) queued_handle = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;

  reset_counters ();
  keep_handle = osiiso_queue_submit (queue, task_after_ms, GINT_TO_POINTER (200), NULL, keep, &error);
  busy_handle = osiiso_queue_submit (queue, task_until_cancelled_async, NULL, NULL, NULL, &error);
  queued_handle = osiiso_queue_submit (queue, task_sync_ok, NULL, NULL, NULL, &error);
  g_assert_no_error (error);

  if (forced)
    {
      g_assert_true (osiiso_queue_start (queue, &error));
      while (osiiso_queue_get_active (queue) < 2)
        g_main_context_iteration (NULL, TRUE);
      g_assert_true (osiiso_queue_shutdown (queue, TRUE, NULL, &error));
    }
  else
    {
      summary = osiiso_queue_run_full (queue, 0.05, OSIISO_RUN_FLAGS_NONE, NULL, &error);
      g_assert_no_error (error);
      g_assert_true (osiiso_run_summary_get_timed_out (summary));
    }

  g_assert_true (osiiso_queue_get_closed (queue));
  g_assert_cmpint (osiiso_task_handle_get_status (busy_handle), ==, OSIISO_TASK_STATUS_CANCELLED);
  g_assert_cmpint (osiiso_task_handle_get_status (queued_handle), ==, OSIISO_TASK_STATUS_CANCELLED);
  g_assert_cmpint (osiiso_task_handle_get_status (keep_handle), ==,
                   policy == OSIISO_EXIT_POLICY_CANCEL ? OSIISO_TASK_STATUS_CANCELLED
                                                      : OSIISO_TASK_STATUS_SUCCEEDED);

  /* An operation cancelled by the exit completes later, and is dropped;
   * wait for it so it cannot disturb the next test. */
  while (g_atomic_int_get (&in_flight) > 0)
    g_main_context_iteration (NULL, TRUE);
}

static void
test_run_timeout_complete_priority (void)
{
  check_exit_policy (OSIISO_EXIT_POLICY_COMPLETE_PRIORITY, FALSE);
}

static void
test_run_timeout_cancel (void)
{
  check_exit_policy (OSIISO_EXIT_POLICY_CANCEL, FALSE);
}

static void
test_forced_shutdown_complete_priority (void)
{
  check_exit_policy (OSIISO_EXIT_POLICY_COMPLETE_PRIORITY, TRUE);
}

static void
test_forced_shutdown_cancel (void)
{
  check_exit_policy (OSIISO_EXIT_POLICY_CANCEL, TRUE);
}

static void
stop_on_third (OsiisoQueue *queue, OsiisoTaskResult *result, guint *n)
{
  if (++*n == 3)
    osiiso_queue_shutdown_async (queue, FALSE, NULL, NULL, NULL);
}

static void
test_infinite_and_reset (void)
{
  g_autoptr(OsiisoQueue) queue = async_queue_new ("workers", 2, "mode", OSIISO_QUEUE_MODE_INFINITE, NULL);
  g_autoptr(OsiisoRunSummary) first = NULL;
  g_autoptr(OsiisoRunSummary) second = NULL;
  g_autoptr(GError) error = NULL;
  guint n = 0;

  g_signal_connect (queue, "task-completed", G_CALLBACK (stop_on_third), &n);
  for (guint i = 0; i < 3; i++)
    submit_ok (queue, task_after_ms, GINT_TO_POINTER (5), NULL);
  first = run_ok (queue);
  g_assert_cmpuint (osiiso_run_summary_get_succeeded (first), ==, 3);
  g_assert_true (osiiso_queue_get_closed (queue));

  g_assert_true (osiiso_queue_reset (queue, &error));
  n = 0;
  for (guint i = 0; i < 3; i++)
    submit_ok (queue, task_sync_ok, NULL, NULL);
  second = run_ok (queue);
  g_assert_cmpuint (osiiso_run_summary_get_succeeded (second), ==, 3);
}

typedef struct
{
  GThread  *thread;
  GString  *log;
  gboolean  off_thread;
} SignalLog;

static void
log_started (OsiisoQueue *queue, OsiisoTaskHandle *handle, SignalLog *l)
{
  l->off_thread |= g_thread_self () != l->thread;
  g_string_append (l->log, "s");
}

static void
log_retrying (OsiisoQueue *queue, OsiisoTaskHandle *handle, const GError *error, SignalLog *l)
{
  l->off_thread |= g_thread_self () != l->thread;
  g_string_append (l->log, "r");
}

static void
log_completed (OsiisoQueue *queue, OsiisoTaskResult *result, SignalLog *l)
{
  l->off_thread |= g_thread_self () != l->thread;
  g_string_append (l->log, "c");
}

static gpointer
complete_from_thread (gpointer data)
{
  osiiso_task_context_return_value (data, NULL);
  return NULL;
}

static gboolean
task_complete_in_thread (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  if (osiiso_task_context_get_attempt (ctx) == 1)
    after_ms_here (0, complete_fail, ctx);
  else
    g_thread_unref (g_thread_new ("completer", complete_from_thread, ctx));
  return TRUE;
}

/* A queue built in another thread, on that thread's own context. */
static gpointer
private_context_thread (gpointer data)
{
  SignalLog *l = data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(OsiisoQueue) queue = NULL;
  g_autoptr(OsiisoTaskOptions) options = options_new ("retries", 1, NULL);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;

  g_main_context_push_thread_default (context);
  l->thread = g_thread_self ();
  queue = async_queue_new ("workers", 2, NULL);
  g_assert_true (osiiso_queue_get_main_context (queue) == context);
  g_signal_connect (queue, "task-started", G_CALLBACK (log_started), l);
  g_signal_connect (queue, "task-retrying", G_CALLBACK (log_retrying), l);
  g_signal_connect (queue, "task-completed", G_CALLBACK (log_completed), l);

  /* Completed from yet another thread: signals still come here. */
  submit_ok (queue, task_complete_in_thread, NULL, options);
  summary = osiiso_queue_run (queue, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (osiiso_run_summary_get_succeeded (summary), ==, 1);
  g_main_context_pop_thread_default (context);
  return NULL;
}

static void
test_private_context_thread (void)
{
  SignalLog l = { NULL, g_string_new (NULL), FALSE };

  g_thread_join (g_thread_new ("private", private_context_thread, &l));
  g_assert_cmpstr (l.log->str, ==, "srsc");
  g_assert_false (l.off_thread);
  g_string_free (l.log, TRUE);
}

typedef struct
{
  OsiisoQueue *queue;
  guint        submitted;
  guint        refused;
} Producer;

static gpointer
produce_from_thread (gpointer data)
{
  Producer *p = data;

  for (guint i = 0; i < 200; i++)
    {
      GError *error = NULL;
      OsiisoTaskHandle *handle = osiiso_queue_submit (p->queue, task_sync_ok, NULL, NULL, NULL, &error);

      if (handle != NULL)
        {
          p->submitted++;
          g_object_unref (handle);
        }
      else
        {
          /* Admission errors come back to the submitting thread. */
          g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_FULL);
          g_clear_error (&error);
          p->refused++;
        }
    }
  return NULL;
}

static void
run_done (GObject *source, GAsyncResult *result, gpointer data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

static void
test_submit_from_threads (void)
{
  g_autoptr(OsiisoQueue) queue = async_queue_new ("workers", 2, "size", 50,
                                                  "mode", OSIISO_QUEUE_MODE_INFINITE, NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;
  Producer producers[4];
  GThread *threads[4];
  guint submitted = 0, refused = 0;

  reset_counters ();
  /* The application keeps its own loop; the run is asynchronous. */
  osiiso_queue_run_async (queue, 0, OSIISO_RUN_FLAGS_NONE, NULL, run_done, &result);
  for (guint i = 0; i < 4; i++)
    {
      producers[i] = (Producer) { queue, 0, 0 };
      threads[i] = g_thread_new ("producer", produce_from_thread, &producers[i]);
    }
  for (guint i = 0; i < 4; i++)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_thread_join (threads[i]);
      submitted += producers[i].submitted;
      refused += producers[i].refused;
    }
  g_assert_cmpuint (submitted + refused, ==, 800);

  osiiso_queue_shutdown_async (queue, FALSE, NULL, NULL, NULL);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  summary = osiiso_queue_run_finish (queue, result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (osiiso_run_summary_get_succeeded (summary), ==, submitted);
  g_assert_false (started_off_main);

  /* After shutdown, the submitting thread hears CLOSED. */
  g_assert_null (osiiso_queue_submit (queue, task_sync_ok, NULL, NULL, NULL, &error));
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_CLOSED);
}

static void
test_no_threads (void)
{
  g_autoptr(OsiisoQueue) queue = async_queue_new ("workers", 4, NULL);
  g_autoptr(OsiisoRunSummary) summary = NULL;

  reset_counters ();
  for (guint i = 0; i < 100; i++)
    submit_ok (queue, i % 2 ? task_sync_ok : task_after_ms, GINT_TO_POINTER (1), NULL);
  summary = run_ok (queue);
  g_assert_cmpuint (osiiso_run_summary_get_succeeded (summary), ==, 100);
  /* Every attempt started on the main thread. */
  g_assert_false (started_off_main);
}

static void
any_done (GObject *source, GAsyncResult *result, gpointer data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

static OsiisoTaskHandle *
wait_any (OsiisoTaskHandle **handles, guint n, GCancellable *cancellable, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  osiiso_task_handle_wait_any_async (handles, n, cancellable, any_done, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return osiiso_task_handle_wait_any_finish (result, error);
}

static void
test_wait_any_completion_order (void)
{
  g_autoptr(OsiisoQueue) queue = async_queue_new ("workers", 3, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  OsiisoTaskHandle *handles[3];
  static const gint delays[3] = { 150, 10, 60 };
  static const guint expected[3] = { 1, 2, 0 };
  g_autoptr(GError) error = NULL;
  guint n = 3;

  reset_counters ();
  for (guint i = 0; i < 3; i++)
    handles[i] = osiiso_queue_submit (queue, task_after_ms, GINT_TO_POINTER (delays[i]), NULL, NULL, &error);
  g_assert_true (osiiso_queue_start (queue, &error));

  /* Cancelling the wait stops the wait, not the tasks. */
  g_cancellable_cancel (cancellable);
  g_assert_null (wait_any (handles, n, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  /* Waiting on the ones left, again and again, gives completion order. */
  {
    OsiisoTaskHandle *left[3] = { handles[0], handles[1], handles[2] };

    for (guint k = 0; k < 3; k++)
      {
        g_autoptr(OsiisoTaskHandle) done = wait_any (left, n, NULL, &error);
        guint j;

        g_assert_no_error (error);
        g_assert_true (done == handles[expected[k]]);
        g_assert_true (osiiso_task_handle_is_done (done));
        for (j = 0; j < n && left[j] != done; j++)
          ;
        left[j] = left[--n];
      }
  }

  for (guint i = 0; i < 3; i++)
    g_object_unref (handles[i]);
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  main_thread = g_thread_self ();
  stale = g_ptr_array_new ();

  g_test_add_func ("/async-queue/values-and-failures", test_basic_values);
  g_test_add_func ("/async-queue/priority-order", test_priority_order);
  g_test_add_func ("/async-queue/concurrency-limit", test_concurrency_limit);
  g_test_add_func ("/async-queue/timeout-never-completes", test_timeout_never_completes);
  g_test_add_func ("/async-queue/cancel-running-and-queued", test_cancel_running_and_queued);
  g_test_add_func ("/async-queue/retries-backoff", test_retries_backoff);
  g_test_add_func ("/async-queue/fail-first", test_fail_first);
  g_test_add_func ("/async-queue/run-timeout/complete-priority", test_run_timeout_complete_priority);
  g_test_add_func ("/async-queue/run-timeout/cancel", test_run_timeout_cancel);
  g_test_add_func ("/async-queue/forced-shutdown/complete-priority", test_forced_shutdown_complete_priority);
  g_test_add_func ("/async-queue/forced-shutdown/cancel", test_forced_shutdown_cancel);
  g_test_add_func ("/async-queue/infinite-and-reset", test_infinite_and_reset);
  g_test_add_func ("/async-queue/private-context-thread", test_private_context_thread);
  g_test_add_func ("/async-queue/submit-from-threads", test_submit_from_threads);
  g_test_add_func ("/async-queue/no-threads", test_no_threads);
  g_test_add_func ("/async-queue/wait-any-completion-order", test_wait_any_completion_order);

  ret = g_test_run ();
  g_ptr_array_unref (stale);
  return ret;
}
