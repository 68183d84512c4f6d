/* osiiso.c: the osiiso command-line tool, a parallel command runner
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   osiiso run [OPTION…] [--] COMMAND [ARG…] [::: INPUT…]
 *
 * One task per input (a line of standard input or of --input FILE, or an
 * argument after :::), each a command task on an OsiisoProcessQueue, so
 * every policy of the library applies: jobs, retries with backoff,
 * per-attempt and whole-run timeouts, rate limits, fail-fast, priorities.
 * The man page (docs/osiiso.xml) is the user documentation.
 *
 * The flow of a run: parse the options, read the inputs, build one job per
 * input (osiiso-job.c), leave out those that an earlier run completed
 * (--resume: skip_done_jobs()), submit the others (submit_jobs()), run
 * the queue while printing each task's output as it ends (or in input
 * order), recording each success in the checkpoint once its output is
 * out, drawing the progress line (osiiso-progress.c) and writing the job
 * log (osiiso-joblog.c), then report (the library's summary, or
 * osiiso-json.c).
 *
 * --resume uses OsiisoCheckpoint directly rather than a checkpointed
 * OsiisoTaskGroup: a group records only GVariant task values, and a
 * command task's value is an OsiisoCommandResult; and a success must be
 * recorded only once its output has been printed (with --keep-order,
 * after the tasks before it), which only the tool knows.
 */

#include "osiiso-cli.h"

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXIT_USAGE 2

/* A value no one types: tells "not given" from a given bad value. */
#define UNSET (-G_MAXDOUBLE)

typedef struct
{
  gint      jobs;
  char     *input;
  gint      retries;
  gdouble   retry_delay;
  gdouble   backoff;
  gdouble   timeout;
  gdouble   total_timeout;
  gdouble   rate;
  gint      burst;
  gboolean  fail_fast;
  gint      priority_from;
  gboolean  keep_order;
  char     *joblog;
  char     *resume;
  gboolean  json;
  gboolean  quiet;
  gboolean  version;
  char    **rest;
} Options;

typedef struct
{
  const Options     *options;
  GPtrArray         *jobs;           /* OsiisoCliJob, in input order */
  GHashTable        *by_task;        /* task id → job */
  guint              next_to_print;  /* --keep-order: the next job in input order */
  OsiisoCliProgress *progress;
  OsiisoCliJoblog   *joblog;
  OsiisoCheckpoint  *checkpoint;     /* --resume, or NULL */
  char              *checkpoint_ns;  /* this command's namespace in it */
  guint              n_skipped;      /* inputs done in an earlier run */
  gboolean           record_failed;  /* a success could not be recorded */
  GCancellable      *cancel;         /* cancelling it forces the shutdown */
  gint               signal;         /* the signal that ended the run, or 0 */
  gboolean           stdout_broken;  /* writing the output failed */
} Run;

static Run *the_run;   /* for the signal handlers */

static void
usage_error (const char *format,
             ...) G_GNUC_PRINTF (1, 2);

static void
usage_error (const char *format,
             ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("osiiso: %s\n", message);
  g_printerr (_("Try “%s” for more information."), "osiiso run --help");
  g_printerr ("\n");
}

/* ------------------------------------------------------------------------
 * The command line
 * --------------------------------------------------------------------- */

static gboolean
takes_value (const GOptionEntry *entries,
             const char         *long_name,
             gsize               long_len,
             char                short_name)
{
  for (guint i = 0; entries[i].long_name != NULL; i++)
    {
      gboolean match = long_name != NULL
        ? strlen (entries[i].long_name) == long_len && strncmp (entries[i].long_name, long_name, long_len) == 0
        : entries[i].short_name == short_name;

      if (match)
        return entries[i].arg != G_OPTION_ARG_NONE;
    }
  return FALSE;
}

/* GOptionContext reads "-j 2" and "-j2"-less clusters only; "-j2" is what
 * people type (xargs -P2, parallel -j2), so a value attached to a short
 * option is split off first. Only the options before the command are
 * looked at: parsing stops at the first non-option, as GOptionContext does
 * in strict POSIX mode. */
