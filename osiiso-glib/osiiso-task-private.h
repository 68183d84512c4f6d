/* osiiso-task-private.h: the task record and the structures built from it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "osiiso-glib.h"
#include "osiiso-heap-private.h"

G_BEGIN_DECLS

/* What the tasks of one osiiso_task_group_add*() call share: their group,
 * their inputs, and the data of their function, freed once with the last
 * task's data. Defined in osiiso-task-group-private.h. */
typedef struct _OsiisoBatch OsiisoBatch;

/* A weak link to a queue, shared by its handles (osiiso-queue-private.h). */
typedef struct _OsiisoQueueLink OsiisoQueueLink;

/* The task record: one per submitted task, owned by its queue while the
 * task is live and until its completion has been delivered on the queue's
 * main context. Fields marked (lock) are written under the queue's lock;
 * status is also published atomically so handles can read it lock-free. */
struct _OsiisoTask
{
  gint               ref_count;      /* atomic */
  gint               data_refs;      /* atomic: the queue's, plus one per live attempt context */
  gint               status;         /* OsiisoTaskStatus; (lock), atomic reads */
  gint               heap_pos;       /* slot in the timer heap, or -1 (lock) */
  gint               priority;       /* copied from options: the hot comparison */
  guint              attempts;       /* attempts started (lock) */
  guint              in_running : 1; /* linked into the running list (lock) */
  guint              in_timer : 1;   /* in the timer heap (lock) */
  guint              in_ready : 1;   /* in the ready queue (lock) */
  guint              in_fifo : 1;    /* in a ready bucket, linked by run_prev/next (lock) */
  guint              block_slot : 8; /* 1 + its slot in an OsiisoTaskBlock, or 0: a malloc of its own */
  /* No room for a separate field: the record fills a 176-byte malloc
   * chunk exactly, and a worker call submitted alone has no batch. */
  union
  {
    guint            index;          /* a batch's task: position in its batch's group */
    GQuark           function;       /* a worker call without a batch: its function */
  };
  guint64            id;             /* unique in the process */
  guint64            seq;            /* submission order in its queue: FIFO tie-break */
  union
  {
    gint64           due;            /* in the timer heap: monotonic µs, eligible time or attempt deadline */
    OsiisoTask      *ahead;          /* in a ready bucket: a task some places later in it, or NULL:
                                      * only ever prefetched, so it may be stale (osiiso-ready-queue.c) */
  };
  gint64             created;        /* monotonic µs */
  gint64             scheduled_for;  /* monotonic µs, or 0 */
  gint64             started;        /* monotonic µs of the first attempt, or 0 */

  OsiisoQueue       *queue;          /* unowned; valid while the task is live */
  OsiisoTaskFunc     func;
  gpointer           user_data;
  GDestroyNotify     destroy;
  OsiisoTaskOptions *options;        /* immutable, often shared; owned, then by @result */
  OsiisoBatch       *batch;          /* owned with the data: the batch of a group entry, or NULL */

  OsiisoTaskContext *context;        /* the running attempt's context (lock) */
  OsiisoTaskHandle  *handle;         /* owned until completion is delivered; owner context only */
  OsiisoTaskResult  *result;         /* set once, before status turns final */

  OsiisoTask        *run_prev;       /* running list, or a ready bucket (lock) */
  OsiisoTask        *run_next;
};

/* The per-attempt context handed to task functions. An attempt that was
 * timed out or cancelled keeps its own context, so whatever it does after
 * its attempt ended cannot touch the task's next attempt. */
struct _OsiisoTaskContext
{
  gint               ref_count;      /* atomic */
  gint               interrupted;    /* atomic: the attempt was timed out or cancelled */
  guint              attempt;
  guint              abandoned : 1;  /* ended by the core while still running (lock) */
  guint              has_value : 1;
  guint              value_on_failure : 1;  /* a failure keeps the value (command results) */
  OsiisoTask        *task;           /* owned */
  OsiisoQueue       *queue;          /* asynchronous attempts: owned until completed; atomic */
  GCancellable      *cancellable;    /* created on first use; atomic pointer */
  GVariant          *input;          /* a group task's input, made on first use; atomic pointer */
  GValue             value;
};

struct _OsiisoTaskResult
{
  gint               ref_count;      /* atomic */
  OsiisoTaskStatus   status;
  guint              attempts;
  guint64            task_id;
  OsiisoTaskOptions *options;        /* name, priority, group, metadata … */
  char              *group_id;       /* a GRefString: its group's id, or NULL for its options' */
  char              *name;           /* derived name, made on first use; atomic */
  char              *message;
  GError            *error;
  GValue             value;
  gint64             created;
  gint64             scheduled_for;
  gint64             started;
  gint64             finished;
};

static inline gboolean
_osiiso_task_status_is_final (gint status)
{
  return status >= OSIISO_TASK_STATUS_SUCCEEDED;
}

