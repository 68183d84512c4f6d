/* osiiso-task-context.h: what a task function sees of its attempt
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
 * OSIISO_TYPE_TASK_CONTEXT:
 *
 * The #GType of #OsiisoTaskContext.
 */
#define OSIISO_TYPE_TASK_CONTEXT (osiiso_task_context_get_type ())

/**
 * OsiisoTaskContext:
 *
 * The context of one attempt of a task, handed to its #OsiisoTaskFunc. An
 * opaque, reference-counted boxed type.
 */
typedef struct _OsiisoTaskContext OsiisoTaskContext;

/**
 * OsiisoTaskFunc:
 * @context: the task's #OsiisoTaskContext for this attempt
 * @user_data: (closure): the data given when the task was submitted
 * @error: return location for the failure of the attempt
 *
 * The function a task runs. It is called once per attempt.
 *
 * On an #OsiisoThreadQueue the function runs on a worker thread and does the
 * whole work: it returns %TRUE on success, after storing its value (if any)
 * with osiiso_task_context_set_value(), or %FALSE with @error set on
 * failure. Returning %FALSE without setting @error is a failure with a
 * generic message; this is what a Python exception other than
 * `GLib.Error` produces through plain introspection.
 *
 * On an #OsiisoAsyncQueue the function runs on the queue's main context
 * and only starts the work: it returns %TRUE once the operation is under
 * way and completes it later, from any thread, with exactly one call of
 * osiiso_task_context_return_value() or
 * osiiso_task_context_return_error(); the context stays valid until then.
 * Returning %FALSE (with @error set) means the operation could not start:
 * the attempt fails at once.
 *
 * The function should check osiiso_task_context_is_cancelled() or the
 * cancellable from osiiso_task_context_get_cancellable() now and then: a
 * timeout or a cancel cancels it, and a function that ignores it keeps its
 * thread busy after its attempt has already ended in the queue.
 *
 * Returns: %TRUE on success, %FALSE with @error set on failure
 */
typedef gboolean (*OsiisoTaskFunc) (OsiisoTaskContext  *context,
                                    gpointer            user_data,
                                    GError            **error);


OSIISO_AVAILABLE_IN_ALL
GType              osiiso_task_context_get_type        (void) G_GNUC_CONST;
OSIISO_AVAILABLE_IN_ALL
OsiisoTaskContext *osiiso_task_context_ref             (OsiisoTaskContext *self);
OSIISO_AVAILABLE_IN_ALL
void               osiiso_task_context_unref           (OsiisoTaskContext *self);
OSIISO_AVAILABLE_IN_ALL
GCancellable      *osiiso_task_context_get_cancellable (OsiisoTaskContext *self);
OSIISO_AVAILABLE_IN_ALL
gboolean           osiiso_task_context_is_cancelled    (OsiisoTaskContext *self);
OSIISO_AVAILABLE_IN_ALL
guint              osiiso_task_context_get_attempt     (OsiisoTaskContext *self);
OSIISO_AVAILABLE_IN_ALL
guint64            osiiso_task_context_get_task_id     (OsiisoTaskContext *self);
OSIISO_AVAILABLE_IN_ALL
const char        *osiiso_task_context_get_name        (OsiisoTaskContext *self);
OSIISO_AVAILABLE_IN_ALL
GVariant          *osiiso_task_context_get_metadata    (OsiisoTaskContext *self);
OSIISO_AVAILABLE_IN_ALL
GVariant          *osiiso_task_context_get_input       (OsiisoTaskContext *self);
OSIISO_AVAILABLE_IN_ALL
GObject           *osiiso_task_context_get_input_object (OsiisoTaskContext *self);
OSIISO_AVAILABLE_IN_ALL
guint              osiiso_task_context_get_index       (OsiisoTaskContext *self);
OSIISO_AVAILABLE_IN_ALL
void               osiiso_task_context_set_value       (OsiisoTaskContext *self,
                                                        const GValue      *value);
OSIISO_AVAILABLE_IN_ALL
void               osiiso_task_context_take_value      (OsiisoTaskContext *self,
                                                        GValue            *value);

OSIISO_AVAILABLE_IN_ALL
void               osiiso_task_context_return_value    (OsiisoTaskContext *self,
                                                        const GValue      *value);
OSIISO_AVAILABLE_IN_ALL
void               osiiso_task_context_return_error    (OsiisoTaskContext *self,
                                                        GError            *error);
OSIISO_AVAILABLE_IN_ALL
void               osiiso_task_context_return_new_error (OsiisoTaskContext *self,
                                                         GQuark             domain,
                                                         gint               code,
                                                         const char        *format,
                                                         ...) G_GNUC_PRINTF (4, 5);
OSIISO_AVAILABLE_IN_ALL
gboolean           osiiso_task_context_return_error_if_cancelled (OsiisoTaskContext *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OsiisoTaskContext, osiiso_task_context_unref)

G_END_DECLS
