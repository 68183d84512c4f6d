/* osiiso-command.c: command results, and running one command line
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#define _GNU_SOURCE   /* pipe2, the _np spawn file actions */

#include "osiiso-command-private.h"
#include "osiiso-group-killer-private.h"
#include "osiiso-queue-private.h"
#include "osiiso-i18n-private.h"

#include <gio/gunixinputstream.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* posix_spawn keeps every guarantee of a command task only with a chdir
 * action and closing the other descriptors (glibc >= 2.34); elsewhere
 * g_spawn with a child setup does the same, more slowly. */
#if defined(HAVE_POSIX_SPAWN_FILE_ACTIONS_ADDCHDIR_NP) && defined(HAVE_POSIX_SPAWN_FILE_ACTIONS_ADDCLOSEFROM_NP)
#define USE_POSIX_SPAWN 1
#endif

extern char **environ;

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

/* Specs are immutable, so tasks that run the same command line share one:
 * a million queued runs of one command cost no spec each. Every spec that
 * has a reference is in live_specs; its last unref takes it out. Inputs
 * are compared by identity: hashing their bytes could cost more than the
 * copy it saves. */
static GMutex live_specs_lock;
static GHashTable *live_specs;   /* (live_specs_lock) OsiisoCommandSpec, unowned */

static guint
strv_hash (guint               hash,
           const char * const *strv)
{
  for (; *strv != NULL; strv++)
    hash = hash * 33 + g_str_hash (*strv);
  return hash;
}

static guint
spec_hash (gconstpointer data)
{
  return ((const OsiisoCommandSpec *) data)->hash;
}

/* NULL (this process's) and empty are different environments. */
static gboolean
strv_equal0 (char **a,
             char **b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return g_strv_equal ((const char * const *) a, (const char * const *) b);
}

static gboolean
spec_equal (gconstpointer data_a,
            gconstpointer data_b)
{
  const OsiisoCommandSpec *a = data_a;
  const OsiisoCommandSpec *b = data_b;

  return a->hash == b->hash && a->input == b->input && g_strcmp0 (a->cwd, b->cwd) == 0
         && strv_equal0 (a->argv, b->argv) && strv_equal0 (a->envp, b->envp);
}

static gsize
strv_text_size (const char * const *strv,
                gsize              *n)
{
  gsize size = 0;

  for (*n = 0; strv[*n] != NULL; (*n)++)
    size += strlen (strv[*n]) + 1;
  return size;
}

/* Copies @strv: its pointers to *@slots, its strings to *@text; advances
 * both past what they took. */
static char **
copy_strv (const char * const   *strv,
           char               ***slots,
           char                **text)
{
  char **copy = *slots;
  gsize i;

  for (i = 0; strv[i] != NULL; i++)
    {
      gsize size = strlen (strv[i]) + 1;

      copy[i] = memcpy (*text, strv[i], size);
      *text += size;
    }
  copy[i] = NULL;
  *slots += i + 1;
  return copy;
}

/* One allocation for the spec, its arrays and its strings: a spec of
 * three arguments costs one malloc chunk instead of six. */
static OsiisoCommandSpec *
spec_alloc (const OsiisoCommandSpec *probe)
{
  const char * const *argv = (const char * const *) probe->argv;
  const char * const *envp = (const char * const *) probe->envp;
  gsize argc, envc = 0;
  gsize text = strv_text_size (argv, &argc);
  gsize slots = argc + 1;
  OsiisoCommandSpec *spec;
  char **slot;
  char *next;

  if (envp != NULL)
    {
      text += strv_text_size (envp, &envc);
      slots += envc + 1;
    }
  if (probe->cwd != NULL)
    text += strlen (probe->cwd) + 1;

  spec = g_malloc (sizeof (OsiisoCommandSpec) + slots * sizeof (char *) + text);
  slot = (char **) (spec + 1);
  next = (char *) (slot + slots);
  spec->ref_count = 1;
  spec->hash = probe->hash;
  spec->argv = copy_strv (argv, &slot, &next);
  spec->envp = envp != NULL ? copy_strv (envp, &slot, &next) : NULL;
  spec->cwd = probe->cwd != NULL ? memcpy (next, probe->cwd, strlen (probe->cwd) + 1) : NULL;
  spec->input = probe->input != NULL ? g_bytes_ref (probe->input) : NULL;
  return spec;
}

