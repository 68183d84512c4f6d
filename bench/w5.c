/* w5.c: W5, memory per queued task (1,000,000 queued, not yet run)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * N tasks (1,000,000 by default) are queued and none has run; the figure
 * is the growth of the process per queued task. Every measurement runs in
 * a fresh process (this program runs itself with --child CASE), so no
 * case inherits another's freed memory. Two probes, both reported:
 *
 * - RSS: resident bytes (/proc/self/statm) after queueing minus before,
 *   / N. What the kernel really gave the process: touched pages only.
 * - malloc: glibc mallinfo2() in-use bytes (arenas + mmap'ed blocks),
 *   after minus before, / N. What the allocator handed out, touched or
 *   not (a doubling array counts whole), whole GSlice chunks included.
 *
 * The task inputs are not the queue's memory, so they are made before the
 * "before" probe, kept alive by the bench, and their own growth is
 * reported separately (input_bytes_per_task): the "au" array of a map (4
 * bytes a task), or the N GVariant arguments of submit_call. A per-task
 * figure is therefore what the queue itself adds. Before the probe, a
 * throwaway queue of the same kind gets one task of the same kind, so
 * type registration and one-off allocations are outside the span.
 *
 * The cases (none is started: queues are not run, pools' workers are
 * blocked, the main context is not iterated):
 *
 * - osiiso-{thread,async}-map: osiiso_queue_map() of an empty task over
 *   an "au" of N indices: no handle per task.
 * - osiiso-{thread,async}-submit: N osiiso_queue_submit(), handles dropped.
 * - osiiso-process-map: osiiso_process_queue_map_call() of "nop" over an
 *   "au" of N indices (workers are spawned only when a task runs: none is).
 * - osiiso-process-submit: N osiiso_process_queue_submit_call() of "nop",
 *   each with its own "u" argument (made and held before the probe).
 * - osiiso-command-submit: N osiiso_process_queue_submit_command() of
 *   /bin/true (argv shared by the caller; the queue's copy is its own).
 * - gtp-plain, gtp-alloc: an exclusive GThreadPool of 2 whose workers are
 *   blocked, then N pushes of a token, or of a g_new'd 40-byte record.
 * - gmain-idle-src: N idle GSources attached to a GMainContext that is
 *   not iterated (what an async queue built on one GSource per task
 *   would cost).
 * - python-tpe, python-asyncio-task, python-asyncio-queue: bench/peers.py
 *   (RSS only; --py-tasks, 200,000 by default: ThreadPoolExecutor takes
 *   ~1.9 KB per queued future).
 *
 * The goal (issue 10): at most 256 bytes per queued task on every backend
 * (RSS), map and submit.
 *
 *   /tmp/b-bench/bench/osiiso-bench-w5 [--rounds 3] [--tasks 1000000] [--json]
 */

#include <osiiso-glib/osiiso-glib.h>

#include "bench-common.h"

#ifndef BENCH_WORKER_TOOL
# define BENCH_WORKER_TOOL NULL
#endif
#ifndef BENCH_MODULE
# define BENCH_MODULE NULL
#endif

#define DEFAULT_TASKS    1000000
#define DEFAULT_PY_TASKS 200000
#define DEFAULT_ROUNDS   3
#define N_WORKERS        2

static guint n_tasks = DEFAULT_TASKS;
static guint py_tasks = DEFAULT_PY_TASKS;
static char *worker_tool = NULL;
static char *module_path = NULL;

typedef struct
{
  gint64 rss;
  gint64 heap;
} Probe;

static Probe
probe (void)
{
  return (Probe) { bench_rss_bytes (), bench_malloc_in_use () };
}

typedef struct
{
  gdouble bytes;          /* RSS growth / N */
  gdouble malloc_bytes;   /* mallinfo2 growth / N */
  gdouble input_bytes;    /* the inputs' own RSS growth / N */
  gdouble input_malloc_bytes;
  gdouble enqueue_ns;
} Sample;

