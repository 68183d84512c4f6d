/* osiiso-ready-queue-private.h: the eligible tasks, in the order they start
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "osiiso-heap-private.h"

G_BEGIN_DECLS

/* Tasks ordered by (priority, seq): lower priority first, submission order
 * among equals. Most tasks arrive at one priority in submission order, so
 * besides a heap there is a FIFO for one priority: a task that sorts after
 * every task of the FIFO's priority is appended there in O(1), and the
 * next task is the smaller of the FIFO's head and the heap's top. The FIFO
 * links through OsiisoTask.run_prev/run_next, free while a task waits.
 *
 * The heap is not indexed (see osiiso-heap-private.h): a task removed from
 * anywhere but its top (a cancel) leaves a dead entry behind, recognized
 * by its task's in_ready being FALSE, which holds a reference on the task
 * until it is dropped at the top, or all at once when dead entries
 * outnumber live ones. */
typedef struct
{
  OsiisoHeap  heap;
  OsiisoTask *fifo_head;
  OsiisoTask *fifo_tail;
  gint        fifo_priority;
  guint       len;           /* live tasks */
  guint       n_dead;        /* dead heap entries */
} OsiisoReadyQueue;

void        _osiiso_ready_queue_init    (OsiisoReadyQueue *queue);
void        _osiiso_ready_queue_clear   (OsiisoReadyQueue *queue);
/* Sets task->in_ready; _osiiso_ready_queue_remove() clears it. */
void        _osiiso_ready_queue_push    (OsiisoReadyQueue *queue,
                                         OsiisoTask       *task);
OsiisoTask *_osiiso_ready_queue_peek    (OsiisoReadyQueue *queue);
void        _osiiso_ready_queue_remove  (OsiisoReadyQueue *queue,
                                         OsiisoTask       *task);
/* Appends every waiting task to @array, in no particular order. */
void        _osiiso_ready_queue_collect (OsiisoReadyQueue *queue,
                                         GPtrArray        *array);

G_END_DECLS
