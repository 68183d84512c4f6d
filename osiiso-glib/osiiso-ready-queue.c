/* osiiso-ready-queue.c: the eligible tasks, in the order they start
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "osiiso-task-private.h"
#include "osiiso-ready-queue-private.h"

/* Enough for any sensible use of priorities; beyond it, a bucket per
 * task would cost more than the heap it saves. */
#define MAX_BUCKETS 4096

/* How many places ahead in its bucket a task's record is prefetched.
 * The records of a long run are rarely in any cache, and visited in
 * priority order they are scattered across memory; the next record alone,
 * fetched while one task runs, had not arrived by the time the worker
 * read it (perf: two thirds of the worker's time in take_next was that
 * load). A bucket is a linked list, so the record PREFETCH_AHEAD places on
 * cannot be found from the head without reading the records between:
 * instead, a task gets a hint to it (OsiisoTask.ahead) when it is pushed,
 * through the bucket's ring of its last pushed tasks. (Walking a pointer
 * along the list instead read a record pushed thousands of tasks earlier,
 * when tasks of many priorities are pushed: a cache miss per push.) */
#define PREFETCH_AHEAD 4

struct _OsiisoReadyBucket
{
  gint        priority;
  guint       pos;      /* in OsiisoReadyQueue.order */
  OsiisoTask *head;
  OsiisoTask *tail;
  guint       n_pushed;
  /* The last PREFETCH_AHEAD tasks pushed, or NULL where one was removed
   * since; the oldest, which the next push replaces, at n_pushed %
   * PREFETCH_AHEAD. */
  OsiisoTask *recent[PREFETCH_AHEAD];
};

void
_osiiso_ready_queue_init (OsiisoReadyQueue *queue)
{
  _osiiso_heap_init (&queue->heap, FALSE);
  queue->buckets = NULL;
  queue->order = NULL;
  queue->n_buckets = queue->alloc_buckets = 0;
  queue->last = NULL;
  queue->len = 0;
  queue->n_dead = 0;
}

/* ------------------------------------------------------------------------
 * The buckets, and their heap by priority
 * --------------------------------------------------------------------- */

static inline void
order_place (OsiisoReadyQueue  *queue,
             guint              i,
             OsiisoReadyBucket *bucket)
{
  queue->order[i] = bucket;
  bucket->pos = i;
}

static void
order_sift_up (OsiisoReadyQueue *queue,
               guint             i)
{
  OsiisoReadyBucket *bucket = queue->order[i];

  while (i > 0 && queue->order[(i - 1) / 2]->priority > bucket->priority)
    {
      order_place (queue, i, queue->order[(i - 1) / 2]);
      i = (i - 1) / 2;
    }
  order_place (queue, i, bucket);
}

static void
order_sift_down (OsiisoReadyQueue *queue,
                 guint             i)
{
  OsiisoReadyBucket *bucket = queue->order[i];

  for (;;)
    {
      guint child = 2 * i + 1;

      if (child >= queue->n_buckets)
        break;
      if (child + 1 < queue->n_buckets
          && queue->order[child + 1]->priority < queue->order[child]->priority)
        child++;
      if (queue->order[child]->priority >= bucket->priority)
        break;
      order_place (queue, i, queue->order[child]);
      i = child;
    }
  order_place (queue, i, bucket);
}

static OsiisoReadyBucket *
bucket_lookup (OsiisoReadyQueue *queue,
               gint              priority)
{
  if (queue->last != NULL && queue->last->priority == priority)
    return queue->last;
  if (queue->buckets == NULL)
    return NULL;
  return g_hash_table_lookup (queue->buckets, GINT_TO_POINTER (priority));
}

static OsiisoReadyBucket *
bucket_new (OsiisoReadyQueue *queue,
            gint              priority)
{
  OsiisoReadyBucket *bucket = g_new0 (OsiisoReadyBucket, 1);

  bucket->priority = priority;
  if (queue->buckets == NULL)
    queue->buckets = g_hash_table_new (NULL, NULL);
  g_hash_table_insert (queue->buckets, GINT_TO_POINTER (priority), bucket);

  if (queue->n_buckets == queue->alloc_buckets)
    {
      queue->alloc_buckets = MAX (16, queue->alloc_buckets * 2);
      queue->order = g_renew (OsiisoReadyBucket *, queue->order, queue->alloc_buckets);
    }
  queue->order[queue->n_buckets++] = bucket;
  order_sift_up (queue, queue->n_buckets - 1);
  return bucket;
}

/* An emptied bucket goes at once, unless it is the last one pushed to:
 * a queue that runs its tasks as fast as they come would otherwise make
 * and free a bucket per task. So every bucket but the last has tasks. */
static void
bucket_free (OsiisoReadyQueue  *queue,
             OsiisoReadyBucket *bucket)
{
  guint i = bucket->pos;

  g_hash_table_remove (queue->buckets, GINT_TO_POINTER (bucket->priority));
  queue->n_buckets--;
  if (i < queue->n_buckets)
    {
      order_place (queue, i, queue->order[queue->n_buckets]);
      if (i > 0 && queue->order[(i - 1) / 2]->priority > queue->order[i]->priority)
        order_sift_up (queue, i);
      else
        order_sift_down (queue, i);
    }
  if (queue->last == bucket)
    queue->last = NULL;
  g_free (bucket);
}

