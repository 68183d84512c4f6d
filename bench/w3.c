/* w3.c: W3, CPU-bound tasks (64 × ~20 ms on 2 workers) against the ideal
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * 64 tasks of ~20 ms of arithmetic (bench_spin() of bench-common.h,
 * calibrated once per process to 20 ms of thread CPU time) on 2 workers.
 * Every task measures the thread CPU time its loop really took; the ideal
 * wall time is their sum / 2 (perfect packing on 2 workers, no overhead).
 * The figure of a run is wall / ideal, so a slower or busier machine does
 * not count against a case; what counts is scheduling overhead, idle
 * workers at the end (64 tasks pack evenly on 2 workers) and CPU stolen by
 * anyone else. The cases:
 *
 * - osiiso-thread: an OsiisoThreadQueue of 2 workers (made per round; its
 *   threads are created in the timed span, ~40 µs each); one
 *   osiiso_queue_map() over the 64 task indices ("au"), then
 *   osiiso_queue_run().
 * - osiiso-process: an OsiisoProcessQueue of 2 persistent workers
 *   (osiiso-worker + bench-module's "spin"), started and warmed up before
 *   the rounds; one osiiso_process_queue_map_call() of "spin" over an "at"
 *   of 64 iteration counts, then osiiso_queue_run(). Each worker reports
 *   its loop's CPU time as the task's value.
 * - gtp: the raw GLib peer of the thread queue, an exclusive GThreadPool
 *   of 2 (threads made before the clock starts).
 * - raw-proc-pool: the raw peer of the process queue (perf-anchors.md's
 *   c-proc-pool): 2 persistent bench/w3-peer processes with stdin/stdout
 *   pipes (GSubprocess), each fed by one thread of this process with
 *   blocking 8-byte writes and reads, 1 request in flight per worker.
 * - python-tpe, python-ppe: bench/peers.py w3-tpe / w3-ppe under
 *   /usr/bin/python3 (a pure-Python loop calibrated to 20 ms); they report
 *   their own wall and ideal. ThreadPoolExecutor is serialised by the GIL
 *   (wall/ideal ~2).
 *
 * Also recorded, for where the time goes: overhead_cpu_ms, the CPU time
 * this process spent during the run beyond the tasks' own (thread cases:
 * process CPU minus the tasks' CPU; process cases: the parent's CPU, the
 * workers being other processes). On 2 cores it competes with the tasks.
 *
 * Method (perf-anchors.md §1): every case once per round, in a freshly
 * shuffled order; medians over the rounds; paired ratios against the
 * ideal (the figure itself) and against each raw peer of the same
 * backend. Goals (issue 10): wall/ideal <= 1.02 on threads, <= 1.03 on
 * processes.
 *
 *   ninja -C /tmp/b-bench bench-all
 *   /tmp/b-bench/bench/osiiso-bench-w3 [--rounds 7] [--tasks 64] [--ms 20] [--json]
 */

#include <osiiso-glib/osiiso-glib.h>
#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>

#include "bench-common.h"

#include <errno.h>

#ifndef BENCH_WORKER_TOOL
# define BENCH_WORKER_TOOL NULL
#endif
#ifndef BENCH_MODULE
# define BENCH_MODULE NULL
#endif
#ifndef W3_PEER
# define W3_PEER NULL
#endif

#define DEFAULT_TASKS  64
#define DEFAULT_MS     20
#define DEFAULT_ROUNDS 7
#define N_WORKERS      2

static guint   n_tasks = DEFAULT_TASKS;
static gdouble task_ms = DEFAULT_MS;
static guint64 iterations;   /* bench_spin() iterations of one task */

static char *worker_tool = NULL;
static char *module_path = NULL;
static char *peer_path = NULL;

typedef struct
{
  gdouble wall_s;
  gdouble ideal_s;
} Sample;

/* CPU time of this process, in s: the bench and its threads (not the
 * worker processes). */
static gdouble
process_cpu_s (void)
{
  return bench_clock_ns (CLOCK_PROCESS_CPUTIME_ID) / 1e9;
}