/* Starts fetching a task record the caller will read soon: with many
 * tasks, a record is rarely in any cache when its turn comes (nor on the
 * core that reads it next), and each miss stalls the scheduler. @task may
 * be NULL: a prefetch never faults. No test for NULL on purpose: with one,
 * GCC 12 dropped the prefetches of every caller in osiiso-ready-queue.c
 * without a word, so the worker's next record was never fetched ahead
 * (check with objdump -d after touching this). */
static G_ALWAYS_INLINE inline void
_osiiso_task_prefetch (const OsiisoTask *task)
{
  /* Integer arithmetic: an offset from a NULL pointer is undefined. */
  guintptr address = (guintptr) task;

  for (gsize offset = 0; offset < sizeof (OsiisoTask); offset += 64)
    __builtin_prefetch ((const void *) (address + offset));
  __builtin_prefetch ((const void *) (address + sizeof (OsiisoTask) - 1));
}

/* osiiso-task.c */
OsiisoTask        *_osiiso_task_new              (OsiisoQueue       *queue,
                                                  OsiisoTaskFunc     func,
                                                  gpointer           user_data,
                                                  GDestroyNotify     destroy,
                                                  OsiisoTaskOptions *options);

/* Task records made together (a group's) come from blocks, one
 * allocation for many records: the block lives until its last record and
 * its maker are done with it. */
typedef struct _OsiisoTaskBlock OsiisoTaskBlock;

/* A new task record in *@block, or in a new block (stored in *@block,
 * the previous one released) when that one is full or NULL. */
OsiisoTask        *_osiiso_task_new_in_block     (OsiisoTaskBlock  **block,
                                                  OsiisoQueue       *queue,
                                                  OsiisoTaskFunc     func,
                                                  gpointer           user_data,
                                                  GDestroyNotify     destroy,
                                                  OsiisoTaskOptions *options);
/* The maker is done with @block: it takes no more records. */
void               _osiiso_task_block_release    (OsiisoTaskBlock   *block);
OsiisoTask        *_osiiso_task_ref              (OsiisoTask        *task);
void               _osiiso_task_unref            (OsiisoTask        *task);
/* The task function and its data stay valid while the queue holds the
 * task or any attempt (even an abandoned one) still has its context; the
 * last of them frees the data. */
void               _osiiso_task_data_ref         (OsiisoTask        *task);
void               _osiiso_task_data_unref       (OsiisoTask        *task);
const char        *_osiiso_task_get_name         (OsiisoTask        *task);
char              *_osiiso_task_dup_name         (OsiisoTask        *task);
OsiisoTaskStatus   _osiiso_task_get_status       (OsiisoTask        *task);

/* osiiso-task-context.c */
OsiisoTaskContext *_osiiso_task_context_new       (OsiisoTask        *task,
                                                   guint              attempt);
/* Builds a context in @blank, memory from _osiiso_task_context_recycle(),
 * or in new memory if @blank is NULL. */
OsiisoTaskContext *_osiiso_task_context_new_in    (OsiisoTaskContext *blank,
                                                   OsiisoTask        *task,
                                                   guint              attempt);
/* Drops a reference; if it was the last, returns the context's memory,
 * emptied, for _osiiso_task_context_new_in(), instead of freeing it.
 * Otherwise NULL. Lock not held: it may release the task's data. */
OsiisoTaskContext *_osiiso_task_context_recycle   (OsiisoTaskContext *self);
/* Marks the attempt interrupted; returns the cancellable to cancel (owned)
 * once the caller has dropped the queue's lock, or NULL. */
GCancellable      *_osiiso_task_context_interrupt (OsiisoTaskContext *self);

/* osiiso-task-result.c */
OsiisoTaskResult  *_osiiso_task_result_new        (OsiisoTask        *task,
                                                   OsiisoTaskStatus   status,
                                                   GValue            *value,
                                                   GError            *error,
                                                   const char        *message,
                                                   gint64             finished);

/* osiiso-run-summary.c */
/* @counts: how many of @results have each status, or NULL to count them
 * here (a pass over every result, which a queue's run keeps as it goes). */
OsiisoRunSummary  *_osiiso_run_summary_new        (GPtrArray         *results,
                                                   const guint       *counts,
                                                   gboolean           timed_out,
                                                   gdouble            duration);

/* osiiso-task-handle.c */
OsiisoTaskHandle  *_osiiso_task_handle_new        (OsiisoTask        *task,
                                                   OsiisoQueue       *queue);
/* A handle on the queue behind @link (osiiso-queue-private.h), of a task
 * of the group whose id is @group_id (a GRefString). */
OsiisoTaskHandle  *_osiiso_task_handle_new_linked (OsiisoTask        *task,
                                                   OsiisoQueueLink   *link,
                                                   const char        *group_id);
OsiisoTask        *_osiiso_task_handle_get_task   (OsiisoTaskHandle  *self);
/* Called on the owner context when the task's completion is delivered. */
void               _osiiso_task_handle_completed  (OsiisoTaskHandle  *self,
                                                   gboolean           observed);
void               _osiiso_task_handle_notify_status (OsiisoTaskHandle *self);

/* osiiso-task-options.c */
OsiisoTaskOptions *_osiiso_task_options_get_default (void);

G_END_DECLS