static void
print_sample (const Sample *s)
{
  GString *out = g_string_new ("{\"bytes_per_task\": ");

  bench_json_number (out, s->bytes);
  g_string_append (out, ", \"malloc_bytes_per_task\": ");
  bench_json_number (out, s->malloc_bytes);
  g_string_append (out, ", \"input_bytes_per_task\": ");
  bench_json_number (out, s->input_bytes);
  g_string_append (out, ", \"input_malloc_bytes_per_task\": ");
  bench_json_number (out, s->input_malloc_bytes);
  g_string_append (out, ", \"enqueue_ns_per_task\": ");
  bench_json_number (out, s->enqueue_ns);
  g_string_append (out, "}\n");
  fputs (out->str, stdout);
  fflush (stdout);
  g_string_free (out, TRUE);
}

/* ------------------------------------------------------------------------
 * The child cases
 * --------------------------------------------------------------------- */

static gboolean
empty_task (OsiisoTaskContext  *context,
            gpointer            user_data,
            GError            **error)
{
  return TRUE;
}

static GVariant *
index_inputs (guint n)
{
  guint32 *indices = g_new (guint32, n);

  for (guint i = 0; i < n; i++)
    indices[i] = i;
  return g_variant_ref_sink (g_variant_new_from_data (G_VARIANT_TYPE ("au"), indices,
                                                      sizeof (guint32) * n, TRUE, g_free, indices));
}

typedef enum { KIND_THREAD, KIND_ASYNC, KIND_PROCESS } QueueKind;

static OsiisoQueue *
new_queue (QueueKind kind)
{
  const char *argv[] = { worker_tool, module_path, NULL };

  switch (kind)
    {
    case KIND_THREAD:  return OSIISO_QUEUE (osiiso_thread_queue_new (N_WORKERS));
    case KIND_ASYNC:   return OSIISO_QUEUE (osiiso_async_queue_new (N_WORKERS));
    case KIND_PROCESS: return OSIISO_QUEUE (osiiso_process_queue_new (argv, N_WORKERS));
    }
  g_assert_not_reached ();
}

typedef enum { HOW_MAP, HOW_SUBMIT, HOW_COMMAND } How;

/* Queues @n tasks on @queue the way @how says; @args are the submit_call
 * arguments (process submit), @inputs the map's. */
static void
queue_tasks (OsiisoQueue *queue,
             QueueKind    kind,
             How          how,
             guint        n,
             GVariant    *inputs,
             GVariant   **args)
{
  static const char * const true_argv[] = { "/bin/true", NULL };
  GError *error = NULL;

  if (how == HOW_MAP)
    {
      OsiisoTaskGroup *group = kind == KIND_PROCESS
        ? osiiso_process_queue_map_call (OSIISO_PROCESS_QUEUE (queue), "nop", inputs, NULL, &error)
        : osiiso_queue_map (queue, empty_task, NULL, NULL, inputs, NULL, &error);

      if (group == NULL)
        g_error ("map: %s", error->message);
      g_object_unref (group);   /* the queue keeps what its tasks need */
      return;
    }

  for (guint i = 0; i < n; i++)
    {
      OsiisoTaskHandle *handle;

      if (how == HOW_COMMAND)
        handle = osiiso_process_queue_submit_command (OSIISO_PROCESS_QUEUE (queue), true_argv, NULL,
                                                      NULL, NULL, NULL, &error);
      else if (kind == KIND_PROCESS)
        handle = osiiso_process_queue_submit_call (OSIISO_PROCESS_QUEUE (queue), "nop", args[i],
                                                   NULL, &error);
      else
        handle = osiiso_queue_submit (queue, empty_task, NULL, NULL, NULL, &error);
      if (handle == NULL)
        g_error ("submit %u: %s", i, error->message);
      g_object_unref (handle);
    }
}

