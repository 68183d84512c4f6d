/* osiiso-command.c: command results, and running one command line
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "osiiso-command-private.h"
#include "osiiso-queue-private.h"
#include "osiiso-i18n-private.h"

#include <gio/gunixinputstream.h>
#include <errno.h>
#include <sys/socket.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/**
 * SECTION:osiiso-command-result
 * @Title: OsiisoCommandResult
 * @Short_description: What a command task did
 *
 * A command task (osiiso_process_queue_submit_command()) runs one command
 * line in its own process group. Its #OsiisoTaskResult carries an
 * #OsiisoCommandResult as its value (in a #GValue of type
 * %OSIISO_TYPE_COMMAND_RESULT), for a failed command too: the exit status
 * or terminating signal, what it wrote to its standard output and error
 * (each captured up to #OsiisoProcessQueue:output-limit bytes, the rest
 * read and dropped, so a command never blocks on a full pipe), and how
 * long it ran.
 */

struct _OsiisoCommandResult
{
  gint      ref_count;
  gint      exit_status;
  gint      term_signal;
  gboolean  stdout_truncated;
  gboolean  stderr_truncated;
  GBytes   *out;
  GBytes   *err;
  gdouble   duration;
};

G_DEFINE_BOXED_TYPE (OsiisoCommandResult, osiiso_command_result,
                     osiiso_command_result_ref, osiiso_command_result_unref)

/**
 * osiiso_command_result_ref:
 * @self: a #OsiisoCommandResult
 *
 * Takes a reference on @self.
 *
 * Returns: (transfer full): @self
 */
OsiisoCommandResult *
osiiso_command_result_ref (OsiisoCommandResult *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_int_inc (&self->ref_count);
  return self;
}

/**
 * osiiso_command_result_unref:
 * @self: (transfer full): a #OsiisoCommandResult
 *
 * Drops a reference on @self.
 */
void
osiiso_command_result_unref (OsiisoCommandResult *self)
{
  g_return_if_fail (self != NULL);
  if (!g_atomic_int_dec_and_test (&self->ref_count))
    return;
  g_bytes_unref (self->out);
  g_bytes_unref (self->err);
  g_free (self);
}

/**
 * osiiso_command_result_get_exit_status:
 * @self: a #OsiisoCommandResult
 *
 * Gets the command's exit status.
 *
 * Returns: the exit status, or -1 if a signal ended the command
 */
gint
osiiso_command_result_get_exit_status (OsiisoCommandResult *self)
{
  g_return_val_if_fail (self != NULL, -1);
  return self->exit_status;
}

/**
 * osiiso_command_result_get_term_signal:
 * @self: a #OsiisoCommandResult
 *
 * Gets the signal that ended the command.
 *
 * Returns: the signal number, or 0 if the command exited
 */
gint
osiiso_command_result_get_term_signal (OsiisoCommandResult *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->term_signal;
}

/**
 * osiiso_command_result_get_success:
 * @self: a #OsiisoCommandResult
 *
 * Checks whether the command exited with status 0.
 *
 * Returns: %TRUE for a successful command
 */
gboolean
osiiso_command_result_get_success (OsiisoCommandResult *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->term_signal == 0 && self->exit_status == 0;
}

/**
 * osiiso_command_result_get_stdout:
 * @self: a #OsiisoCommandResult
 *
 * Gets what the command wrote to its standard output.
 *
 * Returns: (transfer none): the captured output
 */
GBytes *
osiiso_command_result_get_stdout (OsiisoCommandResult *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->out;
}

/**
 * osiiso_command_result_get_stderr:
 * @self: a #OsiisoCommandResult
 *
 * Gets what the command wrote to its standard error.
 *
 * Returns: (transfer none): the captured error output
 */
GBytes *
osiiso_command_result_get_stderr (OsiisoCommandResult *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->err;
}

/**
 * osiiso_command_result_get_stdout_truncated:
 * @self: a #OsiisoCommandResult
 *
 * Checks whether the standard output was longer than the queue's output
 * limit (the rest was read and dropped).
 *
 * Returns: %TRUE if the captured output is incomplete
 */
gboolean
osiiso_command_result_get_stdout_truncated (OsiisoCommandResult *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->stdout_truncated;
}

