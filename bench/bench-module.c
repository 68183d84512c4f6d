/* bench-module.c: the osiiso-worker module of the W1, W3 and W5 benches
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * - "nop": does nothing and returns no value (W1 on the process queue;
 *   W5 queues calls of it that never run).
 * - "spin": argument "t", a number of iterations of bench_spin() (the W3
 *   arithmetic loop of bench-common.h, calibrated by the bench); returns
 *   "t", the thread CPU time the loop took, in ns, so the bench can
 *   compute the ideal wall time from what the workers really spent.
 * Anything else fails with G_IO_ERROR_INVALID_ARGUMENT.
 */

#include <osiiso-glib/osiiso-glib.h>

#include "bench-common.h"

G_MODULE_EXPORT gboolean osiiso_worker_module_init (OsiisoWorker *worker, GError **error);

static GVariant *
nop (OsiisoWorker  *worker,
     GVariant      *argument,
     gpointer       user_data,
     GError       **error)
{
  return NULL;
}

static volatile guint64 spin_sink;

static GVariant *
spin (OsiisoWorker  *worker,
      GVariant      *argument,
      gpointer       user_data,
      GError       **error)
{
  guint64 iterations;
  gint64 t0;

  if (!g_variant_is_of_type (argument, G_VARIANT_TYPE_UINT64))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "spin takes a \"t\", not %s", g_variant_get_type_string (argument));
      return NULL;
    }
  iterations = g_variant_get_uint64 (argument);
  t0 = bench_thread_cpu_ns ();
  spin_sink += bench_spin (iterations, iterations);
  return g_variant_new_uint64 ((guint64) (bench_thread_cpu_ns () - t0));
}

gboolean
osiiso_worker_module_init (OsiisoWorker  *worker,
                           GError       **error)
{
  osiiso_worker_register (worker, "nop", nop, NULL, NULL);
  osiiso_worker_register (worker, "spin", spin, NULL, NULL);
  return TRUE;
}
