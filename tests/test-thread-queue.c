/* test-thread-queue.c: what is particular to the thread backend
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "test-util.h"

#include <dirent.h>

static guint
count_threads (void)
{
  DIR *dir = opendir ("/proc/self/task");
  struct dirent *entry;
  guint n = 0;

  g_assert_nonnull (dir);
  while ((entry = readdir (dir)) != NULL)
    if (entry->d_name[0] != '.')
      n++;
  closedir (dir);
  return n;
}

static void
test_no_thread_before_needed (void)
{
  g_autoptr(OsiisoThreadQueue) queue = osiiso_thread_queue_new (4);
  g_autoptr(OsiisoTaskOptions) later = options_new ("delay", 0.05, NULL);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;
  guint before = count_threads ();

  /* Construction, submission, a delayed task and a start with nothing
   * eligible create no thread. */
  submit_ok (OSIISO_QUEUE (queue), task_ok, NULL, later);
  g_assert_true (osiiso_queue_start (OSIISO_QUEUE (queue), &error));
  g_assert_cmpuint (count_threads (), ==, before);

  summary = osiiso_queue_run (OSIISO_QUEUE (queue), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (osiiso_run_summary_get_succeeded (summary), ==, 1);
  g_assert_cmpuint (count_threads (), >, before);
}

typedef struct
{
  GMutex      lock;
  GHashTable *initialized;   /* threads the initializer ran in */
  GHashTable *ran_on;        /* threads tasks ran on */
  guint       init_calls;
  gboolean    task_before_init;
} ThreadLog;

static void
init_thread (OsiisoThreadQueue *queue, gpointer data)
{
  ThreadLog *log = data;

  g_mutex_lock (&log->lock);
  log->init_calls++;
  g_hash_table_add (log->initialized, g_thread_self ());
  g_mutex_unlock (&log->lock);
}

static gboolean
task_log_thread (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  ThreadLog *log = data;

  g_mutex_lock (&log->lock);
  g_hash_table_add (log->ran_on, g_thread_self ());
  log->task_before_init |= !g_hash_table_contains (log->initialized, g_thread_self ());
  g_mutex_unlock (&log->lock);
  g_usleep (2000);
  return TRUE;
}

