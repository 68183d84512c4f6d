/* osiiso-task-result.c: the immutable final result of one task
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "osiiso-task-private.h"
#include "osiiso-task-group-private.h"

/**
 * SECTION:osiiso-task-result
 * @Title: OsiisoTaskResult
 * @Short_description: The final result of a task
 *
 * An #OsiisoTaskResult is created exactly once per task, when the task
 * reaches its final state, and never changes afterwards. It is a
 * reference-counted boxed type, found on the task's handle, in
 * #OsiisoQueue::task-completed, in run summaries and in the queue's result
 * history.
 *
 * Times are monotonic microseconds (g_get_monotonic_time()); a time that
 * never happened is 0.
 */

G_DEFINE_BOXED_TYPE (OsiisoTaskResult, osiiso_task_result,
                     osiiso_task_result_ref, osiiso_task_result_unref)

/* Results are made on the thread that finishes the task (a worker) and
 * freed on the owner's, when the task or a history or summary goes.
 *
 * They come from GSlice: with malloc, the owner's frees filled only its
 * own tcache and then went back to the worker's arena under its lock, so
 * the worker's tcache never held a result and every result it made took
 * that lock and a bin search (about 270 instructions, a quarter of the
 * worker's work per task in W2). GLib 2.74's GSlice moves freed chunks
 * between threads by whole magazines, the pattern it was made for; W2's
 * drain went from 246 to 214 ns per task. (From GLib 2.76 on, and under
 * valgrind, GSlice is malloc.)
 *
 * For malloc, the size: glibc keeps freed chunks of up to 120 bytes, this
 * struct's size, in its fast bins, unmerged, until a later malloc in the
 * same arena merges them all at once: a run's 100,000 results left that
 * to the worker's next malloc, a 1.5 ms stall before the next run's first
 * task (W2). A few bytes more put a result in the small bins, merged as
 * it is freed. */
#define RESULT_ALLOC_SIZE MAX (sizeof (OsiisoTaskResult), 128)

/* Takes @value's contents (leaving it unset) and @error. The caller
 * stores the result in task->result, once.
 *
 * The result takes over the task's reference on its options, which the
 * task keeps reading through task->options: its result lives as long as
 * it does. A reference of its own would be taken on the worker that
 * finishes the task while the owner context drops the finished tasks'
 * references, on the same shared options (one per priority, say), an
 * atomic tossed between two cores per task. */
OsiisoTaskResult *
_osiiso_task_result_new (OsiisoTask       *task,
                         OsiisoTaskStatus  status,
                         GValue           *value,
                         GError           *error,
                         const char       *message,
                         gint64            finished)
{
  OsiisoTaskResult *self = g_slice_alloc0 (RESULT_ALLOC_SIZE);

  self->ref_count = 1;
  self->status = status;
  self->attempts = task->attempts;
  self->task_id = task->id;
  g_assert (task->result == NULL);
  self->options = task->options;   /* see above */
  /* A group's tasks have the options they were added with; their group is
   * the one they were added to. */
  if (task->batch != NULL)
    self->group_id = g_ref_string_acquire (task->batch->group_id);
  self->message = g_strdup (message);
  self->error = error;
  if (value != NULL && G_IS_VALUE (value))
    {
      self->value = *value;
      memset (value, 0, sizeof *value);
    }
  self->created = task->created;
  self->scheduled_for = task->scheduled_for;
  self->started = task->started;
  self->finished = finished;

  return self;
}

/**
 * osiiso_task_result_ref:
 * @self: a #OsiisoTaskResult
 *
 * Takes a reference on @self.
 *
 * Returns: (transfer full): @self
 */
OsiisoTaskResult *
osiiso_task_result_ref (OsiisoTaskResult *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_int_inc (&self->ref_count);
  return self;
}

/**
 * osiiso_task_result_unref:
 * @self: (transfer full): a #OsiisoTaskResult
 *
 * Drops a reference on @self.
 */
void
osiiso_task_result_unref (OsiisoTaskResult *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_int_dec_and_test (&self->ref_count))
    return;

  if (G_IS_VALUE (&self->value))
    g_value_unset (&self->value);
  g_clear_error (&self->error);
  g_free (self->message);
  g_free (self->name);
  g_clear_pointer (&self->group_id, g_ref_string_release);
  g_clear_object (&self->options);
  g_slice_free1 (RESULT_ALLOC_SIZE, self);
}

