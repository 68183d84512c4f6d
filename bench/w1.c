/* w1.c: W1, the dispatch overhead of empty tasks on 2 workers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * N empty tasks (200,000 by default) on 2 workers, timed from the first
 * submission to the last completion. Process start-up, pool creation and
 * teardown are outside the timed span. The cases:
 *
 * - osiiso-thread-submit: an OsiisoThreadQueue with 2 workers; N
 *   osiiso_queue_submit() calls (each handle dropped at once), then
 *   osiiso_queue_run(), whose summary must report N successes.
 * - gtp-resultq: the structurally equivalent raw GLib peer. An exclusive
 *   GThreadPool of 2 gets a g_new'd 40-byte record per task; the worker
 *   fills it and hands it back through a GAsyncQueue that the submitting
 *   thread pops N times. Like the queue, it allocates per task and returns
 *   every result to its owner.
 * - gtp-excl: the floor. An exclusive GThreadPool of 2 gets bare tokens;
 *   workers count completions with an atomic and the last one wakes the
 *   submitter through a GCond.
 * - osiiso-async-submit: an OsiisoAsyncQueue with 2 workers (at most 2
 *   operations in flight) on this thread's default main context; N
 *   osiiso_queue_submit() calls of a task function that completes its
 *   attempt at once (osiiso_task_context_return_value (ctx, NULL)), then
 *   osiiso_queue_run(), whose summary must report N successes.
 * - gmain-idle-chain: the raw GLib peer of an async queue, as in the
 *   reference harness: at most 2 g_idle_add() sources in flight on the
 *   same main context, each completion starting the next, the context
 *   iterated until N have run. One GSource and one main-loop dispatch per
 *   task, and nothing else.
 *
 * Each queue case is compared with the raw peers of its own kind: the
 * thread queue with gtp-resultq and gtp-excl, the async queue with
 * gmain-idle-chain. Where perf-anchors.md §6 sets a wall-time goal for a
 * pair (T1: osiiso-thread / gtp-resultq <= 3; A1: osiiso-async /
 * gmain-idle-chain <= 2.5), the table says whether the median met it.
 *
 * Method: all cases run in one process, once per round, in a freshly
 * shuffled order each round, because this box is a shared 2-vCPU VM whose
 * speed drifts; interleaving spreads the drift over all cases. Tables give
 * medians over the rounds. A ratio is the median of the same-round
 * (paired) ratios, with the p25-p75 range, which cancels most of the
 * drift. Thread-pool cases on 2 vCPUs are bimodal (workers fall asleep or
 * not, and each wake costs microseconds), so quote ratios, not absolute
 * numbers, and prefer the callgrind instruction counts (--single, see
 * callgrind-w1.sh) as the repeatable figure.
 */

#include <osiiso-glib/osiiso-glib.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_TASKS  200000
#define DEFAULT_ROUNDS 7
#define N_WORKERS      2

/* ------------------------------------------------------------------------
 * Timing
 * --------------------------------------------------------------------- */

/* g_get_monotonic_time() has µs resolution; small --tasks runs need ns. */
static gint64
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

/* ------------------------------------------------------------------------
 * osiiso-thread-submit
 * --------------------------------------------------------------------- */

static gboolean
empty_task (OsiisoTaskContext  *context,
            gpointer            user_data,
            GError            **error)
{
  return TRUE;
}

/* The queue is finalized on whichever thread drops the last reference,
 * possibly a pool thread after run() returned, and finalizing frees the
 * result history of all N tasks. The case waits for that, so the next
 * case does not share the CPUs with it. Object data is destroyed after the
 * class's finalize has run, so this fires once everything is freed. */
typedef struct
{
  GMutex   lock;
  GCond    cond;
  gboolean done;   /* (lock) */
} Finalized;

static void
finalized_cb (gpointer data)
{
  Finalized *finalized = data;

  g_mutex_lock (&finalized->lock);
  finalized->done = TRUE;
  g_cond_broadcast (&finalized->cond);
  g_mutex_unlock (&finalized->lock);
}

