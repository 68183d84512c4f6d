/* osiiso-task-handle.h: the live view of one submitted task
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(OSIISO_INSIDE) && !defined(OSIISO_COMPILATION)
# error "Only <osiiso-glib/osiiso-glib.h> can be included directly."
#endif

#include <osiiso-glib/osiiso-types.h>
#include <osiiso-glib/osiiso-task-result.h>

G_BEGIN_DECLS

/**
 * OSIISO_TYPE_TASK_HANDLE:
 *
 * The #GType of #OsiisoTaskHandle.
 */
#define OSIISO_TYPE_TASK_HANDLE (osiiso_task_handle_get_type ())

OSIISO_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (OsiisoTaskHandle, osiiso_task_handle, OSIISO, TASK_HANDLE, GObject)

OSIISO_AVAILABLE_IN_ALL
guint64           osiiso_task_handle_get_id          (OsiisoTaskHandle  *self);
OSIISO_AVAILABLE_IN_ALL
char             *osiiso_task_handle_dup_id_string   (OsiisoTaskHandle  *self) G_GNUC_WARN_UNUSED_RESULT;
OSIISO_AVAILABLE_IN_ALL
const char       *osiiso_task_handle_get_name        (OsiisoTaskHandle  *self);
OSIISO_AVAILABLE_IN_ALL
OsiisoTaskStatus  osiiso_task_handle_get_status      (OsiisoTaskHandle  *self);
OSIISO_AVAILABLE_IN_ALL
guint             osiiso_task_handle_get_attempts    (OsiisoTaskHandle  *self);
OSIISO_AVAILABLE_IN_ALL
gint              osiiso_task_handle_get_priority    (OsiisoTaskHandle  *self);
OSIISO_AVAILABLE_IN_ALL
const char       *osiiso_task_handle_get_group_id    (OsiisoTaskHandle  *self);
OSIISO_AVAILABLE_IN_ALL
GVariant         *osiiso_task_handle_get_metadata    (OsiisoTaskHandle  *self);
OSIISO_AVAILABLE_IN_ALL
gboolean          osiiso_task_handle_is_done         (OsiisoTaskHandle  *self);
OSIISO_AVAILABLE_IN_ALL
OsiisoTaskResult *osiiso_task_handle_get_result      (OsiisoTaskHandle  *self);
OSIISO_AVAILABLE_IN_ALL
gboolean          osiiso_task_handle_cancel          (OsiisoTaskHandle  *self);
OSIISO_AVAILABLE_IN_ALL
OsiisoTaskResult *osiiso_task_handle_wait            (OsiisoTaskHandle  *self,
                                                      gdouble            timeout,
                                                      GCancellable      *cancellable,
                                                      GError           **error) G_GNUC_WARN_UNUSED_RESULT;
OSIISO_AVAILABLE_IN_ALL
void              osiiso_task_handle_wait_async      (OsiisoTaskHandle   *self,
                                                      GCancellable       *cancellable,
                                                      GAsyncReadyCallback callback,
                                                      gpointer            user_data);
OSIISO_AVAILABLE_IN_ALL
OsiisoTaskResult *osiiso_task_handle_wait_finish     (OsiisoTaskHandle  *self,
                                                      GAsyncResult      *result,
                                                      GError           **error) G_GNUC_WARN_UNUSED_RESULT;
OSIISO_AVAILABLE_IN_ALL
void              osiiso_task_handle_wait_any_async  (OsiisoTaskHandle  **handles,
                                                      guint               n_handles,
                                                      GCancellable       *cancellable,
                                                      GAsyncReadyCallback callback,
                                                      gpointer            user_data);
OSIISO_AVAILABLE_IN_ALL
OsiisoTaskHandle *osiiso_task_handle_wait_any_finish (GAsyncResult      *result,
                                                      GError           **error) G_GNUC_WARN_UNUSED_RESULT;
OSIISO_AVAILABLE_IN_ALL
gboolean          osiiso_task_handle_get_value       (OsiisoTaskHandle  *self,
                                                      GValue            *value,
                                                      GError           **error);

G_END_DECLS
