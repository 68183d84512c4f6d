/* test-process-queue.c: the process backend's persistent pool
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "test-util.h"

#include <glib/gstdio.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The C worker: osiiso-worker loading tests/worker-module.so. */
static const char *worker_tool;
static const char *worker_module;
static const char *bad_worker;

static OsiisoQueue *
c_queue_new (guint workers)
{
  const char *argv[] = { worker_tool, worker_module, NULL };

  return OSIISO_QUEUE (osiiso_process_queue_new (argv, workers));
}

static OsiisoTaskHandle *
call (OsiisoQueue       *queue,
      const char        *function,
      GVariant          *argument,
      OsiisoTaskOptions *options)
{
  GError *error = NULL;
  OsiisoTaskHandle *handle = osiiso_process_queue_submit_call (OSIISO_PROCESS_QUEUE (queue), function,
                                                               argument, options, &error);

  g_assert_no_error (error);
  return handle;
}

static GVariant *
value_of (OsiisoTaskHandle *handle)
{
  OsiisoTaskResult *result = osiiso_task_handle_get_result (handle);

  g_assert_nonnull (result);
  g_assert_cmpint (osiiso_task_result_get_status (result), ==, OSIISO_TASK_STATUS_SUCCEEDED);
  return g_value_get_variant (osiiso_task_result_get_value (result));
}

static const GError *
error_of (OsiisoTaskHandle *handle)
{
  OsiisoTaskResult *result = osiiso_task_handle_get_result (handle);

  g_assert_nonnull (result);
  g_assert_cmpint (osiiso_task_result_get_status (result), ==, OSIISO_TASK_STATUS_FAILED);
  return osiiso_task_result_get_error (result);
}

/* Children of this process that are zombies. */
static guint
count_zombie_children (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc", 0, NULL);
  const char *name;
  guint n = 0;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *stat = NULL;
      char state;
      int ppid;
      const char *close_paren;

      if (!g_ascii_isdigit (name[0]))
        continue;
      path = g_build_filename ("/proc", name, "stat", NULL);
      if (!g_file_get_contents (path, &stat, NULL, NULL))
        continue;
      close_paren = strrchr (stat, ')');
      if (close_paren != NULL && sscanf (close_paren + 2, "%c %d", &state, &ppid) == 2
          && ppid == getpid () && state == 'Z')
        n++;
    }
  return n;
}

/* ---- the pool -------------------------------------------------------- */

static void
test_pool_reuses_workers (void)
{
  g_autoptr(OsiisoQueue) queue = c_queue_new (2);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(OsiisoRunSummary) again = NULL;
  g_autoptr(GHashTable) pids = g_hash_table_new (NULL, NULL);
  OsiisoTaskHandle *handles[12];

  for (guint i = 0; i < G_N_ELEMENTS (handles); i++)
    handles[i] = call (queue, "pid", NULL, NULL);
  summary = run_ok (queue);
  g_assert_cmpuint (osiiso_run_summary_get_succeeded (summary), ==, G_N_ELEMENTS (handles));

  /* N tasks on W workers: exactly W processes. */
  for (guint i = 0; i < G_N_ELEMENTS (handles); i++)
    {
      g_hash_table_add (pids, GINT_TO_POINTER (g_variant_get_int32 (value_of (handles[i]))));
      g_object_unref (handles[i]);
    }
  g_assert_cmpuint (g_hash_table_size (pids), ==, 2);

  /* The same processes serve the next run. */
  handles[0] = call (queue, "pid", NULL, NULL);
  again = run_ok (queue);
  g_assert_true (g_hash_table_contains (pids, GINT_TO_POINTER (g_variant_get_int32 (value_of (handles[0])))));
  g_object_unref (handles[0]);
}

static void
test_state_persists (void)
{
  g_autoptr(OsiisoQueue) queue = c_queue_new (1);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  OsiisoTaskHandle *handles[3];

  for (guint i = 0; i < 3; i++)
    handles[i] = call (queue, "counter", NULL, NULL);
  summary = run_ok (queue);
  for (guint i = 0; i < 3; i++)
    {
      g_assert_cmpint (g_variant_get_int32 (value_of (handles[i])), ==, (gint) i + 1);
      g_object_unref (handles[i]);
    }
}

