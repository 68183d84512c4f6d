/* osiiso-queue.h: the abstract structured task queue
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(OSIISO_INSIDE) && !defined(OSIISO_COMPILATION)
# error "Only <osiiso-glib/osiiso-glib.h> can be included directly."
#endif

#include <osiiso-glib/osiiso-types.h>
#include <osiiso-glib/osiiso-task-options.h>
#include <osiiso-glib/osiiso-task-context.h>
#include <osiiso-glib/osiiso-task-result.h>
#include <osiiso-glib/osiiso-run-summary.h>
#include <osiiso-glib/osiiso-task-handle.h>
#include <osiiso-glib/osiiso-task-group.h>

G_BEGIN_DECLS

/**
 * OSIISO_TYPE_QUEUE:
 *
 * The #GType of #OsiisoQueue.
 */
#define OSIISO_TYPE_QUEUE (osiiso_queue_get_type ())

OSIISO_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (OsiisoQueue, osiiso_queue, OSIISO, QUEUE, GObject)

/**
 * OsiisoQueueClass:
 * @parent_class: the parent class
 * @task_started: class handler of #OsiisoQueue::task-started
 * @task_completed: class handler of #OsiisoQueue::task-completed
 * @task_retrying: class handler of #OsiisoQueue::task-retrying
 *
 * The class structure of #OsiisoQueue. Backends are provided by
 * osiiso-glib itself (#OsiisoThreadQueue, #OsiisoAsyncQueue); the class cannot be subclassed
 * outside the library.
 */
struct _OsiisoQueueClass
{
  GObjectClass parent_class;

  void (*task_started)   (OsiisoQueue      *self,
                          OsiisoTaskHandle *handle);
  void (*task_completed) (OsiisoQueue      *self,
                          OsiisoTaskResult *result);
  void (*task_retrying)  (OsiisoQueue      *self,
                          OsiisoTaskHandle *handle,
                          const GError     *error);

  /*< private >*/
  gpointer _reserved[12];
};

OSIISO_AVAILABLE_IN_ALL
OsiisoTaskHandle  *osiiso_queue_submit            (OsiisoQueue         *self,
                                                   OsiisoTaskFunc       func,
                                                   gpointer             user_data,
                                                   GDestroyNotify       destroy,
                                                   OsiisoTaskOptions   *options,
                                                   GError             **error) G_GNUC_WARN_UNUSED_RESULT;
OSIISO_AVAILABLE_IN_ALL
OsiisoTaskHandle  *osiiso_queue_submit_wait       (OsiisoQueue         *self,
                                                   OsiisoTaskFunc       func,
                                                   gpointer             user_data,
                                                   GDestroyNotify       destroy,
                                                   OsiisoTaskOptions   *options,
                                                   gdouble              timeout,
                                                   GCancellable        *cancellable,
                                                   GError             **error) G_GNUC_WARN_UNUSED_RESULT;
OSIISO_AVAILABLE_IN_ALL
gboolean           osiiso_queue_submit_group      (OsiisoQueue         *self,
                                                   OsiisoTaskGroup     *group,
                                                   GError             **error);
OSIISO_AVAILABLE_IN_ALL
OsiisoTaskGroup   *osiiso_queue_map               (OsiisoQueue         *self,
                                                   OsiisoTaskFunc       func,
                                                   gpointer             user_data,
                                                   GDestroyNotify       destroy,
                                                   GVariant            *inputs,
                                                   OsiisoTaskOptions   *options,
                                                   GError             **error) G_GNUC_WARN_UNUSED_RESULT;
OSIISO_AVAILABLE_IN_ALL
OsiisoTaskGroup   *osiiso_queue_map_objects       (OsiisoQueue         *self,
                                                   OsiisoTaskFunc       func,
                                                   gpointer             user_data,
                                                   GDestroyNotify       destroy,
                                                   GListModel          *inputs,
                                                   OsiisoTaskOptions   *options,
                                                   GError             **error) G_GNUC_WARN_UNUSED_RESULT;
OSIISO_AVAILABLE_IN_ALL
gboolean           osiiso_queue_start             (OsiisoQueue         *self,
                                                   GError             **error);
OSIISO_AVAILABLE_IN_ALL
OsiisoRunSummary  *osiiso_queue_run               (OsiisoQueue         *self,
                                                   GCancellable        *cancellable,
                                                   GError             **error) G_GNUC_WARN_UNUSED_RESULT;
OSIISO_AVAILABLE_IN_ALL
OsiisoRunSummary  *osiiso_queue_run_full          (OsiisoQueue         *self,
                                                   gdouble              timeout,
                                                   OsiisoRunFlags       flags,
                                                   GCancellable        *cancellable,
                                                   GError             **error) G_GNUC_WARN_UNUSED_RESULT;
OSIISO_AVAILABLE_IN_ALL
void               osiiso_queue_run_async         (OsiisoQueue         *self,
                                                   gdouble              timeout,
                                                   OsiisoRunFlags       flags,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
OSIISO_AVAILABLE_IN_ALL
OsiisoRunSummary  *osiiso_queue_run_finish        (OsiisoQueue         *self,
                                                   GAsyncResult        *result,
                                                   GError             **error) G_GNUC_WARN_UNUSED_RESULT;
OSIISO_AVAILABLE_IN_ALL
gboolean           osiiso_queue_join              (OsiisoQueue         *self,
                                                   GCancellable        *cancellable,
                                                   GError             **error);
OSIISO_AVAILABLE_IN_ALL
gboolean           osiiso_queue_shutdown          (OsiisoQueue         *self,
                                                   gboolean             force,
                                                   GCancellable        *cancellable,
                                                   GError             **error);
OSIISO_AVAILABLE_IN_ALL
void               osiiso_queue_shutdown_async    (OsiisoQueue         *self,
                                                   gboolean             force,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
OSIISO_AVAILABLE_IN_ALL
gboolean           osiiso_queue_shutdown_finish   (OsiisoQueue         *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);
OSIISO_AVAILABLE_IN_ALL
void               osiiso_queue_cancel            (OsiisoQueue         *self);
OSIISO_AVAILABLE_IN_ALL
gboolean           osiiso_queue_reset             (OsiisoQueue         *self,
                                                   GError             **error);
OSIISO_AVAILABLE_IN_ALL
void               osiiso_queue_clear_results     (OsiisoQueue         *self);
OSIISO_AVAILABLE_IN_ALL
OsiisoTaskResult **osiiso_queue_get_results       (OsiisoQueue         *self,
                                                   guint               *n_results) G_GNUC_WARN_UNUSED_RESULT;
OSIISO_AVAILABLE_IN_ALL
GMainContext      *osiiso_queue_get_main_context  (OsiisoQueue         *self);
OSIISO_AVAILABLE_IN_ALL
guint              osiiso_queue_get_workers       (OsiisoQueue         *self);
OSIISO_AVAILABLE_IN_ALL
guint              osiiso_queue_get_pending       (OsiisoQueue         *self);
OSIISO_AVAILABLE_IN_ALL
guint              osiiso_queue_get_active        (OsiisoQueue         *self);
OSIISO_AVAILABLE_IN_ALL
guint              osiiso_queue_get_scheduled     (OsiisoQueue         *self);
OSIISO_AVAILABLE_IN_ALL
guint              osiiso_queue_get_completed     (OsiisoQueue         *self);
OSIISO_AVAILABLE_IN_ALL
gboolean           osiiso_queue_get_closed        (OsiisoQueue         *self);

G_END_DECLS
