/* osiiso-json.c: the --json report of the osiiso tool
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One JSON object: the run's status and counts (the library's summary,
 * and the inputs that --resume skipped), then every task that ran, in
 * input order, each with its input, command line,
 * status, attempts, exit status, timings, message and captured output.
 * Strings that are not valid UTF-8 (input lines, output) have their bad
 * bytes replaced by U+FFFD; numbers use a dot whatever the locale.
 */

#include "osiiso-cli.h"

#include <string.h>

/* A JSON string of @len bytes of @text (-1: up to its NUL), which may hold
 * NULs and invalid UTF-8: each bad byte becomes U+FFFD. */
static void
append_string (GString    *out,
               const char *text,
               gssize      len)
{
  const char *p, *end;

  if (text == NULL)
    {
      g_string_append (out, "null");
      return;
    }
  if (len < 0)
    len = strlen (text);
  g_string_append_c (out, '"');
  for (p = text, end = text + len; p < end; )
    {
      guchar c = *p;
      gunichar ch;

      if (c < 0x80)
        {
          switch (c)
            {
            case '"':  g_string_append (out, "\\\""); break;
            case '\\': g_string_append (out, "\\\\"); break;
            case '\n': g_string_append (out, "\\n"); break;
            case '\r': g_string_append (out, "\\r"); break;
            case '\t': g_string_append (out, "\\t"); break;
            default:
              if (c < 0x20 || c == 0x7f)
                g_string_append_printf (out, "\\u%04x", c);
              else
                g_string_append_c (out, c);
            }
          p++;
          continue;
        }
      ch = g_utf8_get_char_validated (p, end - p);
      if (ch == (gunichar) -1 || ch == (gunichar) -2)
        {
          g_string_append (out, "\\ufffd");
          p++;
          continue;
        }
      g_string_append_len (out, p, g_utf8_next_char (p) - p);
      p = g_utf8_next_char (p);
    }
  g_string_append_c (out, '"');
}

static void
append_bytes (GString *out,
              GBytes  *bytes)
{
  gsize size = 0;
  const char *data = bytes != NULL ? g_bytes_get_data (bytes, &size) : NULL;

  append_string (out, data != NULL ? data : "", size);
}

static void
append_double (GString *out,
               gdouble  value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append (out, g_ascii_formatd (buffer, sizeof buffer, "%.6f", value));
}

static void
append_task (GString            *out,
             const OsiisoCliJob *job)
{
  OsiisoCommandResult *command = osiiso_cli_job_command_result (job);
  gint term_signal = 0;
  gint exit_status = osiiso_cli_job_exit_status (job, &term_signal);

  g_string_append_printf (out, "    {\"seq\": %u, \"input\": ", job->seq);
  append_string (out, job->line, -1);
  g_string_append (out, ", \"command\": [");
  for (guint i = 0; job->argv[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append (out, ", ");
      append_string (out, job->argv[i], -1);
    }
  g_string_append (out, "], \"status\": ");
  append_string (out, osiiso_cli_job_status (job), -1);
  g_string_append_printf (out, ", \"attempts\": %u, \"exit_status\": %d, \"signal\": %d, \"start\": ",
                          job->result != NULL ? osiiso_task_result_get_attempts (job->result) : 0,
                          exit_status, term_signal);
  append_double (out, osiiso_cli_job_start_time (job));
  g_string_append (out, ", \"duration\": ");
  append_double (out, job->result != NULL ? osiiso_task_result_get_duration (job->result) : 0);
  g_string_append (out, ", \"message\": ");
  append_string (out, job->result != NULL ? osiiso_task_result_get_message (job->result) : "", -1);
  g_string_append (out, ", \"stdout\": ");
  append_bytes (out, command != NULL ? osiiso_command_result_get_stdout (command) : NULL);
  g_string_append (out, ", \"stderr\": ");
  append_bytes (out, command != NULL ? osiiso_command_result_get_stderr (command) : NULL);
  g_string_append_printf (out, ", \"output_truncated\": %s}",
                          command != NULL && (osiiso_command_result_get_stdout_truncated (command)
                                              || osiiso_command_result_get_stderr_truncated (command))
                          ? "true" : "false");
}

/* @interrupted_by: the signal's name (SIGINT …) when a signal ended the
 * run, or NULL. */
char *
osiiso_cli_json_report (OsiisoRunSummary *summary,
                        GPtrArray        *jobs,
                        guint             n_skipped,
                        const char       *interrupted_by,
                        gint              exit_status)
{
  GString *out = g_string_new ("{\n");
  const char *status;
  gboolean first = TRUE;

  if (interrupted_by != NULL)
    status = "interrupted";
  else if (osiiso_run_summary_get_timed_out (summary))
    status = "timed-out";
  else if (osiiso_run_summary_get_ok (summary))
    status = "passed";
  else
    status = "failed";

  g_string_append (out, "  \"status\": ");
  append_string (out, status, -1);
  g_string_append_printf (out, ",\n  \"exit_status\": %d,\n  \"interrupted_by\": ", exit_status);
  append_string (out, interrupted_by, -1);
  g_string_append_printf (out, ",\n  \"total\": %u,\n  \"succeeded\": %u,\n  \"failed\": %u,\n"
                          "  \"cancelled\": %u,\n  \"skipped\": %u,\n  \"timed_out\": %s,\n"
                          "  \"duration\": ",
                          osiiso_run_summary_get_total (summary),
                          osiiso_run_summary_get_succeeded (summary),
                          osiiso_run_summary_get_failed (summary),
                          osiiso_run_summary_get_cancelled (summary),
                          n_skipped,
                          osiiso_run_summary_get_timed_out (summary) ? "true" : "false");
  append_double (out, osiiso_run_summary_get_duration (summary));
  g_string_append (out, ",\n  \"tasks\": [");
  for (guint i = 0; i < jobs->len; i++)
    {
      const OsiisoCliJob *job = g_ptr_array_index (jobs, i);

      if (job->skipped)
        continue;
      g_string_append (out, first ? "\n" : ",\n");
      append_task (out, job);
      first = FALSE;
    }
  g_string_append (out, !first ? "\n  ]\n}\n" : "]\n}\n");
  return g_string_free (out, FALSE);
}
