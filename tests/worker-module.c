/* worker-module.c: a module for osiiso-worker, the C side of the process queue tests
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Functions (argument → value):
 *   echo              any → the argument
 *   pid               any → i, the worker's process id
 *   sleeps            any → x, how many times the serving thread slept
 *                     (voluntary context switches, getrusage RUSAGE_THREAD)
 *   add               (ii) → i
 *   counter           any → i, a per-process counter, incremented per call
 *   init-count        any → i, how many times the initializer ran (1)
 *   fail              any → error G_IO_ERROR_PERMISSION_DENIED "told to fail"
 *   sleep             d (seconds) → ()
 *   crash             any → abort()
 *   segv              any → raise(SIGSEGV)
 *   exit              i → _exit(i)
 *   spawn-grandchild  s (a file name) → starts `sleep 30` in the same process
 *                     group, writes its pid to the file, then sleeps 30 s
 *   print             any (or i: a line count) → prints lines to stdout
 *                     (1000 by default), then returns s "done"
 *
 * With OSIISO_TEST_INIT_FAIL set in the environment, the initializer
 * fails with G_IO_ERROR_NOT_INITIALIZED and that variable's value as message.
 */

#define _GNU_SOURCE   /* RUSAGE_THREAD */
#include <osiiso-glib/osiiso-glib.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <unistd.h>

G_MODULE_EXPORT gboolean osiiso_worker_module_init (OsiisoWorker *worker, GError **error);

static gint32 counter;
static gint32 init_count;

static gboolean
check_type (GVariant    *argument,
            const char  *type,
            const char  *function,
            GError     **error)
{
  if (g_variant_is_of_type (argument, G_VARIANT_TYPE (type)))
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               "%s takes %s, not %s", function, type, g_variant_get_type_string (argument));
  return FALSE;
}

static GVariant *
echo (OsiisoWorker *worker, GVariant *argument, gpointer user_data, GError **error)
{
  return g_variant_ref (argument);
}

static GVariant *
pid (OsiisoWorker *worker, GVariant *argument, gpointer user_data, GError **error)
{
  return g_variant_new_int32 (getpid ());
}

static GVariant *
sleeps (OsiisoWorker *worker, GVariant *argument, gpointer user_data, GError **error)
{
  struct rusage usage;

  if (getrusage (RUSAGE_THREAD, &usage) < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "getrusage: %s", g_strerror (errno));
      return NULL;
    }
  return g_variant_new_int64 (usage.ru_nvcsw);
}

static GVariant *
add (OsiisoWorker *worker, GVariant *argument, gpointer user_data, GError **error)
{
  gint32 a, b;

  if (!check_type (argument, "(ii)", "add", error))
    return NULL;
  g_variant_get (argument, "(ii)", &a, &b);
  return g_variant_new_int32 (a + b);
}

static GVariant *
count (OsiisoWorker *worker, GVariant *argument, gpointer user_data, GError **error)
{
  return g_variant_new_int32 (++counter);
}

static GVariant *
get_init_count (OsiisoWorker *worker, GVariant *argument, gpointer user_data, GError **error)
{
  return g_variant_new_int32 (init_count);
}

static GVariant *
fail (OsiisoWorker *worker, GVariant *argument, gpointer user_data, GError **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "told to fail");
  return NULL;
}

static GVariant *
sleep_for (OsiisoWorker *worker, GVariant *argument, gpointer user_data, GError **error)
{
  if (!check_type (argument, "d", "sleep", error))
    return NULL;
  g_usleep ((gulong) (g_variant_get_double (argument) * G_USEC_PER_SEC));
  return NULL;
}

static GVariant *
crash (OsiisoWorker *worker, GVariant *argument, gpointer user_data, GError **error)
{
  abort ();
}

static GVariant *
segv (OsiisoWorker *worker, GVariant *argument, gpointer user_data, GError **error)
{
  raise (SIGSEGV);
  return NULL;
}

static GVariant *
exit_with (OsiisoWorker *worker, GVariant *argument, gpointer user_data, GError **error)
{
  if (!check_type (argument, "i", "exit", error))
    return NULL;
  _exit (g_variant_get_int32 (argument));
}

static gpointer
exit_soon (gpointer data)
{
  g_autofree char *pid_file = data;
  g_autofree char *text = g_strdup_printf ("%d", (int) getpid ());

  /* Time for the reply to be written. */
  g_usleep (100 * 1000);
  g_file_set_contents (pid_file, text, -1, NULL);
  _exit (0);
}

/* Replies, then exits 100 ms later, as a worker that ends itself after a
 * task would, writing its pid to the file given just before it exits. */
static GVariant *
reply_then_exit (OsiisoWorker *worker, GVariant *argument, gpointer user_data, GError **error)
{
  if (!check_type (argument, "s", "reply-then-exit", error))
    return NULL;
  g_thread_unref (g_thread_new ("exit-soon", exit_soon, g_variant_dup_string (argument, NULL)));
  return g_variant_new_int32 ((gint32) getpid ());
}

static GVariant *
spawn_grandchild (OsiisoWorker *worker, GVariant *argument, gpointer user_data, GError **error)
{
  g_autofree char *text = NULL;
  pid_t child;

  if (!check_type (argument, "s", "spawn-grandchild", error))
    return NULL;

  child = fork ();
  if (child < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "fork: %s", g_strerror (errno));
      return NULL;
    }
  if (child == 0)
    {
      execlp ("sleep", "sleep", "30", (char *) NULL);
      _exit (127);
    }

  text = g_strdup_printf ("%d", (int) child);
  /* Atomic: a reader never sees a partial pid. */
  if (!g_file_set_contents (g_variant_get_string (argument, NULL), text, -1, error))
    return NULL;

  g_usleep (30 * G_USEC_PER_SEC);
  return NULL;
}

static GVariant *
print (OsiisoWorker *worker, GVariant *argument, gpointer user_data, GError **error)
{
  gint32 lines = 1000;

  if (g_variant_is_of_type (argument, G_VARIANT_TYPE_INT32))
    lines = g_variant_get_int32 (argument);
  for (gint32 i = 0; i < lines; i++)
    printf ("worker-module: line %d of task output on stdout\n", (int) i);
  return g_variant_new_string ("done");
}

static gboolean
initialize (OsiisoWorker *worker, gpointer user_data, GError **error)
{
  const char *fail_message = g_getenv ("OSIISO_TEST_INIT_FAIL");

  init_count++;
  if (fail_message != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED, fail_message);
      return FALSE;
    }
  return TRUE;
}

gboolean
osiiso_worker_module_init (OsiisoWorker  *worker,
                           GError       **error)
{
  static const struct {
    const char       *name;
    OsiisoWorkerFunc  func;
  } functions[] = {
    { "echo", echo },
    { "pid", pid },
    { "sleeps", sleeps },
    { "add", add },
    { "counter", count },
    { "init-count", get_init_count },
    { "fail", fail },
    { "sleep", sleep_for },
    { "crash", crash },
    { "segv", segv },
    { "exit", exit_with },
    { "reply-then-exit", reply_then_exit },
    { "spawn-grandchild", spawn_grandchild },
    { "print", print },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (functions); i++)
    osiiso_worker_register (worker, functions[i].name, functions[i].func, NULL, NULL);
  osiiso_worker_set_initializer (worker, initialize, NULL, NULL);
  return TRUE;
}