/* ------------------------------------------------------------------------
 * osiiso-thread
 * --------------------------------------------------------------------- */

typedef struct
{
  gint64 *cpu_ns;    /* [task index] */
} SpinState;

static volatile guint64 spin_sink;

static gboolean
spin_task (OsiisoTaskContext  *context,
           gpointer            user_data,
           GError            **error)
{
  SpinState *state = user_data;
  guint index = osiiso_task_context_get_index (context);
  gint64 t0 = bench_thread_cpu_ns ();

  spin_sink += bench_spin (iterations, index);
  state->cpu_ns[index] = bench_thread_cpu_ns () - t0;
  return TRUE;
}

static gdouble
sum_s (const gint64 *cpu_ns,
       guint         n)
{
  gdouble sum = 0;

  for (guint i = 0; i < n; i++)
    {
      if (cpu_ns[i] <= 0)
        g_error ("W3: task %u did not run", i);
      sum += cpu_ns[i] / 1e9;
    }
  return sum;
}

static Sample
run_osiiso_thread (void)
{
  g_autofree gint64 *cpu_ns = g_new0 (gint64, n_tasks);
  g_autofree guint32 *indices = g_new (guint32, n_tasks);
  SpinState state = { cpu_ns };
  OsiisoThreadQueue *queue;
  OsiisoTaskGroup *group;
  OsiisoRunSummary *summary;
  GError *error = NULL;
  gint64 start, end;

  for (guint i = 0; i < n_tasks; i++)
    indices[i] = i;
  queue = osiiso_thread_queue_new (N_WORKERS);

  start = bench_now_ns ();
  group = osiiso_queue_map (OSIISO_QUEUE (queue), spin_task, &state, NULL,
                            g_variant_new_fixed_array (G_VARIANT_TYPE_UINT32, indices, n_tasks,
                                                       sizeof (guint32)),
                            NULL, &error);
  if (group == NULL)
    g_error ("osiiso-thread: map: %s", error->message);
  summary = osiiso_queue_run (OSIISO_QUEUE (queue), NULL, &error);
  end = bench_now_ns ();

  if (summary == NULL || osiiso_run_summary_get_succeeded (summary) != n_tasks)
    g_error ("osiiso-thread: the run did not succeed for every task");
  osiiso_run_summary_unref (summary);
  g_object_unref (group);
  g_object_unref (queue);

  return (Sample) { (end - start) / 1e9, sum_s (cpu_ns, n_tasks) / N_WORKERS };
}

/* ------------------------------------------------------------------------
 * osiiso-process
 * --------------------------------------------------------------------- */

static GMainContext *process_context;
static OsiisoProcessQueue *process_queue;

/* Runs @n spins of @iters on the process queue; returns the sum of their
 * CPU times in s, and the wall time in *wall_s. */
static gdouble
process_round (guint    n,
               guint64  iters,
               gdouble *wall_s)
{
  g_autofree guint64 *counts = g_new (guint64, n);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;
  OsiisoTaskGroup *group;
  OsiisoTaskResult **results;
  guint n_results = 0;
  gint64 start, end;
  gdouble cpu = 0;

  for (guint i = 0; i < n; i++)
    counts[i] = iters;

  g_main_context_push_thread_default (process_context);
  start = bench_now_ns ();
  group = osiiso_process_queue_map_call (process_queue, "spin",
                                         g_variant_new_fixed_array (G_VARIANT_TYPE_UINT64, counts, n,
                                                                    sizeof (guint64)),
                                         NULL, &error);
  if (group == NULL)
    g_error ("osiiso-process: map_call: %s", error->message);
  summary = osiiso_queue_run (OSIISO_QUEUE (process_queue), NULL, &error);
  end = bench_now_ns ();
  g_main_context_pop_thread_default (process_context);
  if (summary == NULL)
    g_error ("osiiso-process: run: %s", error->message);

  results = osiiso_run_summary_get_results (summary, &n_results);
  if (n_results != n || osiiso_run_summary_get_succeeded (summary) != n)
    g_error ("osiiso-process: %u results, %u succeeded, of %u", n_results,
             osiiso_run_summary_get_succeeded (summary), n);
  for (guint i = 0; i < n_results; i++)
    {
      const GValue *value = osiiso_task_result_get_value (results[i]);
      GVariant *variant;

      if (value == NULL || !G_VALUE_HOLDS (value, G_TYPE_VARIANT)
          || !g_variant_is_of_type ((variant = g_value_get_variant (value)), G_VARIANT_TYPE_UINT64))
        g_error ("osiiso-process: result %u is not a \"t\"", i);
      cpu += g_variant_get_uint64 (variant) / 1e9;
    }
  g_object_unref (group);
  osiiso_queue_clear_results (OSIISO_QUEUE (process_queue));

  *wall_s = (end - start) / 1e9;
  return cpu;
}