static char **
split_attached_values (int                 argc,
                       char              **argv,
                       const GOptionEntry *entries)
{
  GPtrArray *out = g_ptr_array_new ();
  int i;

  g_ptr_array_add (out, g_strdup (argv[0]));
  for (i = 1; i < argc; i++)
    {
      const char *arg = argv[i];

      if (strcmp (arg, "--") == 0 || arg[0] != '-' || arg[1] == '\0')
        break;
      if (arg[1] == '-')
        {
          const char *eq = strchr (arg, '=');

          g_ptr_array_add (out, g_strdup (arg));
          if (eq == NULL && takes_value (entries, arg + 2, strlen (arg + 2), 0) && i + 1 < argc)
            g_ptr_array_add (out, g_strdup (argv[++i]));
          continue;
        }

      {
        const char *p = arg + 1;

        while (*p != '\0' && !takes_value (entries, NULL, 0, *p))
          p++;
        if (*p == '\0')
          g_ptr_array_add (out, g_strdup (arg));
        else if (p[1] != '\0')
          {
            g_ptr_array_add (out, g_strndup (arg, p + 1 - arg));
            g_ptr_array_add (out, g_strdup (p + 1));
          }
        else
          {
            g_ptr_array_add (out, g_strdup (arg));
            if (i + 1 < argc)
              g_ptr_array_add (out, g_strdup (argv[++i]));
          }
      }
    }
  for (; i < argc; i++)
    g_ptr_array_add (out, g_strdup (argv[i]));
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

/* Returns 0, or the exit status when the command line was wrong. */
static int
check_options (const Options *o)
{
  if (o->jobs < 0)
    usage_error (_("%s must not be negative"), "--jobs");
  else if (o->retries < 0)
    usage_error (_("%s must not be negative"), "--retries");
  else if (!(o->retry_delay >= 0 && o->retry_delay < G_MAXINT))
    usage_error (_("%s must not be negative"), "--retry-delay");
  else if (!(o->backoff > 0 && o->backoff < G_MAXINT))
    usage_error (_("%s must be greater than 0"), "--backoff");
  else if (o->timeout != UNSET && !(o->timeout > 0 && o->timeout < G_MAXINT))
    usage_error (_("%s must be greater than 0"), "--timeout");
  else if (o->total_timeout != UNSET && !(o->total_timeout > 0 && o->total_timeout < G_MAXINT))
    usage_error (_("%s must be greater than 0"), "--total-timeout");
  else if (o->rate != UNSET && !(o->rate > 0 && o->rate < G_MAXINT))
    usage_error (_("%s must be greater than 0"), "--rate");
  else if (o->burst != -1 && o->burst < 1)
    usage_error (_("%s must be at least 1"), "--burst");
  else if (o->burst != -1 && o->rate == UNSET)
    usage_error (_("%s needs %s"), "--burst", "--rate");
  else if (o->priority_from != -1 && o->priority_from < 1)
    usage_error (_("%s must be at least 1"), "--priority-from");
  else
    return 0;
  return EXIT_USAGE;
}

/* ------------------------------------------------------------------------
 * Inputs and jobs
 * --------------------------------------------------------------------- */

static gboolean
read_fd (int          fd,
         GByteArray  *data,
         GError     **error)
{
  guint8 buffer[64 * 1024];

  for (;;)
    {
      gssize n = read (fd, buffer, sizeof buffer);

      if (n == 0)
        return TRUE;
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;

          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                       _("could not read the input: %s"), g_strerror (saved));
          return FALSE;
        }
      g_byte_array_append (data, buffer, n);
    }
}

/* The input lines of standard input or of @path ("-" is standard input):
 * empty lines are skipped, a last line without a newline counts. */
static GPtrArray *
read_lines (const char  *path,
            GError     **error)
{
  g_autoptr(GByteArray) data = g_byte_array_new ();
  GPtrArray *lines;
  gsize start = 0;

  if (path == NULL || strcmp (path, "-") == 0)
    {
      if (isatty (STDIN_FILENO))
        g_printerr (_("osiiso: reading inputs from the terminal, one per line (end with Ctrl-D)\n"));
      if (!read_fd (STDIN_FILENO, data, error))
        return NULL;
    }
  else
    {
      char *contents = NULL;
      gsize length = 0;

      if (!g_file_get_contents (path, &contents, &length, error))
        return NULL;
      g_byte_array_append (data, (const guint8 *) contents, length);
      g_free (contents);
    }

  lines = g_ptr_array_new_with_free_func (g_free);
  for (gsize i = 0; i <= data->len; i++)
    {
      if (i < data->len && data->data[i] != '\n')
        continue;
      if (i > start)
        {
          if (memchr (data->data + start, '\0', i - start) != NULL)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("input line %u holds a NUL byte"), lines->len + 1);
              g_ptr_array_unref (lines);
              return NULL;
            }
          g_ptr_array_add (lines, g_strndup ((const char *) data->data + start, i - start));
        }
      start = i + 1;
    }
  return lines;
}

