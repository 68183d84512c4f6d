/* osiiso-task.c: the task record
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "osiiso-task-private.h"
#include "osiiso-task-group-private.h"
#include "osiiso-task-options-private.h"

/* Task ids are unique in the process, not only in one queue, so results
 * from several queues can be told apart. */
static guint64 last_task_id;

OsiisoTask *
_osiiso_task_new (OsiisoQueue       *queue,
                  OsiisoTaskFunc     func,
                  gpointer           user_data,
                  GDestroyNotify     destroy,
                  OsiisoTaskOptions *options)
{
  OsiisoTask *task = g_new0 (OsiisoTask, 1);

  task->ref_count = 1;
  task->data_refs = 1;
  task->status = OSIISO_TASK_STATUS_PENDING;
  task->heap_pos = -1;
  task->id = __atomic_add_fetch (&last_task_id, 1, __ATOMIC_RELAXED);
  task->queue = queue;
  task->func = func;
  task->user_data = user_data;
  task->destroy = destroy;
  task->options = g_object_ref (options);
  task->priority = options->priority;

  return task;
}

OsiisoTask *
_osiiso_task_ref (OsiisoTask *task)
{
  g_atomic_int_inc (&task->ref_count);
  return task;
}

static void
release_user_data (OsiisoTask *task)
{
  GDestroyNotify destroy = g_steal_pointer (&task->destroy);
  gpointer user_data = g_steal_pointer (&task->user_data);
  OsiisoBatch *batch = g_steal_pointer (&task->batch);

  task->func = NULL;
  if (destroy != NULL)
    destroy (user_data);
  if (batch != NULL)
    _osiiso_batch_unref (batch);
}

void
_osiiso_task_data_ref (OsiisoTask *task)
{
  g_atomic_int_inc (&task->data_refs);
}

void
_osiiso_task_data_unref (OsiisoTask *task)
{
  if (g_atomic_int_dec_and_test (&task->data_refs))
    release_user_data (task);
}

void
_osiiso_task_unref (OsiisoTask *task)
{
  if (!g_atomic_int_dec_and_test (&task->ref_count))
    return;

  g_assert (task->context == NULL);
  g_assert (task->handle == NULL);
  release_user_data (task);   /* a task that never reached the queue */
  /* A task with a result gave its options to it. */
  if (task->result != NULL)
    task->options = NULL;
  g_clear_pointer (&task->result, osiiso_task_result_unref);
  g_clear_object (&task->options);
  g_free (task);
}

const char *
_osiiso_task_get_name (OsiisoTask *task)
{
  return task->options->name;
}

/* The name used in results and messages: the name option, or "task-ID". */
char *
_osiiso_task_dup_name (OsiisoTask *task)
{
  const char *name = _osiiso_task_get_name (task);

  if (name != NULL)
    return g_strdup (name);
  return g_strdup_printf ("task-%" G_GUINT64_FORMAT, task->id);
}

OsiisoTaskStatus
_osiiso_task_get_status (OsiisoTask *task)
{
  return (OsiisoTaskStatus) g_atomic_int_get (&task->status);
}
