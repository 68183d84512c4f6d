/* osiiso-cli.h: the pieces of the osiiso command-line tool
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * osiiso.c parses the command line, reads the inputs, turns them into jobs,
 * runs them on an OsiisoProcessQueue and reports; osiiso-job.c builds jobs
 * and answers what became of one; osiiso-progress.c draws the live progress
 * line on a terminal; osiiso-joblog.c writes the job log; osiiso-json.c
 * formats the --json report.
 */

#pragma once

#include <osiiso-glib/osiiso-glib.h>

G_BEGIN_DECLS

/* One input line and what became of it. */
typedef struct
{
  guint             seq;       /* 1-based position among the inputs */
  char             *line;      /* the input line, without its newline */
  char            **argv;      /* the command line, {} replaced by the line */
  char             *display;   /* argv shell-quoted, as valid UTF-8 */
  gint              priority;
  guint64           task_id;   /* 0 until submitted */
  OsiisoTaskResult *result;    /* set once the task ended */
  gboolean          running;   /* an attempt is running (progress line only) */
  gboolean          skipped;   /* --resume: it succeeded in an earlier run */
} OsiisoCliJob;

/* osiiso-job.c */
OsiisoCliJob        *osiiso_cli_job_new             (guint                seq,
                                                     const char          *line,
                                                     const char * const  *command);
void                 osiiso_cli_job_free            (OsiisoCliJob        *job);
gboolean             osiiso_cli_get_field           (const char          *line,
                                                     guint                n,
                                                     const char         **start,
                                                     gsize               *len);
char                *osiiso_cli_quote_argv          (const char * const  *argv);
OsiisoCommandResult *osiiso_cli_job_command_result  (const OsiisoCliJob  *job);
const char          *osiiso_cli_job_status          (const OsiisoCliJob  *job);
gint                 osiiso_cli_job_exit_status     (const OsiisoCliJob  *job,
                                                     gint                *term_signal);
gdouble              osiiso_cli_job_start_time      (const OsiisoCliJob  *job);
gboolean             osiiso_cli_write_all           (int                  fd,
                                                     const void          *data,
                                                     gsize                len);

/* osiiso-progress.c: NULL when standard error is not a terminal. */
typedef struct _OsiisoCliProgress OsiisoCliProgress;

OsiisoCliProgress   *osiiso_cli_progress_new        (guint                total);
void                 osiiso_cli_progress_running    (OsiisoCliProgress   *progress,
                                                     gint                 delta);
void                 osiiso_cli_progress_task_done  (OsiisoCliProgress   *progress,
                                                     gboolean             ok);
void                 osiiso_cli_progress_clear      (OsiisoCliProgress   *progress);
void                 osiiso_cli_progress_wrote      (OsiisoCliProgress   *progress,
                                                     int                  fd,
                                                     const guint8        *data,
                                                     gsize                len);
void                 osiiso_cli_progress_draw       (OsiisoCliProgress   *progress);
void                 osiiso_cli_progress_free       (OsiisoCliProgress   *progress);

/* osiiso-joblog.c */
typedef struct _OsiisoCliJoblog OsiisoCliJoblog;

OsiisoCliJoblog     *osiiso_cli_joblog_open         (const char          *path,
                                                     GError             **error);
void                 osiiso_cli_joblog_add          (OsiisoCliJoblog     *joblog,
                                                     const OsiisoCliJob  *job);
gboolean             osiiso_cli_joblog_close        (OsiisoCliJoblog     *joblog,
                                                     GError             **error);

/* osiiso-json.c */
char                *osiiso_cli_json_report         (OsiisoRunSummary    *summary,
                                                     GPtrArray           *jobs,
                                                     guint                n_skipped,
                                                     const char          *interrupted_by,
                                                     gint                 exit_status);

G_END_DECLS
