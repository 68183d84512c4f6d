/* test-command.c: command tasks on the process queue
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "test-util.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <pthread.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static OsiisoQueue *
command_queue_new (guint workers)
{
  /* No worker processes are needed for command tasks. */
  return OSIISO_QUEUE (osiiso_process_queue_new (NULL, workers));
}

static OsiisoTaskHandle *
command (OsiisoQueue       *queue,
         const char        *shell,
         GBytes            *input,
         const char        *cwd,
         OsiisoTaskOptions *options)
{
  const char *argv[] = { "sh", "-c", shell, NULL };
  GError *error = NULL;
  OsiisoTaskHandle *handle = osiiso_process_queue_submit_command (OSIISO_PROCESS_QUEUE (queue), argv,
                                                                  input, cwd, NULL, options, &error);

  g_assert_no_error (error);
  return handle;
}

/* The command result of a finished task, failed or not. */
static OsiisoCommandResult *
command_result (OsiisoTaskHandle *handle)
{
  OsiisoTaskResult *result = osiiso_task_handle_get_result (handle);
  const GValue *value;

  g_assert_nonnull (result);
  value = osiiso_task_result_get_value (result);
  g_assert_nonnull (value);
  g_assert_true (G_VALUE_HOLDS (value, OSIISO_TYPE_COMMAND_RESULT));
  return g_value_get_boxed (value);
}

static gboolean
bytes_equal_str (GBytes *bytes, const char *str)
{
  gsize size;
  const char *data = g_bytes_get_data (bytes, &size);

  return size == strlen (str) && memcmp (data, str, size) == 0;
}

static void
test_exit_codes_and_signals (void)
{
  g_autoptr(OsiisoQueue) queue = command_queue_new (2);
  g_autoptr(OsiisoTaskHandle) ok = NULL;
  g_autoptr(OsiisoTaskHandle) three = NULL;
  g_autoptr(OsiisoTaskHandle) killed = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  const GError *error;

  ok = command (queue, "echo out; echo err >&2", NULL, NULL, NULL);
  three = command (queue, "echo 'bad thing happened' >&2; exit 3", NULL, NULL, NULL);
  killed = command (queue, "kill -TERM $$", NULL, NULL, NULL);
  summary = run_ok (queue);

  g_assert_cmpint (osiiso_task_handle_get_status (ok), ==, OSIISO_TASK_STATUS_SUCCEEDED);
  g_assert_true (osiiso_command_result_get_success (command_result (ok)));
  g_assert_true (bytes_equal_str (osiiso_command_result_get_stdout (command_result (ok)), "out\n"));
  g_assert_true (bytes_equal_str (osiiso_command_result_get_stderr (command_result (ok)), "err\n"));
  g_assert_cmpfloat (osiiso_command_result_get_duration (command_result (ok)), >, 0);

  /* A non-zero exit fails the task; the message has the status and the end
   * of stderr, and the result still carries the output. */
  error = osiiso_task_result_get_error (osiiso_task_handle_get_result (three));
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_COMMAND);
  g_assert_nonnull (strstr (error->message, "exit status 3"));
  g_assert_nonnull (strstr (error->message, "bad thing happened"));
  g_assert_cmpint (osiiso_command_result_get_exit_status (command_result (three)), ==, 3);

  error = osiiso_task_result_get_error (osiiso_task_handle_get_result (killed));
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_COMMAND);
  g_assert_cmpint (osiiso_command_result_get_term_signal (command_result (killed)), ==, SIGTERM);
  g_assert_cmpint (osiiso_command_result_get_exit_status (command_result (killed)), ==, -1);
}

