/* osiiso-heap.c: a binary min-heap of tasks, optionally indexed
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "osiiso-task-private.h"

void
_osiiso_heap_init (OsiisoHeap *heap,
                   gboolean    indexed)
{
  heap->items = NULL;
  heap->len = 0;
  heap->alloc = 0;
  heap->indexed = indexed;
}

void
_osiiso_heap_clear (OsiisoHeap *heap)
{
  g_clear_pointer (&heap->items, g_free);
  heap->len = heap->alloc = 0;
}

static inline gboolean
less (const OsiisoHeapEntry *a,
      const OsiisoHeapEntry *b)
{
  return a->primary < b->primary || (a->primary == b->primary && a->seq < b->seq);
}

static inline void
place (OsiisoHeap            *heap,
       guint                  i,
       const OsiisoHeapEntry *entry)
{
  heap->items[i] = *entry;
  if (heap->indexed)
    entry->task->heap_pos = (gint) i;
}

static void
sift_up (OsiisoHeap *heap,
         guint       i)
{
  OsiisoHeapEntry entry = heap->items[i];

  while (i > 0)
    {
      guint parent = (i - 1) / 2;

      if (!less (&entry, &heap->items[parent]))
        break;
      place (heap, i, &heap->items[parent]);
      i = parent;
    }
  place (heap, i, &entry);
}

static void
sift_down (OsiisoHeap *heap,
           guint       i)
{
  OsiisoHeapEntry entry = heap->items[i];

  for (;;)
    {
      guint child = 2 * i + 1;

      if (child >= heap->len)
        break;
      if (child + 1 < heap->len && less (&heap->items[child + 1], &heap->items[child]))
        child++;
      if (!less (&heap->items[child], &entry))
        break;
      place (heap, i, &heap->items[child]);
      i = child;
    }
  place (heap, i, &entry);
}

void
_osiiso_heap_push (OsiisoHeap *heap,
                   OsiisoTask *task,
                   gint64      primary,
                   guint64     seq)
{
  g_assert (!heap->indexed || task->heap_pos < 0);

  if (heap->len == heap->alloc)
    {
      heap->alloc = MAX (64, heap->alloc * 2);
      heap->items = g_renew (OsiisoHeapEntry, heap->items, heap->alloc);
    }
  heap->items[heap->len] = (OsiisoHeapEntry) { primary, seq, task };
  sift_up (heap, heap->len++);
}

static void
remove_at (OsiisoHeap *heap,
           guint       i)
{
  if (heap->indexed)
    heap->items[i].task->heap_pos = -1;
  heap->len--;
  if (i == heap->len)
    return;

  heap->items[i] = heap->items[heap->len];
  if (i > 0 && less (&heap->items[i], &heap->items[(i - 1) / 2]))
    sift_up (heap, i);
  else
    sift_down (heap, i);
}

void
_osiiso_heap_remove (OsiisoHeap *heap,
                     OsiisoTask *task)
{
  guint i = (guint) task->heap_pos;

  g_assert (heap->indexed);
  g_assert (task->heap_pos >= 0 && i < heap->len && heap->items[i].task == task);

  remove_at (heap, i);
}

OsiisoTask *
_osiiso_heap_pop (OsiisoHeap *heap)
{
  OsiisoTask *top;

  if (heap->len == 0)
    return NULL;

  top = heap->items[0].task;
  remove_at (heap, 0);
  return top;
}

void
_osiiso_heap_heapify (OsiisoHeap *heap)
{
  for (guint i = heap->len / 2; i-- > 0;)
    sift_down (heap, i);
  /* Leaves are not sifted: their slots must be written too. */
  if (heap->indexed)
    for (guint i = heap->len / 2; i < heap->len; i++)
      heap->items[i].task->heap_pos = (gint) i;
}