static Sample
child_osiiso (QueueKind kind,
              How       how)
{
  g_autoptr(GVariant) warm_inputs = index_inputs (1);
  GVariant *warm_args[1] = { g_variant_ref_sink (g_variant_new_uint32 (0)) };
  OsiisoQueue *warm, *queue;
  GVariant *inputs = NULL;
  GVariant **args = NULL;
  Probe p0, p1, p2;
  gint64 t0, t1;

  /* One-off costs (types, the default options, GLib internals) outside
   * the span; the warm queue is kept, so nothing of it is freed inside. */
  warm = new_queue (kind);
  queue_tasks (warm, kind, how, 1, warm_inputs, warm_args);
  queue = new_queue (kind);

  p0 = probe ();
  if (how == HOW_MAP)
    inputs = index_inputs (n_tasks);
  else if (how == HOW_SUBMIT && kind == KIND_PROCESS)
    {
      args = g_new (GVariant *, n_tasks);
      for (guint i = 0; i < n_tasks; i++)
        args[i] = g_variant_ref_sink (g_variant_new_uint32 (i));
    }
  p1 = probe ();

  t0 = bench_now_ns ();
  queue_tasks (queue, kind, how, n_tasks, inputs, args);
  t1 = bench_now_ns ();
  p2 = probe ();

  if (osiiso_queue_get_pending (queue) != n_tasks)
    g_error ("%u tasks pending, not %u", osiiso_queue_get_pending (queue), n_tasks);

  return (Sample) {
    (gdouble) (p2.rss - p1.rss) / n_tasks,
    (gdouble) (p2.heap - p1.heap) / n_tasks,
    (gdouble) (p1.rss - p0.rss) / n_tasks,
    (gdouble) (p1.heap - p0.heap) / n_tasks,
    (gdouble) (t1 - t0) / n_tasks,
  };
  /* Nothing is freed: the child exits right after printing. */
}

/* GThreadPool with both workers blocked until the process exits. */
typedef struct
{
  GMutex lock;
  GCond  cond;
  guint  blocked;
} Gate;

static Gate gate;

static void
gate_worker (gpointer data,
             gpointer user_data)
{
  g_mutex_lock (&gate.lock);
  gate.blocked++;
  g_cond_broadcast (&gate.cond);
  for (;;)
    g_cond_wait (&gate.cond, &gate.lock);   /* never released: the child _exit()s */
}

static Sample
child_gtp (gboolean alloc)
{
  GThreadPool *pool;
  GError *error = NULL;
  Probe p1, p2;
  gint64 t0, t1;

  g_mutex_init (&gate.lock);
  g_cond_init (&gate.cond);
  pool = g_thread_pool_new (gate_worker, NULL, N_WORKERS, TRUE, &error);
  if (pool == NULL)
    g_error ("gtp: %s", error->message);
  for (guint w = 0; w < N_WORKERS; w++)
    g_thread_pool_push (pool, GUINT_TO_POINTER (1), NULL);
  g_mutex_lock (&gate.lock);
  while (gate.blocked < N_WORKERS)
    g_cond_wait (&gate.cond, &gate.lock);
  g_mutex_unlock (&gate.lock);
  /* Warm the GSlice magazine of the queue's list nodes. */
  {
    GAsyncQueue *warm = g_async_queue_new ();

    g_async_queue_push (warm, GUINT_TO_POINTER (1));
  }

  p1 = probe ();
  t0 = bench_now_ns ();
  for (guint i = 0; i < n_tasks; i++)
    g_thread_pool_push (pool, alloc ? g_malloc0 (40) : GUINT_TO_POINTER (1), NULL);
  t1 = bench_now_ns ();
  p2 = probe ();

  return (Sample) { (gdouble) (p2.rss - p1.rss) / n_tasks, (gdouble) (p2.heap - p1.heap) / n_tasks,
                    0, 0, (gdouble) (t1 - t0) / n_tasks };
}

static gboolean
never_cb (gpointer data)
{
  return G_SOURCE_REMOVE;
}

static Sample
child_idle (void)
{
  GMainContext *context = g_main_context_new ();
  Probe p1, p2;
  gint64 t0, t1;

  {
    GSource *warm = g_idle_source_new ();

    g_source_set_callback (warm, never_cb, NULL, NULL);
    g_source_attach (warm, context);
    g_source_unref (warm);
  }

  p1 = probe ();
  t0 = bench_now_ns ();
  for (guint i = 0; i < n_tasks; i++)
    {
      GSource *source = g_idle_source_new ();

      g_source_set_callback (source, never_cb, GUINT_TO_POINTER (i), NULL);
      g_source_attach (source, context);
      g_source_unref (source);
    }
  t1 = bench_now_ns ();
  p2 = probe ();

  return (Sample) { (gdouble) (p2.rss - p1.rss) / n_tasks, (gdouble) (p2.heap - p1.heap) / n_tasks,
                    0, 0, (gdouble) (t1 - t0) / n_tasks };
}

