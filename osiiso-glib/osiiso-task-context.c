/* osiiso-task-context.c: what a task function sees of its attempt
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "osiiso-queue-private.h"
#include "osiiso-task-group-private.h"
#include "osiiso-i18n-private.h"

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
 * An asynchronous task (#OsiisoAsyncQueue) completes its attempt later
 * through its context, with osiiso_task_context_return_value() or
 * osiiso_task_context_return_error(), from any thread.
 *
 * The context is a reference-counted boxed type. An asynchronous task's
 * context stays valid until its attempt is completed. Code that keeps it
 * longer takes a reference: osiiso_task_context_ref() in C; in GJS, whose
 * callbacks do not take one for boxed arguments, a copy made with
 * `new Osiiso.TaskContext(ctx)` (the shipped osiiso.js module does this).
 */

G_DEFINE_BOXED_TYPE (OsiisoTaskContext, osiiso_task_context,
                     osiiso_task_context_ref, osiiso_task_context_unref)

OsiisoTaskContext *
_osiiso_task_context_new (OsiisoTask *task,
                          guint       attempt)
{
  return _osiiso_task_context_new_in (NULL, task, attempt);
}

/* A thread queue's worker reuses the context of its last attempt when
 * nobody else kept it: no allocation under the queue's lock per task. */
OsiisoTaskContext *
_osiiso_task_context_new_in (OsiisoTaskContext *blank,
                             OsiisoTask        *task,
                             guint              attempt)
{
  OsiisoTaskContext *self = blank != NULL ? blank : g_new0 (OsiisoTaskContext, 1);

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

static void
release_contents (OsiisoTaskContext *self)
{
  if (self->has_value)
    g_value_unset (&self->value);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->input, g_variant_unref);
  g_clear_object (&self->queue);
  _osiiso_task_data_unref (self->task);
  _osiiso_task_unref (self->task);
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

  release_contents (self);
  g_free (self);
}

