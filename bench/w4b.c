/* w4b.c: W4b, a persistent worker-process round trip (100,000 tiny
 * requests, 2 workers)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Goal P2 of perf-anchors.md §6: an OsiisoProcessQueue with 2 persistent
 * workers should serve tiny requests at no more than 1.5× the cost of the
 * raw GIO round trip (`gsubprocess-gio-rpc`), and at least 5× faster than
 * Python's ProcessPoolExecutor.
 *
 * The cases:
 *
 * - osiiso: an OsiisoProcessQueue of 2 workers, each `osiiso-worker
 *   libw4b-module.so` (bench/w4b-module.c: "echo" returns its argument).
 *   N calls of "echo", each with a 16-byte "ay" argument, are submitted
 *   with osiiso_process_queue_submit_call(), then osiiso_queue_run()
 *   runs them all; timed from the first submission to the return of the
 *   run. The queue sends each worker one request at a time; the workers
 *   poll for their next request for up to 50 µs after each reply rather
 *   than sleeping (OsiisoWorker's default; OSIISO_WORKER_SPIN_USEC=0 in
 *   the environment turns that off, to see what it is worth).
 * - raw-gio: perf-anchors.md's gsubprocess-gio-rpc. 2 persistent
 *   bench/w4b-peer processes (plain C: read 16 bytes, write them back)
 *   started with GSubprocess (stdin and stdout pipes); on a GMainLoop, each
 *   worker gets a request with g_output_stream_write_all_async() and, once
 *   written, its reply with g_input_stream_read_all_async(), then the next
 *   request: 1 in flight per worker. Timed from the first write to the
 *   last reply.
 * - python-ppe: bench/w4b-ppe.py run by /usr/bin/python3 as a child
 *   process: ProcessPoolExecutor(2), N_ppe (20,000 by default) submits of
 *   a 16-byte echo; the script times itself and prints µs/request.
 *
 * The workers of osiiso and raw-gio are started and warmed up once, before
 * the rounds, and serve every round (process start-up is not W4b). Each
 * case runs on its own GMainContext, so no case polls the other's pipes.
 *
 * Correctness: every reply is checked, outside the timed span. raw-gio
 * compares each reply with its request as it arrives (a memcmp; cheap and
 * part of any real client). For osiiso, all N results of the run summary
 * must be successes whose value is a 16-byte "ay" that decodes to a
 * distinct request index (a bitmap), checked after the clock stops.
 *
 * Method (perf-anchors.md §1): every case once per round, in a freshly
 * shuffled order each round; medians and p25-p75 over the rounds; a ratio
 * is the median of the same-round (paired) ratios, with p25-p75. Also
 * printed, for where the time goes: the CPU time per request of this
 * process (the parent) and of the worker processes (from /proc/PID/stat),
 * both in µs.
 *
 *   meson setup /tmp/bw4 -Dbuildtype=release -Dgtk_doc=false
 *   ninja -C /tmp/bw4 bench-w4b
 *   /tmp/bw4/bench/osiiso-bench-w4b [--rounds 5] [--requests 100000]
 *       [--ppe-requests 20000] [--cases osiiso,raw-gio,python-ppe] [--json]
 */

#include <osiiso-glib/osiiso-glib.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_REQUESTS     100000
#define DEFAULT_PPE_REQUESTS 20000
#define DEFAULT_ROUNDS       5
#define N_WORKERS            2
#define REQUEST_SIZE         16
#define WARMUP_REQUESTS      1000

#ifndef W4B_WORKER_TOOL
# define W4B_WORKER_TOOL NULL
#endif
#ifndef W4B_MODULE
# define W4B_MODULE NULL
#endif
#ifndef W4B_PEER
# define W4B_PEER NULL
#endif
#ifndef W4B_PPE_SCRIPT
# define W4B_PPE_SCRIPT NULL
#endif

