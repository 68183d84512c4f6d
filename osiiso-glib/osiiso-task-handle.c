/* osiiso-task-handle.c: the live view of one submitted task
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "osiiso-queue-private.h"
#include "osiiso-i18n-private.h"

/**
 * SECTION:osiiso-task-handle
 * @Title: OsiisoTaskHandle
 * @Short_description: A submitted task
 *
 * osiiso_queue_submit() returns an #OsiisoTaskHandle at once. The handle
 * shows the task's status and attempts as they change, lets you cancel the
 * task, wait for it (blocking from another thread, or asynchronously) and
 * read its #OsiisoTaskResult once it is done.
 *
 * The status is updated the moment it changes, on whatever thread changes
 * it, so a thread blocked in osiiso_task_handle_wait() wakes as soon as the
 * task ends. The #GObject::notify signals for #OsiisoTaskHandle:status,
 * #OsiisoTaskHandle:attempts and #OsiisoTaskHandle:result are emitted on
 * the queue's main context only, in the order the changes happened.
 *
 * A handle keeps only a weak reference to its queue: it does not keep the
 * queue alive.
 */

/**
 * OsiisoTaskHandle:
 *
 * The handle of a submitted task. All its fields are private.
 */

struct _OsiisoTaskHandle
{
  GObject     parent_instance;

  OsiisoTask *task;
  OsiisoQueueLink *queue;  /* a weak link to the queue */
  GList      *waiters;     /* GTasks of wait_async(), or DELIVERED; (waiters_lock) */
};

/* A handle is made per submitted task and kept until its completion is
 * delivered, so it is kept at 48 bytes, not 64 (GSlice rounds to 16):
 * what is rarely wanted costs nothing until it is used. The
 * derived name ("task-ID") is object data made on first use, and the
 * completion having been delivered is a mark in place of the waiters,
 * which are all returned then (later waits return at once). */
static GList delivered_mark;
#define DELIVERED (&delivered_mark)

G_DEFINE_QUARK (osiiso-task-handle-derived-name, derived_name)
G_DEFINE_QUARK (osiiso-task-handle-group-id, group_id)

G_DEFINE_FINAL_TYPE (OsiisoTaskHandle, osiiso_task_handle, G_TYPE_OBJECT)

/* Waiters are rare; one lock for all handles keeps each handle small. */
static GMutex waiters_lock;

enum {
  PROP_0,
  PROP_ID,
  PROP_NAME,
  PROP_STATUS,
  PROP_ATTEMPTS,
  PROP_PRIORITY,
  PROP_GROUP_ID,
  PROP_RESULT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
osiiso_task_handle_finalize (GObject *object)
{
  OsiisoTaskHandle *self = (OsiisoTaskHandle *) object;

  g_assert (self->waiters == NULL || self->waiters == DELIVERED);
  g_clear_pointer (&self->queue, _osiiso_queue_link_unref);
  g_clear_pointer (&self->task, _osiiso_task_unref);

  G_OBJECT_CLASS (osiiso_task_handle_parent_class)->finalize (object);
}

static void
osiiso_task_handle_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  OsiisoTaskHandle *self = OSIISO_TASK_HANDLE (object);