/**
 * osiiso_command_result_get_stderr_truncated:
 * @self: a #OsiisoCommandResult
 *
 * Checks whether the standard error was longer than the queue's output
 * limit.
 *
 * Returns: %TRUE if the captured error output is incomplete
 */
gboolean
osiiso_command_result_get_stderr_truncated (OsiisoCommandResult *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->stderr_truncated;
}

/**
 * osiiso_command_result_get_duration:
 * @self: a #OsiisoCommandResult
 *
 * Gets how long the command ran, from its start to the end of its output
 * and its exit.
 *
 * Returns: seconds
 */
gdouble
osiiso_command_result_get_duration (OsiisoCommandResult *self)
{
  g_return_val_if_fail (self != NULL, 0.0);
  return self->duration;
}

/* ------------------------------------------------------------------------
 * Running a command
 * --------------------------------------------------------------------- */

void
_osiiso_command_spec_free (OsiisoCommandSpec *spec)
{
  g_strfreev (spec->argv);
  g_clear_pointer (&spec->input, g_bytes_unref);
  g_free (spec->cwd);
  g_strfreev (spec->envp);
  g_free (spec);
}

typedef struct
{
  GByteArray *data;
  gboolean    truncated;
} Capture;

struct _OsiisoCommand
{
  gint               ref_count;
  OsiisoTaskContext *context;        /* the attempt: completed once */
  GPid               pid;            /* ours to reap, through the child watch */
  gint               wait_status;
  GMainContext      *main_context;
  GCancellable      *io;
  char              *name;           /* argv[0], for messages */
  gint               pgid;
  gsize              limit;
  gdouble            kill_grace;
  gint64             started;
  guint              pending;        /* the exit and the two outputs */
  gboolean           killed;
  Capture            out;
  Capture            err;
  OsiisoCommandDone  done;
  gpointer           done_data;
};

typedef struct
{
  OsiisoCommand *command;
  Capture       *capture;
  GInputStream  *stream;
} Reader;

static OsiisoCommand *
command_ref (OsiisoCommand *command)
{
  command->ref_count++;   /* owner context only */
  return command;
}

static void
command_unref (OsiisoCommand *command)
{
  if (--command->ref_count > 0)
    return;
  g_clear_object (&command->io);
  g_main_context_unref (command->main_context);
  g_byte_array_unref (command->out.data);
  g_byte_array_unref (command->err.data);
  g_free (command->name);
  g_free (command);
}

/* The end of stderr, for the failure message. */
static char *
stderr_tail (GByteArray *err)
{
  gsize start = err->len > 200 ? err->len - 200 : 0;
  g_autofree char *tail = NULL;

  if (err->len == 0)
    return g_strdup ("");
  tail = g_strndup ((const char *) err->data + start, err->len - start);

  g_strstrip (tail);
  return g_utf8_make_valid (tail, -1);
}

static void
command_finish (OsiisoCommand *command)
{
  OsiisoTaskContext *context = g_steal_pointer (&command->context);
  OsiisoCommandResult *result = g_new0 (OsiisoCommandResult, 1);
  g_auto(GValue) value = G_VALUE_INIT;

  result->ref_count = 1;
  if (WIFSIGNALED (command->wait_status))
    {
      result->exit_status = -1;
      result->term_signal = WTERMSIG (command->wait_status);
    }
  else
    result->exit_status = WEXITSTATUS (command->wait_status);
  result->out = g_bytes_new (command->out.data->data, command->out.data->len);
  result->err = g_bytes_new (command->err.data->data, command->err.data->len);
  result->stdout_truncated = command->out.truncated;
  result->stderr_truncated = command->err.truncated;
  result->duration = (g_get_monotonic_time () - command->started) / (gdouble) G_USEC_PER_SEC;

  if (!command->killed && command->done != NULL)
    command->done (command, command->done_data);

  g_value_init (&value, OSIISO_TYPE_COMMAND_RESULT);
  g_value_take_boxed (&value, result);
  /* A failed command's result goes with its error, so its output is not
   * lost. */
  osiiso_task_context_set_value (context, &value);
  context->value_on_failure = TRUE;

  if (osiiso_command_result_get_success (result))
    osiiso_task_context_return_value (context, NULL);
  else
    {
      g_autofree char *tail = stderr_tail (command->err.data);
      g_autofree char *how = result->term_signal != 0
        ? g_strdup_printf (_("killed by signal %d (%s)"), result->term_signal, g_strsignal (result->term_signal))
        : g_strdup_printf (_("exit status %d"), result->exit_status);

      osiiso_task_context_return_new_error (context, OSIISO_ERROR, OSIISO_ERROR_COMMAND,
                                            *tail != '\0' ? _("command “%s” failed (%s): %s")
                                                          : _("command “%s” failed (%s)%s"),
                                            command->name, how, tail);
    }
}

