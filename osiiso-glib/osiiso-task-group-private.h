/* osiiso-task-group-private.h: what the core knows of groups and batches
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "osiiso-glib.h"
#include "osiiso-task-private.h"

G_BEGIN_DECLS

/* The tasks of one osiiso_task_group_add*() call share a batch: their
 * inputs (one array for a whole map, not a GVariant per task), the data of
 * their function (freed once, with the last task's data), and a reference
 * on their group from admission until their data is released, so the
 * group outlives its running tasks. */
struct _OsiisoBatch
{
  /* Read by workers for every task. */
  OsiisoTaskGroup *group;        /* owned once admitted */
  char            *group_id;     /* a GRefString: the group's id, for results */
  guint            first;        /* the group index of the batch's first task */
  GVariant        *inputs;       /* an array (map), the one input (add), or NULL */

  gboolean         single;       /* @inputs is the input itself */
  GPtrArray       *objects;      /* map_objects: the inputs */
  char            *function;     /* map_call: the worker function */
  gpointer         user_data;
  GDestroyNotify   destroy;
  gpointer         padding;      /* keeps @ref_count off the first part's cache lines */

  /* Dropped by the owner context as it delivers each task: never on a
   * cache line with the first part, for any 16-byte aligned batch. */
  gint             ref_count;    /* atomic: one per task */
};

G_STATIC_ASSERT (G_STRUCT_OFFSET (OsiisoBatch, ref_count)
                 >= G_STRUCT_OFFSET (OsiisoBatch, inputs) + sizeof (GVariant *) + 48);

void               _osiiso_batch_unref               (OsiisoBatch       *batch);
/* The input of the task at @index of the group, as the task sees it. */
GVariant          *_osiiso_batch_dup_input           (OsiisoBatch       *batch,
                                                      guint              index);
GObject           *_osiiso_batch_get_input_object    (OsiisoBatch       *batch,
                                                      guint              index);

/* Admission (osiiso-queue.c): the group's tasks, its entries' kinds and
 * the first error found while it was built. */
GPtrArray         *_osiiso_task_group_get_tasks      (OsiisoTaskGroup   *self);
/* Also claims the group for the caller's submission: a refused submission
 * gives it back with _osiiso_task_group_unclaim(). */
void               _osiiso_task_group_unclaim        (OsiisoTaskGroup   *self);
gboolean           _osiiso_task_group_check          (OsiisoTaskGroup   *self,
                                                      gboolean           process_backend,
                                                      GError           **error);
/* Before admission (lock not held): computes the keys of a resumable
 * group and restores the tasks its checkpoint knows. */
gboolean           _osiiso_task_group_restore        (OsiisoTaskGroup   *self,
                                                      GError           **error);
/* Admission, with the queue's lock held, in one pass over the tasks so
 * that a big group's records are read once: admit() before the first
 * task, admit_task() for each (after the queue has taken it, or for a
 * restored one), admitted() after the last. */
void               _osiiso_task_group_admit_locked   (OsiisoTaskGroup   *self,
                                                      OsiisoQueue       *queue);
void               _osiiso_task_group_admit_task_locked (OsiisoTaskGroup *self,
                                                         OsiisoTask      *task);
void               _osiiso_task_group_admitted_locked (OsiisoTaskGroup  *self);

/* Tells the group's GListModel watchers that its items exist now; on the
 * submitting thread, after admission. */
void               _osiiso_task_group_emit_submitted (OsiisoTaskGroup   *self);

/* A task of the group reached its final status (queue lock held). */
void               _osiiso_task_group_finished_locked (OsiisoTaskGroup  *self,
                                                       OsiisoTask       *task);
/* The task's completion is being delivered (owner context): the group's
 * handle of the task, if one was made, is told, and async waits advance. */
void               _osiiso_task_group_delivered      (OsiisoTaskGroup   *self,
                                                      OsiisoTask        *task);
/* The group's handle of the task at @index: existing (peek) or made now. */
OsiisoTaskHandle  *_osiiso_task_group_peek_handle    (OsiisoTaskGroup   *self,
                                                      guint              index);
OsiisoTaskHandle  *_osiiso_task_group_ensure_handle  (OsiisoTaskGroup   *self,
                                                      guint              index);

/* Process tasks (osiiso-process-queue.c): the markers that tell call and
 * command tasks apart, and their per-task data. */
gboolean           _osiiso_process_call_marker       (OsiisoTaskContext *context,
                                                      gpointer           data,
                                                      GError           **error);
gboolean           _osiiso_process_command_marker    (OsiisoTaskContext *context,
                                                      gpointer           data,
                                                      GError           **error);
/* Sinks @argument (NULL: `()`) and checks that its request fits in a
 * frame: returns it (owned, the data of a call task), or NULL with @error. */
GVariant          *_osiiso_process_call_take_argument (const char       *function,
                                                       GVariant         *argument,
                                                       GError          **error);
/* The function (unowned) and argument (owned) of the call task @task. */
const char        *_osiiso_process_call_get          (OsiisoTask        *task,
                                                      GVariant         **argument);
/* (sv): the function and argument of a call task, for its checkpoint key. */
GVariant          *_osiiso_process_call_describe     (OsiisoTask        *task);
gboolean           _osiiso_process_check_argument    (const char        *function,
                                                      GVariant          *argument,
                                                      GError           **error);

G_END_DECLS