static void
unref_and_wait_finalized (GObject *object)
{
  Finalized finalized = { .done = FALSE };
  gint64 deadline;

  g_mutex_init (&finalized.lock);
  g_cond_init (&finalized.cond);
  g_object_set_data_full (object, "osiiso-bench-finalized", &finalized, finalized_cb);
  g_object_unref (object);

  deadline = g_get_monotonic_time () + 30 * G_TIME_SPAN_SECOND;
  g_mutex_lock (&finalized.lock);
  while (!finalized.done)
    if (!g_cond_wait_until (&finalized.cond, &finalized.lock, deadline))
      g_error ("The queue was not finalized within 30 s of the last unref: a reference leak?");
  g_mutex_unlock (&finalized.lock);

  g_mutex_clear (&finalized.lock);
  g_cond_clear (&finalized.cond);
}

static gint64
run_osiiso_thread_submit (guint n_tasks)
{
  OsiisoThreadQueue *queue;
  OsiisoRunSummary *summary;
  GError *error = NULL;
  gint64 start, end;

  queue = osiiso_thread_queue_new (N_WORKERS);

  start = now_ns ();
  for (guint i = 0; i < n_tasks; i++)
    {
      OsiisoTaskHandle *handle;

      handle = osiiso_queue_submit (OSIISO_QUEUE (queue), empty_task, NULL, NULL, NULL, &error);
      if (handle == NULL)
        g_error ("osiiso-thread-submit: submit %u failed: %s", i, error->message);
      g_object_unref (handle);
    }
  summary = osiiso_queue_run (OSIISO_QUEUE (queue), NULL, &error);
  end = now_ns ();

  if (summary == NULL)
    g_error ("osiiso-thread-submit: run failed: %s", error->message);
  /* A fast wrong answer is no answer: every task must have run. */
  if (osiiso_run_summary_get_succeeded (summary) != n_tasks
      || osiiso_run_summary_get_total (summary) != n_tasks)
    g_error ("osiiso-thread-submit: the summary reports %u of %u succeeded (total %u)",
             osiiso_run_summary_get_succeeded (summary), n_tasks,
             osiiso_run_summary_get_total (summary));

  osiiso_run_summary_unref (summary);
  unref_and_wait_finalized (G_OBJECT (queue));

  return end - start;
}

/* ------------------------------------------------------------------------
 * gtp-resultq
 * --------------------------------------------------------------------- */

/* 40 bytes on LP64, the record size of the reference harness: an index,
 * a result, and room for what a real task record carries. */
typedef struct
{
  guint64  index;
  guint64  value;
  gint64   finished;
  gpointer func;
  gpointer user_data;
} ResultRecord;

static void
resultq_worker (gpointer data,
                gpointer user_data)
{
  ResultRecord *record = data;
  GAsyncQueue *results = user_data;

  record->value = record->index + 1;
  record->finished = 1;
  g_async_queue_push (results, record);
}

static gint64
run_gtp_resultq (guint n_tasks)
{
  GAsyncQueue *results;
  GThreadPool *pool;
  GError *error = NULL;
  gint64 start, end;

  results = g_async_queue_new ();
  pool = g_thread_pool_new (resultq_worker, results, N_WORKERS, TRUE, &error);
  if (pool == NULL)
    g_error ("gtp-resultq: %s", error->message);

  start = now_ns ();
  for (guint i = 0; i < n_tasks; i++)
    {
      ResultRecord *record = g_new (ResultRecord, 1);

      record->index = i;
      record->value = 0;
      record->finished = 0;
      record->func = NULL;
      record->user_data = NULL;
      g_thread_pool_push (pool, record, NULL);
    }
  for (guint i = 0; i < n_tasks; i++)
    {
      ResultRecord *record = g_async_queue_pop (results);

      /* Keeps the compiler from dropping the worker's stores and checks
       * that every record came back filled. */
      if (G_UNLIKELY (record->value != record->index + 1))
        g_error ("gtp-resultq: record %" G_GUINT64_FORMAT " came back unfilled", record->index);
      g_free (record);
    }
  end = now_ns ();

  g_thread_pool_free (pool, FALSE, TRUE);
  g_async_queue_unref (results);

  return end - start;
}

/* ------------------------------------------------------------------------
 * gtp-excl
 * --------------------------------------------------------------------- */

typedef struct
{
  gint     remaining;   /* atomic */
  GMutex   lock;
  GCond    cond;
  gboolean done;        /* (lock) */
} ExclState;