static void
step_done (OsiisoCommand *command)
{
  if (--command->pending == 0)
    command_finish (command);
  command_unref (command);
}

static void read_more (Reader *reader);

static void
read_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      data)
{
  Reader *reader = data;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, NULL);
  gsize size = bytes != NULL ? g_bytes_get_size (bytes) : 0;

  if (size == 0)
    {
      /* End of output (or an error: the output is over all the same). */
      OsiisoCommand *command = reader->command;

      g_object_unref (reader->stream);
      g_free (reader);
      step_done (command);
      return;
    }

  {
    Capture *capture = reader->capture;
    gsize room = reader->command->limit > capture->data->len ? reader->command->limit - capture->data->len : 0;

    /* Keep reading past the limit: a command never blocks on a full pipe. */
    if (size > room)
      capture->truncated = TRUE;
    g_byte_array_append (capture->data, g_bytes_get_data (bytes, NULL), MIN (size, room));
  }
  read_more (reader);
}

static void
read_more (Reader *reader)
{
  g_main_context_push_thread_default (reader->command->main_context);
  g_input_stream_read_bytes_async (reader->stream, 64 * 1024, G_PRIORITY_DEFAULT,
                                   NULL, read_cb, reader);
  g_main_context_pop_thread_default (reader->command->main_context);
}

static void
read_output (OsiisoCommand *command,
             GInputStream  *stream,
             Capture       *capture)
{
  Reader *reader = g_new0 (Reader, 1);

  reader->command = command_ref (command);
  reader->capture = capture;
  reader->stream = g_object_ref (stream);
  read_more (reader);
}

static void
exited_cb (GPid     pid,
           gint     wait_status,
           gpointer data)
{
  OsiisoCommand *command = data;

  command->wait_status = wait_status;
  g_spawn_close_pid (pid);
  /* Whatever the command left behind in its group goes too: its output
   * ends only when every holder of the pipes is gone. The group cannot be
   * reused while members live. */
  kill (-command->pid, SIGKILL);
  command->pid = 0;
  step_done (command);
}

typedef struct
{
  GSocketConnection *connection;   /* kept until written: disposing closes it */
  GBytes            *input;
} Feed;

static void
input_written_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      data)
{
  Feed *feed = data;

  /* A command that does not read all its input is no error; closing the
   * socket ends the command's input. */
  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL);
  g_io_stream_close (G_IO_STREAM (feed->connection), NULL, NULL);
  g_object_unref (feed->connection);
  g_bytes_unref (feed->input);
  g_free (feed);
}

static void
command_child_setup (gpointer data)
{
  /* Its own process group, so a timeout kills the command's children. */
  setpgid (0, 0);
}