/* ------------------------------------------------------------------------
 * Cases
 * --------------------------------------------------------------------- */

typedef struct
{
  const char *name;
  const char *backend;
  gboolean    osiiso;
  const char *python;     /* the peers.py command, for a Python peer */
} Case;

static const Case cases[] = {
  { "osiiso-thread-map",     "thread",  TRUE,  NULL },
  { "osiiso-thread-submit",  "thread",  TRUE,  NULL },
  { "gtp-plain",             "thread",  FALSE, NULL },
  { "gtp-alloc",             "thread",  FALSE, NULL },
  { "python-tpe",            "thread",  FALSE, "w5-tpe" },
  { "osiiso-async-map",      "async",   TRUE,  NULL },
  { "osiiso-async-submit",   "async",   TRUE,  NULL },
  { "gmain-idle-src",        "async",   FALSE, NULL },
  { "python-asyncio-task",   "async",   FALSE, "w5-asyncio-task" },
  { "python-asyncio-queue",  "async",   FALSE, "w5-asyncio-queue" },
  { "osiiso-process-map",    "process", TRUE,  NULL },
  { "osiiso-process-submit", "process", TRUE,  NULL },
  { "osiiso-command-submit", "process", TRUE,  NULL },
};

#define N_CASES G_N_ELEMENTS (cases)

static int
run_child (const char *name)
{
  Sample s;

  if (g_str_equal (name, "osiiso-thread-map"))
    s = child_osiiso (KIND_THREAD, HOW_MAP);
  else if (g_str_equal (name, "osiiso-thread-submit"))
    s = child_osiiso (KIND_THREAD, HOW_SUBMIT);
  else if (g_str_equal (name, "osiiso-async-map"))
    s = child_osiiso (KIND_ASYNC, HOW_MAP);
  else if (g_str_equal (name, "osiiso-async-submit"))
    s = child_osiiso (KIND_ASYNC, HOW_SUBMIT);
  else if (g_str_equal (name, "osiiso-process-map"))
    s = child_osiiso (KIND_PROCESS, HOW_MAP);
  else if (g_str_equal (name, "osiiso-process-submit"))
    s = child_osiiso (KIND_PROCESS, HOW_SUBMIT);
  else if (g_str_equal (name, "osiiso-command-submit"))
    s = child_osiiso (KIND_PROCESS, HOW_COMMAND);
  else if (g_str_equal (name, "gtp-plain"))
    s = child_gtp (FALSE);
  else if (g_str_equal (name, "gtp-alloc"))
    s = child_gtp (TRUE);
  else if (g_str_equal (name, "gmain-idle-src"))
    s = child_idle ();
  else
    {
      fprintf (stderr, "W5: unknown child case “%s”\n", name);
      return 2;
    }
  print_sample (&s);
  _exit (0);   /* no teardown of a million tasks: the figures are taken */
}

/* One measurement in a fresh process: this program with --child, or
 * peers.py for a Python peer. */