static void
process_setup (void)
{
  const char *argv[] = { worker_tool, module_path, NULL };
  g_autofree gint *pids = NULL;
  guint n_pids = 0;
  gdouble wall;

  process_context = g_main_context_new ();
  g_main_context_push_thread_default (process_context);
  process_queue = osiiso_process_queue_new (argv, N_WORKERS);
  g_main_context_pop_thread_default (process_context);

  /* Both workers started and warmed up. */
  process_round (N_WORKERS * 8, 1000, &wall);
  pids = osiiso_process_queue_get_worker_pids (process_queue, &n_pids);
  if (n_pids != N_WORKERS)
    g_error ("osiiso-process: %u workers after the warm-up, expected %d", n_pids, N_WORKERS);
}

static void
process_teardown (void)
{
  g_autoptr(GError) error = NULL;

  g_main_context_push_thread_default (process_context);
  if (!osiiso_queue_shutdown (OSIISO_QUEUE (process_queue), FALSE, NULL, &error))
    g_warning ("osiiso-process: shutdown: %s", error->message);
  g_main_context_pop_thread_default (process_context);
  g_clear_object (&process_queue);
  g_main_context_unref (process_context);
}

static Sample
run_osiiso_process (void)
{
  gdouble wall;
  gdouble cpu = process_round (n_tasks, iterations, &wall);

  return (Sample) { wall, cpu / N_WORKERS };
}

/* ------------------------------------------------------------------------
 * gtp
 * --------------------------------------------------------------------- */

typedef struct
{
  gint64  *cpu_ns;
  gint     remaining;   /* atomic */
  GMutex   lock;
  GCond    cond;
  gboolean done;
} GtpState;

static void
gtp_worker (gpointer data,
            gpointer user_data)
{
  GtpState *state = user_data;
  guint index = GPOINTER_TO_UINT (data) - 1;
  gint64 t0 = bench_thread_cpu_ns ();

  spin_sink += bench_spin (iterations, index);
  state->cpu_ns[index] = bench_thread_cpu_ns () - t0;
  if (g_atomic_int_dec_and_test (&state->remaining))
    {
      g_mutex_lock (&state->lock);
      state->done = TRUE;
      g_cond_signal (&state->cond);
      g_mutex_unlock (&state->lock);
    }
}

static Sample
run_gtp (void)
{
  g_autofree gint64 *cpu_ns = g_new0 (gint64, n_tasks);
  GtpState state = { cpu_ns, (gint) n_tasks };
  GThreadPool *pool;
  GError *error = NULL;
  gint64 start, end;

  g_mutex_init (&state.lock);
  g_cond_init (&state.cond);
  pool = g_thread_pool_new (gtp_worker, &state, N_WORKERS, TRUE, &error);
  if (pool == NULL)
    g_error ("gtp: %s", error->message);

  start = bench_now_ns ();
  for (guint i = 0; i < n_tasks; i++)
    g_thread_pool_push (pool, GUINT_TO_POINTER (i + 1), NULL);
  g_mutex_lock (&state.lock);
  while (!state.done)
    g_cond_wait (&state.cond, &state.lock);
  g_mutex_unlock (&state.lock);
  end = bench_now_ns ();

  g_thread_pool_free (pool, FALSE, TRUE);
  g_mutex_clear (&state.lock);
  g_cond_clear (&state.cond);
  return (Sample) { (end - start) / 1e9, sum_s (cpu_ns, n_tasks) / N_WORKERS };
}