static void
test_values_and_errors (void)
{
  g_autoptr(OsiisoQueue) queue = c_queue_new (2);
  g_autoptr(OsiisoTaskHandle) add = NULL;
  g_autoptr(OsiisoTaskHandle) echo = NULL;
  g_autoptr(OsiisoTaskHandle) fail = NULL;
  g_autoptr(OsiisoTaskHandle) unknown = NULL;
  g_autoptr(OsiisoTaskHandle) print = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  const char *s;

  add = call (queue, "add", g_variant_new ("(ii)", 2, 40), NULL);
  echo = call (queue, "echo", g_variant_new ("(si)", "x", 5), NULL);
  fail = call (queue, "fail", NULL, NULL);
  unknown = call (queue, "no-such-function", NULL, NULL);
  print = call (queue, "print", NULL, NULL);
  summary = run_ok (queue);

  g_assert_cmpint (g_variant_get_int32 (value_of (add)), ==, 42);
  g_variant_get (value_of (echo), "(&si)", &s, NULL);
  g_assert_cmpstr (s, ==, "x");
  /* The worker's error keeps its domain, code and message. */
  g_assert_error (error_of (fail), G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_assert_cmpstr (error_of (fail)->message, ==, "told to fail");
  g_assert_error (error_of (unknown), OSIISO_ERROR, OSIISO_ERROR_UNKNOWN_FUNCTION);
  /* Task code writing to stdout cannot corrupt the protocol. */
  g_assert_cmpstr (g_variant_get_string (value_of (print), NULL), ==, "done");
}

/* Requests bigger than the socket takes at once, replies bigger than one
 * read, of every size up to 8 MiB, one after another on one worker, with
 * small ones between: each comes back whole and in its own reply. */
static void
test_large_messages (void)
{
  g_autoptr(OsiisoQueue) queue = c_queue_new (1);
  const gsize sizes[] = { 1, 16 * 1024 - 40, 16 * 1024, 300 * 1024, 1, 3 * 1024 * 1024 + 7, 8 * 1024 * 1024, 2 };
  OsiisoTaskHandle *handles[G_N_ELEMENTS (sizes)];
  g_autoptr(OsiisoRunSummary) summary = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      guint8 *data = g_malloc (sizes[i]);

      for (gsize j = 0; j < sizes[i]; j++)
        data[j] = (guint8) (j * 31 + i);
      handles[i] = call (queue, "echo",
                         g_variant_new_from_data (G_VARIANT_TYPE_BYTESTRING, data, sizes[i], TRUE, g_free, data),
                         NULL);
    }
  summary = run_ok (queue);
  g_assert_cmpuint (osiiso_run_summary_get_succeeded (summary), ==, G_N_ELEMENTS (sizes));

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      GVariant *value = value_of (handles[i]);
      gsize n;
      const guint8 *data = g_variant_get_fixed_array (value, &n, 1);

      g_assert_cmpuint (n, ==, sizes[i]);
      for (gsize j = 0; j < n; j++)
        if (data[j] != (guint8) (j * 31 + i))
          g_error ("byte %zu of reply %u differs", j, i);
      g_object_unref (handles[i]);
    }
}

/* ---- failures of the worker itself ----------------------------------- */

static void
test_crash_recovers (void)
{
  g_autoptr(OsiisoQueue) queue = c_queue_new (1);
  g_autoptr(OsiisoTaskOptions) retry = options_new ("retries", 2, NULL);
  g_autoptr(OsiisoTaskHandle) crash = NULL;
  g_autoptr(OsiisoTaskHandle) segv = NULL;
  g_autoptr(OsiisoTaskHandle) exits = NULL;
  g_autoptr(OsiisoTaskHandle) after = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;

  crash = call (queue, "crash", NULL, retry);
  segv = call (queue, "segv", NULL, NULL);
  exits = call (queue, "exit", g_variant_new_int32 (3), NULL);
  after = call (queue, "add", g_variant_new ("(ii)", 1, 1), NULL);
  summary = run_ok (queue);

  /* Retries apply across crashes; each names how the worker died. */
  g_assert_error (error_of (crash), OSIISO_ERROR, OSIISO_ERROR_WORKER);
  g_assert_cmpuint (osiiso_task_handle_get_attempts (crash), ==, 3);
  g_assert_nonnull (strstr (error_of (crash)->message, "signal 6"));
  g_assert_nonnull (strstr (error_of (segv)->message, "signal 11"));
  g_assert_nonnull (strstr (error_of (exits)->message, "exit status 3"));
  /* The slot respawned and the next task runs normally. */
  g_assert_cmpint (g_variant_get_int32 (value_of (after)), ==, 2);
}

