/* osiiso-heap-private.h: a min-heap of tasks
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _OsiisoTask OsiisoTask;

/* An entry carries its own sort key, (primary, seq), so sifting compares
 * entries in the heap's array and never touches the tasks themselves: the
 * ready heap orders by (priority, seq), the timer heap by (due time, seq). */
typedef struct
{
  gint64      primary;
  guint64     seq;
  OsiisoTask *task;
} OsiisoHeapEntry;

/* In an indexed heap each task knows its own slot (OsiisoTask.heap_pos),
 * so removing an arbitrary task (a cancel) is O(log n) instead of a linear
 * scan; a task is in at most one indexed heap at a time. That costs a
 * write into the task record of every entry a push or pop moves, a cache
 * miss each when the tasks are many: a heap that only ever pops its top
 * (the ready queue, which drops removed tasks lazily) is not indexed, and
 * sifting touches nothing but its own array. */
typedef struct
{
  OsiisoHeapEntry *items;
  guint            len;
  guint            alloc;
  gboolean         indexed;
} OsiisoHeap;

void        _osiiso_heap_init   (OsiisoHeap     *heap,
                                 gboolean        indexed);
void        _osiiso_heap_clear  (OsiisoHeap     *heap);
void        _osiiso_heap_push   (OsiisoHeap     *heap,
                                 OsiisoTask     *task,
                                 gint64          primary,
                                 guint64         seq);
OsiisoTask *_osiiso_heap_pop    (OsiisoHeap     *heap);
/* Indexed heaps only. */
void        _osiiso_heap_remove (OsiisoHeap     *heap,
                                 OsiisoTask     *task);
/* Restores the heap order after the caller rewrote items[0..len). */
void        _osiiso_heap_heapify (OsiisoHeap    *heap);

static inline OsiisoTask *
_osiiso_heap_peek (const OsiisoHeap *heap)
{
  return heap->len > 0 ? heap->items[0].task : NULL;
}

static inline OsiisoTask *
_osiiso_heap_nth (const OsiisoHeap *heap,
                  guint             i)
{
  return heap->items[i].task;
}

G_END_DECLS