/* ------------------------------------------------------------------------
 * raw-proc-pool
 * --------------------------------------------------------------------- */

typedef struct
{
  GSubprocess *process;
  int          in_fd;    /* its stdin */
  int          out_fd;   /* its stdout */
} RawWorker;

static RawWorker raw_workers[N_WORKERS];

typedef struct
{
  RawWorker *worker;
  gint      *next;       /* atomic: the next task index */
  guint      n;
  guint64    iters;
  gint64    *cpu_ns;
} RawFeeder;

static void
full_io (int      fd,
         guint64 *value,
         gboolean writing)
{
  gsize done = 0;

  while (done < sizeof *value)
    {
      gssize n = writing ? write (fd, (char *) value + done, sizeof *value - done)
                         : read (fd, (char *) value + done, sizeof *value - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        g_error ("raw-proc-pool: pipe %s failed", writing ? "write" : "read");
      done += (gsize) n;
    }
}

static gpointer
raw_feeder (gpointer data)
{
  RawFeeder *feeder = data;
  gint index;

  while ((index = g_atomic_int_add (feeder->next, 1)) < (gint) feeder->n)
    {
      guint64 value = feeder->iters;

      full_io (feeder->worker->in_fd, &value, TRUE);
      full_io (feeder->worker->out_fd, &value, FALSE);
      feeder->cpu_ns[index] = (gint64) value;
    }
  return NULL;
}

static gdouble
raw_round (guint    n,
           guint64  iters,
           gint64  *cpu_ns)
{
  RawFeeder feeders[N_WORKERS];
  GThread *threads[N_WORKERS];
  gint next = 0;
  gint64 start, end;

  start = bench_now_ns ();
  for (guint w = 0; w < N_WORKERS; w++)
    {
      feeders[w] = (RawFeeder) { &raw_workers[w], &next, n, iters, cpu_ns };
      threads[w] = g_thread_new ("raw-feeder", raw_feeder, &feeders[w]);
    }
  for (guint w = 0; w < N_WORKERS; w++)
    g_thread_join (threads[w]);
  end = bench_now_ns ();
  return (end - start) / 1e9;
}

static void
raw_setup (void)
{
  const char *argv[] = { peer_path, NULL };
  g_autofree gint64 *cpu_ns = g_new0 (gint64, N_WORKERS * 8);

  for (guint w = 0; w < N_WORKERS; w++)
    {
      g_autoptr(GError) error = NULL;

      raw_workers[w].process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE
                                                        | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
      if (raw_workers[w].process == NULL)
        g_error ("raw-proc-pool: %s", error->message);
      raw_workers[w].in_fd = g_unix_output_stream_get_fd (
        G_UNIX_OUTPUT_STREAM (g_subprocess_get_stdin_pipe (raw_workers[w].process)));
      raw_workers[w].out_fd = g_unix_input_stream_get_fd (
        G_UNIX_INPUT_STREAM (g_subprocess_get_stdout_pipe (raw_workers[w].process)));
    }
  raw_round (N_WORKERS * 8, 1000, cpu_ns);   /* warm-up */
}

static void
raw_teardown (void)
{
  for (guint w = 0; w < N_WORKERS; w++)
    {
      g_output_stream_close (g_subprocess_get_stdin_pipe (raw_workers[w].process), NULL, NULL);
      g_subprocess_wait (raw_workers[w].process, NULL, NULL);
      g_clear_object (&raw_workers[w].process);
    }
}

static Sample
run_raw (void)
{
  g_autofree gint64 *cpu_ns = g_new0 (gint64, n_tasks);
  gdouble wall = raw_round (n_tasks, iterations, cpu_ns);

  return (Sample) { wall, sum_s (cpu_ns, n_tasks) / N_WORKERS };
}

/* ------------------------------------------------------------------------
 * Python peers
 * --------------------------------------------------------------------- */

static Sample
run_python (const char *command)
{
  g_autofree char *count = g_strdup_printf ("%u", n_tasks);
  g_autofree char *ms = g_strdup_printf ("%g", task_ms);
  const char *args[] = { command, count, ms, NULL };
  char *out = bench_run_python (args);
  Sample sample = { bench_json_get (out, "wall_s"), bench_json_get (out, "ideal_s") };

  if (isnan (sample.wall_s) || isnan (sample.ideal_s))
    g_error ("peers.py %s: unexpected output: %s", command, out);
  g_free (out);
  return sample;
}

static Sample run_python_tpe (void) { return run_python ("w3-tpe"); }
static Sample run_python_ppe (void) { return run_python ("w3-ppe"); }

/* ------------------------------------------------------------------------
 * Rounds
 * --------------------------------------------------------------------- */

typedef struct
{
  const char *name;
  Sample    (*run) (void);
  const char *backend;
  gboolean    osiiso;
  gboolean    python;
} Case;

enum { C_THREAD, C_PROCESS, C_GTP, C_RAW, C_TPE, C_PPE, N_CASES };

static const Case cases[N_CASES] = {
  [C_THREAD]  = { "osiiso-thread",  run_osiiso_thread,  "thread",  TRUE,  FALSE },
  [C_PROCESS] = { "osiiso-process", run_osiiso_process, "process", TRUE,  FALSE },
  [C_GTP]     = { "gtp",            run_gtp,            "thread",  FALSE, FALSE },
  [C_RAW]     = { "raw-proc-pool",  run_raw,            "process", FALSE, FALSE },
  [C_TPE]     = { "python-tpe",     run_python_tpe,     "thread",  FALSE, TRUE },
  [C_PPE]     = { "python-ppe",     run_python_ppe,     "process", FALSE, TRUE },
};

static gboolean case_enabled[N_CASES];

static gint
case_index (const char *name)
{
  for (guint c = 0; c < N_CASES; c++)
    if (g_str_equal (cases[c].name, name))
      return (gint) c;
  return -1;
}

static void
run_rounds (guint    n_rounds,
            guint32  seed,
            gboolean json)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  g_autofree gdouble *wall = g_new (gdouble, N_CASES * n_rounds);
  g_autofree gdouble *ideal = g_new (gdouble, N_CASES * n_rounds);
  g_autofree gdouble *ratio = g_new (gdouble, N_CASES * n_rounds);   /* wall / ideal */
  g_autofree gdouble *overhead = g_new (gdouble, N_CASES * n_rounds);   /* ms */
  g_autofree gdouble *paired = g_new (gdouble, n_rounds);
  g_autofree char *load_before = NULL;
  g_autofree char *load_after = NULL;
  guint order[N_CASES], n_enabled = 0;
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < N_CASES * n_rounds; i++)
    wall[i] = ideal[i] = ratio[i] = overhead[i] = NAN;
  n_enabled = bench_enabled_order (case_enabled, N_CASES, order);

  load_before = bench_loadavg ();
  for (guint r = 0; r < n_rounds; r++)
    {
      bench_shuffle (rand, order, n_enabled);
      for (guint k = 0; k < n_enabled; k++)
        {
          guint c = order[k];
          gdouble cpu0 = process_cpu_s ();
          Sample s = cases[c].run ();
          gdouble cpu = process_cpu_s () - cpu0;

          if (cases[c].python)
            overhead[c * n_rounds + r] = NAN;
          else if (g_str_equal (cases[c].backend, "thread"))
            overhead[c * n_rounds + r] = (cpu - s.ideal_s * N_WORKERS) * 1e3;
          else
            overhead[c * n_rounds + r] = cpu * 1e3;
          wall[c * n_rounds + r] = s.wall_s;
          ideal[c * n_rounds + r] = s.ideal_s;
          ratio[c * n_rounds + r] = s.wall_s / s.ideal_s;
          fprintf (stderr, "W3 round %u/%u  %-15s wall %.3f s, ideal %.3f s, wall/ideal %.4f, "
                   "overhead CPU %.1f ms\n", r + 1, n_rounds, cases[c].name, s.wall_s, s.ideal_s,
                   s.wall_s / s.ideal_s, overhead[c * n_rounds + r]);
        }
    }
  load_after = bench_loadavg ();

  if (json)
    {
      bench_json_begin (out, "W3", "wall/ideal", n_rounds);
      g_string_append_printf (out,
                              "\"tasks\": %u, \"task_ms\": %g, \"workers\": %d, \"iterations\": %"
                              G_GUINT64_FORMAT ", \"seed\": %u, \"loadavg_before\": \"%s\", "
                              "\"loadavg_after\": \"%s\"}, \"cases\": {",
                              n_tasks, task_ms, N_WORKERS, iterations, seed,
                              load_before, load_after);
      for (guint c = 0, n = 0; c < N_CASES; c++)
        {
          if (!case_enabled[c])
            continue;
          bench_json_case (out, &n, cases[c].name, cases[c].backend, cases[c].osiiso);
          g_string_append (out, ", \"runs\": ");
          bench_json_array (out, &ratio[c * n_rounds], n_rounds);
          g_string_append (out, ", \"extra\": {\"wall_s\": ");
          bench_json_array (out, &wall[c * n_rounds], n_rounds);
          g_string_append (out, ", \"ideal_s\": ");
          bench_json_array (out, &ideal[c * n_rounds], n_rounds);
          g_string_append (out, ", \"overhead_cpu_ms\": ");
          bench_json_array (out, &overhead[c * n_rounds], n_rounds);
          g_string_append (out, "}}");
        }
      g_string_append (out, "}, \"goals\": [");
      if (case_enabled[C_THREAD])
        g_string_append (out, "{\"subject\": \"osiiso-thread\", \"baseline\": \"ideal\", \"max\": 1.02, "
                              "\"label\": \"issue 10: W3 threads wall <= 1.02x the ideal\"}");
      if (case_enabled[C_PROCESS])
        g_string_append_printf (out, "%s{\"subject\": \"osiiso-process\", \"baseline\": \"ideal\", "
                                     "\"max\": 1.03, \"label\": \"issue 10: W3 processes wall <= "
                                     "1.03x the ideal\"}", case_enabled[C_THREAD] ? ", " : "");
      g_string_append (out, "]}");
    }
  else
    {
      g_string_append_printf (out, "\nW3: %u tasks of %g ms (%" G_GUINT64_FORMAT " iterations) on %d "
                              "workers, %u interleaved rounds (seed %u), load average %s -> %s\n\n",
                              n_tasks, task_ms, iterations, N_WORKERS, n_rounds, seed,
                              load_before, load_after);
      g_string_append_printf (out, "%-15s %12s %12s %12s %16s %14s\n", "case", "wall s", "ideal s",
                              "wall/ideal", "p25-p75", "overhead ms");
      for (guint c = 0; c < N_CASES; c++)
        {
          BenchStats w, i, q, o;

          if (!case_enabled[c])
            continue;
          w = bench_stats (&wall[c * n_rounds], n_rounds);
          i = bench_stats (&ideal[c * n_rounds], n_rounds);
          q = bench_stats (&ratio[c * n_rounds], n_rounds);
          o = bench_stats (&overhead[c * n_rounds], n_rounds);
          g_string_append_printf (out, "%-15s %12.4f %12.4f %12.4f    %.4f-%.4f %12.1f", cases[c].name,
                                  w.median, i.median, q.median, q.p25, q.p75, o.median);
          if (c == C_THREAD)
            g_string_append_printf (out, "   goal <= 1.02: %s", q.median <= 1.02 ? "met" : "MISSED");
          if (c == C_PROCESS)
            g_string_append_printf (out, "   goal <= 1.03: %s", q.median <= 1.03 ? "met" : "MISSED");
          g_string_append_c (out, '\n');
        }
      g_string_append (out, "\npaired same-round ratios of wall/ideal: median (p25-p75)\n");
      for (guint c = 0; c < N_CASES; c++)
        for (guint b = 0; b < N_CASES; b++)
          {
            g_autofree char *label = NULL;
            BenchStats rs;

            if (!case_enabled[c] || !case_enabled[b] || !cases[c].osiiso || cases[b].osiiso
                || !g_str_equal (cases[c].backend, cases[b].backend))
              continue;
            for (guint r = 0; r < n_rounds; r++)
              paired[r] = ratio[c * n_rounds + r] / ratio[b * n_rounds + r];
            rs = bench_stats (paired, n_rounds);
            label = g_strdup_printf ("%s / %s", cases[c].name, cases[b].name);
            g_string_append_printf (out, "  %-34s %7.4f  (%.4f-%.4f)\n", label, rs.median, rs.p25, rs.p75);
          }
    }
  printf ("%s\n", out->str);
  g_string_free (out, TRUE);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) option_context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *case_list = NULL;
  gint tasks = DEFAULT_TASKS;
  gint n_rounds = DEFAULT_ROUNDS;
  gint64 seed = -1;
  gboolean json = FALSE;
  gboolean no_python = FALSE;
  const GOptionEntry entries[] = {
    { "tasks", 'n', 0, G_OPTION_ARG_INT, &tasks, "Tasks per case and round (default 64)", "N" },
    { "ms", 0, 0, G_OPTION_ARG_DOUBLE, &task_ms, "CPU time of a task in ms (default 20)", "MS" },
    { "rounds", 'r', 0, G_OPTION_ARG_INT, &n_rounds, "Interleaved rounds (default 7)", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Seed of the per-round shuffle", "SEED" },
    { "cases", 'c', 0, G_OPTION_ARG_STRING, &case_list,
      "Comma-separated cases (default: osiiso-thread,osiiso-process,gtp,raw-proc-pool,"
      "python-tpe,python-ppe)", "LIST" },
    { "no-python", 0, 0, G_OPTION_ARG_NONE, &no_python, "Leave out the Python peers", NULL },
    { "worker-tool", 0, 0, G_OPTION_ARG_FILENAME, &worker_tool,
      "The osiiso-worker program (default: the build tree's)", "PATH" },
    { "module", 0, 0, G_OPTION_ARG_FILENAME, &module_path,
      "The bench module for osiiso-worker (default: the build tree's)", "PATH" },
    { "peer", 0, 0, G_OPTION_ARG_FILENAME, &peer_path,
      "The raw worker (default: the build tree's w3-peer)", "PATH" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print one JSON object instead of a table", NULL },
    BENCH_PYTHON_OPTIONS,
    { NULL }
  };

  option_context = g_option_context_new ("- W3: CPU-bound tasks on 2 workers against the ideal");
  g_option_context_add_main_entries (option_context, entries, NULL);
  if (!g_option_context_parse (option_context, &argc, &argv, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 2;
    }
  if (tasks < 1 || n_rounds < 1 || task_ms <= 0)
    {
      fprintf (stderr, "--tasks, --rounds and --ms must be positive\n");
      return 2;
    }
  n_tasks = (guint) tasks;
  if (worker_tool == NULL)
    worker_tool = g_strdup (BENCH_WORKER_TOOL);
  if (module_path == NULL)
    module_path = g_strdup (BENCH_MODULE);
  if (peer_path == NULL)
    peer_path = g_strdup (W3_PEER);

  if (!bench_enable_cases (case_list, N_CASES, case_index, case_enabled))
    return 2;
  no_python = bench_leave_out_python ("W3", no_python);
  for (guint c = 0; c < N_CASES; c++)
    if (no_python && cases[c].python)
      case_enabled[c] = FALSE;

  iterations = bench_spin_calibrate ((gint64) (task_ms * 1e6));
  if (seed < 0)
    seed = (gint64) (bench_now_ns () & G_MAXUINT32);

  if (case_enabled[C_PROCESS])
    process_setup ();
  if (case_enabled[C_RAW])
    raw_setup ();

  run_rounds ((guint) n_rounds, (guint32) seed, json);

  if (case_enabled[C_RAW])
    raw_teardown ();
  if (case_enabled[C_PROCESS])
    process_teardown ();
  return 0;
}