typedef struct
{
  OsiisoTaskHandle *first;
  const char       *pid_file;
} Stall;

static void
stall_owner (OsiisoQueue *queue, OsiisoTaskHandle *handle, Stall *stall)
{
  g_autofree char *contents = NULL;
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  /* Keeps the owner context busy until the worker has replied and exited,
   * so that the reply and the exit are seen in the same iteration. */
  if (handle != stall->first)
    return;
  while (!g_file_get_contents (stall->pid_file, &contents, NULL, NULL))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (10 * 1000);
    }
  g_assert_true (wait_process_gone (atoi (contents), 10));
}

static void
test_reply_then_exit (void)
{
  g_autoptr(OsiisoQueue) queue = c_queue_new (1);
  g_autoptr(OsiisoTaskHandle) first = NULL;
  g_autoptr(OsiisoTaskHandle) second = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autofree char *dir = g_dir_make_tmp ("osiiso-test-XXXXXX", NULL);
  g_autofree char *pid_file = g_build_filename (dir, "exited", NULL);
  Stall stall = { NULL, pid_file };

  first = call (queue, "reply-then-exit", g_variant_new_string (pid_file), NULL);
  second = call (queue, "pid", NULL, NULL);
  stall.first = first;
  g_signal_connect (queue, "task-started", G_CALLBACK (stall_owner), &stall);
  summary = run_ok (queue);

  /* The worker that replied and then exited was not given the second
   * task: a new one ran it. */
  g_assert_cmpint (g_variant_get_int32 (value_of (first)), >, 0);
  g_assert_cmpint (g_variant_get_int32 (value_of (second)), >, 0);
  g_assert_cmpint (g_variant_get_int32 (value_of (second)), !=, g_variant_get_int32 (value_of (first)));
  g_assert_cmpuint (osiiso_task_handle_get_attempts (second), ==, 1);

  g_unlink (pid_file);
  g_rmdir (dir);
}

static void
dawdle (OsiisoQueue      *queue,
        OsiisoTaskResult *result,
        gpointer          user_data)
{
  guint *completed = user_data;

  /* Once, half-way, long enough for a worker to stop polling. */
  g_usleep (++*completed == 100 ? 60000 : 300);
}

/* Runs "sleeps", @n "echo" calls and "sleeps" again on one worker started
 * with OSIISO_WORKER_SPIN_USEC=@spin_usec in its environment (through
 * env(1): setenv() is not safe once threads run), and returns how many
 * times the worker slept in between. The owner takes 0.3 ms over each
 * completion, so that the worker has to wait for every next request, and
 * 60 ms over the 100th. */
static gint64
count_worker_sleeps (const char *spin_usec,
                     guint       n)
{
  g_autofree char *variable = g_strconcat ("OSIISO_WORKER_SPIN_USEC=", spin_usec, NULL);
  const char *argv[] = { "/usr/bin/env", variable, worker_tool, worker_module, NULL };
  g_autoptr(OsiisoQueue) queue = OSIISO_QUEUE (osiiso_process_queue_new (argv, 1));
  g_autoptr(OsiisoTaskHandle) before = NULL;
  g_autoptr(OsiisoTaskHandle) after = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  guint completed = 0;

  before = call (queue, "sleeps", NULL, NULL);
  for (guint i = 0; i < n; i++)
    g_object_unref (call (queue, "echo", g_variant_new_uint32 (i), NULL));
  after = call (queue, "sleeps", NULL, NULL);
  g_signal_connect (queue, "task-completed", G_CALLBACK (dawdle), &completed);
  summary = run_ok (queue);

  g_assert_cmpuint (osiiso_run_summary_get_succeeded (summary), ==, n + 2);
  return g_variant_get_int64 (value_of (after)) - g_variant_get_int64 (value_of (before));
}