static Sample
measure (const Case *c)
{
  Sample s = { NAN, NAN, NAN, NAN, NAN };
  char *out;

  if (c->python != NULL)
    {
      g_autofree char *count = g_strdup_printf ("%u", MIN (py_tasks, n_tasks));
      const char *args[] = { c->python, count, NULL };

      out = bench_run_python (args);
    }
  else
    {
      g_autofree char *count = g_strdup_printf ("%u", n_tasks);
      const char *argv[] = { "/proc/self/exe", "--child", c->name, "--tasks", count,
                             "--worker-tool", worker_tool, "--module", module_path, NULL };
      g_autoptr(GError) error = NULL;
      g_autofree char *err = NULL;
      gint status;

      if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                         &status, &error))
        g_error ("W5 %s: %s", c->name, error->message);
      if (!g_spawn_check_wait_status (status, &error))
        g_error ("W5 %s failed (%s):\n%s", c->name, error->message, err);
    }
  s.bytes = bench_json_get (out, "bytes_per_task");
  s.malloc_bytes = bench_json_get (out, "malloc_bytes_per_task");
  s.input_bytes = bench_json_get (out, "input_bytes_per_task");
  s.input_malloc_bytes = bench_json_get (out, "input_malloc_bytes_per_task");
  s.enqueue_ns = bench_json_get (out, "enqueue_ns_per_task");
  if (isnan (s.bytes))
    g_error ("W5 %s: unexpected output: %s", c->name, out);
  g_free (out);
  return s;
}

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
  g_autofree Sample *samples = g_new (Sample, N_CASES * n_rounds);
  g_autofree gdouble *values = g_new (gdouble, n_rounds);
  g_autofree char *load_before = NULL;
  g_autofree char *load_after = NULL;
  guint order[N_CASES], n_enabled = 0;
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < N_CASES * n_rounds; i++)
    samples[i] = (Sample) { NAN, NAN, NAN, NAN, NAN };
  n_enabled = bench_enabled_order (case_enabled, N_CASES, order);

  load_before = bench_loadavg ();
  for (guint r = 0; r < n_rounds; r++)
    {
      bench_shuffle (rand, order, n_enabled);
      for (guint k = 0; k < n_enabled; k++)
        {
          guint c = order[k];
          Sample s = measure (&cases[c]);

          samples[c * n_rounds + r] = s;
          fprintf (stderr, "W5 round %u/%u  %-22s %7.1f B/task RSS, %7.1f B/task malloc, inputs "
                   "%.1f B/task, enqueue %.0f ns/task\n", r + 1, n_rounds, cases[c].name, s.bytes,
                   s.malloc_bytes, s.input_bytes, s.enqueue_ns);
        }
    }
  load_after = bench_loadavg ();

#define FIELD(c, f) \
  G_STMT_START { for (guint r = 0; r < n_rounds; r++) values[r] = samples[(c) * n_rounds + r].f; } G_STMT_END

  if (json)
    {
      bench_json_begin (out, "W5", "B/task", n_rounds);
      g_string_append_printf (out,
                              "\"tasks\": %u, "
                              "\"py_tasks\": %u, \"seed\": %u, \"loadavg_before\": \"%s\", "
                              "\"loadavg_after\": \"%s\"}, \"cases\": {",
                              n_tasks, MIN (py_tasks, n_tasks), seed, load_before, load_after);
      for (guint c = 0, n = 0; c < N_CASES; c++)
        {
          if (!case_enabled[c])
            continue;
          bench_json_case (out, &n, cases[c].name, cases[c].backend, cases[c].osiiso);
          g_string_append (out, ", \"runs\": ");
          FIELD (c, bytes);
          bench_json_array (out, values, n_rounds);
          g_string_append (out, ", \"extra\": {\"malloc_bytes_per_task\": ");
          FIELD (c, malloc_bytes);
          bench_json_array (out, values, n_rounds);
          g_string_append (out, ", \"input_bytes_per_task\": ");
          FIELD (c, input_bytes);
          bench_json_array (out, values, n_rounds);
          g_string_append (out, ", \"input_malloc_bytes_per_task\": ");
          FIELD (c, input_malloc_bytes);
          bench_json_array (out, values, n_rounds);
          g_string_append (out, ", \"enqueue_ns_per_task\": ");
          FIELD (c, enqueue_ns);
          bench_json_array (out, values, n_rounds);
          g_string_append (out, "}}");
        }
      g_string_append (out, "}, \"goals\": [");
      for (guint c = 0, n = 0; c < N_CASES; c++)
        if (case_enabled[c] && cases[c].osiiso)
          g_string_append_printf (out, "%s{\"subject\": \"%s\", \"baseline\": \"value\", \"max\": 256, "
                                  "\"label\": \"issue 10: W5 <= 256 B per queued task\"}",
                                  n++ > 0 ? ", " : "", cases[c].name);
      g_string_append (out, "]}");
    }
  else
    {
      g_string_append_printf (out, "\nW5: %u queued tasks (Python peers: %u), %u rounds, each in a "
                              "fresh process; load average %s -> %s\n\n", n_tasks,
                              MIN (py_tasks, n_tasks), n_rounds, load_before, load_after);
      g_string_append_printf (out, "%-22s %8s %12s %12s %12s %12s\n", "case", "backend",
                              "RSS B/task", "malloc B/t", "inputs B/t", "enqueue ns");
      for (guint c = 0; c < N_CASES; c++)
        {
          gdouble m[5];

          if (!case_enabled[c])
            continue;
          FIELD (c, bytes);
          m[0] = bench_stats (values, n_rounds).median;
          FIELD (c, malloc_bytes);
          m[1] = bench_stats (values, n_rounds).median;
          FIELD (c, input_bytes);
          m[2] = bench_stats (values, n_rounds).median;
          FIELD (c, enqueue_ns);
          m[4] = bench_stats (values, n_rounds).median;
          g_string_append_printf (out, "%-22s %8s %12.1f %12.1f %12.1f %12.0f", cases[c].name,
                                  cases[c].backend, m[0], m[1], m[2], m[4]);
          if (cases[c].osiiso)
            g_string_append_printf (out, "   goal <= 256: %s", m[0] <= 256 ? "met" : "MISSED");
          g_string_append_c (out, '\n');
        }
    }