OsiisoCommandSpec *
_osiiso_command_spec_new (const char * const *argv,
                          GBytes             *input,
                          const char         *cwd,
                          const char * const *envp)
{
  OsiisoCommandSpec probe = {
    .argv = (char **) argv,
    .input = input,
    .cwd = (char *) cwd,
    .envp = (char **) envp,
  };
  OsiisoCommandSpec *spec;

  probe.hash = strv_hash (5381, argv);
  probe.hash = probe.hash * 33 + (cwd != NULL ? g_str_hash (cwd) : 0);
  probe.hash = probe.hash * 33 + (envp != NULL ? strv_hash (1, envp) : 0);
  probe.hash = probe.hash * 33 + g_direct_hash (input);

  g_mutex_lock (&live_specs_lock);
  if (live_specs == NULL)
    live_specs = g_hash_table_new (spec_hash, spec_equal);
  spec = g_hash_table_lookup (live_specs, &probe);
  if (spec != NULL)
    spec->ref_count++;
  else
    {
      spec = spec_alloc (&probe);
      g_hash_table_add (live_specs, spec);
    }
  g_mutex_unlock (&live_specs_lock);
  return spec;
}

void
_osiiso_command_spec_unref (OsiisoCommandSpec *spec)
{
  g_mutex_lock (&live_specs_lock);
  if (--spec->ref_count > 0)
    {
      g_mutex_unlock (&live_specs_lock);
      return;
    }
  g_hash_table_remove (live_specs, spec);
  if (g_hash_table_size (live_specs) == 0)
    g_clear_pointer (&live_specs, g_hash_table_unref);   /* nothing is left behind at exit */
  g_mutex_unlock (&live_specs_lock);

  /* The input's free function may be anyone's code: not under the lock. */
  g_clear_pointer (&spec->input, g_bytes_unref);
  g_free (spec);
}

/* The end of stderr is kept apart from the capture, which holds only the
 * first output-limit bytes: the last lines usually say what went wrong. */
#define TAIL_SIZE 200

typedef struct
{
  GByteArray *data;
  gboolean    truncated;
  gsize       tail_len;
  guint8      tail[TAIL_SIZE];
} Capture;

struct _OsiisoCommand
{
  gint               ref_count;
  OsiisoTaskContext *context;        /* the attempt: completed once */
  GPid               pid;            /* ours to reap, through the child watch */
  gint               wait_status;
  GMainContext      *main_context;
  char              *name;           /* argv[0], for messages */
  gint               pgid;
  gsize              limit;
  gdouble            kill_grace;
  guint64            kill_ticket;    /* a pending SIGKILL, or 0 */
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
  g_main_context_unref (command->main_context);
  g_byte_array_unref (command->out.data);
  g_byte_array_unref (command->err.data);
  g_free (command->name);
  g_free (command);
}

static void
capture_append (Capture     *capture,
                const guint8 *data,
                gsize        size,
                gsize        limit)
{
  gsize room = limit > capture->data->len ? limit - capture->data->len : 0;

  /* Keep reading past the limit: a command never blocks on a full pipe. */
  if (size > room)
    capture->truncated = TRUE;
  g_byte_array_append (capture->data, data, MIN (size, room));

  if (size >= TAIL_SIZE)
    {
      memcpy (capture->tail, data + size - TAIL_SIZE, TAIL_SIZE);
      capture->tail_len = TAIL_SIZE;
    }
  else
    {
      gsize keep = MIN (capture->tail_len, TAIL_SIZE - size);

      memmove (capture->tail, capture->tail + capture->tail_len - keep, keep);
      memcpy (capture->tail + keep, data, size);
      capture->tail_len = keep + size;
    }
}

/* The end of stderr, for the failure message: valid UTF-8, starting at a
 * character boundary, without surrounding white space. */
static char *
stderr_tail (const Capture *err)
{
  const guint8 *start = err->tail;
  gsize len = err->tail_len;
  g_autofree char *tail = NULL;

  while (len > 0 && err->tail_len == TAIL_SIZE && (*start & 0xC0) == 0x80)
    start++, len--;
  tail = g_utf8_make_valid ((const char *) start, len);
  g_strstrip (tail);
  return g_steal_pointer (&tail);
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

  if (command->done != NULL)
    command->done (command, command->killed, command->done_data);

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
      g_autofree char *tail = stderr_tail (&command->err);
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

  capture_append (reader->capture, g_bytes_get_data (bytes, NULL), size, reader->command->limit);
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
             int            fd,
             Capture       *capture)
{
  Reader *reader = g_new0 (Reader, 1);

  reader->command = command_ref (command);
  reader->capture = capture;
  reader->stream = g_unix_input_stream_new (fd, TRUE);
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
  kill (-command->pgid, SIGKILL);
  _osiiso_group_forget (command->kill_ticket);
  command->kill_ticket = 0;
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
feed_input (int           fd,
            GBytes       *input,
            GMainContext *main_context)
{
  g_autoptr(GSocket) socket = g_socket_new_from_fd (fd, NULL);
  Feed *feed;

  if (socket == NULL)
    {
      close (fd);   /* the command sees an empty input */
      return;
    }
  feed = g_new0 (Feed, 1);
  feed->connection = g_socket_connection_factory_create_connection (socket);
  feed->input = g_bytes_ref (input);
  g_main_context_push_thread_default (main_context);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (G_IO_STREAM (feed->connection)),
                                   g_bytes_get_data (input, NULL), g_bytes_get_size (input),
                                   G_PRIORITY_DEFAULT, NULL, input_written_cb, feed);
  g_main_context_pop_thread_default (main_context);
}