/**
 * osiiso_task_result_get_task_id:
 * @self: a #OsiisoTaskResult
 *
 * Gets the id of the task, unique in the process.
 *
 * Returns: the task id
 */
guint64
osiiso_task_result_get_task_id (OsiisoTaskResult *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->task_id;
}

/**
 * osiiso_task_result_get_name:
 * @self: a #OsiisoTaskResult
 *
 * Gets the task's name: its name option, or `task-ID` when none was given.
 *
 * Returns: the name
 */
const char *
osiiso_task_result_get_name (OsiisoTaskResult *self)
{
  const char *name;

  g_return_val_if_fail (self != NULL, NULL);

  name = osiiso_task_options_get_name (self->options);
  if (name != NULL)
    return name;

  /* Derived names are made on first use: most results are never asked. */
  name = g_atomic_pointer_get (&self->name);
  if (name == NULL)
    {
      char *fresh = g_strdup_printf ("task-%" G_GUINT64_FORMAT, self->task_id);

      if (g_atomic_pointer_compare_and_exchange (&self->name, NULL, fresh))
        name = fresh;
      else
        {
          g_free (fresh);
          name = g_atomic_pointer_get (&self->name);
        }
    }
  return name;
}

/**
 * osiiso_task_result_get_status:
 * @self: a #OsiisoTaskResult
 *
 * Gets the final status: %OSIISO_TASK_STATUS_SUCCEEDED,
 * %OSIISO_TASK_STATUS_FAILED or %OSIISO_TASK_STATUS_CANCELLED.
 *
 * Returns: the final status
 */
OsiisoTaskStatus
osiiso_task_result_get_status (OsiisoTaskResult *self)
{
  g_return_val_if_fail (self != NULL, OSIISO_TASK_STATUS_FAILED);
  return self->status;
}

/**
 * osiiso_task_result_get_value:
 * @self: a #OsiisoTaskResult
 *
 * Gets the value of a succeeded task, if it stored one.
 *
 * Returns: (nullable) (transfer none): the value, or %NULL
 */
const GValue *
osiiso_task_result_get_value (OsiisoTaskResult *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return G_IS_VALUE (&self->value) ? &self->value : NULL;
}

/**
 * osiiso_task_result_get_error:
 * @self: a #OsiisoTaskResult
 *
 * Gets the error of a failed task (the error of its last attempt), or
 * %G_IO_ERROR_CANCELLED for a cancelled one.
 *
 * Returns: (nullable) (transfer none): the error, or %NULL for a success
 */
const GError *
osiiso_task_result_get_error (OsiisoTaskResult *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->error;
}

/**
 * osiiso_task_result_propagate_value:
 * @self: a #OsiisoTaskResult
 * @value: (out caller-allocates): an uninitialized #GValue for the value
 * @error: return location for the task's error
 *
 * Gives back what the task produced: its value for a succeeded task, or
 * its error for a failed or cancelled one. @value is always initialized:
 * to a %NULL %G_TYPE_POINTER when there is no value; unset it when done.
 *
 * Returns: %TRUE for a succeeded task, %FALSE with @error set otherwise
 */
gboolean
osiiso_task_result_propagate_value (OsiisoTaskResult  *self,
                                    GValue            *value,
                                    GError           **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (value != NULL, FALSE);

  /* @value is always initialized, to a NULL pointer when there is no
   * value: bindings convert an out GValue even when an error is set. */
  if (self->status != OSIISO_TASK_STATUS_SUCCEEDED || !G_IS_VALUE (&self->value))
    g_value_init (value, G_TYPE_POINTER);
  else
    {
      g_value_init (value, G_VALUE_TYPE (&self->value));
      g_value_copy (&self->value, value);
    }

  if (self->status != OSIISO_TASK_STATUS_SUCCEEDED)
    {
      if (error != NULL)
        *error = g_error_copy (self->error);
      return FALSE;
    }
  return TRUE;
}

/**
 * osiiso_task_result_get_attempts:
 * @self: a #OsiisoTaskResult
 *
 * Gets how many attempts were started; 0 for a task that never ran.
 *
 * Returns: the number of attempts
 */
