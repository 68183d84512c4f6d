/* osiiso-task-context.c: what a task function sees of its attempt
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "osiiso-task-private.h"

/**
 * SECTION:osiiso-task-context
 * @Title: OsiisoTaskContext
 * @Short_description: The attempt a task function is running
 *
 * Every attempt of a task gets its own #OsiisoTaskContext: the task
 * function reads its cancellable and attempt number from it and
 * stores its value in it. An attempt that was timed out or cancelled keeps
 * its own context, so a function that returns late cannot disturb the
 * task's next attempt: whatever it stores is dropped.
 *
 * The context is a reference-counted boxed type; bindings may keep it
 * beyond the call.
 */

G_DEFINE_BOXED_TYPE (OsiisoTaskContext, osiiso_task_context,
                     osiiso_task_context_ref, osiiso_task_context_unref)

OsiisoTaskContext *
_osiiso_task_context_new (OsiisoTask *task,
                          guint       attempt)
{
  OsiisoTaskContext *self = g_new0 (OsiisoTaskContext, 1);

  self->ref_count = 1;
  self->attempt = attempt;
  self->task = _osiiso_task_ref (task);
  _osiiso_task_data_ref (task);
  return self;
}

/**
 * osiiso_task_context_ref:
 * @self: a #OsiisoTaskContext
 *
 * Takes a reference on @self.
 *
 * Returns: (transfer full): @self
 */
OsiisoTaskContext *
osiiso_task_context_ref (OsiisoTaskContext *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_int_inc (&self->ref_count);
  return self;
}

/**
 * osiiso_task_context_unref:
 * @self: (transfer full): a #OsiisoTaskContext
 *
 * Drops a reference on @self.
 */
void
osiiso_task_context_unref (OsiisoTaskContext *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_int_dec_and_test (&self->ref_count))
    return;

  if (self->has_value)
    g_value_unset (&self->value);
  g_clear_object (&self->cancellable);
  _osiiso_task_data_unref (self->task);
  _osiiso_task_unref (self->task);
  g_free (self);
}

GCancellable *
_osiiso_task_context_interrupt (OsiisoTaskContext *self)
{
  GCancellable *cancellable;

  g_atomic_int_set (&self->interrupted, 1);
  cancellable = g_atomic_pointer_get (&self->cancellable);
  return cancellable != NULL ? g_object_ref (cancellable) : NULL;
}

/**
 * osiiso_task_context_get_cancellable:
 * @self: a #OsiisoTaskContext
 *
 * Gets the cancellable of this attempt. It is cancelled when the attempt
 * times out, when the task is cancelled and when the queue shuts down in a
 * way that cancels the task. Pass it to the blocking or asynchronous GIO
 * calls the task makes.
 *
 * The cancellable is created on first use, so tasks that never ask for it
 * cost nothing; one asked for after the attempt was interrupted is already
 * cancelled.
 *
 * Returns: (transfer none): the attempt's #GCancellable
 */
GCancellable *
osiiso_task_context_get_cancellable (OsiisoTaskContext *self)
{
  GCancellable *cancellable;

  g_return_val_if_fail (self != NULL, NULL);

  cancellable = g_atomic_pointer_get (&self->cancellable);
  if (cancellable == NULL)
    {
      GCancellable *fresh = g_cancellable_new ();

      if (g_atomic_pointer_compare_and_exchange (&self->cancellable, NULL, fresh))
        cancellable = fresh;
      else
        {
          g_object_unref (fresh);
          cancellable = g_atomic_pointer_get (&self->cancellable);
        }

      /* The interrupter sets the flag before it looks for a cancellable,
       * so either it saw ours or we see its flag. */
      if (g_atomic_int_get (&self->interrupted))
        g_cancellable_cancel (cancellable);
    }

  return cancellable;
}

/**
 * osiiso_task_context_is_cancelled:
 * @self: a #OsiisoTaskContext
 *
 * Checks whether this attempt has been interrupted (timed out or
 * cancelled). This is cheaper than creating the cancellable and suits
 * tight loops in C tasks.
 *
 * Returns: %TRUE if the attempt should stop
 */
gboolean
osiiso_task_context_is_cancelled (OsiisoTaskContext *self)
{
  g_return_val_if_fail (self != NULL, TRUE);

  return g_atomic_int_get (&self->interrupted) != 0;
}

/**
 * osiiso_task_context_get_attempt:
 * @self: a #OsiisoTaskContext
 *
 * Gets the number of this attempt: 1 for the first, 2 for the first retry
 * and so on.
 *
 * Returns: the attempt number
 */
guint
osiiso_task_context_get_attempt (OsiisoTaskContext *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->attempt;
}

/**
 * osiiso_task_context_get_task_id:
 * @self: a #OsiisoTaskContext
 *
 * Gets the id of the task, unique in the process.
 *
 * Returns: the task id
 */
guint64
osiiso_task_context_get_task_id (OsiisoTaskContext *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->task->id;
}

/**
 * osiiso_task_context_get_name:
 * @self: a #OsiisoTaskContext
 *
 * Gets the name given in the task's options.
 *
 * Returns: (nullable): the task's name, or %NULL if none was given
 */
const char *
osiiso_task_context_get_name (OsiisoTaskContext *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return _osiiso_task_get_name (self->task);
}

/**
 * osiiso_task_context_get_metadata:
 * @self: a #OsiisoTaskContext
 *
 * Gets the metadata given in the task's options.
 *
 * Returns: (nullable) (transfer none): the metadata, or %NULL
 */
GVariant *
osiiso_task_context_get_metadata (OsiisoTaskContext *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return osiiso_task_options_get_metadata (self->task->options);
}

/**
 * osiiso_task_context_set_value:
 * @self: a #OsiisoTaskContext
 * @value: the value the task produced
 *
 * Stores the value of this attempt; it becomes the task's value if the
 * task function then returns %TRUE. A later call replaces an earlier one.
 */
void
osiiso_task_context_set_value (OsiisoTaskContext *self,
                               const GValue      *value)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (G_IS_VALUE (value));

  if (self->has_value)
    g_value_unset (&self->value);
  g_value_init (&self->value, G_VALUE_TYPE (value));
  g_value_copy (value, &self->value);
  self->has_value = TRUE;
}

/**
 * osiiso_task_context_take_value: (skip)
 * @self: a #OsiisoTaskContext
 * @value: (transfer full): an initialized #GValue, whose contents are taken
 *
 * Like osiiso_task_context_set_value(), but takes over the contents of
 * @value without copying them; @value is left unset.
 */
void
osiiso_task_context_take_value (OsiisoTaskContext *self,
                                GValue            *value)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (G_IS_VALUE (value));

  if (self->has_value)
    g_value_unset (&self->value);
  self->value = *value;
  memset (value, 0, sizeof *value);
  self->has_value = TRUE;
}