static void
test_large_output_stdin_cwd_env (void)
{
  g_autoptr(OsiisoQueue) queue = command_queue_new (2);
  g_autoptr(OsiisoTaskHandle) big = NULL;
  g_autoptr(OsiisoTaskHandle) capped = NULL;
  g_autoptr(OsiisoTaskHandle) input = NULL;
  g_autoptr(OsiisoTaskHandle) cwd = NULL;
  g_autoptr(OsiisoTaskHandle) env = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GBytes) data = NULL;
  g_autofree char *dir = g_dir_make_tmp ("osiiso-test-XXXXXX", NULL);
  g_autofree char *text = g_strnfill (300000, 'x');
  const char *argv[] = { "sh", "-c", "printf %s \"$OSIISO_TEST_VALUE\"", NULL };
  const char *envp[] = { "OSIISO_TEST_VALUE=from-env", NULL };
  g_autoptr(GError) error = NULL;

  /* Far more than a pipe buffer on both streams at once: no deadlock. */
  big = command (queue, "head -c 1000000 /dev/zero; head -c 500000 /dev/zero >&2", NULL, NULL, NULL);
  data = g_bytes_new (text, strlen (text));
  input = command (queue, "wc -c", data, NULL, NULL);
  cwd = command (queue, "pwd", NULL, dir, NULL);
  env = osiiso_process_queue_submit_command (OSIISO_PROCESS_QUEUE (queue), argv, NULL, NULL, envp, NULL, &error);
  g_assert_no_error (error);
  summary = run_ok (queue);

  g_assert_cmpuint (g_bytes_get_size (osiiso_command_result_get_stdout (command_result (big))), ==, 1000000);
  g_assert_cmpuint (g_bytes_get_size (osiiso_command_result_get_stderr (command_result (big))), ==, 500000);
  g_assert_false (osiiso_command_result_get_stdout_truncated (command_result (big)));
  g_assert_cmpint (atoi (g_bytes_get_data (osiiso_command_result_get_stdout (command_result (input)), NULL)), ==, 300000);
  {
    g_autofree char *expected = g_strdup_printf ("%s\n", dir);

    g_assert_true (bytes_equal_str (osiiso_command_result_get_stdout (command_result (cwd)), expected));
  }
  g_assert_true (bytes_equal_str (osiiso_command_result_get_stdout (command_result (env)), "from-env"));
  g_rmdir (dir);

  /* With a cap, the rest is read and dropped. */
  {
    g_autoptr(OsiisoQueue) small = g_object_new (OSIISO_TYPE_PROCESS_QUEUE, "worker-argv", (const char * const[]) { "false", NULL },
                                                 "output-limit", (guint64) 1000, NULL);
    g_autoptr(OsiisoRunSummary) summary2 = NULL;

    capped = command (small, "head -c 1000000 /dev/zero", NULL, NULL, NULL);
    summary2 = run_ok (small);
    g_assert_cmpuint (g_bytes_get_size (osiiso_command_result_get_stdout (command_result (capped))), ==, 1000);
    g_assert_true (osiiso_command_result_get_stdout_truncated (command_result (capped)));
    g_assert_true (osiiso_command_result_get_success (command_result (capped)));
  }
}

/* Tasks that run the same command line share it; command lines that
 * differ only in their input object, cwd or environment (NULL is this
 * process's, an empty one is empty) stay apart. Tasks that share a
 * command line are retried, and release it, each on its own. */