/* A worker that gets its requests in quick succession polls for the next
 * one rather than sleeping in read() after every reply, and starts again
 * after a pause longer than its window has made it sleep. The window is
 * widened to 20 ms so that a slow parent (valgrind, a loaded machine)
 * still answers within it. Without polling, the worker sleeps before
 * nearly every request; should a machine be so busy that it did not,
 * there would be nothing to compare with. */
static void
test_worker_polls_between_requests (void)
{
  const guint n = 200;
  gint64 sleeping = count_worker_sleeps ("0", n);
  gint64 polling = count_worker_sleeps ("20000", n);

  g_test_message ("worker slept %" G_GINT64_FORMAT " times in %u requests polling, "
                  "%" G_GINT64_FORMAT " times without", polling, n, sleeping);
  if (sleeping < n / 2)
    {
      g_test_skip ("the worker seldom slept even without polling: the machine is too busy to tell");
      return;
    }
  g_assert_cmpint (polling * 4, <, sleeping);
}

static void
test_timeout_kills_process_group (void)
{
  g_autoptr(OsiisoQueue) queue = c_queue_new (1);
  g_autoptr(OsiisoTaskOptions) options = options_new ("timeout", 0.5, NULL);
  g_autoptr(OsiisoTaskHandle) handle = NULL;
  g_autoptr(OsiisoTaskHandle) after = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autofree char *dir = g_dir_make_tmp ("osiiso-test-XXXXXX", NULL);
  g_autofree char *pid_file = g_build_filename (dir, "grandchild", NULL);
  g_autofree char *contents = NULL;
  pid_t grandchild;

  handle = call (queue, "spawn-grandchild", g_variant_new_string (pid_file), options);
  after = call (queue, "pid", NULL, NULL);
  summary = run_ok (queue);

  g_assert_error (error_of (handle), OSIISO_ERROR, OSIISO_ERROR_TIMEOUT);
  g_assert_true (g_file_get_contents (pid_file, &contents, NULL, NULL));
  grandchild = atoi (contents);
  g_assert_cmpint (grandchild, >, 0);
  /* The worker's whole process group went, the grandchild too. */
  g_assert_true (wait_process_gone (grandchild, 10));
  g_assert_cmpint (g_variant_get_int32 (value_of (after)), !=, 0);

  g_unlink (pid_file);
  g_rmdir (dir);
}

static void
test_cancel_running_and_queued (void)
{
  g_autoptr(OsiisoQueue) queue = c_queue_new (1);
  g_autoptr(OsiisoTaskHandle) running = NULL;
  g_autoptr(OsiisoTaskHandle) queued = NULL;
  g_autoptr(OsiisoTaskHandle) after = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (osiiso_queue_start (queue, &error));
  running = call (queue, "sleep", g_variant_new_double (30), NULL);
  queued = call (queue, "add", g_variant_new ("(ii)", 1, 2), NULL);
  while (osiiso_task_handle_get_status (running) != OSIISO_TASK_STATUS_RUNNING)
    g_main_context_iteration (NULL, TRUE);

  g_assert_true (osiiso_task_handle_cancel (queued));
  g_assert_true (osiiso_task_handle_cancel (running));
  after = call (queue, "add", g_variant_new ("(ii)", 2, 2), NULL);
  summary = run_ok (queue);
  g_assert_cmpuint (osiiso_run_summary_get_cancelled (summary), ==, 2);
  g_assert_cmpint (g_variant_get_int32 (value_of (after)), ==, 4);
}

