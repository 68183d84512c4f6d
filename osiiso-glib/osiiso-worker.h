/* osiiso-worker.h: the worker side of a process queue
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(OSIISO_INSIDE) && !defined(OSIISO_COMPILATION)
# error "Only <osiiso-glib/osiiso-glib.h> can be included directly."
#endif

#include <osiiso-glib/osiiso-types.h>

G_BEGIN_DECLS

/**
 * OSIISO_TYPE_WORKER:
 *
 * The #GType of #OsiisoWorker.
 */
#define OSIISO_TYPE_WORKER (osiiso_worker_get_type ())

OSIISO_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (OsiisoWorker, osiiso_worker, OSIISO, WORKER, GObject)

/**
 * OsiisoWorkerFunc:
 * @worker: the worker serving the request
 * @argument: the argument the task was submitted with (`()` when it had
 *   none)
 * @user_data: (closure): the data given to osiiso_worker_register()
 * @error: return location for the error the task fails with
 *
 * A function that a worker process serves under a name. It runs in the
 * worker's only thread, one request at a time.
 *
 * Return a value (a floating reference is sunk), or %NULL for no value
 * (the task's value is then `()`), or %NULL with @error set to fail the
 * task with that error: its domain, code and message reach the parent.
 *
 * Returns: (transfer full) (nullable): the task's value, or %NULL
 */
typedef GVariant *(*OsiisoWorkerFunc) (OsiisoWorker  *worker,
                                       GVariant      *argument,
                                       gpointer       user_data,
                                       GError       **error);

/**
 * OsiisoWorkerInitFunc:
 * @worker: the worker about to serve requests
 * @user_data: (closure): the data given to osiiso_worker_set_initializer()
 * @error: return location for the error that stops the worker
 *
 * Runs once in the worker process, before it serves its first request.
 * Set up per-process state here (open a database, load a model).
 *
 * Returns: %TRUE if the worker may serve requests, %FALSE with @error set
 *   if it may not
 */
typedef gboolean (*OsiisoWorkerInitFunc) (OsiisoWorker  *worker,
                                          gpointer       user_data,
                                          GError       **error);

OSIISO_AVAILABLE_IN_ALL
OsiisoWorker *osiiso_worker_new             (void) G_GNUC_WARN_UNUSED_RESULT;
OSIISO_AVAILABLE_IN_ALL
void          osiiso_worker_register        (OsiisoWorker         *self,
                                             const char           *name,
                                             OsiisoWorkerFunc      func,
                                             gpointer              user_data,
                                             GDestroyNotify        destroy);
OSIISO_AVAILABLE_IN_ALL
void          osiiso_worker_set_initializer (OsiisoWorker         *self,
                                             OsiisoWorkerInitFunc  func,
                                             gpointer              user_data,
                                             GDestroyNotify        destroy);
OSIISO_AVAILABLE_IN_ALL
gint          osiiso_worker_run             (OsiisoWorker         *self,
                                             GError              **error);

G_END_DECLS