static char *worker_tool = NULL;
static char *module_path = NULL;
static char *peer_path = NULL;
static char *ppe_script = NULL;
static char *python_path = NULL;

/* ------------------------------------------------------------------------
 * Timing and CPU accounting
 * --------------------------------------------------------------------- */

static gint64
clock_ns (clockid_t id)
{
  struct timespec ts;

  clock_gettime (id, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

static gint64
now_ns (void)
{
  return clock_ns (CLOCK_MONOTONIC);
}

static gint64
self_cpu_ns (void)
{
  return clock_ns (CLOCK_PROCESS_CPUTIME_ID);
}

/* utime + stime of @pid, in ns (0 if it cannot be read). */
static gint64
process_cpu_ns (gint pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *stat = NULL;
  const char *p;
  unsigned long long utime = 0, stime = 0;

  if (!g_file_get_contents (path, &stat, NULL, NULL))
    return 0;
  p = strrchr (stat, ')');
  if (p == NULL)
    return 0;
  /* After the command: state (3), ..., utime (14), stime (15). */
  if (sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
              &utime, &stime) != 2)
    return 0;
  return (gint64) ((utime + stime) * (G_GINT64_CONSTANT (1000000000) / sysconf (_SC_CLK_TCK)));
}

static gint64
workers_cpu_ns (const gint *pids,
                guint       n)
{
  gint64 total = 0;

  for (guint i = 0; i < n; i++)
    total += process_cpu_ns (pids[i]);
  return total;
}

/* One run of a case. */
typedef struct
{
  gdouble wall_us;          /* per request */
  gdouble parent_cpu_us;    /* per request; < 0 if not measured */
  gdouble workers_cpu_us;   /* per request; < 0 if not measured */
} Sample;

/* The request with index @i: the index and its complement, so that a
 * reply cannot be mistaken for another's. */
static void
fill_request (guint8  *buffer,
              guint64  i)
{
  guint64 a = GUINT64_TO_LE (i);
  guint64 b = GUINT64_TO_LE (~i);

  memcpy (buffer, &a, 8);
  memcpy (buffer + 8, &b, 8);
}

/* The index of a well-formed request or reply, or G_MAXUINT64. */
static guint64
request_index (const guint8 *buffer)
{
  guint64 a, b;

  memcpy (&a, buffer, 8);
  memcpy (&b, buffer + 8, 8);
  a = GUINT64_FROM_LE (a);
  b = GUINT64_FROM_LE (b);
  return a == ~b ? a : G_MAXUINT64;
}

/* ------------------------------------------------------------------------
 * osiiso: an OsiisoProcessQueue
 * --------------------------------------------------------------------- */

static GMainContext *osiiso_context;
static OsiisoProcessQueue *osiiso_queue;

static GVariant *
request_variant (guint64 i)
{
  guint8 buffer[REQUEST_SIZE];

  fill_request (buffer, i);
  return g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, buffer, REQUEST_SIZE, 1);
}

/* The submission phase of the last osiiso_round_trip(), in ns. */
static gint64 osiiso_submit_ns;

/* Submits @n echo calls and runs them; returns the summary. */
static OsiisoRunSummary *
osiiso_round_trip (guint n)
{
  gint64 start = now_ns ();
  g_autoptr(GError) error = NULL;
  OsiisoRunSummary *summary;

  for (guint i = 0; i < n; i++)
    {
      OsiisoTaskHandle *handle;

      handle = osiiso_process_queue_submit_call (osiiso_queue, "echo", request_variant (i), NULL, &error);
      if (handle == NULL)
        g_error ("osiiso: submit: %s", error->message);
      g_object_unref (handle);
    }
  osiiso_submit_ns = now_ns () - start;
  summary = osiiso_queue_run (OSIISO_QUEUE (osiiso_queue), NULL, &error);
  if (summary == NULL)
    g_error ("osiiso: run: %s", error->message);
  return summary;
}

