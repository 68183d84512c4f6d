/* osiiso-ready-queue.c: the eligible tasks, in the order they start
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "osiiso-task-private.h"
#include "osiiso-ready-queue-private.h"

void
_osiiso_ready_queue_init (OsiisoReadyQueue *queue)
{
  _osiiso_heap_init (&queue->heap);
  queue->fifo_head = queue->fifo_tail = NULL;
  queue->fifo_priority = 0;
  queue->len = 0;
}

void
_osiiso_ready_queue_clear (OsiisoReadyQueue *queue)
{
  _osiiso_heap_clear (&queue->heap);
  queue->fifo_head = queue->fifo_tail = NULL;
  queue->len = 0;
}

void
_osiiso_ready_queue_push (OsiisoReadyQueue *queue,
                          OsiisoTask       *task)
{
  queue->len++;

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
  OsiisoTask *heap = _osiiso_heap_peek (&queue->heap);

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
  queue->len--;

  if (!task->in_fifo)
    {
      _osiiso_heap_remove (&queue->heap, task);
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
    g_ptr_array_add (array, _osiiso_heap_nth (&queue->heap, i));
}
