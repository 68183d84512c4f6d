/* process-pool.c: a pool of worker processes computing Fibonacci numbers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * An OsiisoProcessQueue with 2 workers. Each worker is the `osiiso-worker`
 * helper serving the C module process-functions.c, which offers two
 * functions: "fib" (u → t) and "pid" (→ i, the worker's process id).
 *
 * The example submits fib(n) for several n, plus a few "pid" calls, runs
 * the queue once, and prints the results, which worker processes served
 * the "pid" calls, the pool's process ids and the run summary. The two
 * worker processes are started when the first tasks need them and serve
 * task after task; they exit when the queue shuts down and closes their
 * input.
 *
 * Where the worker comes from: OSIISO_EXAMPLE_WORKER_TOOL names the
 * osiiso-worker program (`osiiso-worker` on PATH by default) and
 * OSIISO_EXAMPLE_WORKER_MODULE the module (by default the one built next
 * to this program). The example's test (`meson test --suite examples`)
 * sets both to the build tree's files.
 *
 * The outcome never varies: every task succeeds, every Fibonacci number is
 * right, and every "pid" call was served by one of the pool's (at most 2)
 * processes. The example checks that and exits 1 if anything differs.
 */

#include <locale.h>
#include <unistd.h>

#include <osiiso-glib/osiiso-glib.h>

#define N_PID_CALLS 4

static const guint32 numbers[] = { 10, 20, 30, 40, 50, 60, 70, 80, 90 };

/* The same computation as the worker's, to check its answers. */
static guint64
fib (guint32 n)
{
  guint64 a = 0, b = 1;

  for (guint32 i = 0; i < n; i++)
    {
      guint64 next = a + b;

      a = b;
      b = next;
    }
  return a;
}

static char *
find_module (void)
{
  const char *path = g_getenv ("OSIISO_EXAMPLE_WORKER_MODULE");
  g_autofree char *program = NULL;
  g_autofree char *dir = NULL;

  if (path != NULL && *path != '\0')
    return g_strdup (path);

  /* Uninstalled: meson builds the module next to this program. */
  program = g_file_read_link ("/proc/self/exe", NULL);
  dir = program != NULL ? g_path_get_dirname (program) : g_get_current_dir ();
  return g_build_filename (dir, "libprocess-functions.so", NULL);
}

static gboolean
expect (gboolean    ok,
        const char *what)
{
  if (!ok)
    g_printerr ("osiiso-process-pool: unexpected outcome: %s\n", what);
  return ok;
}

static OsiisoTaskHandle *
call (OsiisoProcessQueue *queue,
      const char         *function,
      GVariant           *argument,
      const char         *name)
{
  g_autoptr(OsiisoTaskOptions) options =
    g_object_new (OSIISO_TYPE_TASK_OPTIONS, "name", name, NULL);
  g_autoptr(GError) error = NULL;
  OsiisoTaskHandle *handle;

  handle = osiiso_process_queue_submit_call (queue, function, argument, options, &error);
  if (handle == NULL)
    g_error ("cannot submit “%s”: %s", name, error->message);
  return handle;
}

/* The task's value (a GVariant of @type), or NULL after reporting why
 * there is none. */
static GVariant *
value_of (OsiisoTaskHandle   *handle,
          const GVariantType *type)
{
  OsiisoTaskResult *result = osiiso_task_handle_get_result (handle);
  const GValue *value;
  GVariant *variant;

  if (result == NULL)
    {
      expect (FALSE, "a task has no result");
      return NULL;
    }
  if (osiiso_task_result_get_status (result) != OSIISO_TASK_STATUS_SUCCEEDED)
    {
      g_printerr ("osiiso-process-pool: %s did not succeed: %s\n",
                  osiiso_task_handle_get_name (handle), osiiso_task_result_get_message (result));
      return NULL;
    }

  /* A process task's value is a GVariant, in a GValue of type G_TYPE_VARIANT. */
  value = osiiso_task_result_get_value (result);
  if (!G_VALUE_HOLDS (value, G_TYPE_VARIANT)
      || (variant = g_value_get_variant (value)) == NULL
      || !g_variant_is_of_type (variant, type))
    {
      expect (FALSE, "a value of the wrong type");
      return NULL;
    }
  return variant;
}