static void
osiiso_verify (OsiisoRunSummary *summary,
               guint             n)
{
  g_autofree guint8 *seen = g_new0 (guint8, n);
  OsiisoTaskResult **results;
  guint n_results = 0;

  results = osiiso_run_summary_get_results (summary, &n_results);
  if (n_results != n || osiiso_run_summary_get_succeeded (summary) != n)
    g_error ("osiiso: %u results, %u succeeded, of %u requests", n_results,
             osiiso_run_summary_get_succeeded (summary), n);

  for (guint i = 0; i < n_results; i++)
    {
      const GValue *value = osiiso_task_result_get_value (results[i]);
      GVariant *variant;
      const guint8 *bytes;
      gsize size = 0;
      guint64 index;

      if (osiiso_task_result_get_status (results[i]) != OSIISO_TASK_STATUS_SUCCEEDED
          || value == NULL || !G_VALUE_HOLDS (value, G_TYPE_VARIANT))
        g_error ("osiiso: result %u is not a success with a GVariant", i);
      variant = g_value_get_variant (value);
      if (!g_variant_is_of_type (variant, G_VARIANT_TYPE_BYTESTRING))
        g_error ("osiiso: result %u is a %s", i, g_variant_get_type_string (variant));
      bytes = g_variant_get_fixed_array (variant, &size, 1);
      if (size != REQUEST_SIZE)
        g_error ("osiiso: result %u has %zu bytes", i, size);
      index = request_index (bytes);
      if (index >= n || seen[index])
        g_error ("osiiso: result %u answers no request, or one already answered", i);
      seen[index] = 1;
    }
}

static void
osiiso_setup (void)
{
  const char *argv[] = { worker_tool, module_path, NULL };
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autofree gint *pids = NULL;
  guint n_pids = 0;

  osiiso_context = g_main_context_new ();
  g_main_context_push_thread_default (osiiso_context);
  osiiso_queue = osiiso_process_queue_new (argv, N_WORKERS);
  g_main_context_pop_thread_default (osiiso_context);

  /* Both workers started and warmed up. */
  g_main_context_push_thread_default (osiiso_context);
  summary = osiiso_round_trip (WARMUP_REQUESTS);
  g_main_context_pop_thread_default (osiiso_context);
  osiiso_verify (summary, WARMUP_REQUESTS);
  osiiso_queue_clear_results (OSIISO_QUEUE (osiiso_queue));

  pids = osiiso_process_queue_get_worker_pids (osiiso_queue, &n_pids);
  if (n_pids != N_WORKERS)
    g_error ("osiiso: %u workers after the warm-up, expected %d", n_pids, N_WORKERS);
}

static Sample
run_osiiso (guint n)
{
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autofree gint *pids = NULL;
  guint n_pids = 0;
  gint64 start, end, cpu0, cpu1, wcpu0, wcpu1;
  Sample sample;

  pids = osiiso_process_queue_get_worker_pids (osiiso_queue, &n_pids);
  g_main_context_push_thread_default (osiiso_context);
  wcpu0 = workers_cpu_ns (pids, n_pids);
  cpu0 = self_cpu_ns ();
  start = now_ns ();
  summary = osiiso_round_trip (n);
  end = now_ns ();
  cpu1 = self_cpu_ns ();
  wcpu1 = workers_cpu_ns (pids, n_pids);
  g_main_context_pop_thread_default (osiiso_context);

  osiiso_verify (summary, n);
  {
    g_autofree gint *after = osiiso_process_queue_get_worker_pids (osiiso_queue, &n_pids);

    /* The same two processes served the whole round. */
    if (n_pids != N_WORKERS || memcmp (after, pids, sizeof (gint) * N_WORKERS) != 0)
      g_error ("osiiso: the worker processes changed during the round");
  }
  g_clear_pointer (&summary, osiiso_run_summary_unref);
  osiiso_queue_clear_results (OSIISO_QUEUE (osiiso_queue));

  sample.wall_us = (end - start) / 1e3 / n;
  sample.parent_cpu_us = (cpu1 - cpu0) / 1e3 / n;
  sample.workers_cpu_us = (wcpu1 - wcpu0) / 1e3 / n;
  fprintf (stderr, "osiiso: %.2f µs/request, of which %.2f submitting (before the run)\n",
           sample.wall_us, osiiso_submit_ns / 1e3 / n);
  return sample;
}

