/* osiiso-ready-queue.c: the eligible tasks, in the order they start
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "osiiso-task-private.h"
#include "osiiso-ready-queue-private.h"

void
_osiiso_ready_queue_init (OsiisoReadyQueue *queue)
{
  _osiiso_heap_init (&queue->heap, FALSE);
  queue->fifo_head = queue->fifo_tail = NULL;
  queue->fifo_priority = 0;
  queue->len = 0;
  queue->n_dead = 0;
}

/* Drops the dead entries, and with them their references: under the
 * queue's lock, which is safe because a task removed from the ready queue
 * is final, so its data was released when its completion was delivered,
 * or the queue still holds the reference that will release it. */
static void
purge_dead (OsiisoReadyQueue *queue)
{
  OsiisoHeap *heap = &queue->heap;
  guint kept = 0;

  for (guint i = 0; i < heap->len; i++)
    {
      if (heap->items[i].task->in_ready)
        heap->items[kept++] = heap->items[i];
      else
        _osiiso_task_unref (heap->items[i].task);
    }
  heap->len = kept;
  queue->n_dead = 0;
  _osiiso_heap_heapify (heap);
}

void
_osiiso_ready_queue_clear (OsiisoReadyQueue *queue)
{
  purge_dead (queue);
  _osiiso_heap_clear (&queue->heap);
  queue->fifo_head = queue->fifo_tail = NULL;
  queue->len = 0;
}

void
_osiiso_ready_queue_push (OsiisoReadyQueue *queue,
                          OsiisoTask       *task)
{
  g_assert (!task->in_ready);

  queue->len++;
  task->in_ready = TRUE;

  if (queue->fifo_head == NULL
      || (task->priority == queue->fifo_priority && task->seq > queue->fifo_tail->seq))
    {
      if (queue->fifo_head == NULL)
        queue->fifo_priority = task->priority;
      task->in_fifo = TRUE;
      task->run_prev = queue->fifo_tail;
      task->run_next = NULL;
      if (queue->fifo_tail != NULL)
        queue->fifo_tail->run_next = task;
      else
        queue->fifo_head = task;
      queue->fifo_tail = task;
      return;
    }

  _osiiso_heap_push (&queue->heap, task, task->priority, task->seq);
}

OsiisoTask *
_osiiso_ready_queue_peek (OsiisoReadyQueue *queue)
{
  OsiisoTask *fifo = queue->fifo_head;
  OsiisoTask *heap;

  while ((heap = _osiiso_heap_peek (&queue->heap)) != NULL && !heap->in_ready)
    {
      _osiiso_heap_pop (&queue->heap);
      queue->n_dead--;
      _osiiso_task_unref (heap);   /* see purge_dead() */
    }

  if (fifo == NULL)
    return heap;
  if (heap == NULL)
    return fifo;
  if (heap->priority < fifo->priority
      || (heap->priority == fifo->priority && heap->seq < fifo->seq))
    return heap;
  return fifo;
}

void
_osiiso_ready_queue_remove (OsiisoReadyQueue *queue,
                            OsiisoTask       *task)
{
  g_assert (task->in_ready);

  queue->len--;
  task->in_ready = FALSE;

  if (!task->in_fifo)
    {
      if (_osiiso_heap_peek (&queue->heap) == task)
        {
          /* The next task to start, most likely: its record is
           * fetched while the current one runs. */
          _osiiso_heap_pop (&queue->heap);
          _osiiso_task_prefetch (_osiiso_heap_peek (&queue->heap));
        }
      else
        {
          /* Finding the task's slot would take a scan: its entry stays,
           * dead, until it reaches the top or is purged. The removal is a
           * cancel, and a queue's tasks may be cancelled by the thousand. */
          _osiiso_task_ref (task);
          if (++queue->n_dead > 64 && queue->n_dead > queue->heap.len / 2)
            purge_dead (queue);
        }
      return;
    }

  if (task->run_prev != NULL)
    task->run_prev->run_next = task->run_next;
  else
    queue->fifo_head = task->run_next;
  if (task->run_next != NULL)
    task->run_next->run_prev = task->run_prev;
  else
    queue->fifo_tail = task->run_prev;
  task->run_prev = task->run_next = NULL;
  task->in_fifo = FALSE;
}

void
_osiiso_ready_queue_collect (OsiisoReadyQueue *queue,
                             GPtrArray        *array)
{
  for (OsiisoTask *t = queue->fifo_head; t != NULL; t = t->run_next)
    g_ptr_array_add (array, t);
  for (guint i = 0; i < queue->heap.len; i++)
    if (_osiiso_heap_nth (&queue->heap, i)->in_ready)
      g_ptr_array_add (array, _osiiso_heap_nth (&queue->heap, i));
}