OsiisoCommand *
_osiiso_command_start (const OsiisoCommandSpec  *spec,
                       OsiisoTaskContext        *context,
                       GMainContext             *main_context,
                       gsize                     output_limit,
                       gdouble                   kill_grace,
                       OsiisoCommandDone         done,
                       gpointer                  done_data,
                       GError                  **error)
{
  g_autoptr(GError) local_error = NULL;
  OsiisoCommand *command;
  GSource *watch;
  GPid pid;
  gint out_fd = -1, err_fd = -1;
  int in_fds[2] = { -1, -1 };
  gboolean spawned;

  /* Input goes through a socket, not a pipe: writes use MSG_NOSIGNAL, so a
   * command that does not read all its input never raises SIGPIPE in (and
   * kills) the host program. */
  if (spec->input != NULL && socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_fds) < 0)
    {
      int saved = errno;

      g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_COMMAND, _("could not start command “%s”: %s"),
                   spec->argv[0], g_strerror (saved));
      return NULL;
    }

  /* g_spawn, not GSubprocess: the pid stays ours until our child watch
   * reaps it, so the process group is known without a race even for a
   * command that exits at once. The child setup makes its own group. */
  spawned = g_spawn_async_with_pipes_and_fds (spec->cwd, (const char * const *) spec->argv,
                                              (const char * const *) spec->envp,
                                              G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD
                                              | G_SPAWN_CLOEXEC_PIPES
                                              | (spec->input == NULL ? G_SPAWN_STDIN_FROM_DEV_NULL : 0),
                                              command_child_setup, NULL,
                                              in_fds[1], -1, -1, NULL, NULL, 0,
                                              &pid, NULL, &out_fd, &err_fd, &local_error);
  if (in_fds[1] >= 0)
    close (in_fds[1]);   /* the child's end */
  if (!spawned)
    {
      if (in_fds[0] >= 0)
        close (in_fds[0]);
      g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_COMMAND,
                   _("could not start command “%s”: %s"), spec->argv[0], local_error->message);
      return NULL;
    }

  command = g_new0 (OsiisoCommand, 1);
  command->ref_count = 1;
  command->context = context;
  command->pid = pid;
  command->main_context = g_main_context_ref (main_context);
  command->io = g_cancellable_new ();
  command->name = g_strdup (spec->argv[0]);
  command->pgid = pid;
  command->limit = output_limit;
  command->kill_grace = kill_grace;
  command->started = g_get_monotonic_time ();
  command->out.data = g_byte_array_new ();
  command->err.data = g_byte_array_new ();
  command->done = done;
  command->done_data = done_data;
  command->pending = 3;

  if (spec->input != NULL)
    {
      g_autoptr(GSocket) socket = g_socket_new_from_fd (in_fds[0], NULL);

      if (socket != NULL)
        {
          Feed *feed = g_new0 (Feed, 1);

          feed->connection = g_socket_connection_factory_create_connection (socket);
          feed->input = g_bytes_ref (spec->input);
          g_main_context_push_thread_default (main_context);
          g_output_stream_write_all_async (g_io_stream_get_output_stream (G_IO_STREAM (feed->connection)),
                                           g_bytes_get_data (spec->input, NULL),
                                           g_bytes_get_size (spec->input), G_PRIORITY_DEFAULT,
                                           NULL, input_written_cb, feed);
          g_main_context_pop_thread_default (main_context);
        }
      else
        close (in_fds[0]);   /* the command sees an empty input */
    }

  watch = g_child_watch_source_new (pid);
  g_source_set_callback (watch, (GSourceFunc) (void (*) (void)) exited_cb, command_ref (command), NULL);
  g_source_attach (watch, main_context);
  g_source_unref (watch);

  {
    g_autoptr(GInputStream) out = g_unix_input_stream_new (out_fd, TRUE);
    g_autoptr(GInputStream) err = g_unix_input_stream_new (err_fd, TRUE);

    read_output (command, out, &command->out);
    read_output (command, err, &command->err);
  }

  /* From here on the command lives as long as its process and outputs; the
   * caller's pointer is good until the done callback or a kill. */
  command_unref (command);
  return command;
}

static gboolean
kill_hard_cb (gpointer data)
{
  kill (-GPOINTER_TO_INT (data), SIGKILL);
  return G_SOURCE_REMOVE;
}

void
_osiiso_command_kill (OsiisoCommand *command)
{
  command->killed = TRUE;
  if (command->pending > 0 && command->kill_grace > 0)
    {
      GSource *source = g_timeout_source_new ((guint) (command->kill_grace * 1000));

      kill (-command->pgid, SIGTERM);   /* pending: the group is alive */
      g_source_set_callback (source, kill_hard_cb, GINT_TO_POINTER (command->pgid), NULL);
      g_source_attach (source, command->main_context);
      g_source_unref (source);
    }
  else if (command->pending > 0)
    kill (-command->pgid, SIGKILL);
}