guint
osiiso_task_result_get_attempts (OsiisoTaskResult *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->attempts;
}

/**
 * osiiso_task_result_get_priority:
 * @self: a #OsiisoTaskResult
 *
 * Gets the task's priority option.
 *
 * Returns: the priority
 */
gint
osiiso_task_result_get_priority (OsiisoTaskResult *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return osiiso_task_options_get_priority (self->options);
}

/**
 * osiiso_task_result_get_must_complete:
 * @self: a #OsiisoTaskResult
 *
 * Gets the task's must-complete option.
 *
 * Returns: whether the task was protected from implicit cancellation
 */
gboolean
osiiso_task_result_get_must_complete (OsiisoTaskResult *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return osiiso_task_options_get_must_complete (self->options);
}

/**
 * osiiso_task_result_get_group_id:
 * @self: a #OsiisoTaskResult
 *
 * Gets the id of the task's group: that of the #OsiisoTaskGroup it was
 * added to (also for osiiso_queue_map() and the like), else its group-id
 * option.
 *
 * Returns: (nullable): the group id, or %NULL
 */
const char *
osiiso_task_result_get_group_id (OsiisoTaskResult *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  if (self->group_id != NULL)
    return self->group_id;
  return osiiso_task_options_get_group_id (self->options);
}

/**
 * osiiso_task_result_get_detached:
 * @self: a #OsiisoTaskResult
 *
 * Gets the task's detached option: detached tasks are left out of run
 * summaries.
 *
 * Returns: whether the task was detached
 */
gboolean
osiiso_task_result_get_detached (OsiisoTaskResult *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return osiiso_task_options_get_detached (self->options);
}

/**
 * osiiso_task_result_get_created:
 * @self: a #OsiisoTaskResult
 *
 * Gets when the task was submitted.
 *
 * Returns: monotonic microseconds
 */
gint64
osiiso_task_result_get_created (OsiisoTaskResult *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->created;
}

/**
 * osiiso_task_result_get_scheduled_for:
 * @self: a #OsiisoTaskResult
 *
 * Gets when a delayed task became eligible to run.
 *
 * Returns: monotonic microseconds, or 0 for a task with no delay or run-at
 */
gint64
osiiso_task_result_get_scheduled_for (OsiisoTaskResult *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->scheduled_for;
}

/**
 * osiiso_task_result_get_started:
 * @self: a #OsiisoTaskResult
 *
 * Gets when the first attempt started.
 *
 * Returns: monotonic microseconds, or 0 for a task that never ran
 */
gint64
osiiso_task_result_get_started (OsiisoTaskResult *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->started;
}

/**
 * osiiso_task_result_get_finished:
 * @self: a #OsiisoTaskResult
 *
 * Gets when the task reached its final state.
 *
 * Returns: monotonic microseconds
 */
gint64
osiiso_task_result_get_finished (OsiisoTaskResult *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->finished;
}

/**
 * osiiso_task_result_get_duration:
 * @self: a #OsiisoTaskResult
 *
 * Gets the time from the start of the first attempt to the final state.
 *
 * Returns: seconds; 0 for a task that never ran
 */
gdouble
osiiso_task_result_get_duration (OsiisoTaskResult *self)
{
  g_return_val_if_fail (self != NULL, 0.0);
  if (self->started == 0)
    return 0.0;
  return (self->finished - self->started) / (gdouble) G_USEC_PER_SEC;
}

/**
 * osiiso_task_result_get_message:
 * @self: a #OsiisoTaskResult
 *
 * Gets a short description of the outcome: the error message of a failure,
 * or how a task was cancelled ("cancelled", "cancelled before execution",
 * "cancelled during shutdown"); empty for a success.
 *
 * Returns: the message
 */
const char *
osiiso_task_result_get_message (OsiisoTaskResult *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->message != NULL ? self->message : "";
}

/**
 * osiiso_task_result_get_metadata:
 * @self: a #OsiisoTaskResult
 *
 * Gets the metadata given in the task's options.
 *
 * Returns: (nullable) (transfer none): the metadata, or %NULL
 */
GVariant *
osiiso_task_result_get_metadata (OsiisoTaskResult *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return osiiso_task_options_get_metadata (self->options);
}