static void
check_bad_worker (const char *mode,
                  gint        expected_code)
{
  const char *argv[] = { bad_worker, mode, NULL };
  g_autoptr(OsiisoQueue) queue = OSIISO_QUEUE (osiiso_process_queue_new (argv, 1));
  g_autoptr(OsiisoTaskOptions) options = options_new ("timeout", 5.0, NULL);
  g_autoptr(OsiisoTaskHandle) handle = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;

  handle = call (queue, "anything", NULL, options);
  summary = run_ok (queue);
  g_test_message ("%s: %s", mode, error_of (handle)->message);
  g_assert_error (error_of (handle), OSIISO_ERROR, expected_code);
}

static void
test_bad_workers (void)
{
  check_bad_worker ("garbage", OSIISO_ERROR_PROTOCOL);
  check_bad_worker ("oversized", OSIISO_ERROR_PROTOCOL);
  check_bad_worker ("truncated", OSIISO_ERROR_PROTOCOL);
  check_bad_worker ("wrong-id", OSIISO_ERROR_PROTOCOL);
}

static void
test_worker_never_ready (void)
{
  const char *argv[] = { bad_worker, "silent-hello", NULL };
  const char *missing[] = { "/nonexistent/osiiso-worker", NULL };
  g_autoptr(OsiisoQueue) silent = OSIISO_QUEUE (osiiso_process_queue_new (argv, 1));
  g_autoptr(OsiisoQueue) absent = OSIISO_QUEUE (osiiso_process_queue_new (missing, 1));
  g_autoptr(OsiisoTaskOptions) options = options_new ("timeout", 0.3, NULL);
  g_autoptr(OsiisoTaskHandle) waits = NULL;
  g_autoptr(OsiisoTaskHandle) first = NULL;
  g_autoptr(OsiisoTaskHandle) second = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(OsiisoRunSummary) summary2 = NULL;

  waits = call (silent, "anything", NULL, options);
  summary = run_ok (silent);
  g_assert_error (error_of (waits), OSIISO_ERROR, OSIISO_ERROR_TIMEOUT);

  /* A worker that cannot start: a clear error, and no tight respawn loop. */
  first = call (absent, "anything", NULL, NULL);
  second = call (absent, "anything", NULL, NULL);
  summary2 = run_ok (absent);
  g_assert_error (error_of (first), OSIISO_ERROR, OSIISO_ERROR_WORKER);
  g_assert_error (error_of (second), OSIISO_ERROR, OSIISO_ERROR_WORKER);
  g_assert_nonnull (strstr (error_of (first)->message, "/nonexistent/osiiso-worker"));
}

static void
test_initializer_failure (void)
{
  const char *argv[] = { "env", "OSIISO_TEST_INIT_FAIL=1", worker_tool, worker_module, NULL };
  g_autoptr(OsiisoQueue) queue = OSIISO_QUEUE (osiiso_process_queue_new (argv, 1));
  g_autoptr(OsiisoTaskHandle) first = NULL;
  g_autoptr(OsiisoTaskHandle) second = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;

  first = call (queue, "pid", NULL, NULL);
  second = call (queue, "pid", NULL, NULL);
  summary = run_ok (queue);
  g_assert_error (error_of (first), OSIISO_ERROR, OSIISO_ERROR_WORKER);
  g_assert_nonnull (strstr (error_of (first)->message, "initializer"));
  /* Backing off, the slot fails the next task with the same error at
   * once instead of starting another worker. */
  g_assert_cmpstr (error_of (second)->message, ==, error_of (first)->message);
}

/* ---- processes and descriptors --------------------------------------- */

static void
test_no_leaks_after_shutdown (void)
{
  guint fds_before = count_fds ();
  gint *pids;
  guint n_pids = 0;
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(OsiisoQueue) queue = c_queue_new (2);
    g_autoptr(OsiisoRunSummary) summary = NULL;

    for (guint i = 0; i < 6; i++)
      g_object_unref (call (queue, "pid", NULL, NULL));
    summary = run_ok (queue);
    pids = osiiso_process_queue_get_worker_pids (OSIISO_PROCESS_QUEUE (queue), &n_pids);
    g_assert_cmpuint (n_pids, ==, 2);
    g_assert_true (osiiso_queue_shutdown (queue, FALSE, NULL, &error));
  }

  /* The workers exit on end of input and are reaped. */
  for (guint i = 0; i < n_pids; i++)
    g_assert_true (wait_process_gone (pids[i], 10));
  g_free (pids);
  /* Descriptors of earlier tests may close meanwhile: none may be added. */
  while (count_zombie_children () > 0 || count_fds () > fds_before)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (count_zombie_children (), ==, 0);
  g_assert_cmpuint (count_fds (), <=, fds_before);
}

