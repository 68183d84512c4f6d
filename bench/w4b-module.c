/* w4b-module.c: the osiiso-worker module of the W4b benchmark
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One function, "echo": returns its argument, a 16-byte "ay", unchanged.
 * Anything else fails with G_IO_ERROR_INVALID_ARGUMENT, so that a wrong
 * request cannot pass for a fast one.
 */

#include <osiiso-glib/osiiso-glib.h>

G_MODULE_EXPORT gboolean osiiso_worker_module_init (OsiisoWorker *worker, GError **error);

static GVariant *
echo (OsiisoWorker *worker, GVariant *argument, gpointer user_data, GError **error)
{
  if (!g_variant_is_of_type (argument, G_VARIANT_TYPE_BYTESTRING) || g_variant_n_children (argument) != 16)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "echo takes 16 bytes (ay), not %s", g_variant_get_type_string (argument));
      return NULL;
    }
  return g_variant_ref (argument);
}

gboolean
osiiso_worker_module_init (OsiisoWorker  *worker,
                           GError       **error)
{
  osiiso_worker_register (worker, "echo", echo, NULL, NULL);
  return TRUE;
}