static void
excl_worker (gpointer data,
             gpointer user_data)
{
  ExclState *state = user_data;

  /* Only the last completion takes the lock, so the floor stays a bare
   * queue hand-off per task. */
  if (g_atomic_int_dec_and_test (&state->remaining))
    {
      g_mutex_lock (&state->lock);
      state->done = TRUE;
      g_cond_signal (&state->cond);
      g_mutex_unlock (&state->lock);
    }
}

static gint64
run_gtp_excl (guint n_tasks)
{
  ExclState state;
  GThreadPool *pool;
  GError *error = NULL;
  gint64 start, end;

  state.remaining = (gint) n_tasks;
  state.done = FALSE;
  g_mutex_init (&state.lock);
  g_cond_init (&state.cond);

  pool = g_thread_pool_new (excl_worker, &state, N_WORKERS, TRUE, &error);
  if (pool == NULL)
    g_error ("gtp-excl: %s", error->message);

  start = now_ns ();
  for (guint i = 0; i < n_tasks; i++)
    g_thread_pool_push (pool, GINT_TO_POINTER (1), NULL);   /* a token cannot be NULL */
  g_mutex_lock (&state.lock);
  while (!state.done)
    g_cond_wait (&state.cond, &state.lock);
  g_mutex_unlock (&state.lock);
  end = now_ns ();

  g_thread_pool_free (pool, FALSE, TRUE);
  g_mutex_clear (&state.lock);
  g_cond_clear (&state.cond);

  return end - start;
}

/* ------------------------------------------------------------------------
 * osiiso-async-submit
 * --------------------------------------------------------------------- */

/* Runs on the queue's main context and completes its attempt at once,
 * the way an operation that finishes synchronously would. */
static gboolean
complete_at_once (OsiisoTaskContext  *context,
                  gpointer            user_data,
                  GError            **error)
{
  osiiso_task_context_return_value (context, NULL);
  return TRUE;
}

static gint64
run_osiiso_async_submit (guint n_tasks)
{
  OsiisoAsyncQueue *queue;
  OsiisoRunSummary *summary;
  GError *error = NULL;
  gint64 start, end;

  /* Captures this thread's default main context, the one the blocking
   * run() iterates and the one gmain-idle-chain uses. */
  queue = osiiso_async_queue_new (N_WORKERS);

  start = now_ns ();
  for (guint i = 0; i < n_tasks; i++)
    {
      OsiisoTaskHandle *handle;

      handle = osiiso_queue_submit (OSIISO_QUEUE (queue), complete_at_once, NULL, NULL, NULL, &error);
      if (handle == NULL)
        g_error ("osiiso-async-submit: submit %u failed: %s", i, error->message);
      g_object_unref (handle);
    }
  summary = osiiso_queue_run (OSIISO_QUEUE (queue), NULL, &error);
  end = now_ns ();

  if (summary == NULL)
    g_error ("osiiso-async-submit: run failed: %s", error->message);
  if (osiiso_run_summary_get_succeeded (summary) != n_tasks
      || osiiso_run_summary_get_total (summary) != n_tasks)
    g_error ("osiiso-async-submit: the summary reports %u of %u succeeded (total %u)",
             osiiso_run_summary_get_succeeded (summary), n_tasks,
             osiiso_run_summary_get_total (summary));

  osiiso_run_summary_unref (summary);
  /* No thread holds the queue: this finalizes it here and now. */
  unref_and_wait_finalized (G_OBJECT (queue));

  return end - start;
}

/* ------------------------------------------------------------------------
 * gmain-idle-chain
 * --------------------------------------------------------------------- */

typedef struct
{
  guint n_tasks;
  guint started;
  guint completed;
} IdleChain;

/* One "task": counts itself and starts the next, so at most N_WORKERS
 * idles are ever attached. */
static gboolean
idle_chain_cb (gpointer data)
{
  IdleChain *chain = data;

  chain->completed++;
  if (chain->started < chain->n_tasks)
    {
      chain->started++;
      g_idle_add (idle_chain_cb, chain);
    }
  return G_SOURCE_REMOVE;
}

static gint64
run_gmain_idle_chain (guint n_tasks)
{
  IdleChain chain = { n_tasks, 0, 0 };
  gint64 start, end;

  start = now_ns ();
  while (chain.started < MIN (n_tasks, N_WORKERS))
    {
      chain.started++;
      g_idle_add (idle_chain_cb, &chain);
    }
  while (chain.completed < n_tasks)
    g_main_context_iteration (NULL, TRUE);
  end = now_ns ();

  return end - start;
}