static void
test_initializer_per_thread (void)
{
  g_autoptr(OsiisoThreadQueue) queue = osiiso_thread_queue_new (3);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;
  ThreadLog log = { 0 };

  g_mutex_init (&log.lock);
  log.initialized = g_hash_table_new (NULL, NULL);
  log.ran_on = g_hash_table_new (NULL, NULL);
  osiiso_thread_queue_set_initializer (queue, init_thread, &log, NULL);

  for (guint i = 0; i < 60; i++)
    submit_ok (OSIISO_QUEUE (queue), task_log_thread, &log, NULL);
  summary = osiiso_queue_run (OSIISO_QUEUE (queue), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (osiiso_run_summary_get_succeeded (summary), ==, 60);

  /* Once in each thread, in that thread, before its first task. */
  g_assert_false (log.task_before_init);
  g_assert_cmpuint (log.init_calls, ==, g_hash_table_size (log.initialized));
  g_assert_cmpuint (g_hash_table_size (log.ran_on), <=, g_hash_table_size (log.initialized));
  g_assert_cmpuint (g_hash_table_size (log.ran_on), >=, 1);

  g_hash_table_unref (log.initialized);
  g_hash_table_unref (log.ran_on);
  g_mutex_clear (&log.lock);
}

typedef struct
{
  gint   running;
  gint   peak;
} Concurrency;

static gboolean
task_concurrency (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  Concurrency *c = data;
  gint now = g_atomic_int_add (&c->running, 1) + 1;
  gint peak;

  while ((peak = g_atomic_int_get (&c->peak)) < now
         && !g_atomic_int_compare_and_exchange (&c->peak, peak, now))
    ;
  g_usleep (3000);
  g_atomic_int_add (&c->running, -1);
  return TRUE;
}

static void
test_workers_bound (void)
{
  g_autoptr(OsiisoThreadQueue) queue = osiiso_thread_queue_new (3);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;
  Concurrency c = { 0 };

  for (guint i = 0; i < 40; i++)
    submit_ok (OSIISO_QUEUE (queue), task_concurrency, &c, NULL);
  summary = osiiso_queue_run (OSIISO_QUEUE (queue), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (osiiso_run_summary_get_succeeded (summary), ==, 40);
  g_assert_cmpint (c.peak, <=, 3);
  g_assert_cmpint (c.peak, >=, 2);
  g_assert_cmpuint (osiiso_queue_get_workers (OSIISO_QUEUE (queue)), ==, 3);
}

static void
test_auto_workers (void)
{
  g_autoptr(OsiisoThreadQueue) queue = osiiso_thread_queue_new (0);
  guint expected = MAX (4, MIN (32, 4 * g_get_num_processors ()));

  g_assert_cmpuint (osiiso_queue_get_workers (OSIISO_QUEUE (queue)), ==, expected);
}

/* A C function that ignores cancellation entirely. */
static void
test_stuck_task (void)
{
  g_autoptr(OsiisoThreadQueue) queue = osiiso_thread_queue_new (1);
  g_autoptr(OsiisoTaskOptions) stuck_options = options_new ("timeout", 0.05, "name", "stuck", NULL);
  g_autoptr(OsiisoTaskHandle) stuck = NULL;
  g_autoptr(OsiisoTaskHandle) after = NULL;
  g_autoptr(OsiisoTaskResult) result = NULL;
  g_autoptr(GError) error = NULL;
  Gate gate;

  gate_init (&gate);
  g_assert_true (osiiso_queue_start (OSIISO_QUEUE (queue), &error));
  stuck = osiiso_queue_submit (OSIISO_QUEUE (queue), task_wait_gate, &gate, NULL, stuck_options, &error);
  after = osiiso_queue_submit (OSIISO_QUEUE (queue), task_ok, NULL, NULL, NULL, &error);
  g_assert_no_error (error);

  /* The attempt ends in the queue at its deadline, and with one worker the
   * next task still runs: the pool lent a replacement thread. */
  result = osiiso_task_handle_wait (after, 30, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (osiiso_task_result_get_status (result), ==, OSIISO_TASK_STATUS_SUCCEEDED);
  g_assert_cmpint (osiiso_task_handle_get_status (stuck), ==, OSIISO_TASK_STATUS_FAILED);
  g_assert_error (osiiso_task_result_get_error (osiiso_task_handle_get_result (stuck)),
                  OSIISO_ERROR, OSIISO_ERROR_TIMEOUT);
  g_assert_cmpuint (osiiso_thread_queue_get_stuck_threads (queue), ==, 1);

  /* When the function finally returns, its success is dropped. */
  gate_open (&gate);
  while (osiiso_thread_queue_get_stuck_threads (queue) > 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (osiiso_task_handle_get_status (stuck), ==, OSIISO_TASK_STATUS_FAILED);
  g_assert_true (osiiso_queue_shutdown (OSIISO_QUEUE (queue), FALSE, NULL, &error));
  gate_clear (&gate);
}

static void
test_shutdown_grace_detaches (void)
{
  g_autoptr(OsiisoQueue) queue = g_object_new (OSIISO_TYPE_THREAD_QUEUE, "workers", 1,
                                               "shutdown-grace", 0.1, NULL);
  g_autoptr(OsiisoTaskOptions) stuck_options = options_new ("timeout", 0.05, NULL);
  g_autoptr(GError) error = NULL;
  gdouble t0;
  Gate gate;

  gate_init (&gate);
  submit_ok (queue, task_wait_gate, &gate, stuck_options);
  g_assert_true (osiiso_queue_start (queue, &error));
  gate_wait_for (&gate, 1);
  while (osiiso_thread_queue_get_stuck_threads (OSIISO_THREAD_QUEUE (queue)) == 0)
    g_main_context_iteration (NULL, TRUE);

  /* Shutdown waits the grace period, reports the stuck thread, detaches. */
  g_test_expect_message ("Osiiso", G_LOG_LEVEL_MESSAGE, "*still inside task functions*");
  t0 = now_s ();
  g_assert_true (osiiso_queue_shutdown (queue, FALSE, NULL, &error));
  g_assert_cmpfloat (now_s () - t0, >=, 0.09);
  g_test_assert_expected_messages ();
  g_assert_true (osiiso_queue_get_closed (queue));

  /* The stuck thread keeps the queue alive until it returns. */
  gate_open (&gate);
  while (osiiso_thread_queue_get_stuck_threads (OSIISO_THREAD_QUEUE (queue)) > 0)
    g_thread_yield ();
  gate_clear (&gate);
}

typedef struct
{
  OsiisoQueue *queue;
  Gate         gate;      /* the stubborn attempt waits here */
  Gate         freed;     /* opened by the destroy notify */
  gboolean     freed_on_main;
} Stubborn;

static void
stubborn_destroy (gpointer data)
{
  Stubborn *s = data;

  /* User code in a destroy notify may call the queue: it must not run
   * under the queue's lock. */
  g_assert_cmpuint (osiiso_queue_get_pending (s->queue), ==, 0);
  s->freed_on_main = g_main_context_is_owner (NULL);
  gate_open (&s->freed);
}

static gboolean
task_stubborn (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  Stubborn *s = data;

  gate_wait (&s->gate);
  return TRUE;
}

static void
test_data_outlives_abandoned_attempt (void)
{
  g_autoptr(OsiisoQueue) queue = g_object_new (OSIISO_TYPE_THREAD_QUEUE, "workers", 1, NULL);
  g_autoptr(OsiisoTaskOptions) options = options_new ("timeout", 0.05, NULL);
  g_autoptr(OsiisoTaskHandle) handle = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;
  Stubborn s = { queue };

  gate_init (&s.gate);
  gate_init (&s.freed);
  handle = osiiso_queue_submit (queue, task_stubborn, &s, stubborn_destroy, options, &error);
  summary = osiiso_queue_run (queue, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (osiiso_task_handle_get_status (handle), ==, OSIISO_TASK_STATUS_FAILED);

  /* The task is over, but its abandoned attempt still uses the data. */
  g_mutex_lock (&s.freed.lock);
  g_assert_false (s.freed.open);
  g_mutex_unlock (&s.freed.lock);

  /* Once the function returns, the data is freed, off the lock. */
  gate_open (&s.gate);
  gate_wait (&s.freed);
  g_assert_false (s.freed_on_main);
  while (osiiso_thread_queue_get_stuck_threads (OSIISO_THREAD_QUEUE (queue)) > 0)
    g_thread_yield ();
  gate_clear (&s.gate);
  gate_clear (&s.freed);
}

static gboolean
task_python_like_raise (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  /* What a binding produces for an exception it cannot map: FALSE, no error. */
  return FALSE;
}

static void
test_false_without_error_fails (void)
{
  g_autoptr(OsiisoThreadQueue) queue = osiiso_thread_queue_new (1);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;

  submit_ok (OSIISO_QUEUE (queue), task_python_like_raise, NULL, NULL);
  summary = osiiso_queue_run (OSIISO_QUEUE (queue), NULL, &error);
  g_assert_cmpuint (osiiso_run_summary_get_failed (summary), ==, 1);
  g_assert_cmpuint (osiiso_run_summary_get_succeeded (summary), ==, 0);
}

static gboolean
task_100us (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  g_usleep (100);
  return TRUE;
}

typedef struct
{
  guint completed;
  guint notifies;
} Stream;

static void
stream_completed (OsiisoQueue *queue, OsiisoTaskResult *result, Stream *stream)
{
  if (osiiso_task_result_get_status (result) == OSIISO_TASK_STATUS_SUCCEEDED)
    stream->completed++;
}

static void
stream_notify (GObject *object, GParamSpec *pspec, Stream *stream)
{
  stream->notifies++;
}

static void
test_busy_stream_batched (void)
{
  g_autoptr(OsiisoThreadQueue) queue = osiiso_thread_queue_new (1);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  Stream stream = { 0, 0 };
  const guint n = 300;
  gdouble start, elapsed_ms;

  g_signal_connect (queue, "task-completed", G_CALLBACK (stream_completed), &stream);
  g_signal_connect (queue, "notify::completed", G_CALLBACK (stream_notify), &stream);
  for (guint i = 0; i < n; i++)
    submit_ok (OSIISO_QUEUE (queue), task_100us, NULL, NULL);

  start = now_s ();
  summary = run_ok (OSIISO_QUEUE (queue));
  elapsed_ms = (now_s () - start) * 1000;

  /* Every completion is delivered... */
  g_assert_cmpuint (stream.completed, ==, n);
  /* ...in batches: the owner context delivered them at most once per
   * half millisecond ("completed" changes once per delivery), plus the
   * few dispatches the run itself causes. Delivering each completion as
   * it comes makes one delivery per task: tasks of 100 µs end further
   * apart than a delivery takes. */
  g_test_message ("%u tasks, %u deliveries in %.1f ms", n, stream.notifies, elapsed_ms);
  g_assert_cmpuint (stream.notifies, >=, 1);
  g_assert_cmpfloat (stream.notifies, <=, 2 * elapsed_ms + 20);
}

/* Ids of tasks whose task-started (value 1) and task-completed (value 2)
 * were emitted; a nested main loop in a handler must keep that order. */
typedef struct
{
  GHashTable *seen;
  guint       completed;
  guint       nested;
  guint       loops;
  gboolean    in_order;
  guint       notifies;
} Nesting;

static gboolean
task_maybe_sleep (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  if (g_random_int_range (0, 8) == 0)
    g_usleep (g_random_int_range (0, 500));
  return TRUE;
}

static void
nesting_started (OsiisoQueue *queue, OsiisoTaskHandle *handle, Nesting *n)
{
  gpointer id = GSIZE_TO_POINTER ((gsize) osiiso_task_handle_get_id (handle));

  n->in_order &= !g_hash_table_contains (n->seen, id);
  g_hash_table_insert (n->seen, id, GINT_TO_POINTER (1));
}

/* Records a completion, which must follow the task's start. */
static void
nesting_count (OsiisoQueue *queue, OsiisoTaskResult *result, Nesting *n)
{
  gpointer id = GSIZE_TO_POINTER ((gsize) osiiso_task_result_get_task_id (result));

  n->in_order &= GPOINTER_TO_INT (g_hash_table_lookup (n->seen, id)) == 1;
  g_hash_table_insert (n->seen, id, GINT_TO_POINTER (2));
  n->completed++;
}

/* Runs a nested main loop until three more tasks, submitted here, have
 * completed. */
static void
nest (OsiisoQueue *queue, Nesting *n)
{
  guint target;

  n->nested++;
  n->loops++;
  target = n->completed + 3;
  for (guint i = 0; i < 3; i++)
    submit_ok (queue, task_maybe_sleep, NULL, NULL);
  while (n->completed < target)
    g_main_context_iteration (NULL, TRUE);
  n->nested--;
}

static void
nesting_completed (OsiisoQueue *queue, OsiisoTaskResult *result, Nesting *n)
{
  nesting_count (queue, result, n);

  /* Every eighth completion runs a nested main loop, two levels deep at
   * most. */
  if (n->completed % 8 != 0 || n->nested >= 2)
    return;
  nest (queue, n);
}

static void
test_nested_loop_in_handler (void)
{
  g_autoptr(OsiisoThreadQueue) queue = osiiso_thread_queue_new (2);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);
  Nesting n = { seen, 0, 0, 0, TRUE, 0 };
  GHashTableIter iter;
  gpointer value;

  g_signal_connect (queue, "task-started", G_CALLBACK (nesting_started), &n);
  g_signal_connect (queue, "task-completed", G_CALLBACK (nesting_completed), &n);
  for (guint i = 0; i < 400; i++)
    submit_ok (OSIISO_QUEUE (queue), task_maybe_sleep, NULL, NULL);
  summary = run_ok (OSIISO_QUEUE (queue));

  /* Each task was started, then completed, once, in that order, though
   * handlers ran main loops inside the delivery of a batch. */
  g_assert_true (n.in_order);
  g_assert_cmpuint (n.completed, ==, g_hash_table_size (seen));
  g_assert_cmpuint (n.loops, >, 10);
  g_assert_cmpuint (n.completed, ==, 400 + 3 * n.loops);
  g_hash_table_iter_init (&iter, seen);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_assert_cmpint (GPOINTER_TO_INT (value), ==, 2);
}

static void
nesting_notify (GObject *object, GParamSpec *pspec, Nesting *n)
{
  /* Every second notification of "completed", which comes after a
   * delivery has ended, runs a nested main loop: the nested dispatch
   * starts a delivery of its own. */
  if (++n->notifies % 2 != 0 || n->nested >= 1)
    return;
  nest (OSIISO_QUEUE (object), n);
}

static void
test_nested_loop_in_notify (void)
{
  g_autoptr(OsiisoThreadQueue) queue = osiiso_thread_queue_new (2);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);
  Nesting n = { seen, 0, 0, 0, TRUE, 0 };

  g_signal_connect (queue, "task-started", G_CALLBACK (nesting_started), &n);
  g_signal_connect (queue, "task-completed", G_CALLBACK (nesting_count), &n);
  g_signal_connect (queue, "notify::completed", G_CALLBACK (nesting_notify), &n);
  for (guint i = 0; i < 600; i++)
    submit_ok (OSIISO_QUEUE (queue), task_maybe_sleep, NULL, NULL);
  summary = run_ok (OSIISO_QUEUE (queue));

  /* Every event was delivered once and in order, and no batch of events
   * was lost track of (ASan and valgrind report one as a leak). */
  g_assert_true (n.in_order);
  g_assert_cmpuint (n.loops, >=, 2);
  g_assert_cmpuint (n.completed, ==, 600 + 3 * n.loops);
  g_assert_cmpuint (n.completed, ==, g_hash_table_size (seen));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/thread-queue/no-thread-before-needed", test_no_thread_before_needed);
  g_test_add_func ("/thread-queue/initializer-per-thread", test_initializer_per_thread);
  g_test_add_func ("/thread-queue/workers-bound", test_workers_bound);
  g_test_add_func ("/thread-queue/auto-workers", test_auto_workers);
  g_test_add_func ("/thread-queue/stuck-task", test_stuck_task);
  g_test_add_func ("/thread-queue/shutdown-grace-detaches", test_shutdown_grace_detaches);
  g_test_add_func ("/thread-queue/false-without-error-fails", test_false_without_error_fails);
  g_test_add_func ("/thread-queue/data-outlives-abandoned-attempt", test_data_outlives_abandoned_attempt);
  g_test_add_func ("/thread-queue/busy-stream-batched", test_busy_stream_batched);
  g_test_add_func ("/thread-queue/nested-loop-in-handler", test_nested_loop_in_handler);
  g_test_add_func ("/thread-queue/nested-loop-in-notify", test_nested_loop_in_notify);

  return g_test_run ();
}