static GPtrArray *
make_jobs (const Options       *o,
           const char * const  *command,
           GPtrArray           *inputs,
           GError             **error)
{
  GPtrArray *jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) osiiso_cli_job_free);

  for (guint i = 0; i < inputs->len; i++)
    {
      const char *line = g_ptr_array_index (inputs, i);
      OsiisoCliJob *job = osiiso_cli_job_new (i + 1, line, command);

      g_ptr_array_add (jobs, job);
      if (o->priority_from > 0)
        {
          const char *field;
          gsize len;
          gint64 priority;
          g_autofree char *text = NULL;

          if (!osiiso_cli_get_field (line, o->priority_from, &field, &len))
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("input %u (“%s”) has no field %d for --priority-from"),
                           i + 1, line, o->priority_from);
              g_ptr_array_unref (jobs);
              return NULL;
            }
          text = g_strndup (field, len);
          if (!g_ascii_string_to_signed (text, 10, G_MININT, G_MAXINT, &priority, NULL))
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("input %u: field %d (“%s”) is not an integer priority"),
                           i + 1, o->priority_from, text);
              g_ptr_array_unref (jobs);
              return NULL;
            }
          job->priority = (gint) priority;
        }
    }
  return jobs;
}

/* ------------------------------------------------------------------------
 * --resume: the checkpoint
 * --------------------------------------------------------------------- */

/* The namespace of a command's inputs in the checkpoint: the command and
 * its arguments as given (before {} is replaced), each with its NUL, hashed
 * (arguments may hold anything; a namespace is text). */
static char *
checkpoint_namespace (const char * const *command)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);

  for (guint i = 0; command[i] != NULL; i++)
    g_checksum_update (checksum, (const guchar *) command[i], strlen (command[i]) + 1);
  return g_strconcat ("osiiso-run:", g_checksum_get_string (checksum), NULL);
}

/* Opens the checkpoint of --resume (created if missing) and marks the jobs
 * whose input it records as done for this command: they are skipped. */
static gboolean
skip_done_jobs (Run                 *run,
                const char          *path,
                const char * const  *command,
                GError             **error)
{
  g_autofree char *file = NULL;
  g_autofree const char **keys = NULL;
  g_autoptr(GHashTable) done = NULL;

  /* SQLite takes ":memory:" for a database in memory, and (as Debian
   * builds it) "file:…" for a URI: a file is meant. */
  if (strcmp (path, ":memory:") == 0 || g_str_has_prefix (path, "file:"))
    file = g_build_filename (".", path, NULL);
  else
    file = g_strdup (path);
  run->checkpoint = osiiso_checkpoint_new_full (file, FALSE, error);
  if (run->checkpoint == NULL)
    return FALSE;
  run->checkpoint_ns = checkpoint_namespace (command);

  keys = g_new (const char *, run->jobs->len + 1);
  for (guint i = 0; i < run->jobs->len; i++)
    keys[i] = ((OsiisoCliJob *) g_ptr_array_index (run->jobs, i))->line;
  keys[run->jobs->len] = NULL;
  done = osiiso_checkpoint_lookup (run->checkpoint, run->checkpoint_ns, keys, error);
  if (done == NULL)
    return FALSE;

  for (guint i = 0; i < run->jobs->len; i++)
    {
      OsiisoCliJob *job = g_ptr_array_index (run->jobs, i);

      if (g_hash_table_contains (done, job->line))
        {
          job->skipped = TRUE;
          run->n_skipped++;
        }
    }
  return TRUE;
}

/* A job whose output is out records its success, so that the next run
 * with --resume skips its input. Not when its output could not be written
 * (it did not reach anyone): it runs again next time. */
static void
record_job (Run          *run,
            OsiisoCliJob *job)
{
  g_autoptr(GError) error = NULL;

  if (run->checkpoint == NULL || job->result == NULL
      || osiiso_task_result_get_status (job->result) != OSIISO_TASK_STATUS_SUCCEEDED
      || (run->stdout_broken && !run->options->json))
    return;
  if (osiiso_checkpoint_record (run->checkpoint, run->checkpoint_ns, job->line, NULL,
                                job->display, &error))
    return;
  /* Once: the next ones would most likely fail the same way. */
  if (!run->record_failed)
    {
      osiiso_cli_progress_clear (run->progress);
      g_printerr (_("osiiso: could not record input %u in the checkpoint: %s\n"),
                  job->seq, error->message);
    }
  run->record_failed = TRUE;
}

