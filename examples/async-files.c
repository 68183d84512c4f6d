/* async-files.c: load files with GIO's asynchronous calls on an OsiisoAsyncQueue
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Writes three small files into a new temporary directory, then loads
 * them as tasks of an async queue with 2 workers (at most 2 operations in
 * flight). Each task function only *starts* g_file_load_contents_async()
 * and returns; the callback completes the attempt through the task
 * context, with the contents as a GBytes value or with the error.
 *
 * A fourth task, "silent-peer" (submitted first, so it holds one of the
 * two workers while the files load through the other), reads from a
 * socket whose peer never writes: the read never completes by itself. Its
 * 0.2 s per-attempt timeout fails the task with OSIISO_ERROR_TIMEOUT and
 * cancels the attempt's GCancellable. The read then completes with
 * G_IO_ERROR_CANCELLED, and its callback still completes the attempt
 * (osiiso_task_context_return_error_if_cancelled()): the queue drops that
 * late completion, and it gives back the context and the queue reference
 * the operation held. An operation must always complete its attempt once,
 * even after a timeout, or it leaks both.
 *
 * Every task-completed signal prints a line, then the run's summary is
 * printed. The outcome never varies: 3 succeeded, 1 failed (timeout), 0
 * cancelled. The example checks that, and the contents, and exits 1 if
 * anything differs, so its test (`meson test --suite examples`, also under
 * valgrind) catches a misbehaving queue.
 */

#include <errno.h>
#include <locale.h>
#include <string.h>
#include <sys/socket.h>

#include <osiiso-glib/osiiso-glib.h>

#define N_FILES 3

static const struct {
  const char *name;
  const char *contents;
} files[N_FILES] = {
  { "alpha.txt", "The first file.\n" },
  { "beta.txt",  "The second file,\nwith two lines.\n" },
  { "gamma.txt", "The third.\n" },
};

/* Operations started and not yet called back. Only the main context
 * touches it (GIO calls back on the context the operation started on,
 * which is the queue's), so no atomics are needed. */
static guint ops_in_flight;

/* ------------------------------------------------------------------------
 * Loading a file
 * --------------------------------------------------------------------- */

static void
loaded_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  OsiisoTaskContext *ctx = user_data;   /* valid until we complete it */
  g_auto(GValue) value = G_VALUE_INIT;
  GError *error = NULL;
  char *contents;
  gsize length;

  ops_in_flight--;

  if (!g_file_load_contents_finish (G_FILE (source), result, &contents, &length, NULL, &error))
    {
      osiiso_task_context_return_error (ctx, error);   /* takes @error */
      return;
    }

  g_value_init (&value, G_TYPE_BYTES);
  g_value_take_boxed (&value, g_bytes_new_take (contents, length));
  osiiso_task_context_return_value (ctx, &value);      /* copies the value */
}

/* Runs on the queue's main context: starts the operation and returns. */
static gboolean
load_file (OsiisoTaskContext  *ctx,
           gpointer            user_data,
           GError            **error)
{
  GFile *file = user_data;

  ops_in_flight++;
  g_file_load_contents_async (file, osiiso_task_context_get_cancellable (ctx),
                              loaded_cb, ctx);
  return TRUE;   /* started; loaded_cb completes the attempt */
}

/* ------------------------------------------------------------------------
 * Reading from a peer that never answers
 * --------------------------------------------------------------------- */

static void
silent_read_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  OsiisoTaskContext *ctx = user_data;
  g_autoptr(GBytes) bytes = NULL;
  g_auto(GValue) value = G_VALUE_INIT;
  GError *error = NULL;

  ops_in_flight--;
  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);

  /* After the timeout the attempt has already failed in the queue; this
   * late completion is dropped, but it must still be made: it releases
   * the context and the queue reference held for the operation. */
  if (osiiso_task_context_return_error_if_cancelled (ctx))
    {
      g_print ("silent-peer: the read ended after the timeout (%s); "
               "its late completion was dropped\n",
               error != NULL ? error->message : "no error");
      g_clear_error (&error);
      return;
    }

  if (bytes == NULL)
    {
      osiiso_task_context_return_error (ctx, error);
      return;
    }
  g_value_init (&value, G_TYPE_UINT64);
  g_value_set_uint64 (&value, g_bytes_get_size (bytes));
  osiiso_task_context_return_value (ctx, &value);
}

