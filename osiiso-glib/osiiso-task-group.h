/* osiiso-task-group.h: batches of tasks admitted together
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(OSIISO_INSIDE) && !defined(OSIISO_COMPILATION)
#error "Only <osiiso-glib/osiiso-glib.h> can be included directly."
#endif

#include <gio/gio.h>

#include <osiiso-glib/osiiso-version-macros.h>
#include <osiiso-glib/osiiso-types.h>
#include <osiiso-glib/osiiso-task-options.h>
#include <osiiso-glib/osiiso-task-context.h>
#include <osiiso-glib/osiiso-task-handle.h>
#include <osiiso-glib/osiiso-task-result.h>
#include <osiiso-glib/osiiso-run-summary.h>
#include <osiiso-glib/osiiso-checkpoint.h>

G_BEGIN_DECLS

/**
 * OSIISO_TYPE_TASK_GROUP:
 *
 * The #GType of #OsiisoTaskGroup.
 */
#define OSIISO_TYPE_TASK_GROUP (osiiso_task_group_get_type ())

OSIISO_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (OsiisoTaskGroup, osiiso_task_group, OSIISO, TASK_GROUP, GObject)

/**
 * OsiisoCheckpointKeyFunc:
 * @input: (nullable): the task's input, or %NULL
 * @input_object: (nullable): the task's input object, or %NULL
 * @index: the task's index in the group
 * @user_data: (closure): the data given with the function
 *
 * Makes the checkpoint key of a task of a group, in place of the default
 * canonical key (osiiso_checkpoint_canonical_key()).
 *
 * Returns: (transfer full): the key
 */
typedef char *(*OsiisoCheckpointKeyFunc) (GVariant *input,
                                          GObject  *input_object,
                                          guint     index,
                                          gpointer  user_data);

OSIISO_AVAILABLE_IN_ALL
OsiisoTaskGroup  *osiiso_task_group_new               (const char          *group_id) G_GNUC_WARN_UNUSED_RESULT;
OSIISO_AVAILABLE_IN_ALL
const char       *osiiso_task_group_get_id            (OsiisoTaskGroup     *self);
OSIISO_AVAILABLE_IN_ALL
guint             osiiso_task_group_get_size          (OsiisoTaskGroup     *self);
OSIISO_AVAILABLE_IN_ALL
gboolean          osiiso_task_group_get_submitted     (OsiisoTaskGroup     *self);

OSIISO_AVAILABLE_IN_ALL
void              osiiso_task_group_set_checkpoint    (OsiisoTaskGroup         *self,
                                                       OsiisoCheckpoint        *checkpoint,
                                                       const char              *namespace_,
                                                       OsiisoCheckpointKeyFunc  key_func,
                                                       gpointer                 key_data,
                                                       GDestroyNotify           key_destroy);
OSIISO_AVAILABLE_IN_ALL
guint             osiiso_task_group_get_n_restored    (OsiisoTaskGroup     *self);

OSIISO_AVAILABLE_IN_ALL
guint             osiiso_task_group_add               (OsiisoTaskGroup     *self,
                                                       OsiisoTaskFunc       func,
                                                       gpointer             user_data,
                                                       GDestroyNotify       destroy,
                                                       GVariant            *input,
                                                       OsiisoTaskOptions   *options);
OSIISO_AVAILABLE_IN_ALL
guint             osiiso_task_group_add_map           (OsiisoTaskGroup     *self,
                                                       OsiisoTaskFunc       func,
                                                       gpointer             user_data,
                                                       GDestroyNotify       destroy,
                                                       GVariant            *inputs,
                                                       OsiisoTaskOptions   *options);
OSIISO_AVAILABLE_IN_ALL
guint             osiiso_task_group_add_map_objects   (OsiisoTaskGroup     *self,
                                                       OsiisoTaskFunc       func,
                                                       gpointer             user_data,
                                                       GDestroyNotify       destroy,
                                                       GListModel          *inputs,
                                                       OsiisoTaskOptions   *options);
OSIISO_AVAILABLE_IN_ALL
guint             osiiso_task_group_add_call          (OsiisoTaskGroup     *self,
                                                       const char          *function,
                                                       GVariant            *argument,
                                                       OsiisoTaskOptions   *options);
OSIISO_AVAILABLE_IN_ALL
guint             osiiso_task_group_add_map_call      (OsiisoTaskGroup     *self,
                                                       const char          *function,
                                                       GVariant            *inputs,
                                                       OsiisoTaskOptions   *options);
OSIISO_AVAILABLE_IN_ALL
guint             osiiso_task_group_add_command       (OsiisoTaskGroup     *self,
                                                       const char * const  *argv,
                                                       GBytes              *input,
                                                       const char          *cwd,
                                                       const char * const  *envp,
                                                       OsiisoTaskOptions   *options);

OSIISO_AVAILABLE_IN_ALL
OsiisoTaskHandle *osiiso_task_group_get_handle        (OsiisoTaskGroup     *self,
                                                       guint                index);
OSIISO_AVAILABLE_IN_ALL
OsiisoTaskStatus  osiiso_task_group_get_status        (OsiisoTaskGroup     *self,
                                                       guint                index);
OSIISO_AVAILABLE_IN_ALL
OsiisoTaskResult *osiiso_task_group_get_result        (OsiisoTaskGroup     *self,
                                                       guint                index);
OSIISO_AVAILABLE_IN_ALL
guint             osiiso_task_group_get_n_completed   (OsiisoTaskGroup     *self);
OSIISO_AVAILABLE_IN_ALL
guint             osiiso_task_group_cancel            (OsiisoTaskGroup     *self);

OSIISO_AVAILABLE_IN_ALL
OsiisoRunSummary *osiiso_task_group_wait              (OsiisoTaskGroup     *self,
                                                       gdouble              timeout,
                                                       GCancellable        *cancellable,
                                                       GError             **error) G_GNUC_WARN_UNUSED_RESULT;
OSIISO_AVAILABLE_IN_ALL
void              osiiso_task_group_wait_async        (OsiisoTaskGroup     *self,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
OSIISO_AVAILABLE_IN_ALL
OsiisoRunSummary *osiiso_task_group_wait_finish       (OsiisoTaskGroup     *self,
                                                       GAsyncResult        *result,
                                                       GError             **error) G_GNUC_WARN_UNUSED_RESULT;
OSIISO_AVAILABLE_IN_ALL
const GValue     *osiiso_task_group_get_values        (OsiisoTaskGroup     *self,
                                                       gdouble              timeout,
                                                       GCancellable        *cancellable,
                                                       guint               *n_values,
                                                       GError             **error);
OSIISO_AVAILABLE_IN_ALL
OsiisoTaskHandle *osiiso_task_group_wait_completed    (OsiisoTaskGroup     *self,
                                                       guint                n,
                                                       gdouble              timeout,
                                                       GCancellable        *cancellable,
                                                       GError             **error);
OSIISO_AVAILABLE_IN_ALL
void              osiiso_task_group_wait_completed_async  (OsiisoTaskGroup     *self,
                                                           guint                n,
                                                           GCancellable        *cancellable,
                                                           GAsyncReadyCallback  callback,
                                                           gpointer             user_data);
OSIISO_AVAILABLE_IN_ALL
OsiisoTaskHandle *osiiso_task_group_wait_completed_finish (OsiisoTaskGroup     *self,
                                                           GAsyncResult        *result,
                                                           GError             **error);

G_END_DECLS