/* Submits the jobs of this run: every one but those --resume skips, so
 * that sequence numbers keep counting every input. */
static gboolean
submit_jobs (Run                 *run,
             OsiisoProcessQueue  *queue,
             GError             **error)
{
  const Options *o = run->options;

  for (guint i = 0; i < run->jobs->len; i++)
    {
      OsiisoCliJob *job = g_ptr_array_index (run->jobs, i);
      g_autoptr(OsiisoTaskOptions) options = NULL;
      g_autoptr(OsiisoTaskHandle) handle = NULL;

      if (job->skipped)
        continue;
      options =
        g_object_new (OSIISO_TYPE_TASK_OPTIONS,
                      "name", job->display,
                      "priority", job->priority,
                      "retries", o->retries,
                      "retry-delay", o->retry_delay,
                      "backoff", o->backoff,
                      "timeout", o->timeout != UNSET ? o->timeout : -1.0,
                      NULL);
      handle = osiiso_process_queue_submit_command (queue, (const char * const *) job->argv,
                                                    NULL, NULL, NULL, options, error);
      if (handle == NULL)
        return FALSE;
      job->task_id = osiiso_task_handle_get_id (handle);
      g_hash_table_insert (run->by_task, &job->task_id, job);
    }
  return TRUE;
}

/* ------------------------------------------------------------------------
 * Output
 * --------------------------------------------------------------------- */

static void
write_output (Run    *run,
              int     fd,
              GBytes *bytes)
{
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (bytes, &size);

  if (size == 0 || (fd == STDOUT_FILENO && run->stdout_broken))
    return;
  osiiso_cli_progress_clear (run->progress);
  if (!osiiso_cli_write_all (fd, data, size))
    {
      int saved = errno;

      if (fd != STDOUT_FILENO)
        return;   /* nowhere left to complain */
      /* Output nobody reads (a closed pipe: `osiiso run … | head`) or
       * cannot be written: nothing more is worth running. */
      run->stdout_broken = TRUE;
      if (saved != EPIPE)
        g_printerr (_("osiiso: could not write the output: %s\n"), g_strerror (saved));
      if (!g_cancellable_is_cancelled (run->cancel))
        g_cancellable_cancel (run->cancel);
      return;
    }
  osiiso_cli_progress_wrote (run->progress, fd, data, size);
}

/* A job's output goes out whole: standard output, then standard error,
 * never mixed with another job's. With --json, standard output goes into
 * the report instead. */
static void
print_job (Run          *run,
           OsiisoCliJob *job)
{
  OsiisoCommandResult *command = osiiso_cli_job_command_result (job);

  if (command == NULL)
    return;
  if (!run->options->json)
    write_output (run, STDOUT_FILENO, osiiso_command_result_get_stdout (command));
  write_output (run, STDERR_FILENO, osiiso_command_result_get_stderr (command));
  if (osiiso_command_result_get_stdout_truncated (command)
      || osiiso_command_result_get_stderr_truncated (command))
    {
      osiiso_cli_progress_clear (run->progress);
      g_printerr (_("osiiso: the output of task %u was cut at the output limit\n"), job->seq);
    }
}

/* Attempts starting and ending, for the progress line's "running". */
static void
task_started_cb (OsiisoQueue      *queue,
                 OsiisoTaskHandle *handle,
                 gpointer          data)
{
  Run *run = data;
  guint64 id = osiiso_task_handle_get_id (handle);
  OsiisoCliJob *job = g_hash_table_lookup (run->by_task, &id);

  if (job != NULL && !job->running)
    {
      job->running = TRUE;
      osiiso_cli_progress_running (run->progress, 1);
    }
}

static void
task_retrying_cb (OsiisoQueue      *queue,
                  OsiisoTaskHandle *handle,
                  const GError     *error,
                  gpointer          data)
{
  Run *run = data;
  guint64 id = osiiso_task_handle_get_id (handle);
  OsiisoCliJob *job = g_hash_table_lookup (run->by_task, &id);

  if (job != NULL && job->running)
    {
      job->running = FALSE;
      osiiso_cli_progress_running (run->progress, -1);
    }
}