/* Re-executed as a child: starts a worker, prints its pid, then waits to
 * be killed with SIGKILL. */
static int
child_parent_main (void)
{
  g_autoptr(OsiisoQueue) queue = c_queue_new (1);
  g_autoptr(OsiisoTaskHandle) handle = call (queue, "pid", NULL, NULL);
  g_autoptr(OsiisoRunSummary) summary = run_ok (queue);

  printf ("%d\n", g_variant_get_int32 (value_of (handle)));
  fflush (stdout);
  for (;;)
    pause ();
  return 0;
}

static void
test_parent_killed (void)
{
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);
  const char *argv[] = { self_exe, "--child-parent", NULL };
  g_autoptr(GSubprocess) parent = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  pid_t worker;

  parent = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (parent));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  worker = atoi (line);
  g_assert_cmpint (worker, >, 0);

  /* No worker outlives its parent. */
  g_subprocess_send_signal (parent, SIGKILL);
  g_assert_true (g_subprocess_wait (parent, NULL, NULL));
  g_assert_true (wait_process_gone (worker, 10));
}

static void
check_binding_worker (const char *const *argv)
{
  g_autoptr(OsiisoQueue) queue = OSIISO_QUEUE (osiiso_process_queue_new (argv, 2));
  g_autoptr(OsiisoTaskHandle) add = NULL;
  g_autoptr(OsiisoTaskHandle) fail = NULL;
  g_autoptr(OsiisoTaskHandle) unknown = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;

  add = call (queue, "add", g_variant_new ("(ii)", 20, 22), NULL);
  fail = call (queue, "fail", NULL, NULL);
  unknown = call (queue, "no-such-function", NULL, NULL);
  summary = run_ok (queue);
  g_assert_cmpint (g_variant_get_int32 (value_of (add)), ==, 42);
  g_assert_nonnull (error_of (fail));
  g_assert_error (error_of (unknown), OSIISO_ERROR, OSIISO_ERROR_UNKNOWN_FUNCTION);
}

static void
test_python_worker (void)
{
  const char *argv[] = { "/usr/bin/python3", g_getenv ("OSIISO_TEST_PY_WORKER"), NULL };

  if (argv[1] == NULL)
    {
      g_test_skip ("no Python worker in sanitizer builds");
      return;
    }
  check_binding_worker (argv);
}

static void
test_gjs_worker (void)
{
  const char *argv[] = { "gjs", "-m", g_getenv ("OSIISO_TEST_JS_WORKER"), NULL };

  if (argv[2] == NULL)
    {
      g_test_skip ("no GJS worker in sanitizer builds");
      return;
    }
  check_binding_worker (argv);
}

/* map_call: one call per element, values in input order; a group of
 * commands; the one-shot process map. */