/* TRUE while @pid runs (a zombie has exited). */
static gboolean
process_running (gint pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *stat = NULL;
  const char *p;

  if (!g_file_get_contents (path, &stat, NULL, NULL))
    return FALSE;
  p = strrchr (stat, ')');
  return p != NULL && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

static void
osiiso_teardown (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree gint *pids = NULL;
  guint n_pids = 0;
  gint64 deadline;

  pids = osiiso_process_queue_get_worker_pids (osiiso_queue, &n_pids);
  g_main_context_push_thread_default (osiiso_context);
  if (!osiiso_queue_shutdown (OSIISO_QUEUE (osiiso_queue), FALSE, NULL, &error))
    g_warning ("osiiso: shutdown: %s", error->message);
  /* The workers exit at the end of their input: let them (a worker run
   * under a profiler writes its profile then), up to 30 s. No event tells
   * this process when a worker is gone but not yet reaped: look every ms. */
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  for (guint i = 0; i < n_pids; i++)
    while (process_running (pids[i]) && g_get_monotonic_time () < deadline)
      {
        g_main_context_iteration (osiiso_context, FALSE);
        g_usleep (1000);
      }
  g_main_context_pop_thread_default (osiiso_context);
  g_clear_object (&osiiso_queue);
  g_main_context_unref (osiiso_context);
}

/* ------------------------------------------------------------------------
 * raw-gio: GSubprocess pipes, GIO async write_all / read_all
 * --------------------------------------------------------------------- */

typedef struct _Raw Raw;

typedef struct
{
  Raw           *raw;
  GSubprocess   *process;
  GOutputStream *input;
  GInputStream  *output;
  gint           pid;
  guint64        current;
  guint8         request[REQUEST_SIZE];
  guint8         reply[REQUEST_SIZE];
} RawWorker;

struct _Raw
{
  GMainContext *context;
  GMainLoop    *loop;
  RawWorker     workers[N_WORKERS];
  guint64       n;
  guint64       sent;
  guint64       received;
};

static Raw raw;

static void raw_send (RawWorker *worker);

static void
raw_read_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  RawWorker *worker = user_data;
  g_autoptr(GError) error = NULL;
  gsize n = 0;

  if (!g_input_stream_read_all_finish (G_INPUT_STREAM (source), result, &n, &error) || n != REQUEST_SIZE)
    g_error ("raw-gio: read: %s", error != NULL ? error->message : "end of output");
  if (memcmp (worker->reply, worker->request, REQUEST_SIZE) != 0)
    g_error ("raw-gio: the reply to request %" G_GUINT64_FORMAT " does not match it", worker->current);

  worker->raw->received++;
  if (worker->raw->sent < worker->raw->n)
    raw_send (worker);
  else if (worker->raw->received == worker->raw->n)
    g_main_loop_quit (worker->raw->loop);
}

static void
raw_write_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  RawWorker *worker = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    g_error ("raw-gio: write: %s", error->message);
  g_input_stream_read_all_async (worker->output, worker->reply, REQUEST_SIZE, G_PRIORITY_DEFAULT,
                                 NULL, raw_read_cb, worker);
}

static void
raw_send (RawWorker *worker)
{
  worker->current = worker->raw->sent++;
  fill_request (worker->request, worker->current);
  g_output_stream_write_all_async (worker->input, worker->request, REQUEST_SIZE, G_PRIORITY_DEFAULT,
                                   NULL, raw_write_cb, worker);
}

