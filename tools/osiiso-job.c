/* osiiso-job.c: jobs of the osiiso tool: building them, and what became of one
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "osiiso-cli.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* The command line of one input: every {} in every argument becomes the
 * line; when no argument has one, the line is appended as the last
 * argument. The line is always one argument: no shell sees it. */
OsiisoCliJob *
osiiso_cli_job_new (guint               seq,
                    const char         *line,
                    const char * const *command)
{
  OsiisoCliJob *job = g_new0 (OsiisoCliJob, 1);
  GPtrArray *argv = g_ptr_array_new ();
  gboolean replaced = FALSE;

  for (guint i = 0; command[i] != NULL; i++)
    {
      if (strstr (command[i], "{}") != NULL)
        {
          g_auto(GStrv) parts = g_strsplit (command[i], "{}", -1);

          g_ptr_array_add (argv, g_strjoinv (line, parts));
          replaced = TRUE;
        }
      else
        g_ptr_array_add (argv, g_strdup (command[i]));
    }
  if (!replaced)
    g_ptr_array_add (argv, g_strdup (line));
  g_ptr_array_add (argv, NULL);

  job->seq = seq;
  job->line = g_strdup (line);
  job->argv = (char **) g_ptr_array_free (argv, FALSE);
  job->display = osiiso_cli_quote_argv ((const char * const *) job->argv);
  job->priority = 3;   /* OsiisoTaskOptions:priority's default */
  return job;
}

void
osiiso_cli_job_free (OsiisoCliJob *job)
{
  g_free (job->line);
  g_strfreev (job->argv);
  g_free (job->display);
  g_clear_pointer (&job->result, osiiso_task_result_unref);
  g_free (job);
}

/* Field @n (1-based) of @line: fields are separated by runs of spaces and
 * tabs, and leading blanks are ignored, as in awk. */
gboolean
osiiso_cli_get_field (const char  *line,
                      guint        n,
                      const char **start,
                      gsize       *len)
{
  const char *p = line;

  for (guint i = 1; ; i++)
    {
      const char *end;

      while (*p == ' ' || *p == '\t')
        p++;
      if (*p == '\0')
        return FALSE;
      end = p;
      while (*end != '\0' && *end != ' ' && *end != '\t')
        end++;
      if (i == n)
        {
          *start = p;
          *len = end - p;
          return TRUE;
        }
      p = end;
    }
}

static gboolean
needs_quotes (const char *arg)
{
  if (*arg == '\0')
    return TRUE;
  for (const char *p = arg; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("_-./:=@%+,", *p) == NULL)
      return TRUE;
  return FALSE;
}

/* A command line for people to read (and for a shell to parse back):
 * arguments that need it are quoted. */
char *
osiiso_cli_quote_argv (const char * const *argv)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; argv[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append_c (out, ' ');
      if (needs_quotes (argv[i]))
        {
          g_autofree char *quoted = g_shell_quote (argv[i]);

          g_string_append (out, quoted);
        }
      else
        g_string_append (out, argv[i]);
    }

  {
    char *valid = g_utf8_make_valid (out->str, out->len);

    g_string_free (out, TRUE);
    return valid;
  }
}

/* The command's own result (of the last attempt), if it ran to its end: a
 * failed command keeps it too; a timed-out, cancelled or unstartable one
 * has none. */
OsiisoCommandResult *
osiiso_cli_job_command_result (const OsiisoCliJob *job)
{
  const GValue *value;

  if (job->result == NULL)
    return NULL;
  value = osiiso_task_result_get_value (job->result);
  if (value == NULL || !G_VALUE_HOLDS (value, OSIISO_TYPE_COMMAND_RESULT))
    return NULL;
  return g_value_get_boxed (value);
}

/* succeeded, failed, timed-out (the last attempt hit --timeout) or
 * cancelled; pending for a task that has not ended. */
const char *
osiiso_cli_job_status (const OsiisoCliJob *job)
{
  const GError *error;

  if (job->result == NULL)
    return "pending";
  switch (osiiso_task_result_get_status (job->result))
    {
    case OSIISO_TASK_STATUS_SUCCEEDED:
      return "succeeded";
    case OSIISO_TASK_STATUS_CANCELLED:
      return "cancelled";
    case OSIISO_TASK_STATUS_FAILED:
      error = osiiso_task_result_get_error (job->result);
      if (error != NULL && g_error_matches (error, OSIISO_ERROR, OSIISO_ERROR_TIMEOUT))
        return "timed-out";
      return "failed";
    default:
      return "pending";
    }
}

/* The exit status of the last attempt, or -1 when it did not exit (killed
 * by a signal, timed out, never started); @term_signal gets the signal
 * that ended it, or 0. */
gint
osiiso_cli_job_exit_status (const OsiisoCliJob *job,
                            gint               *term_signal)
{
  OsiisoCommandResult *command = osiiso_cli_job_command_result (job);

  if (term_signal != NULL)
    *term_signal = command != NULL ? osiiso_command_result_get_term_signal (command) : 0;
  return command != NULL ? osiiso_command_result_get_exit_status (command) : -1;
}

/* When the first attempt started, in seconds since the Unix epoch, or 0
 * for a task that never ran. */
gdouble
osiiso_cli_job_start_time (const OsiisoCliJob *job)
{
  gint64 started;

  if (job->result == NULL || (started = osiiso_task_result_get_started (job->result)) == 0)
    return 0;
  /* Results keep monotonic time; the offset to the wall clock is now's. */
  return (started + (g_get_real_time () - g_get_monotonic_time ())) / (gdouble) G_USEC_PER_SEC;
}

/* Writes all of @data to @fd; FALSE with errno set on failure. */
gboolean
osiiso_cli_write_all (int         fd,
                      const void *data,
                      gsize       len)
{
  const char *p = data;

  while (len > 0)
    {
      gssize n = write (fd, p, len);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return FALSE;
        }
      p += n;
      len -= n;
    }
  return TRUE;
}