  switch (prop_id)
    {
    case PROP_ID:       g_value_set_uint64 (value, self->task->id); break;
    case PROP_NAME:     g_value_set_string (value, osiiso_task_handle_get_name (self)); break;
    case PROP_STATUS:   g_value_set_enum (value, osiiso_task_handle_get_status (self)); break;
    case PROP_ATTEMPTS: g_value_set_uint (value, osiiso_task_handle_get_attempts (self)); break;
    case PROP_PRIORITY: g_value_set_int (value, self->task->priority); break;
    case PROP_GROUP_ID: g_value_set_string (value, osiiso_task_handle_get_group_id (self)); break;
    case PROP_RESULT:   g_value_set_boxed (value, osiiso_task_handle_get_result (self)); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
osiiso_task_handle_class_init (OsiisoTaskHandleClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  _osiiso_i18n_init ();

  object_class->finalize = osiiso_task_handle_finalize;
  object_class->get_property = osiiso_task_handle_get_property;

  /**
   * OsiisoTaskHandle:id:
   *
   * The task's id, unique in the process.
   */
  properties[PROP_ID] =
    g_param_spec_uint64 ("id", "Id", "The task id", 0, G_MAXUINT64, 0, flags);

  /**
   * OsiisoTaskHandle:name:
   *
   * The task's name: its name option, or `task-ID`.
   */
  properties[PROP_NAME] =
    g_param_spec_string ("name", "Name", "The task name", NULL, flags);

  /**
   * OsiisoTaskHandle:status:
   *
   * The task's current status.
   */
  properties[PROP_STATUS] =
    g_param_spec_enum ("status", "Status", "The task status",
                       OSIISO_TYPE_TASK_STATUS, OSIISO_TASK_STATUS_PENDING, flags);

  /**
   * OsiisoTaskHandle:attempts:
   *
   * How many attempts have started.
   */
  properties[PROP_ATTEMPTS] =
    g_param_spec_uint ("attempts", "Attempts", "Attempts started", 0, G_MAXUINT, 0, flags);

  /**
   * OsiisoTaskHandle:priority:
   *
   * The task's priority option.
   */
  properties[PROP_PRIORITY] =
    g_param_spec_int ("priority", "Priority", "The task priority", G_MININT, G_MAXINT, 3, flags);

  /**
   * OsiisoTaskHandle:group-id:
   *
   * The task's group id option.
   */
  properties[PROP_GROUP_ID] =
    g_param_spec_string ("group-id", "Group id", "The task group", NULL, flags);

  /**
   * OsiisoTaskHandle:result:
   *
   * The task's result, once it is done.
   */
  properties[PROP_RESULT] =
    g_param_spec_boxed ("result", "Result", "The final result",
                        OSIISO_TYPE_TASK_RESULT, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
osiiso_task_handle_init (OsiisoTaskHandle *self)
{
}

OsiisoTaskHandle *
_osiiso_task_handle_new (OsiisoTask  *task,
                         OsiisoQueue *queue)
{
  OsiisoTaskHandle *self = g_object_new (OSIISO_TYPE_TASK_HANDLE, NULL);

  self->task = _osiiso_task_ref (task);
  self->queue = _osiiso_queue_get_link (queue);
  return self;
}

OsiisoTaskHandle *
_osiiso_task_handle_new_linked (OsiisoTask      *task,
                                OsiisoQueueLink *link,
                                const char      *group_id)
{
  OsiisoTaskHandle *self = g_object_new (OSIISO_TYPE_TASK_HANDLE, NULL);

  self->task = _osiiso_task_ref (task);
  self->queue = _osiiso_queue_link_ref (link);
  /* Kept as qdata, not in a field: a field would move every handle,
   * including the one of each submitted task, to the next allocation size
   * (48 to 64 bytes), and only handles of a group's tasks have it. */
  g_object_set_qdata_full (G_OBJECT (self), group_id_quark (), g_ref_string_acquire ((char *) group_id),
                           (GDestroyNotify) g_ref_string_release);
  return self;
}

OsiisoTask *
_osiiso_task_handle_get_task (OsiisoTaskHandle *self)
{
  return self->task;
}

void
_osiiso_task_handle_notify_status (OsiisoTaskHandle *self)
{
  g_object_notify_by_pspec ((GObject *) self, properties[PROP_ATTEMPTS]);
  g_object_notify_by_pspec ((GObject *) self, properties[PROP_STATUS]);
}

/* @observed: whether anyone but the task holds the handle; nobody can see
 * the notifications of a handle nobody holds. */
void
_osiiso_task_handle_completed (OsiisoTaskHandle *self,
                               gboolean          observed)
{
  GList *waiters;

  /* A waiter holds a reference to the handle (its GTask's source object),
   * so an unobserved handle has none. */
  if (!observed)
    return;

  g_mutex_lock (&waiters_lock);
  waiters = self->waiters != DELIVERED ? self->waiters : NULL;
  self->waiters = DELIVERED;
  g_mutex_unlock (&waiters_lock);

  g_object_notify_by_pspec ((GObject *) self, properties[PROP_RESULT]);
  _osiiso_task_handle_notify_status (self);

  for (GList *l = waiters; l != NULL; l = l->next)
    {
      GTask *task = l->data;
      GCancellable *cancellable = g_task_get_cancellable (task);

      if (cancellable != NULL)
        g_cancellable_disconnect (cancellable, GPOINTER_TO_SIZE (g_task_get_task_data (task)));
      g_task_return_pointer (task, osiiso_task_result_ref (self->task->result),
                             (GDestroyNotify) osiiso_task_result_unref);
      g_object_unref (task);
    }
  g_list_free (waiters);
}

/**
 * osiiso_task_handle_get_id:
 * @self: a #OsiisoTaskHandle
 *
 * Gets the task's id, unique in the process.
 *
 * Returns: the task id
 */
guint64
osiiso_task_handle_get_id (OsiisoTaskHandle *self)
{
  g_return_val_if_fail (OSIISO_IS_TASK_HANDLE (self), 0);
  return self->task->id;
}

/**
 * osiiso_task_handle_dup_id_string:
 * @self: a #OsiisoTaskHandle
 *
 * Gets the task's id as a string, for languages without 64-bit integers.
 *
 * Returns: (transfer full): the task id in decimal
 */
char *
osiiso_task_handle_dup_id_string (OsiisoTaskHandle *self)
{
  g_return_val_if_fail (OSIISO_IS_TASK_HANDLE (self), NULL);
  return g_strdup_printf ("%" G_GUINT64_FORMAT, self->task->id);
}

/**
 * osiiso_task_handle_get_name:
 * @self: a #OsiisoTaskHandle
 *
 * Gets the task's name: its name option, or `task-ID` when none was
 * given, as in its result.
 *
 * Returns: the name
 */
const char *
osiiso_task_handle_get_name (OsiisoTaskHandle *self)
{
  const char *name;

  g_return_val_if_fail (OSIISO_IS_TASK_HANDLE (self), NULL);

  name = _osiiso_task_get_name (self->task);
  if (name != NULL)
    return name;

  name = g_object_get_qdata ((GObject *) self, derived_name_quark ());
  if (name == NULL)
    {
      char *fresh = _osiiso_task_dup_name (self->task);

      /* Another thread may have made it meanwhile: the first one stays. */
      if (g_object_replace_qdata ((GObject *) self, derived_name_quark (), NULL, fresh, g_free, NULL))
        name = fresh;
      else
        {
          g_free (fresh);
          name = g_object_get_qdata ((GObject *) self, derived_name_quark ());
        }
    }
  return name;
}

/**
 * osiiso_task_handle_get_status:
 * @self: a #OsiisoTaskHandle
 *
 * Gets the task's status at this moment; safe from any thread.
 *
 * Returns: the status
 */
OsiisoTaskStatus
osiiso_task_handle_get_status (OsiisoTaskHandle *self)
{
  g_return_val_if_fail (OSIISO_IS_TASK_HANDLE (self), OSIISO_TASK_STATUS_PENDING);
  return _osiiso_task_get_status (self->task);
}

/**
 * osiiso_task_handle_get_attempts:
 * @self: a #OsiisoTaskHandle
 *
 * Gets how many attempts have started so far.
 *
 * Returns: the number of attempts
 */
guint
osiiso_task_handle_get_attempts (OsiisoTaskHandle *self)
{
  g_return_val_if_fail (OSIISO_IS_TASK_HANDLE (self), 0);
  return g_atomic_int_get ((gint *) &self->task->attempts);
}

/**
 * osiiso_task_handle_get_priority:
 * @self: a #OsiisoTaskHandle
 *
 * Gets the task's priority option.
 *
 * Returns: the priority
 */
gint
osiiso_task_handle_get_priority (OsiisoTaskHandle *self)
{
  g_return_val_if_fail (OSIISO_IS_TASK_HANDLE (self), 0);
  return self->task->priority;
}

/**
 * osiiso_task_handle_get_group_id:
 * @self: a #OsiisoTaskHandle
 *
 * Gets the id of the task's group: that of the #OsiisoTaskGroup it was
 * added to (also for osiiso_queue_map() and the like), else its group-id
 * option.
 *
 * Returns: (nullable): the group id, or %NULL
 */
const char *
osiiso_task_handle_get_group_id (OsiisoTaskHandle *self)
{
  const char *group_id;

  g_return_val_if_fail (OSIISO_IS_TASK_HANDLE (self), NULL);

  group_id = g_object_get_qdata (G_OBJECT (self), group_id_quark ());
  if (group_id != NULL)
    return group_id;
  return osiiso_task_options_get_group_id (self->task->options);
}

/**
 * osiiso_task_handle_get_metadata:
 * @self: a #OsiisoTaskHandle
 *
 * Gets the task's metadata option.
 *
 * Returns: (nullable) (transfer none): the metadata, or %NULL
 */
GVariant *
osiiso_task_handle_get_metadata (OsiisoTaskHandle *self)
{
  g_return_val_if_fail (OSIISO_IS_TASK_HANDLE (self), NULL);
  return osiiso_task_options_get_metadata (self->task->options);
}

/**
 * osiiso_task_handle_is_done:
 * @self: a #OsiisoTaskHandle
 *
 * Checks whether the task has reached its final state.
 *
 * Returns: %TRUE if the task has a result
 */
gboolean
osiiso_task_handle_is_done (OsiisoTaskHandle *self)
{
  g_return_val_if_fail (OSIISO_IS_TASK_HANDLE (self), FALSE);
  return _osiiso_task_status_is_final (_osiiso_task_get_status (self->task));
}

/**
 * osiiso_task_handle_get_result:
 * @self: a #OsiisoTaskHandle
 *
 * Gets the task's result.
 *
 * Returns: (nullable) (transfer none): the result, or %NULL while the task
 *   is not done
 */
OsiisoTaskResult *
osiiso_task_handle_get_result (OsiisoTaskHandle *self)
{
  g_return_val_if_fail (OSIISO_IS_TASK_HANDLE (self), NULL);

  /* The result is stored before the status turns final. */
  if (!osiiso_task_handle_is_done (self))
    return NULL;
  return self->task->result;
}

/**
 * osiiso_task_handle_cancel:
 * @self: a #OsiisoTaskHandle
 *
 * Cancels the task, wherever it is: a queued or waiting task is cancelled
 * at once; a running attempt is ended at once (its cancellable is
 * cancelled). An explicit cancel also cancels a must-complete task. Safe
 * from any thread.
 *
 * Returns: %TRUE if this call cancelled the task, %FALSE if it had already
 *   finished
 */
gboolean
osiiso_task_handle_cancel (OsiisoTaskHandle *self)
{
  g_autoptr(OsiisoQueue) queue = NULL;

  g_return_val_if_fail (OSIISO_IS_TASK_HANDLE (self), FALSE);

  queue = _osiiso_queue_link_dup_queue (self->queue);
  if (queue == NULL)
    return FALSE;
  return _osiiso_queue_cancel_task (queue, self->task);
}

/**
 * osiiso_task_handle_wait:
 * @self: a #OsiisoTaskHandle
 * @timeout: the longest time to wait, in seconds; negative to wait without
 *   limit
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Blocks until the task is done, then returns its result. Meant for
 * threads other than the one running the queue's main context; called on
 * that thread, it iterates the main context while it waits.
 *
 * Waiting does not start the queue.
 *
 * Returns: (transfer full): the task's result, or %NULL with
 *   %OSIISO_ERROR_TIMEOUT when @timeout expired, or %G_IO_ERROR_CANCELLED
 */
OsiisoTaskResult *
osiiso_task_handle_wait (OsiisoTaskHandle  *self,
                         gdouble            timeout,
                         GCancellable      *cancellable,
                         GError           **error)
{
  g_autoptr(OsiisoQueue) queue = NULL;

  g_return_val_if_fail (OSIISO_IS_TASK_HANDLE (self), NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);

  queue = _osiiso_queue_link_dup_queue (self->queue);
  /* Without its queue, a task is always final: dispose finishes them all. */
  if (queue != NULL && !_osiiso_queue_wait_task (queue, self->task, timeout, cancellable, error))
    return NULL;

  return osiiso_task_result_ref (self->task->result);
}

/**
 * osiiso_task_handle_wait_async:
 * @self: a #OsiisoTaskHandle
 * @cancellable: (nullable): a #GCancellable; cancelling it stops the wait,
 *   not the task
 * @callback: (scope async): called when the task is done
 * @user_data: (closure): data for @callback
 *
 * Waits for the task asynchronously. @callback runs in the thread-default
 * main context of the caller; call osiiso_task_handle_wait_finish() there.
 */
static void
wait_cancelled_cb (GCancellable *cancellable,
                   GTask        *task)
{
  OsiisoTaskHandle *self = g_task_get_source_object (task);
  GList *link;

  g_mutex_lock (&waiters_lock);
  link = self->waiters != DELIVERED ? g_list_find (self->waiters, task) : NULL;
  if (link != NULL)
    self->waiters = g_list_delete_link (self->waiters, link);
  g_mutex_unlock (&waiters_lock);

  /* Whoever unlinks the task returns it: this handler or completion. */
  if (link != NULL)
    {
      g_task_return_error_if_cancelled (task);
      g_object_unref (task);
    }
}

void
osiiso_task_handle_wait_async (OsiisoTaskHandle    *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  gboolean done;

  g_return_if_fail (OSIISO_IS_TASK_HANDLE (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, osiiso_task_handle_wait_async);
  g_task_set_name (task, "[osiiso] osiiso_task_handle_wait_async");

  g_mutex_lock (&waiters_lock);
  done = self->waiters == DELIVERED || osiiso_task_handle_is_done (self);
  if (!done)
    self->waiters = g_list_prepend (self->waiters, g_object_ref (task));
  g_mutex_unlock (&waiters_lock);

  if (done)
    {
      g_task_return_pointer (task, osiiso_task_result_ref (self->task->result),
                             (GDestroyNotify) osiiso_task_result_unref);
      return;
    }

  if (cancellable != NULL)
    {
      gulong id = g_cancellable_connect (cancellable, G_CALLBACK (wait_cancelled_cb),
                                        g_object_ref (task), g_object_unref);

      g_task_set_task_data (task, GSIZE_TO_POINTER ((gsize) id), NULL);
    }
}

/**
 * osiiso_task_handle_wait_finish:
 * @self: a #OsiisoTaskHandle
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes osiiso_task_handle_wait_async().
 *
 * Returns: (transfer full): the task's result, or %NULL with
 *   %G_IO_ERROR_CANCELLED if the wait was cancelled
 */
OsiisoTaskResult *
osiiso_task_handle_wait_finish (OsiisoTaskHandle  *self,
                                GAsyncResult      *result,
                                GError           **error)
{
  g_return_val_if_fail (OSIISO_IS_TASK_HANDLE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == osiiso_task_handle_wait_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct
{
  GTask        *task;        /* the wait_any operation */
  GCancellable *stop;        /* stops the other waits once one handle is done */
  gulong        cancelled_id;
  guint         pending;     /* waits still out */
  gboolean      returned;
} WaitAny;

static void
wait_any_free (WaitAny *any)
{
  GCancellable *cancellable = g_task_get_cancellable (any->task);

  if (any->cancelled_id != 0)
    g_cancellable_disconnect (cancellable, any->cancelled_id);
  g_object_unref (any->stop);
  g_object_unref (any->task);
  g_free (any);
}

static void
wait_any_one_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      data)
{
  WaitAny *any = data;
  g_autoptr(OsiisoTaskResult) task_result = NULL;

  task_result = osiiso_task_handle_wait_finish (OSIISO_TASK_HANDLE (source), result, NULL);
  if (task_result != NULL && !any->returned)
    {
      /* The first handle done wins; the other waits are stopped. */
      any->returned = TRUE;
      g_cancellable_cancel (any->stop);
      g_task_return_pointer (any->task, g_object_ref (source), g_object_unref);
    }

  if (--any->pending > 0)
    return;

  /* Every wait ended without a handle done: the caller cancelled. */
  if (!any->returned)
    g_task_return_new_error (any->task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                             _("the wait was cancelled"));
  wait_any_free (any);
}

static void
wait_any_cancelled_cb (GCancellable *cancellable,
                       GCancellable *stop)
{
  g_cancellable_cancel (stop);
}

/**
 * osiiso_task_handle_wait_any_async:
 * @handles: (array length=n_handles): handles to wait for
 * @n_handles: the number of @handles, at least 1
 * @cancellable: (nullable): a #GCancellable; cancelling it stops the wait,
 *   not the tasks
 * @callback: (scope async): called once one of the tasks is done
 * @user_data: (closure): data for @callback
 *
 * Waits until one of @handles is done. Calling it again with the handles
 * that are not done yet gives them in completion order. A handle that is
 * already done when this is called is given at once (the first such, in
 * array order). @callback runs in the thread-default main context of the
 * caller.
 */
void
osiiso_task_handle_wait_any_async (OsiisoTaskHandle    **handles,
                                   guint                 n_handles,
                                   GCancellable         *cancellable,
                                   GAsyncReadyCallback   callback,
                                   gpointer              user_data)
{
  WaitAny *any;

  g_return_if_fail (handles != NULL);
  g_return_if_fail (n_handles > 0);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  any = g_new0 (WaitAny, 1);
  any->task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (any->task, osiiso_task_handle_wait_any_async);
  g_task_set_name (any->task, "[osiiso] osiiso_task_handle_wait_any_async");
  any->stop = g_cancellable_new ();

  for (guint i = 0; i < n_handles; i++)
    {
      g_return_if_fail (OSIISO_IS_TASK_HANDLE (handles[i]));
      if (osiiso_task_handle_is_done (handles[i]))
        {
          g_task_return_pointer (any->task, g_object_ref (handles[i]), g_object_unref);
          wait_any_free (any);
          return;
        }
    }

  if (cancellable != NULL)
    any->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (wait_any_cancelled_cb),
                                               g_object_ref (any->stop), g_object_unref);

  any->pending = n_handles;
  for (guint i = 0; i < n_handles; i++)
    osiiso_task_handle_wait_async (handles[i], any->stop, wait_any_one_cb, any);
}

/**
 * osiiso_task_handle_wait_any_finish:
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes osiiso_task_handle_wait_any_async().
 *
 * Returns: (transfer full): the first handle done, or %NULL with
 *   %G_IO_ERROR_CANCELLED
 */
OsiisoTaskHandle *
osiiso_task_handle_wait_any_finish (GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == osiiso_task_handle_wait_any_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * osiiso_task_handle_get_value:
 * @self: a #OsiisoTaskHandle
 * @value: (out caller-allocates): an uninitialized #GValue for the value
 * @error: return location for the task's error
 *
 * Gives back what a finished task produced (see
 * osiiso_task_result_propagate_value(); @value is always initialized and
 * must be unset): its value, or the task's own
 * error for a failed task, %G_IO_ERROR_CANCELLED for a cancelled one and
 * %OSIISO_ERROR_NOT_READY for a task that is not done yet.
 *
 * Returns: %TRUE for a succeeded task, %FALSE with @error set otherwise
 */
gboolean
osiiso_task_handle_get_value (OsiisoTaskHandle  *self,
                              GValue            *value,
                              GError           **error)
{
  OsiisoTaskResult *result;

  g_return_val_if_fail (OSIISO_IS_TASK_HANDLE (self), FALSE);

  result = osiiso_task_handle_get_result (self);
  if (result == NULL)
    {
      g_value_init (value, G_TYPE_POINTER);   /* bindings convert it anyway */
      g_set_error_literal (error, OSIISO_ERROR, OSIISO_ERROR_NOT_READY,
                           _("the task has no result yet"));
      return FALSE;
    }
  return osiiso_task_result_propagate_value (result, value, error);
}