/* Runs @n requests, 1 in flight per worker, on raw.context. */
static void
raw_round_trip (guint64 n)
{
  raw.n = n;
  raw.sent = 0;
  raw.received = 0;
  for (guint i = 0; i < N_WORKERS && raw.sent < n; i++)
    raw_send (&raw.workers[i]);
  g_main_loop_run (raw.loop);
  if (raw.received != n)
    g_error ("raw-gio: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " replies", raw.received, n);
}

static void
raw_setup (void)
{
  const char *argv[] = { peer_path, NULL };

  raw.context = g_main_context_new ();
  raw.loop = g_main_loop_new (raw.context, FALSE);
  g_main_context_push_thread_default (raw.context);
  for (guint i = 0; i < N_WORKERS; i++)
    {
      RawWorker *worker = &raw.workers[i];
      g_autoptr(GError) error = NULL;

      worker->raw = &raw;
      worker->process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                                           &error);
      if (worker->process == NULL)
        g_error ("raw-gio: spawn %s: %s", peer_path, error->message);
      worker->input = g_subprocess_get_stdin_pipe (worker->process);
      worker->output = g_subprocess_get_stdout_pipe (worker->process);
      worker->pid = atoi (g_subprocess_get_identifier (worker->process));
    }
  raw_round_trip (WARMUP_REQUESTS);
  g_main_context_pop_thread_default (raw.context);
}

static Sample
run_raw (guint n)
{
  gint pids[N_WORKERS];
  gint64 start, end, cpu0, cpu1, wcpu0, wcpu1;
  Sample sample;

  for (guint i = 0; i < N_WORKERS; i++)
    pids[i] = raw.workers[i].pid;

  g_main_context_push_thread_default (raw.context);
  wcpu0 = workers_cpu_ns (pids, N_WORKERS);
  cpu0 = self_cpu_ns ();
  start = now_ns ();
  raw_round_trip (n);
  end = now_ns ();
  cpu1 = self_cpu_ns ();
  wcpu1 = workers_cpu_ns (pids, N_WORKERS);
  g_main_context_pop_thread_default (raw.context);

  sample.wall_us = (end - start) / 1e3 / n;
  sample.parent_cpu_us = (cpu1 - cpu0) / 1e3 / n;
  sample.workers_cpu_us = (wcpu1 - wcpu0) / 1e3 / n;
  return sample;
}

static void
raw_teardown (void)
{
  g_main_context_push_thread_default (raw.context);
  for (guint i = 0; i < N_WORKERS; i++)
    {
      RawWorker *worker = &raw.workers[i];
      g_autoptr(GError) error = NULL;

      /* End of input: the peer exits 0. */
      g_output_stream_close (worker->input, NULL, NULL);
      if (!g_subprocess_wait_check (worker->process, NULL, &error))
        g_warning ("raw-gio: peer %d: %s", worker->pid, error->message);
      g_clear_object (&worker->process);
    }
  g_main_context_pop_thread_default (raw.context);
  g_main_loop_unref (raw.loop);
  g_main_context_unref (raw.context);
}

/* ------------------------------------------------------------------------
 * python-ppe: ProcessPoolExecutor in a child python3
 * --------------------------------------------------------------------- */

static guint ppe_requests = DEFAULT_PPE_REQUESTS;

static Sample
run_ppe (guint n)
{
  g_autofree char *count = g_strdup_printf ("%u", ppe_requests);
  const char *argv[] = { python_path, ppe_script, count, NULL };
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *field;
  Sample sample = { 0, -1, -1 };

  process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  if (process == NULL)
    g_error ("python-ppe: %s", error->message);
  if (!g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error))
    g_error ("python-ppe: %s", error->message);
  if (!g_subprocess_get_successful (process))
    g_error ("python-ppe failed:\n%s", err);
  field = strstr (out, "\"us_per_request\": ");
  if (field == NULL)
    g_error ("python-ppe: unexpected output: %s", out);
  sample.wall_us = g_ascii_strtod (field + strlen ("\"us_per_request\": "), NULL);
  return sample;
}

