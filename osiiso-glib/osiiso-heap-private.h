/* osiiso-heap-private.h: an indexed binary min-heap of tasks
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _OsiisoTask OsiisoTask;

/* Returns TRUE when @a must come out of the heap before @b. */
typedef gboolean (*OsiisoHeapLess) (const OsiisoTask *a,
                                    const OsiisoTask *b);

/* Each task knows its own slot (OsiisoTask.heap_pos), so removing an
 * arbitrary task (a cancel) is O(log n) instead of a linear scan. A task
 * is in at most one heap at a time. */
typedef struct
{
  OsiisoTask     **items;
  guint            len;
  guint            alloc;
  OsiisoHeapLess   less;
} OsiisoHeap;

void        _osiiso_heap_init   (OsiisoHeap     *heap,
                                 OsiisoHeapLess  less);
void        _osiiso_heap_clear  (OsiisoHeap     *heap);
void        _osiiso_heap_push   (OsiisoHeap     *heap,
                                 OsiisoTask     *task);
OsiisoTask *_osiiso_heap_pop    (OsiisoHeap     *heap);
void        _osiiso_heap_remove (OsiisoHeap     *heap,
                                 OsiisoTask     *task);

static inline OsiisoTask *
_osiiso_heap_peek (const OsiisoHeap *heap)
{
  return heap->len > 0 ? heap->items[0] : NULL;
}

G_END_DECLS