static void
task_completed_cb (OsiisoQueue      *queue,
                   OsiisoTaskResult *result,
                   gpointer          data)
{
  Run *run = data;
  guint64 id = osiiso_task_result_get_task_id (result);
  OsiisoCliJob *job = g_hash_table_lookup (run->by_task, &id);

  if (job == NULL || job->result != NULL)
    return;
  job->result = osiiso_task_result_ref (result);
  if (job->running)
    {
      job->running = FALSE;
      osiiso_cli_progress_running (run->progress, -1);
    }
  osiiso_cli_progress_task_done (run->progress,
                                 osiiso_task_result_get_status (result) == OSIISO_TASK_STATUS_SUCCEEDED);
  osiiso_cli_joblog_add (run->joblog, job);

  if (!run->options->keep_order)
    {
      print_job (run, job);
      record_job (run, job);
      return;
    }
  /* In input order: this job, and those after it that were waiting for it
   * (skipped inputs print nothing). */
  while (run->next_to_print < run->jobs->len)
    {
      OsiisoCliJob *next = g_ptr_array_index (run->jobs, run->next_to_print);

      if (!next->skipped)
        {
          if (next->result == NULL)
            break;
          print_job (run, next);
          record_job (run, next);
        }
      run->next_to_print++;
    }
}

/* ------------------------------------------------------------------------
 * Running
 * --------------------------------------------------------------------- */

static gboolean
signal_cb (gpointer data)
{
  gint signum = GPOINTER_TO_INT (data);

  if (the_run->signal != 0)
    {
      /* A second signal: the forced shutdown has already terminated
       * every command; stop waiting for them. */
      osiiso_cli_progress_clear (the_run->progress);
      g_printerr (_("osiiso: interrupted again, exiting at once\n"));
      _exit (128 + signum);
    }
  osiiso_cli_progress_clear (the_run->progress);
  the_run->signal = signum;
  g_cancellable_cancel (the_run->cancel);
  return G_SOURCE_CONTINUE;
}

static gboolean
expired_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Commands that a timeout or the forced shutdown killed may still be
 * dying (SIGTERM now, SIGKILL after the kill grace); each keeps the queue
 * alive until its process group is gone. So the queue's last reference
 * goes here, and the context is iterated until the queue is finalized, so
 * that no command outlives the tool (bounded, in case one never goes). */