/* ------------------------------------------------------------------------
 * Spawning
 *
 * A command runs in its own process group (so a timeout reaches its
 * children), in its working directory, with stdin from /dev/null or our
 * socket, stdout and stderr to our pipes and no other descriptor of ours,
 * an empty signal mask and default dispositions for the signals a host
 * commonly ignores or handles. Its pid stays ours until our child watch
 * reaps it, so the group is known without a race even for a command that
 * exits at once.
 *
 * GSubprocess (GLib 2.74) takes its fast posix_spawn path only without a
 * child setup function or working directory, that is without a process
 * group; with them it forks, and fork copies the page tables of the whole
 * host. bench/w4a.c measured 2,000 × /bin/true, 2 in flight, on 2 cores:
 * posix_spawn with every guarantee above took 0.49–0.63× the time of
 * GSubprocess with a child setup (the docs' process-workers chapter has
 * the figures), so command tasks spawn with posix_spawn where glibc offers
 * the chdir and closefrom file actions, and with g_spawn otherwise.
 * --------------------------------------------------------------------- */

/* A pipe whose ends are both close-on-exec and >= 3, so that the dup2
 * actions onto 0-2 cannot clobber one of them. */
static gboolean
make_pipe (int fds[2])
{
  if (pipe2 (fds, O_CLOEXEC) != 0)
    return FALSE;
  for (guint i = 0; i < 2; i++)
    if (fds[i] < 3)
      {
        int moved = fcntl (fds[i], F_DUPFD_CLOEXEC, 3);

        close (fds[i]);
        fds[i] = moved;
      }
  if (fds[0] < 0 || fds[1] < 0)
    {
      int saved = errno;

      if (fds[0] >= 0)
        close (fds[0]);
      if (fds[1] >= 0)
        close (fds[1]);
      errno = saved;
      return FALSE;
    }
  return TRUE;
}

#ifdef USE_POSIX_SPAWN

static posix_spawnattr_t *
spawn_attributes (void)
{
  static posix_spawnattr_t attr;
  static gsize initialized;

  if (g_once_init_enter (&initialized))
    {
      sigset_t mask, defaults;

      /* Own group (0: the child's pid), an empty signal mask, and every
       * signal at its default action: a host may ignore some (Python
       * ignores SIGPIPE, a shell's background job SIGINT and SIGQUIT),
       * and ignored signals would survive exec. */
      sigemptyset (&mask);
      sigfillset (&defaults);
      posix_spawnattr_init (&attr);
      posix_spawnattr_setpgroup (&attr, 0);
      posix_spawnattr_setsigmask (&attr, &mask);
      posix_spawnattr_setsigdefault (&attr, &defaults);
      posix_spawnattr_setflags (&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK
                                       | POSIX_SPAWN_SETSIGDEF);
      g_once_init_leave (&initialized, 1);
    }
  return &attr;
}

/* The program as posix_spawn needs it: a name without a slash is looked
 * up in PATH here, as g_spawn would, and made absolute, since the chdir
 * action runs before exec. */
static char *
resolve_program (const char *program)
{
  g_autofree char *found = NULL;

  if (strchr (program, '/') != NULL)
    return g_strdup (program);
  found = g_find_program_in_path (program);
  if (found == NULL)
    return NULL;
  return g_canonicalize_filename (found, NULL);
}