OsiisoTaskContext *
_osiiso_task_context_recycle (OsiisoTaskContext *self)
{
  if (!g_atomic_int_dec_and_test (&self->ref_count))
    return NULL;

  release_contents (self);
  memset (self, 0, sizeof *self);
  return self;
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
 * osiiso_task_context_get_input:
 * @self: a #OsiisoTaskContext
 *
 * Gets the task's input: the element of the inputs given to
 * osiiso_queue_map() or osiiso_task_group_add_map() for this task, or the
 * input given to osiiso_task_group_add(). It is made on first use and
 * kept by the context.
 *
 * Returns: (nullable) (transfer none): the input, or %NULL for a task
 *   without one
 */
GVariant *
osiiso_task_context_get_input (OsiisoTaskContext *self)
{
  GVariant *input;

  g_return_val_if_fail (self != NULL, NULL);

  input = g_atomic_pointer_get (&self->input);
  if (input == NULL && self->task->batch != NULL)
    {
      GVariant *fresh = _osiiso_batch_dup_input (self->task->batch, self->task->index);

      if (fresh == NULL)
        return NULL;
      if (g_atomic_pointer_compare_and_exchange (&self->input, NULL, fresh))
        input = fresh;
      else
        {
          g_variant_unref (fresh);
          input = g_atomic_pointer_get (&self->input);
        }
    }
  return input;
}

/**
 * osiiso_task_context_get_input_object:
 * @self: a #OsiisoTaskContext
 *
 * Gets the task's input object: the item of the #GListModel given to
 * osiiso_queue_map_objects() or osiiso_task_group_add_map_objects() for
 * this task.
 *
 * Returns: (nullable) (transfer none): the object, or %NULL for a task
 *   without one
 */
GObject *
osiiso_task_context_get_input_object (OsiisoTaskContext *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (self->task->batch == NULL)
    return NULL;
  return _osiiso_batch_get_input_object (self->task->batch, self->task->index);
}

/**
 * osiiso_task_context_get_index:
 * @self: a #OsiisoTaskContext
 *
 * Gets the task's position in its group (the index of its input in a
 * map), or 0 for a task submitted on its own.
 *
 * Returns: the index
 */
guint
osiiso_task_context_get_index (OsiisoTaskContext *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->task->batch != NULL ? self->task->index : 0;
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

/* Completes an asynchronous attempt: the first call wins. Takes @error. */
static void
complete (OsiisoTaskContext *self,
          gboolean           ok,
          GError            *error)
{
  OsiisoQueue *queue = g_atomic_pointer_exchange (&self->queue, NULL);

  if (queue == NULL)
    {
      g_critical ("osiiso: attempt %u of task %" G_GUINT64_FORMAT " was completed twice, "
                  "or is not an asynchronous attempt", self->attempt, self->task->id);
      g_clear_error (&error);
      return;
    }

  _osiiso_queue_lock (queue);
  _osiiso_queue_attempt_done_locked (queue, self, ok, error);
  _osiiso_queue_kick_locked (queue);
  _osiiso_queue_unlock (queue);

  /* The reference the queue kept for the operation. */
  osiiso_task_context_unref (self);
  g_object_unref (queue);
}

/**
 * osiiso_task_context_return_value:
 * @self: the context of an asynchronous attempt
 * @value: (nullable): the value the task produced, or %NULL for none
 *
 * Completes an attempt of an #OsiisoAsyncQueue task successfully. Call it
 * exactly once per attempt (or osiiso_task_context_return_error()), from
 * any thread. If the attempt already ended in the queue (it timed out or
 * was cancelled), the completion is dropped.
 */
void
osiiso_task_context_return_value (OsiisoTaskContext *self,
                                  const GValue      *value)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (value == NULL || G_IS_VALUE (value));

  if (value != NULL && g_atomic_pointer_get (&self->queue) != NULL)
    osiiso_task_context_set_value (self, value);
  complete (self, TRUE, NULL);
}

/**
 * osiiso_task_context_return_error:
 * @self: the context of an asynchronous attempt
 * @error: (transfer full): why the attempt failed
 *
 * Completes an attempt of an #OsiisoAsyncQueue task with a failure; the
 * task is retried if its options allow. Call it exactly once per attempt
 * (or osiiso_task_context_return_value()), from any thread.
 */
void
osiiso_task_context_return_error (OsiisoTaskContext *self,
                                  GError            *error)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (error != NULL);

  complete (self, FALSE, error);
}

/**
 * osiiso_task_context_return_new_error: (skip)
 * @self: the context of an asynchronous attempt
 * @domain: a #GQuark
 * @code: an error code
 * @format: a printf()-style format for the message
 * @...: the format's arguments
 *
 * Like osiiso_task_context_return_error(), building the error.
 */
void
osiiso_task_context_return_new_error (OsiisoTaskContext *self,
                                      GQuark             domain,
                                      gint               code,
                                      const char        *format,
                                      ...)
{
  GError *error;
  va_list args;

  g_return_if_fail (self != NULL);
  g_return_if_fail (format != NULL);

  va_start (args, format);
  error = g_error_new_valist (domain, code, format, args);
  va_end (args);
  complete (self, FALSE, error);
}

/**
 * osiiso_task_context_return_error_if_cancelled:
 * @self: the context of an asynchronous attempt
 *
 * Completes the attempt with %G_IO_ERROR_CANCELLED if it has been
 * interrupted (timed out or cancelled), in the manner of
 * g_task_return_error_if_cancelled().
 *
 * Returns: %TRUE if the attempt was interrupted and is now completed
 */
gboolean
osiiso_task_context_return_error_if_cancelled (OsiisoTaskContext *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (!osiiso_task_context_is_cancelled (self))
    return FALSE;
  complete (self, FALSE, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                              _("the attempt was cancelled")));
  return TRUE;
}