static void
test_shared_command_lines (void)
{
  g_autoptr(OsiisoQueue) queue = command_queue_new (2);
  g_autoptr(OsiisoTaskOptions) retry = options_new ("retries", 1, NULL);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GBytes) one = g_bytes_new_static ("one", 3);
  g_autoptr(GBytes) one_again = g_bytes_new_static ("one", 3);
  g_autoptr(GBytes) two = g_bytes_new_static ("two", 3);
  g_autofree char *here = g_get_current_dir ();
  /* Builtins only: the empty environment has no PATH. */
  const char *argv[] = { "sh", "-c", "read -r line; printf '%s %s %s' \"$line\" \"$(pwd -P)\" "
                         "\"${OSIISO_TEST_SHARED-unset}\"", NULL };
  const char *set_env[] = { "OSIISO_TEST_SHARED=set", NULL };
  const char *empty_env[] = { NULL };
  const char *fail_argv[] = { "sh", "-c", "exit 1", NULL };
  const struct
  {
    GBytes             *input;
    const char         *cwd;
    const char * const *envp;
    const char         *line;
    const char         *dir;
    const char         *value;
  } runs[] = {
    { one, NULL, NULL, "one", here, "parent" },
    { one, NULL, NULL, "one", here, "parent" },
    { one_again, NULL, NULL, "one", here, "parent" },
    { two, NULL, NULL, "two", here, "parent" },
    { NULL, NULL, NULL, "", here, "parent" },
    { one, "/", NULL, "one", "/", "parent" },
    { one, NULL, set_env, "one", here, "set" },
    { one, NULL, empty_env, "one", here, "unset" },
  };
  OsiisoTaskHandle *handles[G_N_ELEMENTS (runs)];
  OsiisoTaskHandle *failing[2];
  GError *error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (runs); i++)
    {
      handles[i] = osiiso_process_queue_submit_command (OSIISO_PROCESS_QUEUE (queue), argv, runs[i].input,
                                                        runs[i].cwd, runs[i].envp, NULL, &error);
      g_assert_no_error (error);
    }
  for (guint i = 0; i < G_N_ELEMENTS (failing); i++)
    {
      failing[i] = osiiso_process_queue_submit_command (OSIISO_PROCESS_QUEUE (queue), fail_argv, NULL,
                                                        NULL, NULL, retry, &error);
      g_assert_no_error (error);
    }
  summary = run_ok (queue);

  for (guint i = 0; i < G_N_ELEMENTS (runs); i++)
    {
      g_autofree char *expected = g_strdup_printf ("%s %s %s", runs[i].line, runs[i].dir, runs[i].value);

      g_assert_cmpint (osiiso_task_handle_get_status (handles[i]), ==, OSIISO_TASK_STATUS_SUCCEEDED);
      g_assert_true (bytes_equal_str (osiiso_command_result_get_stdout (command_result (handles[i])), expected));
      g_object_unref (handles[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (failing); i++)
    {
      g_assert_cmpint (osiiso_task_handle_get_status (failing[i]), ==, OSIISO_TASK_STATUS_FAILED);
      g_assert_cmpuint (osiiso_task_handle_get_attempts (failing[i]), ==, 2);
      g_object_unref (failing[i]);
    }
}

static void
test_timeout_kills_tree (void)
{
  g_autoptr(OsiisoQueue) queue = command_queue_new (1);
  g_autoptr(OsiisoTaskOptions) options = options_new ("timeout", 0.5, NULL);
  g_autoptr(OsiisoTaskHandle) handle = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autofree char *dir = g_dir_make_tmp ("osiiso-test-XXXXXX", NULL);
  g_autofree char *pid_file = g_build_filename (dir, "grandchild", NULL);
  g_autofree char *shell = g_strdup_printf ("sleep 30 & echo $! > %s.tmp && mv %s.tmp %s; wait",
                                            pid_file, pid_file, pid_file);
  g_autofree char *contents = NULL;

  handle = command (queue, shell, NULL, NULL, options);
  summary = run_ok (queue);
  g_assert_error (osiiso_task_result_get_error (osiiso_task_handle_get_result (handle)),
                  OSIISO_ERROR, OSIISO_ERROR_TIMEOUT);
  g_assert_true (g_file_get_contents (pid_file, &contents, NULL, NULL));
  /* No grandchild survives. */
  g_assert_true (wait_process_gone (atoi (contents), 10));
  g_unlink (pid_file);
  g_rmdir (dir);
}

static void
test_cancel_running_and_queued (void)
{
  g_autoptr(OsiisoQueue) queue = command_queue_new (1);
  g_autoptr(OsiisoTaskHandle) running = NULL;
  g_autoptr(OsiisoTaskHandle) queued = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (osiiso_queue_start (queue, &error));
  running = command (queue, "sleep 30", NULL, NULL, NULL);
  queued = command (queue, "true", NULL, NULL, NULL);
  while (osiiso_task_handle_get_status (running) != OSIISO_TASK_STATUS_RUNNING)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (osiiso_task_handle_cancel (queued));
  g_assert_true (osiiso_task_handle_cancel (running));
  summary = run_ok (queue);
  g_assert_cmpuint (osiiso_run_summary_get_cancelled (summary), ==, 2);
}

static void
test_retries_of_flaky_command (void)
{
  g_autoptr(OsiisoQueue) queue = command_queue_new (1);
  g_autoptr(OsiisoTaskOptions) options = options_new ("retries", 3, NULL);
  g_autoptr(OsiisoTaskHandle) handle = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autofree char *dir = g_dir_make_tmp ("osiiso-test-XXXXXX", NULL);
  g_autofree char *count = g_build_filename (dir, "count", NULL);
  /* Fails twice, then succeeds: the count lives in a file. */
  g_autofree char *shell = g_strdup_printf ("echo x >> %s; test $(wc -l < %s) -ge 3", count, count);

  handle = command (queue, shell, NULL, NULL, options);
  summary = run_ok (queue);
  g_assert_cmpint (osiiso_task_handle_get_status (handle), ==, OSIISO_TASK_STATUS_SUCCEEDED);
  g_assert_cmpuint (osiiso_task_handle_get_attempts (handle), ==, 3);
  g_unlink (count);
  g_rmdir (dir);
}

static void
test_cannot_start (void)
{
  g_autoptr(OsiisoQueue) queue = command_queue_new (1);
  const char *missing[] = { "/nonexistent/program", NULL };
  const char *argv[] = { "true", NULL };
  g_autoptr(OsiisoTaskHandle) no_program = NULL;
  g_autoptr(OsiisoTaskHandle) no_cwd = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;
  const GError *e;

  no_program = osiiso_process_queue_submit_command (OSIISO_PROCESS_QUEUE (queue), missing, NULL, NULL, NULL, NULL, &error);
  no_cwd = osiiso_process_queue_submit_command (OSIISO_PROCESS_QUEUE (queue), argv, NULL, "/nonexistent/dir",
                                                NULL, NULL, &error);
  g_assert_no_error (error);
  summary = run_ok (queue);
  e = osiiso_task_result_get_error (osiiso_task_handle_get_result (no_program));
  g_assert_error (e, OSIISO_ERROR, OSIISO_ERROR_COMMAND);
  g_assert_nonnull (strstr (e->message, "/nonexistent/program"));
  e = osiiso_task_result_get_error (osiiso_task_handle_get_result (no_cwd));
  g_assert_error (e, OSIISO_ERROR, OSIISO_ERROR_COMMAND);
}

static void
test_no_zombie_no_fd_leak (void)
{
  guint before = count_fds ();

  {
    g_autoptr(OsiisoQueue) queue = command_queue_new (2);
    g_autoptr(OsiisoRunSummary) summary = NULL;

    for (guint i = 0; i < 20; i++)
      g_object_unref (command (queue, "echo hi", NULL, NULL, NULL));
    summary = run_ok (queue);
    g_assert_cmpuint (osiiso_run_summary_get_succeeded (summary), ==, 20);
  }
  /* Every child was reaped (waitpid finds none), every pipe closed. */
  g_assert_cmpint (waitpid (-1, NULL, WNOHANG), ==, -1);
  g_assert_cmpint (errno, ==, ECHILD);
  while (count_fds () > before)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (count_fds (), <=, before);
}

/* Reads a "PID PID ..." file written (atomically, by mv) by a command. */
static GArray *
read_pids (const char *file)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) words = NULL;
  GArray *pids = g_array_new (FALSE, FALSE, sizeof (int));

  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  /* Nothing on the main context tells that the file appeared: poll it. */
  while (!g_file_get_contents (file, &contents, NULL, NULL))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10 * 1000);
    }
  words = g_strsplit_set (g_strstrip (contents), " ", -1);
  for (guint i = 0; words[i] != NULL; i++)
    {
      int pid = atoi (words[i]);

      g_array_append_val (pids, pid);
    }
  return pids;
}