/* ------------------------------------------------------------------------
 * Rounds and statistics
 * --------------------------------------------------------------------- */

typedef struct
{
  const char *name;
  Sample    (*run) (guint n);
} Case;

enum { CASE_OSIISO, CASE_RAW, CASE_PPE, N_CASES };

static const Case cases[N_CASES] = {
  [CASE_OSIISO] = { "osiiso", run_osiiso },
  [CASE_RAW]    = { "raw-gio", run_raw },
  [CASE_PPE]    = { "python-ppe", run_ppe },
};

static gboolean case_enabled[N_CASES];

typedef struct
{
  gdouble median, p25, p75, min, max;
} Stats;

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return x < y ? -1 : x > y ? 1 : 0;
}

static gdouble
quantile (const gdouble *sorted,
          guint          n,
          gdouble        q)
{
  gdouble pos = q * (n - 1);
  guint lo = (guint) pos;
  guint hi = MIN (lo + 1, n - 1);

  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

static Stats
stats_of (const gdouble *values,
          guint          n)
{
  g_autofree gdouble *sorted = g_memdup2 (values, sizeof (gdouble) * n);
  Stats stats;

  qsort (sorted, n, sizeof (gdouble), compare_doubles);
  stats.median = quantile (sorted, n, 0.5);
  stats.p25 = quantile (sorted, n, 0.25);
  stats.p75 = quantile (sorted, n, 0.75);
  stats.min = sorted[0];
  stats.max = sorted[n - 1];
  return stats;
}

static void
run_rounds (guint    n,
            guint    n_rounds,
            guint32  seed,
            gboolean json)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  Sample samples[N_CASES][n_rounds];
  gdouble values[n_rounds];
  Stats stats[N_CASES];

  for (guint r = 0; r < n_rounds; r++)
    {
      guint order[N_CASES];

      for (guint i = 0; i < N_CASES; i++)
        order[i] = i;
      for (guint i = N_CASES - 1; i > 0; i--)
        {
          guint j = g_rand_int_range (rand, 0, i + 1);
          guint t = order[i];

          order[i] = order[j];
          order[j] = t;
        }
      for (guint k = 0; k < N_CASES; k++)
        {
          guint c = order[k];

          if (!case_enabled[c])
            continue;
          samples[c][r] = cases[c].run (n);
          fprintf (stderr, "round %u/%u: %-10s %8.2f µs/request\n", r + 1, n_rounds,
                   cases[c].name, samples[c][r].wall_us);
        }
    }

  for (guint c = 0; c < N_CASES; c++)
    {
      if (!case_enabled[c])
        continue;
      for (guint r = 0; r < n_rounds; r++)
        values[r] = samples[c][r].wall_us;
      stats[c] = stats_of (values, n_rounds);
    }

  if (json)
    printf ("{\"workload\": \"W4b\", \"requests\": %u, \"ppe_requests\": %u, \"rounds\": %u, "
            "\"seed\": %u, \"cases\": {", n, ppe_requests, n_rounds, seed);
  else
    {
      printf ("W4b: %u requests of 16 bytes, %d persistent workers, 1 in flight each; %u rounds "
              "(seed %u); python-ppe: %u requests\n\n", n, N_WORKERS, n_rounds, seed, ppe_requests);
      printf ("%-11s %16s %11s %18s %16s %18s\n", "case", "median µs/req", "requests/s",
              "p25-p75 µs/req", "parent CPU µs", "workers CPU µs");
    }

  {
    gboolean first = TRUE;

    for (guint c = 0; c < N_CASES; c++)
      {
        gdouble parent[n_rounds], workers[n_rounds];
        Stats ps, ws;

        if (!case_enabled[c])
          continue;
        for (guint r = 0; r < n_rounds; r++)
          {
            parent[r] = samples[c][r].parent_cpu_us;
            workers[r] = samples[c][r].workers_cpu_us;
          }
        ps = stats_of (parent, n_rounds);
        ws = stats_of (workers, n_rounds);
        if (json)
          {
            printf ("%s\"%s\": {\"median_us_per_request\": %.2f, \"requests_per_s\": %.0f, "
                    "\"p25\": %.2f, \"p75\": %.2f, \"min\": %.2f, \"max\": %.2f",
                    first ? "" : ", ", cases[c].name, stats[c].median, 1e6 / stats[c].median,
                    stats[c].p25, stats[c].p75, stats[c].min, stats[c].max);
            if (ps.median >= 0)
              printf (", \"parent_cpu_us_per_request\": %.2f, \"workers_cpu_us_per_request\": %.2f",
                      ps.median, ws.median);
            printf ("}");
          }
        else
          {
            g_autofree char *range = g_strdup_printf ("%.2f-%.2f", stats[c].p25, stats[c].p75);
            g_autofree char *pcpu = ps.median >= 0 ? g_strdup_printf ("%.2f", ps.median) : g_strdup ("-");
            g_autofree char *wcpu = ws.median >= 0 ? g_strdup_printf ("%.2f", ws.median) : g_strdup ("-");

            printf ("%-11s %14.2f %11.0f %16s %14s %16s\n", cases[c].name, stats[c].median,
                    1e6 / stats[c].median, range, pcpu, wcpu);
          }
        first = FALSE;
      }
  }

  if (json)
    printf ("}, \"ratios\": {");
  else
    printf ("\npaired same-round ratios: median (p25-p75)\n");

  {
    static const struct { guint a, b; const char *label, *goal; } pairs[] = {
      { CASE_OSIISO, CASE_RAW, "osiiso / raw-gio", "goal <= 1.5" },
      { CASE_PPE, CASE_OSIISO, "python-ppe / osiiso", "goal >= 5" },
    };
    gboolean first = TRUE;

    for (guint k = 0; k < G_N_ELEMENTS (pairs); k++)
      {
        Stats rs;

        if (!case_enabled[pairs[k].a] || !case_enabled[pairs[k].b])
          continue;
        for (guint r = 0; r < n_rounds; r++)
          values[r] = samples[pairs[k].a][r].wall_us / samples[pairs[k].b][r].wall_us;
        rs = stats_of (values, n_rounds);
        if (json)
          printf ("%s\"%s\": {\"median\": %.3f, \"p25\": %.3f, \"p75\": %.3f}",
                  first ? "" : ", ", pairs[k].label, rs.median, rs.p25, rs.p75);
        else
          printf ("  %-20s %6.2f  (%.2f-%.2f)   %s\n", pairs[k].label, rs.median, rs.p25, rs.p75,
                  pairs[k].goal);
        first = FALSE;
      }
  }
  if (json)
    printf ("}}\n");
}