#undef FIELD
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
  g_autofree char *child = NULL;
  gint tasks = DEFAULT_TASKS;
  gint n_py_tasks = DEFAULT_PY_TASKS;
  gint n_rounds = DEFAULT_ROUNDS;
  gint64 seed = -1;
  gboolean json = FALSE;
  gboolean no_python = FALSE;
  const GOptionEntry entries[] = {
    { "tasks", 'n', 0, G_OPTION_ARG_INT, &tasks, "Queued tasks (default 1000000)", "N" },
    { "py-tasks", 0, 0, G_OPTION_ARG_INT, &n_py_tasks,
      "Queued tasks of the Python peers (default 200000, at most --tasks)", "N" },
    { "rounds", 'r', 0, G_OPTION_ARG_INT, &n_rounds, "Rounds (default 3)", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Seed of the per-round shuffle", "SEED" },
    { "cases", 'c', 0, G_OPTION_ARG_STRING, &case_list, "Comma-separated cases (default: all)", "LIST" },
    { "no-python", 0, 0, G_OPTION_ARG_NONE, &no_python, "Leave out the Python peers", NULL },
    { "child", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &child, "Measure CASE in this process", "CASE" },
    { "worker-tool", 0, 0, G_OPTION_ARG_FILENAME, &worker_tool,
      "The osiiso-worker program (default: the build tree's)", "PATH" },
    { "module", 0, 0, G_OPTION_ARG_FILENAME, &module_path,
      "The bench module for osiiso-worker (default: the build tree's)", "PATH" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print one JSON object instead of a table", NULL },
    BENCH_PYTHON_OPTIONS,
    { NULL }
  };

  option_context = g_option_context_new ("- W5: memory per queued task");
  g_option_context_add_main_entries (option_context, entries, NULL);
  if (!g_option_context_parse (option_context, &argc, &argv, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 2;
    }
  if (tasks < 1 || n_rounds < 1 || n_py_tasks < 1)
    {
      fprintf (stderr, "--tasks, --py-tasks and --rounds must be at least 1\n");
      return 2;
    }
  n_tasks = (guint) tasks;
  py_tasks = (guint) n_py_tasks;
  if (worker_tool == NULL)
    worker_tool = g_strdup (BENCH_WORKER_TOOL);
  if (module_path == NULL)
    module_path = g_strdup (BENCH_MODULE);

  if (child != NULL)
    return run_child (child);

  if (!bench_enable_cases (case_list, N_CASES, case_index, case_enabled))
    return 2;
  no_python = bench_leave_out_python ("W5", no_python);
  for (guint c = 0; c < N_CASES; c++)
    if (no_python && cases[c].python != NULL)
      case_enabled[c] = FALSE;

  if (seed < 0)
    seed = (gint64) (bench_now_ns () & G_MAXUINT32);
  run_rounds ((guint) n_rounds, (guint32) seed, json);
  return 0;
}
