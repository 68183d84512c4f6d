/* process-functions.c: the worker side of process-pool.c, a module for osiiso-worker
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The installed `osiiso-worker` helper loads this module, calls its
 * osiiso_worker_module_init() to register the functions below, and serves
 * them to an OsiisoProcessQueue on its standard input and output:
 *
 *   osiiso-worker /path/to/libprocess-functions.so
 *
 * Functions (argument → value):
 *   fib  u (n) → t, the n-th Fibonacci number (fib(0) = 0, fib(1) = 1;
 *        n ≤ 93, the largest that fits in 64 bits)
 *   pid  any → i, the process id of the worker that served the call
 *
 * A function returns its value as a GVariant (a floating reference is
 * sunk), or NULL with its GError set to fail the task: the error's domain,
 * code and message reach the parent.
 */

#include <osiiso-glib/osiiso-glib.h>

#include <unistd.h>

G_MODULE_EXPORT gboolean osiiso_worker_module_init (OsiisoWorker *worker, GError **error);

static GVariant *
fib (OsiisoWorker  *worker,
     GVariant      *argument,
     gpointer       user_data,
     GError       **error)
{
  guint64 a = 0, b = 1;
  guint32 n;

  /* The argument comes from another process: check it. */
  if (!g_variant_is_of_type (argument, G_VARIANT_TYPE_UINT32))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "fib takes u, not %s", g_variant_get_type_string (argument));
      return NULL;
    }
  n = g_variant_get_uint32 (argument);
  if (n > 93)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "fib(%u) does not fit in 64 bits", n);
      return NULL;
    }

  for (guint32 i = 0; i < n; i++)
    {
      guint64 next = a + b;

      a = b;
      b = next;
    }
  return g_variant_new_uint64 (a);
}

static GVariant *
pid (OsiisoWorker  *worker,
     GVariant      *argument,
     gpointer       user_data,
     GError       **error)
{
  return g_variant_new_int32 ((gint32) getpid ());
}

gboolean
osiiso_worker_module_init (OsiisoWorker  *worker,
                           GError       **error)
{
  osiiso_worker_register (worker, "fib", fib, NULL, NULL);
  osiiso_worker_register (worker, "pid", pid, NULL, NULL);
  return TRUE;
}