int
main (void)
{
  const guint n_fibs = G_N_ELEMENTS (numbers);
  g_autoptr(GError) error = NULL;
  g_autofree char *module = NULL;
  g_autofree char *report = NULL;
  g_autofree gint *pool = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  OsiisoProcessQueue *queue;
  OsiisoTaskHandle *fibs[G_N_ELEMENTS (numbers)];
  OsiisoTaskHandle *pids[N_PID_CALLS];
  const char *tool;
  guint n_pool = 0, n_serving = 0;
  gint serving[N_PID_CALLS];
  gboolean ok = TRUE;

  setlocale (LC_ALL, "");

  tool = g_getenv ("OSIISO_EXAMPLE_WORKER_TOOL");
  if (tool == NULL || *tool == '\0')
    tool = "osiiso-worker";   /* looked up in PATH */
  module = find_module ();

  {
    const char *argv[] = { tool, module, NULL };

    g_print ("worker command line: %s %s\n", tool, module);
    queue = osiiso_process_queue_new (argv, 2);
  }

  for (guint i = 0; i < n_fibs; i++)
    {
      g_autofree char *name = g_strdup_printf ("fib(%u)", numbers[i]);

      fibs[i] = call (queue, "fib", g_variant_new_uint32 (numbers[i]), name);
    }
  for (guint i = 0; i < N_PID_CALLS; i++)
    {
      g_autofree char *name = g_strdup_printf ("pid-%u", i + 1);

      pids[i] = call (queue, "pid", NULL, name);
    }

  /* Blocks, iterating this thread's main context, until every task has
   * ended. The workers stay alive afterwards, ready for another run. */
  if ((summary = osiiso_queue_run (OSIISO_QUEUE (queue), NULL, &error)) == NULL)
    g_error ("run: %s", error->message);

  for (guint i = 0; i < n_fibs; i++)
    {
      GVariant *value = value_of (fibs[i], G_VARIANT_TYPE_UINT64);

      if (value == NULL)
        {
          ok = FALSE;
          continue;
        }
      g_print ("fib(%2u) = %" G_GUINT64_FORMAT "\n", numbers[i], g_variant_get_uint64 (value));
      ok &= expect (g_variant_get_uint64 (value) == fib (numbers[i]), "a wrong Fibonacci number");
    }

  pool = osiiso_process_queue_get_worker_pids (queue, &n_pool);
  g_print ("the pool's worker processes:");
  for (guint i = 0; i < n_pool; i++)
    g_print (" %d", pool[i]);
  g_print ("\n");

  for (guint i = 0; i < N_PID_CALLS; i++)
    {
      GVariant *value = value_of (pids[i], G_VARIANT_TYPE_INT32);
      gint served_by;
      gboolean in_pool = FALSE, seen = FALSE;

      if (value == NULL)
        {
          ok = FALSE;
          continue;
        }
      served_by = g_variant_get_int32 (value);
      g_print ("%s was served by worker process %d\n",
               osiiso_task_handle_get_name (pids[i]), served_by);

      for (guint j = 0; j < n_pool; j++)
        in_pool |= pool[j] == served_by;
      ok &= expect (in_pool, "a call served by a process outside the pool");
      for (guint j = 0; j < n_serving; j++)
        seen |= serving[j] == served_by;
      if (!seen)
        serving[n_serving++] = served_by;
    }
  g_print ("%u worker process%s served the %d pid calls\n",
           n_serving, n_serving == 1 ? "" : "es", N_PID_CALLS);

  report = osiiso_run_summary_to_string (summary);
  g_print ("%s", report);

  ok &= expect (osiiso_run_summary_get_total (summary) == n_fibs + N_PID_CALLS, "total");
  ok &= expect (osiiso_run_summary_get_succeeded (summary) == n_fibs + N_PID_CALLS, "succeeded");
  ok &= expect (osiiso_run_summary_get_failed (summary) == 0, "failed");
  ok &= expect (osiiso_run_summary_get_cancelled (summary) == 0, "cancelled");
  ok &= expect (n_pool >= 1 && n_pool <= 2, "the pool has 1 or 2 processes");
  for (guint i = 0; i < n_pool; i++)
    ok &= expect (pool[i] != (gint) getpid (), "a task ran in this process");

  /* A graceful shutdown: the queue closes, and closing their input makes
   * the idle workers exit. */
  if (!osiiso_queue_shutdown (OSIISO_QUEUE (queue), FALSE, NULL, &error))
    g_error ("shutdown: %s", error->message);

  for (guint i = 0; i < n_fibs; i++)
    g_object_unref (fibs[i]);
  for (guint i = 0; i < N_PID_CALLS; i++)
    g_object_unref (pids[i]);
  g_object_unref (queue);

  return ok ? 0 : 1;
}