/* ------------------------------------------------------------------------
 * Dead heap entries
 * --------------------------------------------------------------------- */

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
  for (guint i = 0; i < queue->n_buckets; i++)
    g_free (queue->order[i]);
  g_clear_pointer (&queue->order, g_free);
  g_clear_pointer (&queue->buckets, g_hash_table_unref);
  queue->n_buckets = queue->alloc_buckets = 0;
  queue->last = NULL;
  queue->len = 0;
}

/* ------------------------------------------------------------------------
 * The queue
 * --------------------------------------------------------------------- */

void
_osiiso_ready_queue_push (OsiisoReadyQueue *queue,
                          OsiisoTask       *task)
{
  OsiisoReadyBucket *bucket = bucket_lookup (queue, task->priority);
  OsiisoTask **slot;

  g_assert (!task->in_ready);
  g_assert (!task->in_timer);   /* task->due is task->ahead while in a bucket */

  queue->len++;
  task->in_ready = TRUE;

  if (queue->last != NULL && queue->last != bucket && queue->last->head == NULL)
    bucket_free (queue, queue->last);

  if (bucket == NULL && queue->n_buckets < MAX_BUCKETS)
    bucket = bucket_new (queue, task->priority);
  if (bucket == NULL || (bucket->tail != NULL && task->seq < bucket->tail->seq))
    {
      _osiiso_heap_push (&queue->heap, task, task->priority, task->seq);
      return;
    }

  task->in_fifo = TRUE;
  task->run_prev = bucket->tail;
  task->run_next = NULL;
  task->ahead = NULL;
  if (bucket->tail != NULL)
    bucket->tail->run_next = task;
  else
    bucket->head = task;
  bucket->tail = task;
  queue->last = bucket;

  /* The hint of the task pushed PREFETCH_AHEAD pushes before this one. */
  slot = &bucket->recent[bucket->n_pushed++ % PREFETCH_AHEAD];
  if (*slot != NULL)
    (*slot)->ahead = task;
  *slot = task;
}

static inline gboolean
sorts_before (const OsiisoTask *a,
              const OsiisoTask *b)
{
  return a->priority < b->priority || (a->priority == b->priority && a->seq < b->seq);
}

OsiisoTask *
_osiiso_ready_queue_peek (OsiisoReadyQueue *queue)
{
  OsiisoTask *fifo;
  OsiisoTask *heap;

  if (queue->n_buckets > 0 && queue->order[0]->head == NULL)
    bucket_free (queue, queue->order[0]);   /* the last, emptied */
  fifo = queue->n_buckets > 0 ? queue->order[0]->head : NULL;

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
  return sorts_before (heap, fifo) ? heap : fifo;
}

void
_osiiso_ready_queue_remove (OsiisoReadyQueue *queue,
                            OsiisoTask       *task)
{
  OsiisoReadyBucket *bucket;
  OsiisoTask *ahead;

  g_assert (task->in_ready);

  queue->len--;
  task->in_ready = FALSE;

  if (!task->in_fifo)
    {
      if (_osiiso_heap_peek (&queue->heap) == task)
        {
          /* The next task to start, most likely: its record is fetched
           * while the current one runs. */
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

  /* Usually the task that starts next: the head of the first bucket. */
  if (queue->n_buckets > 0 && queue->order[0]->head == task)
    bucket = queue->order[0];
  else
    bucket = bucket_lookup (queue, task->priority);
  g_assert (bucket != NULL);

  /* A bucket's head has no run_prev to keep: taking the head, the usual
   * case, writes nothing into the next task's record. That record is
   * rarely in any cache, and a store that misses holds up the worker at
   * its next atomic operation; it is prefetched below instead, to arrive
   * while this task runs. */
  if (bucket->head == task)
    bucket->head = task->run_next;
  else
    {
      task->run_prev->run_next = task->run_next;
      if (task->run_next != NULL)
        task->run_next->run_prev = task->run_prev;
    }
  if (bucket->tail == task)
    bucket->tail = bucket->head == NULL ? NULL : task->run_prev;
  for (guint i = 0; i < PREFETCH_AHEAD; i++)
    if (bucket->recent[i] == task)
      bucket->recent[i] = NULL;
  ahead = g_steal_pointer (&task->ahead);
  task->run_prev = task->run_next = NULL;
  task->in_fifo = FALSE;
  /* Arrives while the tasks between run. A stale hint (its task was
   * cancelled and freed since) costs nothing: a prefetch never faults. */
  if (ahead != NULL)
    _osiiso_task_prefetch (ahead);

  if (bucket->head == NULL && bucket != queue->last)
    bucket_free (queue, bucket);
  else
    _osiiso_task_prefetch (bucket->head);   /* likely next, as above */
}

void
_osiiso_ready_queue_collect (OsiisoReadyQueue *queue,
                             GPtrArray        *array)
{
  for (guint i = 0; i < queue->n_buckets; i++)
    for (OsiisoTask *t = queue->order[i]->head; t != NULL; t = t->run_next)
      g_ptr_array_add (array, t);
  for (guint i = 0; i < queue->heap.len; i++)
    if (_osiiso_heap_nth (&queue->heap, i)->in_ready)
      g_ptr_array_add (array, _osiiso_heap_nth (&queue->heap, i));
}
