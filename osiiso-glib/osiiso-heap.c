/* osiiso-heap.c: a 4-ary min-heap of tasks, optionally indexed
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

/* Four children per node: half the levels of a binary heap, and the four
 * children of a node are adjacent, so each level of a pop costs about one
 * cache miss instead of one per level of twice as many. */
#define ARITY 4

static inline guint
parent_of (guint i)
{
  return (i - 1) / ARITY;
}

static inline guint
first_child_of (guint i)
{
  return ARITY * i + 1;
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
      guint parent = parent_of (i);

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
      guint first = first_child_of (i);
      guint last = MIN (first + ARITY, heap->len);
      guint child = first;

      if (first >= heap->len)
        break;
      /* The children's children are the next level's misses: start them
       * now, while this level is compared. */
      if (first_child_of (first) < heap->len)
        {
          const char *from = (const char *) &heap->items[first_child_of (first)];
          const char *to = (const char *) &heap->items[MIN (first_child_of (last - 1) + ARITY, heap->len) - 1];

          for (; from <= to; from += 64)
            __builtin_prefetch (from);
          __builtin_prefetch (to);
        }
      for (guint c = first + 1; c < last; c++)
        if (less (&heap->items[c], &heap->items[child]))
          child = c;
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
  if (i > 0 && less (&heap->items[i], &heap->items[parent_of (i)]))
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
  guint n_parents = heap->len > 0 ? parent_of (heap->len - 1) + 1 : 0;

  for (guint i = n_parents; i-- > 0;)
    sift_down (heap, i);
  /* Leaves are not sifted: their slots must be written too. */
  if (heap->indexed)
    for (guint i = n_parents; i < heap->len; i++)
      heap->items[i].task->heap_pos = (gint) i;
}