static void
release_queue (OsiisoProcessQueue *queue)
{
  gpointer weak = queue;
  gboolean expired = FALSE;
  gdouble grace = 1.0;
  guint timer;

  g_object_get (queue, "kill-grace", &grace, NULL);
  g_object_add_weak_pointer (G_OBJECT (queue), &weak);
  g_object_unref (queue);
  if (weak == NULL)
    return;

  timer = g_timeout_add ((guint) ((grace + 5) * 1000), expired_cb, &expired);
  while (weak != NULL && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (timer);
  if (weak != NULL)
    g_object_remove_weak_pointer (G_OBJECT (weak), &weak);
}

static const char *
signal_name (gint signum)
{
  switch (signum)
    {
    case SIGINT:  return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP:  return "SIGHUP";
    default:      return NULL;
    }
}

static int
run_command (const Options       *o,
             const char * const  *command,
             GPtrArray           *inputs)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  OsiisoProcessQueue *queue;
  Run run = { 0 };
  guint sources[3];
  const gint signals[3] = { SIGINT, SIGTERM, SIGHUP };
  int status;

  run.options = o;
  run.jobs = make_jobs (o, command, inputs, &error);
  if (run.jobs == NULL)
    {
      usage_error ("%s", error->message);
      return EXIT_USAGE;
    }
  if (o->resume != NULL && !skip_done_jobs (&run, o->resume, command, &error))
    {
      usage_error ("%s", error->message);
      g_clear_object (&run.checkpoint);
      g_free (run.checkpoint_ns);
      g_ptr_array_unref (run.jobs);
      return EXIT_USAGE;
    }
  if (o->joblog != NULL && (run.joblog = osiiso_cli_joblog_open (o->joblog, &error)) == NULL)
    {
      usage_error (_("could not open the job log: %s"), error->message);
      g_clear_object (&run.checkpoint);
      g_free (run.checkpoint_ns);
      g_ptr_array_unref (run.jobs);
      return EXIT_USAGE;
    }
  run.by_task = g_hash_table_new (g_int64_hash, g_int64_equal);
  run.cancel = g_cancellable_new ();

  /* The settings are construct-only. No worker-argv: a queue of command
   * tasks needs no worker process. */
  {
    const char *names[] = { "workers", "rate", "burst" };
    GValue values[G_N_ELEMENTS (names)] = { G_VALUE_INIT };
    guint n = o->rate != UNSET ? 3 : 1;

    g_value_set_uint (g_value_init (&values[0], G_TYPE_UINT), o->jobs);
    g_value_set_double (g_value_init (&values[1], G_TYPE_DOUBLE), o->rate);
    g_value_set_uint (g_value_init (&values[2], G_TYPE_UINT), o->burst != -1 ? o->burst : 1);
    queue = (OsiisoProcessQueue *) g_object_new_with_properties (OSIISO_TYPE_PROCESS_QUEUE, n, names, values);
    for (guint i = 0; i < G_N_ELEMENTS (values); i++)
      g_value_unset (&values[i]);
  }
  g_signal_connect (queue, "task-completed", G_CALLBACK (task_completed_cb), &run);

  if (!submit_jobs (&run, queue, &error))
    {
      usage_error ("%s", error->message);
      status = EXIT_USAGE;
      goto out;
    }

  the_run = &run;
  for (guint i = 0; i < G_N_ELEMENTS (signals); i++)
    sources[i] = g_unix_signal_add (signals[i], signal_cb, GINT_TO_POINTER (signals[i]));
  if (!o->quiet && (run.progress = osiiso_cli_progress_new (run.jobs->len - run.n_skipped)) != NULL)
    {
      /* Only for the progress line: each costs a signal per attempt. */
      g_signal_connect (queue, "task-started", G_CALLBACK (task_started_cb), &run);
      g_signal_connect (queue, "task-retrying", G_CALLBACK (task_retrying_cb), &run);
    }

  summary = osiiso_queue_run_full (OSIISO_QUEUE (queue),
                                   o->total_timeout != UNSET ? o->total_timeout : 0,
                                   o->fail_fast ? OSIISO_RUN_FLAGS_FAIL_FIRST : OSIISO_RUN_FLAGS_NONE,
                                   run.cancel, &error);

  g_clear_pointer (&run.progress, osiiso_cli_progress_free);
  if (summary == NULL)
    {
      usage_error ("%s", error->message);
      status = EXIT_USAGE;
    }
  else
    {
      if (run.signal != 0)
        status = 128 + run.signal;
      else
        status = osiiso_run_summary_get_ok (summary) && !run.stdout_broken ? 0 : 1;

      if (o->json)
        {
          g_autofree char *report = osiiso_cli_json_report (summary, run.jobs, run.n_skipped,
                                                            signal_name (run.signal), status);

          if (!run.stdout_broken && !osiiso_cli_write_all (STDOUT_FILENO, report, strlen (report)))
            status = MAX (status, 1);
        }
      else if (!o->quiet)
        {
          g_autofree char *report = osiiso_run_summary_to_string (summary);

          if (run.signal != 0)
            g_printerr (_("osiiso: interrupted by %s\n"), signal_name (run.signal));
          if (run.checkpoint != NULL)
            g_printerr (ngettext ("osiiso: --resume: %u of %u input skipped (succeeded in an earlier run)\n",
                                  "osiiso: --resume: %u of %u inputs skipped (succeeded in an earlier run)\n",
                                  run.jobs->len),
                        run.n_skipped, run.jobs->len);
          g_printerr ("%s", report);
        }
    }

  if (run.joblog != NULL)
    {
      g_autoptr(GError) joblog_error = NULL;

      if (!osiiso_cli_joblog_close (g_steal_pointer (&run.joblog), &joblog_error))
        {
          g_printerr (_("osiiso: could not write the job log: %s\n"), joblog_error->message);
          status = MAX (status, 1);
        }
    }
  if (run.checkpoint != NULL)
    {
      g_autoptr(GError) checkpoint_error = NULL;

      if (!osiiso_checkpoint_close (run.checkpoint, &checkpoint_error))
        {
          g_printerr (_("osiiso: could not close the checkpoint: %s\n"), checkpoint_error->message);
          status = MAX (status, 1);
        }
      if (run.record_failed)
        status = MAX (status, 1);
    }

  g_signal_handlers_disconnect_by_data (queue, &run);
  release_queue (g_steal_pointer (&queue));
  for (guint i = 0; i < G_N_ELEMENTS (signals); i++)
    g_source_remove (sources[i]);
  the_run = NULL;

out:
  if (queue != NULL)
    {
      g_signal_handlers_disconnect_by_data (queue, &run);
      release_queue (queue);
    }
  if (run.joblog != NULL)
    osiiso_cli_joblog_close (run.joblog, NULL);
  g_clear_object (&run.cancel);
  g_clear_object (&run.checkpoint);
  g_free (run.checkpoint_ns);
  g_hash_table_unref (run.by_task);
  g_ptr_array_unref (run.jobs);
  return status;
}