static void
test_map_call_and_groups (void)
{
  g_autoptr(OsiisoQueue) queue = c_queue_new (2);
  g_autoptr(OsiisoTaskGroup) map = NULL;
  g_autoptr(OsiisoTaskGroup) mixed = osiiso_task_group_new ("mixed");
  g_autoptr(OsiisoRunSummary) summary = NULL;
  const GValue *values = NULL;
  guint n_values = 0;
  OsiisoRunSummary *one_shot = NULL;
  g_autoptr(GError) error = NULL;
  const char *echo_argv[] = { "echo", "hello", NULL };
  const char *argv[] = { worker_tool, worker_module, NULL };
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(ii)"));
  for (gint i = 0; i < 50; i++)
    g_variant_builder_add (&builder, "(ii)", i, i);
  map = osiiso_process_queue_map_call (OSIISO_PROCESS_QUEUE (queue), "add", g_variant_builder_end (&builder),
                                       NULL, &error);
  g_assert_no_error (error);

  osiiso_task_group_add_command (mixed, echo_argv, NULL, NULL, NULL, NULL);
  osiiso_task_group_add_call (mixed, "echo", g_variant_new_string ("called"), NULL);
  g_assert_true (osiiso_queue_submit_group (queue, mixed, &error));
  g_assert_no_error (error);

  summary = run_ok (queue);
  g_assert_cmpuint (osiiso_run_summary_get_succeeded (summary), ==, 52);
  values = osiiso_task_group_get_values (map, 5, NULL, &n_values, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 50; i++)
    g_assert_cmpint (g_variant_get_int32 (g_value_get_variant (&values[i])), ==, 2 * (gint) i);
  values = osiiso_task_group_get_values (mixed, 5, NULL, &n_values, &error);
  g_assert_no_error (error);
  {
    OsiisoCommandResult *result = g_value_get_boxed (&values[0]);

    g_assert_cmpuint (g_bytes_get_size (osiiso_command_result_get_stdout (result)), ==, 6);
  }
  g_assert_cmpstr (g_variant_get_string (g_value_get_variant (&values[1]), NULL), ==, "called");

  /* A group of functions is refused by a process queue, whole. */
  {
    g_autoptr(OsiisoTaskGroup) functions = osiiso_task_group_new (NULL);

    osiiso_task_group_add_command (functions, echo_argv, NULL, NULL, NULL, NULL);
    osiiso_task_group_add (functions, task_ok, NULL, NULL, NULL, NULL);
    g_assert_false (osiiso_queue_submit_group (queue, functions, &error));
    g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION);
    g_clear_error (&error);
  }

  one_shot = osiiso_process_map (argv, "add", g_variant_new_parsed ("[(1, 1), (2, 2), (3, 3)]"),
                                 2, NULL, 0, 30, &error);
  g_assert_no_error (error);
  values = osiiso_run_summary_get_values (one_shot, &n_values);
  g_assert_cmpuint (n_values, ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (g_variant_get_int32 (g_value_get_variant (&values[i])), ==, 2 * (gint) (i + 1));
  g_clear_pointer (&one_shot, osiiso_run_summary_unref);

  /* A failing call: no values, an execution error. */
  one_shot = osiiso_process_map (argv, "fail", g_variant_new_parsed ("[1, 2]"), 1, NULL, 0, 30, &error);
  g_assert_null (one_shot);
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_EXECUTION);
}

/* The canonical key of a call: (sv), its function and argument. */
static char *
call_key (const char *function,
          GVariant   *argument)
{
  g_autoptr(GVariant) call = g_variant_ref_sink (g_variant_new ("(sv)", function, argument));

  return osiiso_checkpoint_canonical_key (call);
}

/* The default checkpoint keys of worker calls (their function and
 * argument, however they were added) and of commands (their argv): tasks
 * whose keys are recorded already are restored, so calls that would fail
 * succeed without running; the one that runs is recorded. */
