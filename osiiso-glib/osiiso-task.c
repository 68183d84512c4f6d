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

static void
task_init (OsiisoTask        *task,
           OsiisoQueue       *queue,
           OsiisoTaskFunc     func,
           gpointer           user_data,
           GDestroyNotify     destroy,
           OsiisoTaskOptions *options)
{
  *task = (OsiisoTask) {
    .ref_count = 1,
    .data_refs = 1,
    .status = OSIISO_TASK_STATUS_PENDING,
    .heap_pos = -1,
    .priority = options->priority,
    .id = __atomic_add_fetch (&last_task_id, 1, __ATOMIC_RELAXED),
    .queue = queue,
    .func = func,
    .user_data = user_data,
    .destroy = destroy,
    .options = g_object_ref (options),
  };
}

OsiisoTask *
_osiiso_task_new (OsiisoQueue       *queue,
                  OsiisoTaskFunc     func,
                  gpointer           user_data,
                  GDestroyNotify     destroy,
                  OsiisoTaskOptions *options)
{
  OsiisoTask *task = g_new (OsiisoTask, 1);

  task_init (task, queue, func, user_data, destroy, options);
  return task;
}

/* A group of 100,000 tasks made 100,000 mallocs of a task record each,
 * over a quarter of the instructions of building it (callgrind, W2: 738
 * per osiiso_task_group_add(), 533 with blocks; W1's map went from 2,384
 * to 2,015 instructions per task) and a malloc header per record (W5's
 * map: 184 to 176.5 bytes per queued task). Records come in blocks
 * instead, sized 1, 2, 4 … up to MAX_BLOCK records, so that a small group
 * wastes at most half of its blocks and a big one makes a malloc per 64
 * records. A record finds its block by its slot (block_slot), and the
 * block lives while any record in it does, or its maker may still add. */
#define MAX_BLOCK 64

struct _OsiisoTaskBlock
{
  gint       ref_count;   /* atomic: live records, plus the maker's (see below) */
  guint      size;
  guint      used;        /* maker only */
  OsiisoTask records[];
};

static inline OsiisoTaskBlock *
task_block (OsiisoTask *task)
{
  OsiisoTask *first = task - (task->block_slot - 1);

  return (OsiisoTaskBlock *) ((char *) first - G_STRUCT_OFFSET (OsiisoTaskBlock, records));
}

static void
task_block_unref (OsiisoTaskBlock *block)
{
  if (g_atomic_int_dec_and_test (&block->ref_count))
    g_free (block);
}

/* The maker holds one reference, and one for each slot not handed out
 * yet, so that handing out a record costs no atomic operation. */
void
_osiiso_task_block_release (OsiisoTaskBlock *block)
{
  gint refs = (gint) (block->size - block->used) + 1;

  if (g_atomic_int_add (&block->ref_count, -refs) == refs)
    g_free (block);
}

OsiisoTask *
_osiiso_task_new_in_block (OsiisoTaskBlock  **block,
                           OsiisoQueue       *queue,
                           OsiisoTaskFunc     func,
                           gpointer           user_data,
                           GDestroyNotify     destroy,
                           OsiisoTaskOptions *options)
{
  OsiisoTaskBlock *current = *block;
  OsiisoTask *task;

  if (current == NULL || current->used == current->size)
    {
      guint size = current == NULL ? 1 : MIN (current->size * 2, MAX_BLOCK);

      G_STATIC_ASSERT (MAX_BLOCK < 256);   /* block_slot has 8 bits */
      if (current != NULL)
        _osiiso_task_block_release (current);
      current = g_malloc (sizeof (OsiisoTaskBlock) + size * sizeof (OsiisoTask));
      current->ref_count = (gint) size + 1;
      current->size = size;
      current->used = 0;
      *block = current;
    }

  task = &current->records[current->used++];
  task_init (task, queue, func, user_data, destroy, options);
  task->block_slot = current->used;
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
  if (task->block_slot != 0)
    task_block_unref (task_block (task));
  else
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