/* A command that ignores SIGTERM times out; its group gets SIGKILL after
 * kill-grace seconds even though nobody iterates the main context. */
static void
test_sigkill_without_iteration (void)
{
  g_autoptr(OsiisoQueue) queue = NULL;
  g_autoptr(OsiisoTaskOptions) options = options_new ("timeout", 0.3, NULL);
  g_autoptr(OsiisoTaskHandle) handle = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("osiiso-test-XXXXXX", NULL);
  g_autofree char *pid_file = g_build_filename (dir, "pids", NULL);
  g_autofree char *shell = g_strdup_printf ("trap '' TERM; sleep 30 & echo $$ $! > %s.tmp && mv %s.tmp %s; wait",
                                            pid_file, pid_file, pid_file);
  g_autoptr(GArray) pids = NULL;

  queue = g_object_new (OSIISO_TYPE_PROCESS_QUEUE, "workers", 1, "kill-grace", 0.2, NULL);
  handle = command (queue, shell, NULL, NULL, options);
  summary = run_ok (queue);
  g_assert_error (osiiso_task_result_get_error (osiiso_task_handle_get_result (handle)),
                  OSIISO_ERROR, OSIISO_ERROR_TIMEOUT);
  pids = read_pids (pid_file);
  g_assert_cmpuint (pids->len, ==, 2);
  /* The grandchild is in the command's group; no iteration from here on. */
  g_assert_true (wait_process_gone (g_array_index (pids, int, 1), 10));
  g_assert_true (osiiso_queue_shutdown (queue, TRUE, NULL, &error));
  g_assert_no_error (error);
  g_unlink (pid_file);
  g_rmdir (dir);
}