/* ------------------------------------------------------------------------
 * Cases and statistics
 * --------------------------------------------------------------------- */

typedef enum
{
  KIND_THREAD,   /* work on worker threads */
  KIND_ASYNC,    /* work on the main context */
} CaseKind;

typedef struct
{
  const char *name;
  gint64    (*run) (guint n_tasks);
  CaseKind    kind;       /* queue cases are compared with baselines of their kind */
  gboolean    baseline;   /* other cases are given as ratios against it */
  const char *goal_of;    /* the queue case whose ratio against this has a goal */
  gdouble     goal;       /* perf-anchors.md §6: median paired ratio at most this */
} Case;

static const Case cases[] = {
  { "osiiso-thread-submit", run_osiiso_thread_submit, KIND_THREAD, FALSE, NULL, 0 },
  { "gtp-resultq",          run_gtp_resultq,          KIND_THREAD, TRUE,
    "osiiso-thread-submit", 3.0 },                                            /* T1 */
  { "gtp-excl",             run_gtp_excl,             KIND_THREAD, TRUE,  NULL, 0 },
  { "osiiso-async-submit",  run_osiiso_async_submit,  KIND_ASYNC,  FALSE, NULL, 0 },
  { "gmain-idle-chain",     run_gmain_idle_chain,     KIND_ASYNC,  TRUE,
    "osiiso-async-submit", 2.5 },                                             /* A1 */
};

#define N_CASES G_N_ELEMENTS (cases)

static const Case *
lookup_case (const char *name)
{
  for (guint i = 0; i < N_CASES; i++)
    if (g_str_equal (cases[i].name, name))
      return &cases[i];
  return NULL;
}

static gint
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  gdouble x = *(const gdouble *) a;
  gdouble y = *(const gdouble *) b;

  return (x > y) - (x < y);
}

typedef struct
{
  gdouble median;
  gdouble p25;
  gdouble p75;
  gdouble min;
  gdouble max;
} Stats;

/* Linear interpolation between order statistics, as numpy's default, so
 * the figures match the reference harness's tables. */
static gdouble
quantile (const gdouble *sorted,
          guint          n,
          gdouble        q)
{
  gdouble pos = q * (n - 1);
  guint lo = (guint) pos;
  guint hi = MIN (lo + 1, n - 1);

  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

static Stats
compute_stats (const gdouble *values,
               guint          n)
{
  g_autofree gdouble *sorted = g_memdup2 (values, n * sizeof (gdouble));
  Stats stats;

  qsort (sorted, n, sizeof (gdouble), compare_doubles);
  stats.median = quantile (sorted, n, 0.5);
  stats.p25 = quantile (sorted, n, 0.25);
  stats.p75 = quantile (sorted, n, 0.75);
  stats.min = sorted[0];
  stats.max = sorted[n - 1];
  return stats;
}

/* Peak RSS of this process, from VmHWM (the reliable source on Linux). */
static gint64
read_vm_hwm_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, "VmHWM:");
  if (line == NULL)
    return -1;
  return g_ascii_strtoll (line + strlen ("VmHWM:"), NULL, 10);
}

static void
append_doubles_json (GString       *out,
                     const gdouble *values,
                     guint          n,
                     const char    *format)
{
  g_string_append_c (out, '[');
  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append (out, ", ");
      g_string_append_printf (out, format, values[i]);
    }
  g_string_append_c (out, ']');
}

/* ------------------------------------------------------------------------
 * Modes
 * --------------------------------------------------------------------- */

/* One case, once, no warm-up: what callgrind-w1.sh measures. Everything
 * but the tasks is identical between two N values, so the difference of
 * two whole-program instruction counts is the marginal cost per task. */
