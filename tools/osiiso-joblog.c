/* osiiso-joblog.c: the job log of the osiiso tool (--joblog FILE)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Tab-separated, one header line, then one line per task in the order the
 * tasks ended, written (and flushed) as each ends, so the log is complete
 * up to the last finished task even if the runner is killed:
 *
 *   Seq  Starttime  JobRuntime  Attempts  Exitval  Signal  Status  Command
 *
 * Seq is the input's position (from 1); Starttime the start of the first
 * attempt in seconds since the epoch (0 for a task that never started);
 * JobRuntime seconds from that start to the end, retries included;
 * Exitval the last attempt's exit status, -1 if it did not exit (killed by
 * a signal, by --timeout, or never started); Signal the signal that ended
 * it, or 0; Status succeeded, failed, timed-out or cancelled; Command the
 * command line, shell-quoted, with tabs and newlines written as \t and \n.
 * Numbers use a dot as decimal separator whatever the locale.
 */

#include "osiiso-cli.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>

struct _OsiisoCliJoblog
{
  FILE *file;
  char *path;
  int   saved_errno;   /* the first write error, or 0 */
};

static void
check (OsiisoCliJoblog *joblog,
       gboolean         ok)
{
  if (!ok && joblog->saved_errno == 0)
    joblog->saved_errno = errno != 0 ? errno : EIO;
}

OsiisoCliJoblog *
osiiso_cli_joblog_open (const char  *path,
                        GError     **error)
{
  OsiisoCliJoblog *joblog;
  FILE *file = g_fopen (path, "w");

  if (file == NULL)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "%s: %s", path, g_strerror (saved));
      return NULL;
    }

  joblog = g_new0 (OsiisoCliJoblog, 1);
  joblog->file = file;
  joblog->path = g_strdup (path);
  check (joblog, fputs ("Seq\tStarttime\tJobRuntime\tAttempts\tExitval\tSignal\tStatus\tCommand\n",
                        file) >= 0);
  check (joblog, fflush (file) == 0);
  return joblog;
}

void
osiiso_cli_joblog_add (OsiisoCliJoblog    *joblog,
                       const OsiisoCliJob *job)
{
  char start[G_ASCII_DTOSTR_BUF_SIZE], runtime[G_ASCII_DTOSTR_BUF_SIZE];
  GString *line = g_string_new (NULL);
  gint exit_status, term_signal = 0;

  if (joblog == NULL)
    return;

  exit_status = osiiso_cli_job_exit_status (job, &term_signal);
  g_ascii_formatd (start, sizeof start, "%.3f", osiiso_cli_job_start_time (job));
  g_ascii_formatd (runtime, sizeof runtime, "%.3f",
                   job->result != NULL ? osiiso_task_result_get_duration (job->result) : 0);
  g_string_append_printf (line, "%u\t%s\t%s\t%u\t%d\t%d\t%s\t", job->seq, start, runtime,
                          job->result != NULL ? osiiso_task_result_get_attempts (job->result) : 0,
                          exit_status, term_signal, osiiso_cli_job_status (job));
  for (const char *p = job->display; *p != '\0'; p++)
    switch (*p)
      {
      case '\t': g_string_append (line, "\\t"); break;
      case '\n': g_string_append (line, "\\n"); break;
      case '\r': g_string_append (line, "\\r"); break;
      default:   g_string_append_c (line, *p); break;
      }
  g_string_append_c (line, '\n');

  check (joblog, fwrite (line->str, 1, line->len, joblog->file) == line->len);
  check (joblog, fflush (joblog->file) == 0);
  g_string_free (line, TRUE);
}

gboolean
osiiso_cli_joblog_close (OsiisoCliJoblog  *joblog,
                         GError          **error)
{
  gboolean ok;

  if (joblog == NULL)
    return TRUE;
  check (joblog, fclose (joblog->file) == 0);
  ok = joblog->saved_errno == 0;
  if (!ok)
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (joblog->saved_errno),
                 "%s: %s", joblog->path, g_strerror (joblog->saved_errno));
  g_free (joblog->path);
  g_free (joblog);
  return ok;
}
