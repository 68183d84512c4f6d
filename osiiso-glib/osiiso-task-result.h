/* osiiso-task-result.h: the immutable final result of one task
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
 * OSIISO_TYPE_TASK_RESULT:
 *
 * The #GType of #OsiisoTaskResult.
 */
#define OSIISO_TYPE_TASK_RESULT (osiiso_task_result_get_type ())

/**
 * OsiisoTaskResult:
 *
 * The final result of a task. An opaque, immutable, reference-counted
 * boxed type.
 */
typedef struct _OsiisoTaskResult OsiisoTaskResult;

OSIISO_AVAILABLE_IN_ALL
GType             osiiso_task_result_get_type          (void) G_GNUC_CONST;
OSIISO_AVAILABLE_IN_ALL
OsiisoTaskResult *osiiso_task_result_ref               (OsiisoTaskResult *self);
OSIISO_AVAILABLE_IN_ALL
void              osiiso_task_result_unref             (OsiisoTaskResult *self);
OSIISO_AVAILABLE_IN_ALL
guint64           osiiso_task_result_get_task_id       (OsiisoTaskResult *self);
OSIISO_AVAILABLE_IN_ALL
const char       *osiiso_task_result_get_name          (OsiisoTaskResult *self);
OSIISO_AVAILABLE_IN_ALL
OsiisoTaskStatus  osiiso_task_result_get_status        (OsiisoTaskResult *self);
OSIISO_AVAILABLE_IN_ALL
const GValue     *osiiso_task_result_get_value         (OsiisoTaskResult *self);
OSIISO_AVAILABLE_IN_ALL
const GError     *osiiso_task_result_get_error         (OsiisoTaskResult *self);
OSIISO_AVAILABLE_IN_ALL
gboolean          osiiso_task_result_propagate_value   (OsiisoTaskResult  *self,
                                                        GValue            *value,
                                                        GError           **error);
OSIISO_AVAILABLE_IN_ALL
guint             osiiso_task_result_get_attempts      (OsiisoTaskResult *self);
OSIISO_AVAILABLE_IN_ALL
gint              osiiso_task_result_get_priority      (OsiisoTaskResult *self);
OSIISO_AVAILABLE_IN_ALL
gboolean          osiiso_task_result_get_must_complete (OsiisoTaskResult *self);
OSIISO_AVAILABLE_IN_ALL
const char       *osiiso_task_result_get_group_id      (OsiisoTaskResult *self);
OSIISO_AVAILABLE_IN_ALL
gboolean          osiiso_task_result_get_detached      (OsiisoTaskResult *self);
OSIISO_AVAILABLE_IN_ALL
gint64            osiiso_task_result_get_created       (OsiisoTaskResult *self);
OSIISO_AVAILABLE_IN_ALL
gint64            osiiso_task_result_get_scheduled_for (OsiisoTaskResult *self);
OSIISO_AVAILABLE_IN_ALL
gint64            osiiso_task_result_get_started       (OsiisoTaskResult *self);
OSIISO_AVAILABLE_IN_ALL
gint64            osiiso_task_result_get_finished      (OsiisoTaskResult *self);
OSIISO_AVAILABLE_IN_ALL
gdouble           osiiso_task_result_get_duration      (OsiisoTaskResult *self);
OSIISO_AVAILABLE_IN_ALL
const char       *osiiso_task_result_get_message       (OsiisoTaskResult *self);
OSIISO_AVAILABLE_IN_ALL
GVariant         *osiiso_task_result_get_metadata      (OsiisoTaskResult *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OsiisoTaskResult, osiiso_task_result_unref)

G_END_DECLS
