/* osiiso-heap-private.h: an indexed binary min-heap of tasks
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

/* Each task knows its own slot (OsiisoTask.heap_pos), so removing an
 * arbitrary task (a cancel) is O(log n) instead of a linear scan. A task
 * is in at most one heap at a time. */
typedef struct
{
  OsiisoHeapEntry *items;
  guint            len;
  guint            alloc;
} OsiisoHeap;

void        _osiiso_heap_init   (OsiisoHeap     *heap);
void        _osiiso_heap_clear  (OsiisoHeap     *heap);
void        _osiiso_heap_push   (OsiisoHeap     *heap,
                                 OsiisoTask     *task,
                                 gint64          primary,
                                 guint64         seq);
OsiisoTask *_osiiso_heap_pop    (OsiisoHeap     *heap);
void        _osiiso_heap_remove (OsiisoHeap     *heap,
                                 OsiisoTask     *task);

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