static int
run_single (const Case *c,
            guint       n_tasks,
            gboolean    json)
{
  gint64 ns = c->run (n_tasks);
  gdouble per_task = (gdouble) ns / n_tasks;

  if (json)
    printf ("{\"case\": \"%s\", \"tasks\": %u, \"ns\": %" G_GINT64_FORMAT
            ", \"ns_per_task\": %.1f, \"vm_hwm_kib\": %" G_GINT64_FORMAT "}\n",
            c->name, n_tasks, ns, per_task, read_vm_hwm_kib ());
  else
    printf ("%s: %u tasks in %.3f s: %.1f ns/task, %.0f tasks/s, peak RSS %" G_GINT64_FORMAT " KiB\n",
            c->name, n_tasks, ns / 1e9, per_task, 1e9 / per_task, read_vm_hwm_kib ());
  return 0;
}

static int
run_rounds (guint    n_tasks,
            guint    n_rounds,
            guint32  seed,
            gboolean json)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  g_autofree gdouble *per_task = g_new0 (gdouble, N_CASES * n_rounds);   /* [case][round] */
  g_autofree gdouble *ratios = g_new0 (gdouble, n_rounds);
  guint order[N_CASES];
  Stats stats[N_CASES];
  GString *out = g_string_new (NULL);

  /* Warm-up, untimed: type registration, GLib's thread pools and the
   * allocator's arenas would otherwise all land in round 1. */
  for (guint i = 0; i < N_CASES; i++)
    cases[i].run (MIN (n_tasks, 1000));

  for (guint r = 0; r < n_rounds; r++)
    {
      for (guint i = 0; i < N_CASES; i++)
        order[i] = i;
      for (guint i = N_CASES - 1; i > 0; i--)
        {
          guint j = (guint) g_rand_int_range (rand, 0, (gint32) i + 1);
          guint tmp = order[i];

          order[i] = order[j];
          order[j] = tmp;
        }

      for (guint k = 0; k < N_CASES; k++)
        {
          guint i = order[k];
          gint64 ns = cases[i].run (n_tasks);

          per_task[i * n_rounds + r] = (gdouble) ns / n_tasks;
          if (!json)
            fprintf (stderr, "round %u/%u  %-22s %9.1f ns/task\n",
                     r + 1, n_rounds, cases[i].name, per_task[i * n_rounds + r]);
        }
    }

  for (guint i = 0; i < N_CASES; i++)
    stats[i] = compute_stats (&per_task[i * n_rounds], n_rounds);

  if (json)
    {
      g_string_append_printf (out,
                              "{\"workload\": \"W1\", \"tasks\": %u, \"workers\": %u, "
                              "\"rounds\": %u, \"seed\": %u, \"glib\": \"%u.%u.%u\", "
                              "\"osiiso\": \"%u.%u.%u\", \"cases\": {",
                              n_tasks, N_WORKERS, n_rounds, seed,
                              glib_major_version, glib_minor_version, glib_micro_version,
                              osiiso_get_major_version (), osiiso_get_minor_version (),
                              osiiso_get_micro_version ());
      for (guint i = 0; i < N_CASES; i++)
        {
          g_string_append_printf (out,
                                  "%s\"%s\": {\"median_ns_per_task\": %.1f, \"tasks_per_s\": %.0f, "
                                  "\"min_ns_per_task\": %.1f, \"max_ns_per_task\": %.1f, "
                                  "\"runs_ns_per_task\": ",
                                  i > 0 ? ", " : "", cases[i].name, stats[i].median,
                                  1e9 / stats[i].median, stats[i].min, stats[i].max);
          append_doubles_json (out, &per_task[i * n_rounds], n_rounds, "%.1f");
          g_string_append_c (out, '}');
        }
      g_string_append (out, "}, \"ratios\": {");
    }
  else
    {
      g_string_append_printf (out,
                              "\nW1: %u empty tasks, %u workers, %u interleaved rounds "
                              "(seed %u), GLib %u.%u.%u\n\n",
                              n_tasks, N_WORKERS, n_rounds, seed,
                              glib_major_version, glib_minor_version, glib_micro_version);
      g_string_append_printf (out, "%-22s %14s %12s %20s\n",
                              "case", "median ns/task", "tasks/s", "min-max ns/task");
      for (guint i = 0; i < N_CASES; i++)
        {
          g_autofree char *range = g_strdup_printf ("%.0f-%.0f", stats[i].min, stats[i].max);

          g_string_append_printf (out, "%-22s %14.1f %12.0f %20s\n",
                                  cases[i].name, stats[i].median, 1e9 / stats[i].median, range);
        }
      g_string_append (out, "\npaired same-round ratios: median (p25-p75)\n");
    }

  /* Every case that is not a baseline, against every baseline. */
  for (guint i = 0, n_subjects = 0; i < N_CASES; i++)
    {
      guint n_baselines = 0;

      if (cases[i].baseline)
        continue;

      if (json)
        g_string_append_printf (out, "%s\"%s\": {", n_subjects++ > 0 ? ", " : "", cases[i].name);

      for (guint b = 0; b < N_CASES; b++)
        {
          gboolean has_goal;
          Stats rs;

          if (!cases[b].baseline || cases[b].kind != cases[i].kind)
            continue;
          has_goal = cases[b].goal_of != NULL && g_str_equal (cases[b].goal_of, cases[i].name);

          for (guint r = 0; r < n_rounds; r++)
            ratios[r] = per_task[i * n_rounds + r] / per_task[b * n_rounds + r];
          rs = compute_stats (ratios, n_rounds);

          if (json)
            {
              g_string_append_printf (out,
                                      "%s\"%s\": {\"median\": %.3f, \"p25\": %.3f, \"p75\": %.3f, ",
                                      n_baselines > 0 ? ", " : "", cases[b].name,
                                      rs.median, rs.p25, rs.p75);
              if (has_goal)
                g_string_append_printf (out, "\"goal\": %.2f, \"goal_met\": %s, ",
                                        cases[b].goal, rs.median <= cases[b].goal ? "true" : "false");
              g_string_append (out, "\"runs\": ");
              append_doubles_json (out, ratios, n_rounds, "%.3f");
              g_string_append_c (out, '}');
            }
          else
            {
              g_autofree char *label = g_strdup_printf ("%s / %s", cases[i].name, cases[b].name);

              g_string_append_printf (out, "  %-42s %6.2f  (%.2f-%.2f)",
                                      label, rs.median, rs.p25, rs.p75);
              if (has_goal)
                g_string_append_printf (out, "   goal <= %.1f: %s", cases[b].goal,
                                        rs.median <= cases[b].goal ? "met" : "MISSED");
              g_string_append_c (out, '\n');
            }
          n_baselines++;
        }

      if (json)
        g_string_append_c (out, '}');
    }

  if (json)
    g_string_append (out, "}}");

  printf ("%s\n", out->str);
  g_string_free (out, TRUE);
  return 0;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) option_context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *single = NULL;
  gint n_tasks = DEFAULT_TASKS;
  gint n_rounds = DEFAULT_ROUNDS;
  gint64 seed = -1;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "tasks", 'n', 0, G_OPTION_ARG_INT, &n_tasks,
      "Tasks per case and round (default 200000)", "N" },
    { "rounds", 'r', 0, G_OPTION_ARG_INT, &n_rounds,
      "Interleaved rounds (default 7)", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed,
      "Seed of the per-round shuffle (default: from the clock)", "SEED" },
    { "single", 's', 0, G_OPTION_ARG_STRING, &single,
      "Run only CASE, once, without warm-up or shuffling (for callgrind)", "CASE" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json,
      "Print one JSON object instead of a table", NULL },
    { NULL }
  };

  option_context = g_option_context_new ("- W1: empty tasks on 2 workers");
  g_option_context_set_summary (option_context,
                                "Cases: osiiso-thread-submit, gtp-resultq, gtp-excl, "
                                "osiiso-async-submit, gmain-idle-chain.");
  g_option_context_add_main_entries (option_context, entries, NULL);
  if (!g_option_context_parse (option_context, &argc, &argv, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 2;
    }
  if (n_tasks < 1 || n_rounds < 1)
    {
      fprintf (stderr, "--tasks and --rounds must be at least 1\n");
      return 2;
    }

  if (single != NULL)
    {
      const Case *c = lookup_case (single);

      if (c == NULL)
        {
          fprintf (stderr, "Unknown case “%s”; cases:", single);
          for (guint i = 0; i < N_CASES; i++)
            fprintf (stderr, " %s", cases[i].name);
          fprintf (stderr, "\n");
          return 2;
        }
      return run_single (c, (guint) n_tasks, json);
    }

  if (seed < 0)
    seed = (gint64) (now_ns () & G_MAXUINT32);

  return run_rounds ((guint) n_tasks, (guint) n_rounds, (guint32) seed, json);
}
