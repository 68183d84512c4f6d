/* osiiso-ready-queue-private.h: the eligible tasks, in the order they start
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "osiiso-heap-private.h"

G_BEGIN_DECLS

/* Tasks ordered by (priority, seq): lower priority first, submission order
 * among equals. Tasks mostly arrive in submission order, so each priority
 * has a FIFO (a bucket): a task that sorts after every task of its
 * priority's bucket is appended there in O(1), and the buckets are ordered
 * by a small heap of their own. A task that arrives out of order (a retry,
 * a delayed task) goes to the task heap instead; the next task is the
 * smaller of the first bucket's head and the heap's top. So taking the
 * next task touches a few buckets, not a heap of every waiting task. The
 * buckets link tasks through OsiisoTask.run_prev/run_next, free while a
 * task waits; a bucket's head has no run_prev (it is left stale), so that
 * taking the head does not write into the next task's record. Each task
 * in a bucket also points at the task pushed a few pushes after it
 * (OsiisoTask.ahead, through the bucket's ring of its last pushed tasks),
 * so that taking it prefetches a record the worker needs a few tasks
 * later. Past MAX_BUCKETS priorities, new priorities use the heap.
 *
 * The task heap is not indexed (see osiiso-heap-private.h): a task removed
 * from anywhere but its top (a cancel) leaves a dead entry behind,
 * recognized by its task's in_ready being FALSE, which holds a reference
 * on the task until it is dropped at the top, or all at once when dead
 * entries outnumber live ones. */
typedef struct _OsiisoReadyBucket OsiisoReadyBucket;

typedef struct
{
  OsiisoHeap          heap;
  GHashTable         *buckets;     /* priority → OsiisoReadyBucket; all but @last have tasks */
  OsiisoReadyBucket **order;       /* a binary heap of the buckets by priority */
  guint               n_buckets;
  guint               alloc_buckets;
  OsiisoReadyBucket  *last;        /* the bucket of the last push, or NULL */
  guint               len;         /* live tasks */
  guint               n_dead;      /* dead heap entries */
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