static gboolean
check_file (const char *what,
            const char *path,
            const char *option)
{
  if (path != NULL && g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  fprintf (stderr, "%s not found (%s); build it (ninja bench-w4b) or pass %s\n", what,
           path != NULL ? path : "no default", option);
  return FALSE;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) option_context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *case_list = NULL;
  gint n_requests = DEFAULT_REQUESTS;
  gint n_ppe = DEFAULT_PPE_REQUESTS;
  gint n_rounds = DEFAULT_ROUNDS;
  gint64 seed = -1;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "requests", 'n', 0, G_OPTION_ARG_INT, &n_requests,
      "Requests per round for osiiso and raw-gio (default 100000)", "N" },
    { "ppe-requests", 0, 0, G_OPTION_ARG_INT, &n_ppe,
      "Requests per round for python-ppe (default 20000)", "N" },
    { "rounds", 'r', 0, G_OPTION_ARG_INT, &n_rounds,
      "Interleaved rounds (default 5)", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed,
      "Seed of the per-round shuffle (default: from the clock)", "SEED" },
    { "cases", 'c', 0, G_OPTION_ARG_STRING, &case_list,
      "Comma-separated cases (default: osiiso,raw-gio,python-ppe)", "LIST" },
    { "worker-tool", 0, 0, G_OPTION_ARG_FILENAME, &worker_tool,
      "The osiiso-worker program (default: the build tree's)", "PATH" },
    { "module", 0, 0, G_OPTION_ARG_FILENAME, &module_path,
      "The echo module for osiiso-worker (default: the build tree's)", "PATH" },
    { "peer", 0, 0, G_OPTION_ARG_FILENAME, &peer_path,
      "The raw echo worker (default: the build tree's w4b-peer)", "PATH" },
    { "ppe-script", 0, 0, G_OPTION_ARG_FILENAME, &ppe_script,
      "The ProcessPoolExecutor script (default: bench/w4b-ppe.py)", "PATH" },
    { "python", 0, 0, G_OPTION_ARG_FILENAME, &python_path,
      "The Python interpreter (default: /usr/bin/python3)", "PATH" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json,
      "Print one JSON object instead of a table", NULL },
    { NULL }
  };

  option_context = g_option_context_new ("- W4b: a persistent worker-process round trip");
  g_option_context_add_main_entries (option_context, entries, NULL);
  if (!g_option_context_parse (option_context, &argc, &argv, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 2;
    }
  if (n_requests < 1 || n_ppe < 1 || n_rounds < 1)
    {
      fprintf (stderr, "--requests, --ppe-requests and --rounds must be at least 1\n");
      return 2;
    }
  ppe_requests = (guint) n_ppe;

  if (worker_tool == NULL)
    worker_tool = g_strdup (W4B_WORKER_TOOL);
  if (module_path == NULL)
    module_path = g_strdup (W4B_MODULE);
  if (peer_path == NULL)
    peer_path = g_strdup (W4B_PEER);
  if (ppe_script == NULL)
    ppe_script = g_strdup (W4B_PPE_SCRIPT);
  if (python_path == NULL)
    python_path = g_strdup ("/usr/bin/python3");

  if (case_list != NULL)
    {
      g_auto(GStrv) names = g_strsplit (case_list, ",", -1);

      for (guint k = 0; names[k] != NULL; k++)
        {
          guint i;

          for (i = 0; i < N_CASES; i++)
            if (g_str_equal (cases[i].name, g_strstrip (names[k])))
              break;
          if (i == N_CASES)
            {
              fprintf (stderr, "Unknown case “%s”; cases: osiiso, raw-gio, python-ppe\n", names[k]);
              return 2;
            }
          case_enabled[i] = TRUE;
        }
    }
  else
    for (guint i = 0; i < N_CASES; i++)
      case_enabled[i] = TRUE;

  if ((case_enabled[CASE_OSIISO] && (!check_file ("osiiso-worker", worker_tool, "--worker-tool")
                                     || !check_file ("the echo module", module_path, "--module")))
      || (case_enabled[CASE_RAW] && !check_file ("w4b-peer", peer_path, "--peer"))
      || (case_enabled[CASE_PPE] && (!check_file ("w4b-ppe.py", ppe_script, "--ppe-script")
                                     || !check_file ("python3", python_path, "--python"))))
    return 2;

  if (seed < 0)
    seed = (gint64) (now_ns () & G_MAXUINT32);

  if (case_enabled[CASE_OSIISO])
    osiiso_setup ();
  if (case_enabled[CASE_RAW])
    raw_setup ();

  run_rounds ((guint) n_requests, (guint) n_rounds, (guint32) seed, json);

  if (case_enabled[CASE_RAW])
    raw_teardown ();
  if (case_enabled[CASE_OSIISO])
    osiiso_teardown ();

  g_free (worker_tool);
  g_free (module_path);
  g_free (peer_path);
  g_free (ppe_script);
  g_free (python_path);
  return 0;
}