static gboolean
read_silent_peer (OsiisoTaskContext  *ctx,
                  gpointer            user_data,
                  GError            **error)
{
  GInputStream *stream = user_data;

  ops_in_flight++;
  g_input_stream_read_bytes_async (stream, 64, G_PRIORITY_DEFAULT,
                                   osiiso_task_context_get_cancellable (ctx),
                                   silent_read_cb, ctx);
  return TRUE;
}

/* A connected pair of local sockets: we read from the first, nobody ever
 * writes to the second. */
static GSocketConnection *
connect_silent_peer (GSocket **peer_out)
{
  g_autoptr(GSocket) ours = NULL;
  g_autoptr(GSocket) peer = NULL;
  g_autoptr(GError) error = NULL;
  int fds[2];

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    g_error ("socketpair: %s", g_strerror (errno));
  if ((ours = g_socket_new_from_fd (fds[0], &error)) == NULL
      || (peer = g_socket_new_from_fd (fds[1], &error)) == NULL)
    g_error ("g_socket_new_from_fd: %s", error->message);

  *peer_out = g_steal_pointer (&peer);
  return g_socket_connection_factory_create_connection (ours);
}

/* ------------------------------------------------------------------------
 * Signals
 * --------------------------------------------------------------------- */

/* Emitted on the queue's main context (this thread), once per task. */
static void
task_completed_cb (OsiisoQueue      *queue,
                   OsiisoTaskResult *result,
                   GEnumClass       *status_class)
{
  OsiisoTaskStatus status = osiiso_task_result_get_status (result);
  const GValue *value = osiiso_task_result_get_value (result);
  g_autofree char *outcome = NULL;

  if (status == OSIISO_TASK_STATUS_SUCCEEDED && G_VALUE_HOLDS (value, G_TYPE_BYTES))
    outcome = g_strdup_printf ("%" G_GSIZE_FORMAT " bytes",
                               g_bytes_get_size (g_value_get_boxed (value)));
  else
    outcome = g_strdup (osiiso_task_result_get_message (result));

  g_print ("task-completed  %-11s  %-9s  %u attempt%s  %s\n",
           osiiso_task_result_get_name (result),
           g_enum_get_value (status_class, status)->value_nick,
           osiiso_task_result_get_attempts (result),
           osiiso_task_result_get_attempts (result) == 1 ? " " : "s",
           outcome);
}

/* ------------------------------------------------------------------------
 * Main
 * --------------------------------------------------------------------- */

static gboolean
expect (gboolean    ok,
        const char *what)
{
  if (!ok)
    g_printerr ("osiiso-async-files: unexpected outcome: %s\n", what);
  return ok;
}

static gboolean
expect_contents (OsiisoTaskHandle *handle,
                 const char       *contents)
{
  OsiisoTaskResult *result = osiiso_task_handle_get_result (handle);
  const GValue *value;
  GBytes *bytes;

  if (result == NULL || osiiso_task_result_get_status (result) != OSIISO_TASK_STATUS_SUCCEEDED)
    return expect (FALSE, osiiso_task_handle_get_name (handle));

  value = osiiso_task_result_get_value (result);
  if (!G_VALUE_HOLDS (value, G_TYPE_BYTES))
    return expect (FALSE, "a file's value is not a GBytes");
  bytes = g_value_get_boxed (value);
  return expect (g_bytes_get_size (bytes) == strlen (contents)
                 && memcmp (g_bytes_get_data (bytes, NULL), contents, strlen (contents)) == 0,
                 "a file's contents came back changed");
}

static OsiisoTaskHandle *
submit (OsiisoQueue    *queue,
        OsiisoTaskFunc  func,
        gpointer        user_data,
        const char     *name,
        gdouble         timeout)
{
  g_autoptr(OsiisoTaskOptions) options =
    g_object_new (OSIISO_TYPE_TASK_OPTIONS, "name", name, "timeout", timeout, NULL);
  g_autoptr(GError) error = NULL;
  OsiisoTaskHandle *handle;

  /* The queue unrefs the object given as @user_data when the task is done. */
  handle = osiiso_queue_submit (queue, func, user_data, g_object_unref, options, &error);
  if (handle == NULL)
    g_error ("cannot submit “%s”: %s", name, error->message);
  return handle;
}

