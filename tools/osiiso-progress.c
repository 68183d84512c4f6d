/* osiiso-progress.c: the live progress line of the osiiso tool
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * On a terminal, one line on standard error: tasks done (in any final
 * state) out of all, how many of them failed, how many run, how many wait,
 * the rate and the ETA. It is redrawn in place ("\r", then the text, then
 * "erase to the end of the line"), cut to the terminal's width so it never
 * wraps, and cleared before any task output is written, so it never mixes
 * into the output: the caller clears it, writes, and the next tick (ten a
 * second) draws it again.
 */

#include "osiiso-cli.h"

#include <glib/gi18n.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct _OsiisoCliProgress
{
  guint        total;
  guint        done;
  guint        failed;
  guint        running;        /* attempts running now */
  gint64       started;        /* monotonic µs */
  guint        timer;
  gboolean     drawn;          /* the line is on the screen */
  gboolean     at_line_start;  /* task output left the cursor in column 0 */
  gboolean     stdout_tty;     /* task output on stdout shows on the terminal */
  char        *last;           /* the text on the screen */
};

static gboolean
tick_cb (gpointer data)
{
  osiiso_cli_progress_draw (data);
  return G_SOURCE_CONTINUE;
}

OsiisoCliProgress *
osiiso_cli_progress_new (guint total)
{
  OsiisoCliProgress *progress;

  if (!isatty (STDERR_FILENO))
    return NULL;

  progress = g_new0 (OsiisoCliProgress, 1);
  progress->total = total;
  progress->started = g_get_monotonic_time ();
  progress->at_line_start = TRUE;
  progress->stdout_tty = isatty (STDOUT_FILENO);
  /* On the queue's context, which the run iterates. */
  progress->timer = g_timeout_add (100, tick_cb, progress);
  return progress;
}

/* An attempt started (+1) or ended (-1). Tasks waiting to retry are not
 * running: they wait, like queued ones. */
void
osiiso_cli_progress_running (OsiisoCliProgress *progress,
                             gint               delta)
{
  if (progress != NULL)
    progress->running += delta;
}

void
osiiso_cli_progress_task_done (OsiisoCliProgress *progress,
                               gboolean           ok)
{
  if (progress == NULL)
    return;
  progress->done++;
  if (!ok)
    progress->failed++;
}

static void
put (const char *text)
{
  /* Nothing to do about a terminal that cannot be written to. */
  (void) osiiso_cli_write_all (STDERR_FILENO, text, strlen (text));
}

void
osiiso_cli_progress_clear (OsiisoCliProgress *progress)
{
  if (progress == NULL || !progress->drawn)
    return;
  put ("\r\033[K");
  progress->drawn = FALSE;
}

/* Task output went to @fd: if that shows on the terminal and did not end
 * a line, the progress line goes below it, never over it. */
void
osiiso_cli_progress_wrote (OsiisoCliProgress *progress,
                           int                fd,
                           const guint8      *data,
                           gsize              len)
{
  if (progress == NULL || len == 0)
    return;
  if (fd == STDERR_FILENO || (fd == STDOUT_FILENO && progress->stdout_tty))
    progress->at_line_start = data[len - 1] == '\n';
}

static char *
format_eta (gdouble seconds)
{
  guint s = (guint) MIN (seconds + 0.5, (gdouble) G_MAXUINT);

  if (s < 60)
    return g_strdup_printf ("%us", s);
  if (s < 3600)
    return g_strdup_printf ("%um%02us", s / 60, s % 60);
  return g_strdup_printf ("%uh%02um", s / 3600, (s % 3600) / 60);
}

static char *
progress_text (OsiisoCliProgress *progress)
{
  gdouble elapsed = (g_get_monotonic_time () - progress->started) / (gdouble) G_USEC_PER_SEC;
  gdouble rate = elapsed > 0 ? progress->done / elapsed : 0;
  guint running = MIN (progress->running, progress->total - progress->done);
  guint queued = progress->total - progress->done - running;
  g_autofree char *eta = NULL;

  if (progress->done == progress->total)
    eta = format_eta (0);
  else if (progress->done > 0 && rate > 0)
    eta = format_eta ((progress->total - progress->done) / rate);
  else
    eta = g_strdup ("?");

  /* TRANSLATORS: the live progress line: tasks done (in any final state)
   * out of all, how many of those failed, how many are running, how many
   * wait, tasks per second, and the estimated time left (e.g. "12s",
   * "3m05s", "1h02m"). */
  return g_strdup_printf (_("%u/%u done, %u failed, %u running, %u queued, %.1f/s, ETA %s"),
                          progress->done, progress->total, progress->failed,
                          running, queued, rate, eta);
}

void
osiiso_cli_progress_draw (OsiisoCliProgress *progress)
{
  g_autofree char *text = NULL;
  g_autofree char *local = NULL;
  struct winsize size = { 0 };
  GString *out;
  const char *charset;

  if (progress == NULL)
    return;

  text = progress_text (progress);
  if (progress->drawn && g_strcmp0 (text, progress->last) == 0)
    return;
  g_free (progress->last);
  progress->last = g_strdup (text);

  /* One column short of the width: a full line would wrap on some
   * terminals, and "\r" would then return to the wrong line. */
  if (ioctl (STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 1
      && g_utf8_strlen (text, -1) >= size.ws_col)
    *g_utf8_offset_to_pointer (text, size.ws_col - 1) = '\0';

  if (!g_get_charset (&charset))
    local = g_convert_with_fallback (text, -1, charset, "UTF-8", "?", NULL, NULL, NULL);

  out = g_string_new (NULL);
  if (!progress->at_line_start)
    {
      g_string_append_c (out, '\n');
      progress->at_line_start = TRUE;
    }
  g_string_append_printf (out, "\r%s\033[K", local != NULL ? local : text);
  put (out->str);
  g_string_free (out, TRUE);
  progress->drawn = TRUE;
}

void
osiiso_cli_progress_free (OsiisoCliProgress *progress)
{
  if (progress == NULL)
    return;
  g_source_remove (progress->timer);
  osiiso_cli_progress_clear (progress);
  g_free (progress->last);
  g_free (progress);
}
