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

#define OSIISO_TYPE_TASK_CONTEXT (osiiso_task_context_get_type ())

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
void               osiiso_task_context_set_value       (OsiisoTaskContext *self,
                                                        const GValue      *value);
OSIISO_AVAILABLE_IN_ALL
void               osiiso_task_context_take_value      (OsiisoTaskContext *self,
                                                        GValue            *value);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OsiisoTaskContext, osiiso_task_context_unref)

G_END_DECLS