static gboolean
spawn_command (const OsiisoCommandSpec  *spec,
               int                       in_fd,
               GPid                     *pid,
               int                      *out_fd,
               int                      *err_fd,
               GError                  **error)
{
  posix_spawn_file_actions_t actions;
  g_autofree char *program = resolve_program (spec->argv[0]);
  int out_pipe[2] = { -1, -1 }, err_pipe[2] = { -1, -1 };
  int rc;

  if (program == NULL)
    {
      g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_COMMAND, _("could not start command “%s”: %s"),
                   spec->argv[0], _("program not found in PATH"));
      return FALSE;
    }
  if (!make_pipe (out_pipe) || !make_pipe (err_pipe))
    {
      int saved = errno;

      if (out_pipe[0] >= 0)
        close (out_pipe[0]), close (out_pipe[1]);
      g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_COMMAND, _("could not start command “%s”: %s"),
                   spec->argv[0], g_strerror (saved));
      return FALSE;
    }

  posix_spawn_file_actions_init (&actions);
  if (in_fd >= 0)
    posix_spawn_file_actions_adddup2 (&actions, in_fd, 0);
  else
    posix_spawn_file_actions_addopen (&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2 (&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2 (&actions, err_pipe[1], 2);
  if (spec->cwd != NULL)
    posix_spawn_file_actions_addchdir_np (&actions, spec->cwd);
  posix_spawn_file_actions_addclosefrom_np (&actions, 3);

  /* glibc's posix_spawn (clone with CLONE_VM | CLONE_VFORK) reports a
   * failed chdir or exec synchronously. */
  rc = posix_spawn (pid, program, &actions, spawn_attributes (), spec->argv,
                    spec->envp != NULL ? spec->envp : environ);
  posix_spawn_file_actions_destroy (&actions);
  close (out_pipe[1]);
  close (err_pipe[1]);

  if (rc != 0)
    {
      close (out_pipe[0]);
      close (err_pipe[0]);
      if (spec->cwd != NULL && !g_file_test (spec->cwd, G_FILE_TEST_IS_DIR))
        {
          g_autofree char *why = g_strdup_printf (_("cannot change to directory “%s”: %s"),
                                                  spec->cwd, g_strerror (rc));

          g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_COMMAND, _("could not start command “%s”: %s"),
                       spec->argv[0], why);
        }
      else
        g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_COMMAND, _("could not start command “%s”: %s"),
                     spec->argv[0], g_strerror (rc));
      return FALSE;
    }

  *out_fd = out_pipe[0];
  *err_fd = err_pipe[0];
  return TRUE;
}

#else /* !USE_POSIX_SPAWN */

static void
command_child_setup (gpointer data)
{
  sigset_t mask;

  /* Its own process group, so a timeout kills the command's children;
   * every signal at its default action, none blocked. */
  setpgid (0, 0);
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP)
      signal (sig, SIG_DFL);
  sigemptyset (&mask);
  sigprocmask (SIG_SETMASK, &mask, NULL);
}

static gboolean
spawn_command (const OsiisoCommandSpec  *spec,
               int                       in_fd,
               GPid                     *pid,
               int                      *out_fd,
               int                      *err_fd,
               GError                  **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!g_spawn_async_with_pipes_and_fds (spec->cwd, (const char * const *) spec->argv,
                                         (const char * const *) spec->envp,
                                         G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD
                                         | G_SPAWN_CLOEXEC_PIPES
                                         | (in_fd < 0 ? G_SPAWN_STDIN_FROM_DEV_NULL : 0),
                                         command_child_setup, NULL,
                                         in_fd, -1, -1, NULL, NULL, 0,
                                         pid, NULL, out_fd, err_fd, &local_error))
    {
      g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_COMMAND,
                   _("could not start command “%s”: %s"), spec->argv[0], local_error->message);
      return FALSE;
    }
  return TRUE;
}

#endif /* USE_POSIX_SPAWN */

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
  OsiisoCommand *command;
  GSource *watch;
  GPid pid;
  int out_fd = -1, err_fd = -1;
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

  spawned = spawn_command (spec, in_fds[1], &pid, &out_fd, &err_fd, error);
  if (in_fds[1] >= 0)
    close (in_fds[1]);   /* the child's end */
  if (!spawned)
    {
      if (in_fds[0] >= 0)
        close (in_fds[0]);
      return NULL;
    }

  command = g_new0 (OsiisoCommand, 1);
  command->ref_count = 1;
  command->context = context;
  command->pid = pid;
  command->main_context = g_main_context_ref (main_context);
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
    feed_input (in_fds[0], spec->input, main_context);

  watch = g_child_watch_source_new (pid);
  g_source_set_callback (watch, (GSourceFunc) (void (*) (void)) exited_cb, command_ref (command), NULL);
  g_source_set_name (watch, "[osiiso] command exit");
  g_source_attach (watch, main_context);
  g_source_unref (watch);

  read_output (command, out_fd, &command->out);
  read_output (command, err_fd, &command->err);

  /* From here on the command lives as long as its process and outputs; the
   * caller's pointer is good until the done callback. */
  command_unref (command);
  return command;
}

void
_osiiso_command_kill (OsiisoCommand *command)
{
  g_return_if_fail (!command->killed);

  command->killed = TRUE;
  /* pid is still set while the leader is unreaped: the group is ours. The
   * SIGKILL after the grace period comes from the group killer's thread,
   * so it does not wait for anyone to iterate the main context. */
  if (command->pid != 0)
    command->kill_ticket = _osiiso_group_terminate (command->pgid, command->kill_grace);
}