/* A forced shutdown returns once the processes it terminated are gone:
 * a host may exit right after it. */
static void
test_shutdown_waits_for_killed_group (void)
{
  g_autoptr(OsiisoQueue) queue = NULL;
  g_autoptr(OsiisoTaskHandle) handle = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("osiiso-test-XXXXXX", NULL);
  g_autofree char *pid_file = g_build_filename (dir, "pids", NULL);
  g_autofree char *shell = g_strdup_printf ("trap '' TERM; sleep 30 & echo $$ $! > %s.tmp && mv %s.tmp %s; wait",
                                            pid_file, pid_file, pid_file);
  g_autoptr(GArray) pids = NULL;

  queue = g_object_new (OSIISO_TYPE_PROCESS_QUEUE, "workers", 1, "kill-grace", 0.3, NULL);
  g_assert_true (osiiso_queue_start (queue, &error));
  handle = command (queue, shell, NULL, NULL, NULL);
  pids = read_pids (pid_file);
  g_assert_true (osiiso_queue_shutdown (queue, TRUE, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (osiiso_task_handle_get_status (handle), ==, OSIISO_TASK_STATUS_CANCELLED);
  /* The leader was reaped (not even a zombie is left); the grandchild got
   * the group's SIGKILL. */
  g_assert_cmpint (kill (g_array_index (pids, int, 0), 0), ==, -1);
  g_assert_true (wait_process_gone (g_array_index (pids, int, 1), 10));
  g_unlink (pid_file);
  g_rmdir (dir);
}

/* A command gets no descriptor of the host beyond 0-2, an empty signal
 * mask and default dispositions, whatever the host has. */
static void
test_clean_process_state (void)
{
  g_autoptr(OsiisoQueue) queue = command_queue_new (1);
  g_autoptr(OsiisoTaskHandle) fds = NULL;
  g_autoptr(OsiisoTaskHandle) signals = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  const char *status_argv[] = { "grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status", NULL };
  g_autoptr(GError) error = NULL;
  int leaky = open ("/dev/null", O_RDONLY);   /* no O_CLOEXEC, on purpose */
  sigset_t block, old;
  void (*old_pipe) (int) = signal (SIGPIPE, SIG_IGN);
  void (*old_quit) (int) = signal (SIGQUIT, SIG_IGN);   /* as in a shell's background job */
  void (*old_usr1) (int) = signal (SIGUSR1, SIG_IGN);

  sigemptyset (&block);
  sigaddset (&block, SIGTERM);
  pthread_sigmask (SIG_BLOCK, &block, &old);

  /* The shell's own descriptors, listed by a child of it. */
  fds = command (queue, "ls /proc/$$/fd", NULL, NULL, NULL);
  signals = osiiso_process_queue_submit_command (OSIISO_PROCESS_QUEUE (queue), status_argv,
                                                 NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  summary = run_ok (queue);
  g_assert_true (bytes_equal_str (osiiso_command_result_get_stdout (command_result (fds)), "0\n1\n2\n"));
  {
    g_autofree char *text = g_strndup (g_bytes_get_data (osiiso_command_result_get_stdout (command_result (signals)), NULL),
                                       g_bytes_get_size (osiiso_command_result_get_stdout (command_result (signals))));
    guint64 blocked = 0, ignored = 0;

    g_assert_cmpint (sscanf (text, "SigBlk:\t%" G_GINT64_MODIFIER "x\nSigIgn:\t%" G_GINT64_MODIFIER "x",
                             &blocked, &ignored), ==, 2);
    /* Standard signals only: glibc's posix_spawn leaves its two internal
     * real-time signals (32, 33) ignored, which nothing else can use. */
    g_assert_cmphex (blocked & 0x7fffffff, ==, 0);
    g_assert_cmphex (ignored & 0x7fffffff, ==, 0);
  }

  pthread_sigmask (SIG_SETMASK, &old, NULL);
  signal (SIGPIPE, old_pipe);
  signal (SIGQUIT, old_quit);
  signal (SIGUSR1, old_usr1);
  close (leaky);
}

/* The failure message ends with the end of stderr, also past the output
 * limit (the capture keeps the beginning). */
static void
test_stderr_tail_beyond_limit (void)
{
  g_autoptr(OsiisoQueue) queue = NULL;
  g_autoptr(OsiisoTaskHandle) handle = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  const GError *e;

  queue = g_object_new (OSIISO_TYPE_PROCESS_QUEUE, "workers", 1, "output-limit", (guint64) 1000, NULL);
  handle = command (queue, "head -c 100000 /dev/zero | tr '\\0' a >&2; echo >&2; "
                           "echo 'the real reason' >&2; exit 3", NULL, NULL, NULL);
  summary = run_ok (queue);
  e = osiiso_task_result_get_error (osiiso_task_handle_get_result (handle));
  g_assert_error (e, OSIISO_ERROR, OSIISO_ERROR_COMMAND);
  g_assert_true (g_str_has_suffix (e->message, "the real reason"));
  g_assert_nonnull (strstr (e->message, "exit status 3"));
  g_assert_true (osiiso_command_result_get_stderr_truncated (command_result (handle)));
  g_assert_cmpuint (g_bytes_get_size (osiiso_command_result_get_stderr (command_result (handle))), ==, 1000);
}

/* A queue without worker-argv runs commands only; a call is refused. */
static void
test_commands_only_queue (void)
{
  g_autoptr(OsiisoQueue) queue = command_queue_new (1);
  g_autoptr(GError) error = NULL;
  OsiisoTaskHandle *handle;

  handle = osiiso_process_queue_submit_call (OSIISO_PROCESS_QUEUE (queue), "f", g_variant_new ("(i)", 1),
                                             NULL, &error);
  g_assert_null (handle);
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* What /command/shared-command-lines expects of this process's
   * environment; set before any thread exists. */
  g_setenv ("OSIISO_TEST_SHARED", "parent", TRUE);

  g_test_add_func ("/command/exit-codes-and-signals", test_exit_codes_and_signals);
  g_test_add_func ("/command/output-stdin-cwd-env", test_large_output_stdin_cwd_env);
  g_test_add_func ("/command/shared-command-lines", test_shared_command_lines);
  g_test_add_func ("/command/timeout-kills-tree", test_timeout_kills_tree);
  g_test_add_func ("/command/cancel-running-and-queued", test_cancel_running_and_queued);
  g_test_add_func ("/command/retries", test_retries_of_flaky_command);
  g_test_add_func ("/command/cannot-start", test_cannot_start);
  g_test_add_func ("/command/no-zombie-no-fd-leak", test_no_zombie_no_fd_leak);
  g_test_add_func ("/command/sigkill-without-iteration", test_sigkill_without_iteration);
  g_test_add_func ("/command/shutdown-waits-for-killed-group", test_shutdown_waits_for_killed_group);
  g_test_add_func ("/command/clean-process-state", test_clean_process_state);
  g_test_add_func ("/command/stderr-tail-beyond-limit", test_stderr_tail_beyond_limit);
  g_test_add_func ("/command/commands-only-queue", test_commands_only_queue);

  return g_test_run ();
}