static void
test_default_checkpoint_keys (void)
{
  g_autoptr(OsiisoQueue) queue = c_queue_new (2);
  g_autoptr(OsiisoCheckpoint) checkpoint = osiiso_checkpoint_new (":memory:", NULL);
  g_autoptr(OsiisoTaskGroup) group = osiiso_task_group_new (NULL);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *fail_1 = call_key ("fail", g_variant_new_int32 (1));
  g_autofree char *fail_unit = call_key ("fail", g_variant_new ("()"));
  g_autofree char *echo_2 = call_key ("echo", g_variant_new_int32 (2));
  g_autofree char *exit_7 = NULL;
  const char *exit_7_argv[] = { "sh", "-c", "exit 7", NULL };

  exit_7 = osiiso_checkpoint_canonical_key (g_variant_new_strv (exit_7_argv, -1));
  g_assert_true (osiiso_checkpoint_record (checkpoint, "keys", fail_1, g_variant_new_int32 (0), NULL, &error));
  g_assert_true (osiiso_checkpoint_record (checkpoint, "keys", fail_unit, g_variant_new_int32 (0), NULL, &error));
  g_assert_true (osiiso_checkpoint_record (checkpoint, "keys", exit_7, g_variant_new_int32 (0), NULL, &error));
  g_assert_no_error (error);

  osiiso_task_group_set_checkpoint (group, checkpoint, "keys", NULL, NULL, NULL);
  osiiso_task_group_add_call (group, "fail", g_variant_new_int32 (1), NULL);
  osiiso_task_group_add_map_call (group, "fail", g_variant_new_parsed ("[1]"), NULL);
  osiiso_task_group_add_call (group, "fail", NULL, NULL);
  osiiso_task_group_add_command (group, exit_7_argv, NULL, NULL, NULL, NULL);
  osiiso_task_group_add_call (group, "echo", g_variant_new_int32 (2), NULL);
  g_assert_true (osiiso_queue_submit_group (queue, group, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (osiiso_task_group_get_n_restored (group), ==, 4);
  g_assert_false (osiiso_checkpoint_is_done (checkpoint, "keys", echo_2, NULL));

  summary = run_ok (queue);
  for (guint i = 0; i < 4; i++)
    {
      OsiisoTaskResult *result = osiiso_task_group_get_result (group, i);

      g_assert_cmpint (osiiso_task_result_get_status (result), ==, OSIISO_TASK_STATUS_SUCCEEDED);
      g_assert_cmpstr (osiiso_task_result_get_message (result), ==, "restored from checkpoint");
    }
  {
    OsiisoTaskResult *result = osiiso_task_group_get_result (group, 4);

    g_assert_cmpint (osiiso_task_result_get_status (result), ==, OSIISO_TASK_STATUS_SUCCEEDED);
    g_assert_cmpint (g_variant_get_int32 (g_value_get_variant (osiiso_task_result_get_value (result))), ==, 2);
  }
  g_assert_true (osiiso_checkpoint_is_done (checkpoint, "keys", echo_2, &error));
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  worker_tool = g_getenv ("OSIISO_TEST_WORKER_TOOL");
  worker_module = g_getenv ("OSIISO_TEST_WORKER_MODULE");
  bad_worker = g_getenv ("OSIISO_TEST_BAD_WORKER");

  if (argc == 2 && g_str_equal (argv[1], "--child-parent"))
    return child_parent_main ();

  g_test_init (&argc, &argv, NULL);
  g_assert_nonnull (worker_tool);
  g_assert_nonnull (worker_module);
  g_assert_nonnull (bad_worker);

  g_test_add_func ("/process-queue/pool-reuses-workers", test_pool_reuses_workers);
  g_test_add_func ("/process-queue/state-persists", test_state_persists);
  g_test_add_func ("/process-queue/values-and-errors", test_values_and_errors);
  g_test_add_func ("/process-queue/large-messages", test_large_messages);
  g_test_add_func ("/process-queue/crash-recovers", test_crash_recovers);
  g_test_add_func ("/process-queue/reply-then-exit", test_reply_then_exit);
  g_test_add_func ("/process-queue/worker-polls-between-requests", test_worker_polls_between_requests);
  g_test_add_func ("/process-queue/timeout-kills-process-group", test_timeout_kills_process_group);
  g_test_add_func ("/process-queue/cancel-running-and-queued", test_cancel_running_and_queued);
  g_test_add_func ("/process-queue/bad-workers", test_bad_workers);
  g_test_add_func ("/process-queue/worker-never-ready", test_worker_never_ready);
  g_test_add_func ("/process-queue/initializer-failure", test_initializer_failure);
  g_test_add_func ("/process-queue/no-leaks-after-shutdown", test_no_leaks_after_shutdown);
  g_test_add_func ("/process-queue/parent-killed", test_parent_killed);
  g_test_add_func ("/process-queue/python-worker", test_python_worker);
  g_test_add_func ("/process-queue/gjs-worker", test_gjs_worker);
  g_test_add_func ("/process-queue/map-call-and-groups", test_map_call_and_groups);
  g_test_add_func ("/process-queue/default-checkpoint-keys", test_default_checkpoint_keys);

  return g_test_run ();
}