int
main (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmpdir = NULL;
  g_autofree char *report = NULL;
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GSocket) peer = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  OsiisoTaskHandle *loads[N_FILES];
  OsiisoTaskHandle *silent;
  OsiisoTaskResult *silent_result;
  OsiisoQueue *queue;
  GEnumClass *status_class;
  gboolean ok = TRUE;

  setlocale (LC_ALL, "");

  /* The files to load. */
  if ((tmpdir = g_dir_make_tmp ("osiiso-async-files-XXXXXX", &error)) == NULL)
    g_error ("g_dir_make_tmp: %s", error->message);
  for (guint i = 0; i < N_FILES; i++)
    {
      g_autofree char *path = g_build_filename (tmpdir, files[i].name, NULL);

      if (!g_file_set_contents (path, files[i].contents, -1, &error))
        g_error ("%s", error->message);
    }

  connection = connect_silent_peer (&peer);
  status_class = g_type_class_ref (OSIISO_TYPE_TASK_STATUS);

  /* The queue captures this thread's default main context: its task
   * functions start there, and its signals are emitted there. */
  queue = OSIISO_QUEUE (osiiso_async_queue_new (2));
  g_object_add_weak_pointer (G_OBJECT (queue), (gpointer *) &queue);
  g_signal_connect (queue, "task-completed", G_CALLBACK (task_completed_cb), status_class);

  /* The stuck read goes first, so it holds one of the 2 workers while the
   * files load through the other. */
  silent = submit (queue, read_silent_peer,
                   g_object_ref (g_io_stream_get_input_stream (G_IO_STREAM (connection))),
                   "silent-peer", 0.2);
  for (guint i = 0; i < N_FILES; i++)
    {
      g_autofree char *path = g_build_filename (tmpdir, files[i].name, NULL);

      loads[i] = submit (queue, load_file, g_file_new_for_path (path), files[i].name, 5.0);
    }

  /* Blocks, iterating this thread's main context, until all four tasks
   * have ended. */
  if ((summary = osiiso_queue_run (queue, NULL, &error)) == NULL)
    g_error ("run: %s", error->message);

  report = osiiso_run_summary_to_string (summary);
  g_print ("%s", report);

  ok &= expect (osiiso_run_summary_get_total (summary) == N_FILES + 1, "total");
  ok &= expect (osiiso_run_summary_get_succeeded (summary) == N_FILES, "succeeded");
  ok &= expect (osiiso_run_summary_get_failed (summary) == 1, "failed");
  ok &= expect (osiiso_run_summary_get_cancelled (summary) == 0, "cancelled");
  ok &= expect (!osiiso_run_summary_get_timed_out (summary), "run timed out");
  for (guint i = 0; i < N_FILES; i++)
    ok &= expect_contents (loads[i], files[i].contents);
  silent_result = osiiso_task_handle_get_result (silent);
  ok &= expect (silent_result != NULL
                && osiiso_task_result_get_status (silent_result) == OSIISO_TASK_STATUS_FAILED
                && g_error_matches (osiiso_task_result_get_error (silent_result),
                                    OSIISO_ERROR, OSIISO_ERROR_TIMEOUT),
                "silent-peer did not fail with OSIISO_ERROR_TIMEOUT");

  for (guint i = 0; i < N_FILES; i++)
    g_object_unref (loads[i]);
  g_object_unref (silent);
  g_object_unref (queue);

  /* The abandoned read still holds its context and a reference on the
   * queue until its callback runs: let it. Then the queue is gone. */
  while (ops_in_flight > 0)
    g_main_context_iteration (NULL, TRUE);
  ok &= expect (queue == NULL, "the queue outlived its last operation");

  g_type_class_unref (status_class);

  /* Clean up the temporary directory. */
  for (guint i = 0; i < N_FILES; i++)
    {
      g_autofree char *path = g_build_filename (tmpdir, files[i].name, NULL);
      g_autoptr(GFile) file = g_file_new_for_path (path);

      if (!g_file_delete (file, NULL, &error))
        g_error ("%s", error->message);
    }
  {
    g_autoptr(GFile) dir = g_file_new_for_path (tmpdir);

    if (!g_file_delete (dir, NULL, &error))
      g_error ("%s", error->message);
  }

  return ok ? 0 : 1;
}