/* ------------------------------------------------------------------------
 * main
 * --------------------------------------------------------------------- */

static int
cmd_run (int    argc,
         char **argv)
{
  Options o = {
    .jobs = 0, .backoff = 1.0, .timeout = UNSET, .total_timeout = UNSET,
    .rate = UNSET, .burst = -1, .priority_from = -1,
  };
  const GOptionEntry entries[] = {
    { "jobs", 'j', 0, G_OPTION_ARG_INT, &o.jobs,
      N_("Run up to N tasks at once (default 0: one per CPU)"), N_("N") },
    { "input", 'a', 0, G_OPTION_ARG_FILENAME, &o.input,
      N_("Read the inputs from FILE instead of standard input"), N_("FILE") },
    { "retries", 0, 0, G_OPTION_ARG_INT, &o.retries,
      N_("Run a failed task up to N more times"), N_("N") },
    { "retry-delay", 0, 0, G_OPTION_ARG_DOUBLE, &o.retry_delay,
      N_("Wait SECONDS before the first retry"), N_("SECONDS") },
    { "backoff", 0, 0, G_OPTION_ARG_DOUBLE, &o.backoff,
      N_("Multiply the retry delay by FACTOR after each retry (default 1)"), N_("FACTOR") },
    { "timeout", 0, 0, G_OPTION_ARG_DOUBLE, &o.timeout,
      N_("Kill an attempt after SECONDS; it fails and may be retried"), N_("SECONDS") },
    { "total-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &o.total_timeout,
      N_("End the run after SECONDS, cancelling what is left"), N_("SECONDS") },
    { "rate", 0, 0, G_OPTION_ARG_DOUBLE, &o.rate,
      N_("Start at most RATE attempts per second"), N_("RATE") },
    { "burst", 0, 0, G_OPTION_ARG_INT, &o.burst,
      N_("With --rate, let N attempts start at once after idle"), N_("N") },
    { "fail-fast", 0, 0, G_OPTION_ARG_NONE, &o.fail_fast,
      N_("Cancel the remaining tasks after a final failure"), NULL },
    { "priority-from", 0, 0, G_OPTION_ARG_INT, &o.priority_from,
      N_("Take each task’s priority from field N of its input"),
      N_("N") },
    { "keep-order", 'k', 0, G_OPTION_ARG_NONE, &o.keep_order,
      N_("Print the outputs in input order"), NULL },
    { "joblog", 0, 0, G_OPTION_ARG_FILENAME, &o.joblog,
      N_("Log every task, tab-separated, to FILE"), N_("FILE") },
    { "resume", 0, 0, G_OPTION_ARG_FILENAME, &o.resume,
      N_("Skip inputs that succeeded in an earlier run, as recorded in FILE; record successes there"),
      N_("FILE") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &o.json,
      N_("Print a JSON report on standard output"), NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &o.quiet,
      N_("Print neither the progress line nor the summary"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &o.version,
      N_("Show the version and exit"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o.rest, NULL, NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) inputs = NULL;
  g_autoptr(GPtrArray) command = NULL;
  g_auto(GStrv) args = NULL;
  gboolean have_separator = FALSE;
  int status;

  /* "run" is the program name here, so --help says "osiiso run". */
  g_set_prgname ("osiiso run");
  context = g_option_context_new (_("[--] COMMAND [ARG…] [::: INPUT…]"));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_strict_posix (context, TRUE);
  g_option_context_set_summary (context,
    _("Runs COMMAND once for each input, many at a time: each line of standard\n"
      "input (or of --input FILE), or each argument after :::. Every {} in\n"
      "COMMAND is replaced by the input; without {}, the input is appended as\n"
      "the last argument. The input is always passed as one argument, never\n"
      "through a shell: for a shell, write  sh -c '… \"$1\" …' sh {}"));
  g_option_context_set_description (context,
    _("Each task’s output is printed when the task ends, never mixed with\n"
      "another task’s (in input order with --keep-order). With\n"
      "--priority-from N, field N of an input line (fields are separated by\n"
      "blanks) is the task’s priority: lower starts first. On a terminal, a\n"
      "progress line is drawn on standard error; at the end, a summary is\n"
      "printed there. With --json, a JSON report goes to standard output\n"
      "instead, each task’s output in it.\n"
      "\n"
      "Exit status: 0 if every task succeeded, 1 if a task failed or was\n"
      "cancelled or the run timed out, 2 for a usage error, 130 after\n"
      "Ctrl-C (128 + the signal’s number).\n"
      "\n"
      "Example:  ls *.wav | osiiso run -j4 --retries 2 --timeout 600 -- flac {}\n"));

  args = split_attached_values (argc, argv, entries);
  if (!g_option_context_parse_strv (context, &args, &error))
    {
      usage_error ("%s", error->message);
      return EXIT_USAGE;
    }

  if (o.version)
    {
      g_print ("osiiso (osiiso-glib) %s\n", OSIISO_VERSION_S);
      return 0;
    }
  if ((status = check_options (&o)) != 0)
    goto out;

  /* COMMAND [ARG…] [::: INPUT…] */
  command = g_ptr_array_new ();
  for (guint i = 0; o.rest != NULL && o.rest[i] != NULL; i++)
    {
      if (!have_separator && strcmp (o.rest[i], ":::") == 0)
        {
          have_separator = TRUE;
          inputs = g_ptr_array_new_with_free_func (g_free);
          continue;
        }
      if (have_separator)
        g_ptr_array_add (inputs, g_strdup (o.rest[i]));
      else
        g_ptr_array_add (command, o.rest[i]);
    }
  g_ptr_array_add (command, NULL);

  if (command->len == 1)
    {
      usage_error (_("no command given"));
      status = EXIT_USAGE;
      goto out;
    }
  if (have_separator && o.input != NULL)
    {
      usage_error (_("%s and %s cannot be combined"), "--input", ":::");
      status = EXIT_USAGE;
      goto out;
    }
  if (!have_separator && (inputs = read_lines (o.input, &error)) == NULL)
    {
      usage_error ("%s", error->message);
      status = EXIT_USAGE;
      goto out;
    }

  status = run_command (&o, (const char * const *) command->pdata, inputs);

out:
  g_free (o.input);
  g_free (o.joblog);
  g_free (o.resume);
  g_strfreev (o.rest);
  return status;
}

static void
print_help (void)
{
  g_print ("%s\n  osiiso run [%s] [--] %s\n\n", _("Usage:"), _("OPTION…"), _("COMMAND [ARG…] [::: INPUT…]"));
  g_print ("%s\n\n", _("Runs a command once for each input, in parallel, with the policies of\n"
                       "osiiso-glib: retries, timeouts, rate limits, fail-fast, priorities."));
  g_print ("%s\n", _("Commands:"));
  g_print ("  %-12s %s\n\n", "run", _("Run COMMAND for each input"));
  g_print ("%s\n", _("Options:"));
  g_print ("  %-12s %s\n", "-h, --help", _("Show this help"));
  g_print ("  %-12s %s\n\n", "--version", _("Show the version"));
  g_print (_("See “%s” for the options of run, and osiiso(1)."), "osiiso run --help");
  g_print ("\n");
}

static void
ignore_signal (int signum)
{
}

int
main (int    argc,
      char **argv)
{
  /* A closed output pipe is an EPIPE to handle, not death: handled, not
   * ignored, so that commands still start with the default action. */
  struct sigaction action = { .sa_handler = ignore_signal };

  sigemptyset (&action.sa_mask);
  sigaction (SIGPIPE, &action, NULL);

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (argc >= 2 && strcmp (argv[1], "run") == 0)
    return cmd_run (argc - 1, argv + 1);
  if (argc >= 2 && strcmp (argv[1], "--version") == 0)
    {
      g_print ("osiiso (osiiso-glib) %s\n", OSIISO_VERSION_S);
      return 0;
    }
  if (argc >= 2 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0
                    || strcmp (argv[1], "help") == 0))
    {
      print_help ();
      return 0;
    }

  if (argc < 2)
    g_printerr ("osiiso: %s\n", _("no command given"));
  else
    g_printerr (_("osiiso: unknown command “%s”\n"), argv[1]);
  g_printerr (_("Try “%s” for more information."), "osiiso --help");
  g_printerr ("\n");
  return EXIT_USAGE;
}
