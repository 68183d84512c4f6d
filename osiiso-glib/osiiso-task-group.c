/* osiiso-task-group.c: batches of tasks admitted together
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "osiiso-task-group-private.h"
#include "osiiso-queue-private.h"
#include "osiiso-command-private.h"
#include "osiiso-task-options-private.h"
#include "osiiso-i18n-private.h"

/**
 * SECTION:osiiso-task-group
 * @Title: OsiisoTaskGroup
 * @Short_description: A batch of tasks, admitted together, watched together
 *
 * An #OsiisoTaskGroup is a named batch of tasks. It is built first, entry
 * by entry (osiiso_task_group_add() and friends: a function with an input,
 * one function mapped over many inputs, worker calls and command lines on
 * a process queue), then submitted to a queue with
 * osiiso_queue_submit_group(), which admits all of it or nothing: an
 * invalid entry, a closed queue or a queue without room for every entry
 * submits nothing. osiiso_queue_map() does both steps for the common case.
 *
 * Every task of a group carries the group's id in its options (and so in
 * its handle's and result's group id). Its position in the group is its
 * index: inputs, handles, results and values are all in input order,
 * whatever the order the tasks finish in.
 *
 * Once submitted, a group is a #GListModel of its #OsiisoTaskHandle<!--
 * -->s in input order, so a GTK list view can show it live (each handle
 * notifies #OsiisoTaskHandle:status as it changes). Handles are made only
 * when someone asks for them: a map over a million inputs does not make a
 * million objects. The group waits for its tasks (osiiso_task_group_wait(),
 * osiiso_task_group_wait_async()), cancels them
 * (osiiso_task_group_cancel()), gives their values in input order
 * (osiiso_task_group_get_values()), and hands them out in completion order
 * (osiiso_task_group_wait_completed()).
 *
 * Build a group on one thread; once submitted it may be used from any
 * thread, except that blocking waits on the queue's owner thread iterate
 * the queue's main context, as osiiso_task_handle_wait() does.
 */

/**
 * OsiisoTaskGroup:
 *
 * A batch of tasks, admitted together, and a #GListModel of their
 * #OsiisoTaskHandle<!-- -->s once submitted. All its fields are private.
 */

typedef struct
{
  GTask   *task;
  guint    needed;    /* deliveries that complete the wait */
  gboolean all;       /* a wait for the whole group (else one handle) */
  gulong   cancelled_id;
} PendingWait;

/* The fields in three parts, so that what a worker writes per task
 * (@n_order, under the queue's lock) and what the owner context touches
 * per delivered task (@lock, @handles, @n_delivered, @checkpoint) are
 * never on one cache line, wherever the group is allocated (16-byte
 * aligned): the fields between them are left alone while tasks run. */
struct _OsiisoTaskGroup
{
  GObject            parent_instance;

  char              *id;              /* a GRefString: batches, results and handles share it */
  GPtrArray         *tasks;           /* OsiisoTask, owned, in input order */
  GError            *invalid;         /* the first bad entry, if any */
  guint              has_functions : 1;
  guint              has_process : 1;
  gint               submitted;       /* atomic */
  gint               claimed;         /* atomic: a submission is under way, or done */

  /* Workers. */
  guint             *order;           /* indices in completion order (the queue's lock) */
  guint              n_order;         /* of them; room for every task is made at submission */

  /* Nobody's while tasks run. */
  OsiisoQueueLink   *link;            /* the queue, once submitted */
  OsiisoBatch       *plain;           /* shared by the adds without input or destroy; owned until submitted */
  OsiisoTaskBlock   *block;           /* where the next task record goes; until submitted */
  char              *checkpoint_ns;
  OsiisoCheckpointKeyFunc key_func;
  gpointer           key_data;
  GDestroyNotify     key_destroy;
  char             **keys;            /* per task, computed at admission; NULL-terminated */
  guint              n_keys;          /* the tasks with a key and looked up in the checkpoint */
  guint              n_restored;

  /* The owner context. */
  OsiisoCheckpoint  *checkpoint;      /* resumable: inputs that succeeded are restored */
  OsiisoRunSummary  *values;          /* every task succeeded: its values, once asked for */
  GMutex             lock;            /* @handles, @waits, @values */
  OsiisoTaskHandle **handles;         /* made on demand */
  GList             *waits;           /* PendingWait */
  guint              n_delivered;     /* completions delivered (owner context) */
};

G_STATIC_ASSERT (G_STRUCT_OFFSET (OsiisoTaskGroup, checkpoint)
                 >= G_STRUCT_OFFSET (OsiisoTaskGroup, n_order) + 64);

static void osiiso_task_group_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (OsiisoTaskGroup, osiiso_task_group, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, osiiso_task_group_list_model_init))

enum {
  PROP_0,
  PROP_ID,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static guint64 last_group_number;

/* ------------------------------------------------------------------------
 * Batches
 * --------------------------------------------------------------------- */

static OsiisoBatch *
batch_new (OsiisoTaskGroup *self)
{
  OsiisoBatch *batch = g_new0 (OsiisoBatch, 1);

  batch->first = self->tasks->len;
  batch->group_id = g_ref_string_acquire (self->id);
  return batch;
}

static void
batch_free (OsiisoBatch *batch)
{
  if (batch->destroy != NULL)
    batch->destroy (batch->user_data);
  g_clear_pointer (&batch->inputs, g_variant_unref);
  g_clear_pointer (&batch->objects, g_ptr_array_unref);
  g_free (batch->function);
  g_clear_object (&batch->group);
  g_ref_string_release (batch->group_id);
  g_free (batch);
}

void
_osiiso_batch_unref (OsiisoBatch *batch)
{
  if (g_atomic_int_dec_and_test (&batch->ref_count))
    batch_free (batch);
}

GVariant *
_osiiso_batch_dup_input (OsiisoBatch *batch,
                         guint        index)
{
  if (batch->inputs == NULL)
    return NULL;
  if (batch->single)
    return g_variant_ref (batch->inputs);
  return g_variant_get_child_value (batch->inputs, index - batch->first);
}

GObject *
_osiiso_batch_get_input_object (OsiisoBatch *batch,
                                guint        index)
{
  if (batch->objects == NULL)
    return NULL;
  return g_ptr_array_index (batch->objects, index - batch->first);
}

/* ------------------------------------------------------------------------
 * Building
 * --------------------------------------------------------------------- */

static void
set_invalid (OsiisoTaskGroup *self,
             GError          *error)
{
  if (self->invalid == NULL)
    self->invalid = error;
  else
    g_error_free (error);
}

/* The options of a task of the group: @options, or the defaults. The
 * group's id is not written into them: a task's result and handle take it
 * from the task's batch (a group of tasks with a thousand priorities would
 * otherwise copy a thousand options objects and look one up per task). */
static OsiisoTaskOptions *
check_options (OsiisoTaskGroup   *self,
               OsiisoTaskOptions *options)
{
  GError *error = NULL;

  if (options == NULL)
    options = _osiiso_task_options_get_default ();
  if (!osiiso_task_options_validate (options, &error))
    {
      set_invalid (self, error);
      return NULL;
    }
  return options;
}

static void
add_task (OsiisoTaskGroup   *self,
          OsiisoTaskFunc     func,
          gpointer           user_data,
          GDestroyNotify     destroy,
          OsiisoTaskOptions *options,
          OsiisoBatch       *batch)
{
  OsiisoTask *task = _osiiso_task_new_in_block (&self->block, NULL, func, user_data, destroy, options);

  task->index = self->tasks->len;
  task->batch = batch;
  g_atomic_int_inc (&batch->ref_count);
  g_ptr_array_add (self->tasks, task);
}

/* Checked for every add: a group is built before it is submitted. */
#define RETURN_IF_SUBMITTED(self) \
  G_STMT_START { \
    if (g_atomic_int_get (&(self)->submitted)) \
      { \
        g_critical ("%s: the group “%s” was already submitted", G_STRFUNC, (self)->id); \
        return (self)->tasks->len; \
      } \
  } G_STMT_END

/* A batch without tasks is freed at once, with its data. */
static guint
finish_batch (OsiisoTaskGroup *self,
              OsiisoBatch     *batch)
{
  guint first = batch->first;

  if (g_atomic_int_get (&batch->ref_count) == 0)
    batch_free (batch);
  return first;
}

/**
 * osiiso_task_group_new:
 * @group_id: (nullable): the group's id, or %NULL for a fresh `group-N`
 *
 * Creates an empty group to build and then submit with
 * osiiso_queue_submit_group().
 *
 * Returns: (transfer full): a new #OsiisoTaskGroup
 */
OsiisoTaskGroup *
osiiso_task_group_new (const char *group_id)
{
  return g_object_new (OSIISO_TYPE_TASK_GROUP, "id", group_id, NULL);
}

/**
 * osiiso_task_group_add:
 * @self: a #OsiisoTaskGroup that was not submitted yet
 * @func: (scope notified) (closure user_data) (destroy destroy): the task
 *   function
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data once the task is done
 * @input: (nullable): the task's input, read with
 *   osiiso_task_context_get_input(); a floating reference is taken
 * @options: (nullable): the task's options, or %NULL for the defaults
 *
 * Adds one task to the group. Invalid @options are reported when the
 * group is submitted, and then nothing of it is.
 *
 * Returns: the task's index in the group
 */
guint
osiiso_task_group_add (OsiisoTaskGroup   *self,
                       OsiisoTaskFunc     func,
                       gpointer           user_data,
                       GDestroyNotify     destroy,
                       GVariant          *input,
                       OsiisoTaskOptions *options)
{
  OsiisoBatch *batch;

  g_return_val_if_fail (OSIISO_IS_TASK_GROUP (self), 0);
  g_return_val_if_fail (func != NULL, self->tasks->len);
  g_return_val_if_fail (options == NULL || OSIISO_IS_TASK_OPTIONS (options), self->tasks->len);
  RETURN_IF_SUBMITTED (self);

  if (input == NULL && destroy == NULL)
    {
      guint index = self->tasks->len;

      /* Nothing of such a task needs a batch of its own (its data is in
       * the task record): they share one, an allocation per task less. */
      self->has_functions = TRUE;
      options = check_options (self, options);
      if (options == NULL)
        return index;
      if (self->plain == NULL)
        {
          /* The group's own reference: a refused submission that
           * restored tasks (a checkpoint) drops theirs, and more may be
           * added after it. */
          self->plain = batch_new (self);
          self->plain->ref_count = 1;
        }
      add_task (self, func, user_data, NULL, options, self->plain);
      return index;
    }

  batch = batch_new (self);
  batch->user_data = user_data;
  batch->destroy = destroy;
  if (input != NULL)
    {
      batch->inputs = g_variant_ref_sink (input);
      batch->single = TRUE;
    }
  options = check_options (self, options);
  if (options != NULL)
    add_task (self, func, user_data, NULL, options, batch);
  self->has_functions = TRUE;
  return finish_batch (self, batch);
}

/**
 * osiiso_task_group_add_map:
 * @self: a #OsiisoTaskGroup that was not submitted yet
 * @func: (scope notified) (closure user_data) (destroy destroy): the task
 *   function, shared by every task of the map
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data once every task of the map is done
 * @inputs: an array (any `a*` type): one task per element, which the task
 *   reads with osiiso_task_context_get_input(); a floating reference is
 *   taken
 * @options: (nullable): the options of every task, or %NULL for the
 *   defaults
 *
 * Adds one task per element of @inputs, in order. The tasks share @inputs
 * and @user_data: a map costs one task record per input, nothing more.
 * Inputs that are not an array are reported when the group is submitted.
 *
 * Returns: the index of the first task of the map
 */
guint
osiiso_task_group_add_map (OsiisoTaskGroup   *self,
                           OsiisoTaskFunc     func,
                           gpointer           user_data,
                           GDestroyNotify     destroy,
                           GVariant          *inputs,
                           OsiisoTaskOptions *options)
{
  OsiisoBatch *batch;
  gsize n;

  g_return_val_if_fail (OSIISO_IS_TASK_GROUP (self), 0);
  g_return_val_if_fail (func != NULL, self->tasks->len);
  g_return_val_if_fail (inputs != NULL, self->tasks->len);
  g_return_val_if_fail (options == NULL || OSIISO_IS_TASK_OPTIONS (options), self->tasks->len);
  RETURN_IF_SUBMITTED (self);

  batch = batch_new (self);
  batch->user_data = user_data;
  batch->destroy = destroy;
  batch->inputs = g_variant_ref_sink (inputs);
  self->has_functions = TRUE;

  if (!g_variant_is_of_type (inputs, G_VARIANT_TYPE_ARRAY))
    {
      set_invalid (self, g_error_new (OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION,
                                      _("the inputs of a map must be an array, not “%s”"),
                                      g_variant_get_type_string (inputs)));
      return finish_batch (self, batch);
    }
  options = check_options (self, options);
  n = options != NULL ? g_variant_n_children (inputs) : 0;
  for (gsize i = 0; i < n; i++)
    add_task (self, func, user_data, NULL, options, batch);
  return finish_batch (self, batch);
}

/**
 * osiiso_task_group_add_map_objects:
 * @self: a #OsiisoTaskGroup that was not submitted yet
 * @func: (scope notified) (closure user_data) (destroy destroy): the task
 *   function, shared by every task of the map
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data once every task of the map is done
 * @inputs: a #GListModel: one task per item, which the task reads with
 *   osiiso_task_context_get_input_object()
 * @options: (nullable): the options of every task, or %NULL for the
 *   defaults
 *
 * Adds one task per item of @inputs, in order, for thread and async
 * queues. The items are taken when this is called; later changes of the
 * model do not change the group.
 *
 * Returns: the index of the first task of the map
 */
guint
osiiso_task_group_add_map_objects (OsiisoTaskGroup   *self,
                                   OsiisoTaskFunc     func,
                                   gpointer           user_data,
                                   GDestroyNotify     destroy,
                                   GListModel        *inputs,
                                   OsiisoTaskOptions *options)
{
  OsiisoBatch *batch;
  guint n;

  g_return_val_if_fail (OSIISO_IS_TASK_GROUP (self), 0);
  g_return_val_if_fail (func != NULL, self->tasks->len);
  g_return_val_if_fail (G_IS_LIST_MODEL (inputs), self->tasks->len);
  g_return_val_if_fail (options == NULL || OSIISO_IS_TASK_OPTIONS (options), self->tasks->len);
  RETURN_IF_SUBMITTED (self);

  batch = batch_new (self);
  batch->user_data = user_data;
  batch->destroy = destroy;
  n = g_list_model_get_n_items (inputs);
  batch->objects = g_ptr_array_new_full (n, g_object_unref);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (batch->objects, g_list_model_get_item (inputs, i));
  self->has_functions = TRUE;

  options = check_options (self, options);
  if (options != NULL)
    for (guint i = 0; i < n; i++)
      add_task (self, func, user_data, NULL, options, batch);
  return finish_batch (self, batch);
}

/**
 * osiiso_task_group_add_call:
 * @self: a #OsiisoTaskGroup that was not submitted yet
 * @function: the name of a function the worker registered
 * @argument: (nullable): its argument, or %NULL for `()`; a floating
 *   reference is taken
 * @options: (nullable): the task's options, or %NULL for the defaults
 *
 * Adds a call in a worker process, as osiiso_process_queue_submit_call()
 * submits one; such a group can only be submitted to an
 * #OsiisoProcessQueue.
 *
 * Returns: the task's index in the group
 */
guint
osiiso_task_group_add_call (OsiisoTaskGroup   *self,
                            const char        *function,
                            GVariant          *argument,
                            OsiisoTaskOptions *options)
{
  g_autoptr(GVariant) owned = NULL;
  GError *error = NULL;
  OsiisoBatch *batch;
  GVariant *call_argument;

  g_return_val_if_fail (OSIISO_IS_TASK_GROUP (self), 0);
  g_return_val_if_fail (function != NULL, self->tasks->len);
  g_return_val_if_fail (options == NULL || OSIISO_IS_TASK_OPTIONS (options), self->tasks->len);
  if (argument != NULL)
    owned = g_variant_ref_sink (argument);
  RETURN_IF_SUBMITTED (self);

  self->has_process = TRUE;
  batch = batch_new (self);
  call_argument = _osiiso_process_call_take_argument (function, argument, &error);
  if (call_argument == NULL)
    {
      set_invalid (self, error);
      return finish_batch (self, batch);
    }
  /* The argument is the task's data, not its batch's input: a key
   * function is given no input for a call. */
  batch->function = g_strdup (function);
  options = check_options (self, options);
  if (options != NULL)
    add_task (self, _osiiso_process_call_marker, call_argument, (GDestroyNotify) g_variant_unref,
              options, batch);
  else
    g_variant_unref (call_argument);
  return finish_batch (self, batch);
}

/**
 * osiiso_task_group_add_map_call:
 * @self: a #OsiisoTaskGroup that was not submitted yet
 * @function: the name of a function the worker registered
 * @inputs: an array: one call per element, each element the call's
 *   argument; a floating reference is taken
 * @options: (nullable): the options of every task, or %NULL for the
 *   defaults
 *
 * Adds one worker call of @function per element of @inputs, for an
 * #OsiisoProcessQueue. The calls share @inputs.
 *
 * Returns: the index of the first call
 */
guint
osiiso_task_group_add_map_call (OsiisoTaskGroup   *self,
                                const char        *function,
                                GVariant          *inputs,
                                OsiisoTaskOptions *options)
{
  OsiisoBatch *batch;
  GError *error = NULL;
  gsize n;

  g_return_val_if_fail (OSIISO_IS_TASK_GROUP (self), 0);
  g_return_val_if_fail (function != NULL, self->tasks->len);
  g_return_val_if_fail (inputs != NULL, self->tasks->len);
  g_return_val_if_fail (options == NULL || OSIISO_IS_TASK_OPTIONS (options), self->tasks->len);
  RETURN_IF_SUBMITTED (self);

  self->has_process = TRUE;
  batch = batch_new (self);
  batch->inputs = g_variant_ref_sink (inputs);
  batch->function = g_strdup (function);
  if (!g_variant_is_of_type (inputs, G_VARIANT_TYPE_ARRAY))
    {
      set_invalid (self, g_error_new (OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION,
                                      _("the inputs of a map must be an array, not “%s”"),
                                      g_variant_get_type_string (inputs)));
      return finish_batch (self, batch);
    }
  n = g_variant_n_children (inputs);
  /* Each request must fit in a frame; the whole array usually tells. */
  if (!_osiiso_process_check_argument (function, inputs, NULL))
    for (gsize i = 0; i < n; i++)
      {
        g_autoptr(GVariant) argument = g_variant_get_child_value (inputs, i);

        if (!_osiiso_process_check_argument (function, argument, &error))
          {
            set_invalid (self, error);
            return finish_batch (self, batch);
          }
      }
  options = check_options (self, options);
  if (options != NULL)
    for (gsize i = 0; i < n; i++)
      add_task (self, _osiiso_process_call_marker, NULL, NULL, options, batch);
  return finish_batch (self, batch);
}

/**
 * osiiso_task_group_add_command:
 * @self: a #OsiisoTaskGroup that was not submitted yet
 * @argv: (array zero-terminated=1): the command line; the program is looked
 *   up in `PATH`
 * @input: (nullable): bytes for the command's standard input, or %NULL for
 *   /dev/null
 * @cwd: (nullable) (type filename): its working directory, or %NULL
 * @envp: (nullable) (array zero-terminated=1): its environment, or %NULL
 *   for this process's
 * @options: (nullable): the task's options, or %NULL for the defaults
 *
 * Adds a command task, as osiiso_process_queue_submit_command() submits
 * one, for an #OsiisoProcessQueue.
 *
 * Returns: the task's index in the group
 */
guint
osiiso_task_group_add_command (OsiisoTaskGroup    *self,
                               const char * const *argv,
                               GBytes             *input,
                               const char         *cwd,
                               const char * const *envp,
                               OsiisoTaskOptions  *options)
{
  OsiisoCommandSpec *spec;
  OsiisoBatch *batch;

  g_return_val_if_fail (OSIISO_IS_TASK_GROUP (self), 0);
  g_return_val_if_fail (argv != NULL && argv[0] != NULL, self->tasks->len);
  g_return_val_if_fail (options == NULL || OSIISO_IS_TASK_OPTIONS (options), self->tasks->len);
  RETURN_IF_SUBMITTED (self);

  self->has_process = TRUE;
  batch = batch_new (self);
  options = check_options (self, options);
  if (options != NULL)
    {
      spec = _osiiso_command_spec_new (argv, input, cwd, envp);
      add_task (self, _osiiso_process_command_marker, spec,
                (GDestroyNotify) _osiiso_command_spec_unref, options, batch);
    }
  return finish_batch (self, batch);
}

/**
 * osiiso_task_group_set_checkpoint:
 * @self: a #OsiisoTaskGroup that was not submitted yet
 * @checkpoint: (nullable): the completion store, or %NULL for none
 * @namespace_: the namespace of the group's keys in @checkpoint: a name
 *   that stays the same from one run of the program to the next (there is
 *   no default: task functions have no stable names in C)
 * @key_func: (nullable) (scope notified) (closure key_data) (destroy key_destroy):
 *   makes each task's key, or %NULL for the default: the canonical key of
 *   the task's input (osiiso_checkpoint_canonical_key()); for a worker call
 *   of its function and argument, for a command of its argv
 * @key_data: data for @key_func
 * @key_destroy: (nullable): frees @key_data with the group
 *
 * Makes the group resumable. When it is submitted, every task's key is
 * looked up in @checkpoint (in one batched look-up): a task whose key is
 * recorded there is not run again. It is *restored*: it ends succeeded at
 * once, with the stored value (a #GValue holding the #GVariant; none if
 * the checkpoint does not keep values), no attempts, the message
 * "restored from checkpoint", and it is left out of run summaries and
 * signals, while group values and waits still line up 1:1 with the
 * inputs. Every other task runs as usual, and when it succeeds its key and
 * value are recorded (on the queue's main context, as its completion is
 * delivered). Only successes are recorded; a value that is not a
 * #GVariant is not stored (with a warning), and the task still succeeds.
 *
 * Tasks without a default key (an input object, or neither input nor
 * call) need @key_func; otherwise the submission fails with
 * %OSIISO_ERROR_INVALID_OPTION. This is completion tracking keyed by
 * input, not a durable queue: work cut short is done again
 * (at-least-once).
 */
void
osiiso_task_group_set_checkpoint (OsiisoTaskGroup         *self,
                                  OsiisoCheckpoint        *checkpoint,
                                  const char              *namespace_,
                                  OsiisoCheckpointKeyFunc  key_func,
                                  gpointer                 key_data,
                                  GDestroyNotify           key_destroy)
{
  g_return_if_fail (OSIISO_IS_TASK_GROUP (self));
  g_return_if_fail (checkpoint == NULL || OSIISO_IS_CHECKPOINT (checkpoint));
  g_return_if_fail (checkpoint == NULL || (namespace_ != NULL && *namespace_ != '\0'));
  g_return_if_fail (!g_atomic_int_get (&self->submitted));

  if (self->key_destroy != NULL)
    self->key_destroy (self->key_data);
  g_set_object (&self->checkpoint, checkpoint);
  g_free (self->checkpoint_ns);
  self->checkpoint_ns = g_strdup (namespace_);
  self->key_func = key_func;
  self->key_data = key_data;
  self->key_destroy = key_destroy;
}

/**
 * osiiso_task_group_get_n_restored:
 * @self: a #OsiisoTaskGroup
 *
 * Gets how many tasks of the group were restored from its checkpoint at
 * submission instead of running.
 *
 * Returns: the number of restored tasks
 */
guint
osiiso_task_group_get_n_restored (OsiisoTaskGroup *self)
{
  g_return_val_if_fail (OSIISO_IS_TASK_GROUP (self), 0);
  return self->n_restored;
}

/* The default key of a task: its input, or what it calls or runs. */
static char *
default_key (OsiisoTask *task)
{
  g_autoptr(GVariant) input = NULL;

  if (task->func == _osiiso_process_command_marker)
    {
      OsiisoCommandSpec *spec = task->user_data;

      input = g_variant_ref_sink (g_variant_new_strv ((const char * const *) spec->argv, -1));
    }
  else if (task->func == _osiiso_process_call_marker)
    input = _osiiso_process_call_describe (task);
  else if (task->batch != NULL)
    input = _osiiso_batch_dup_input (task->batch, task->index);
  return input != NULL ? osiiso_checkpoint_canonical_key (input) : NULL;
}

/* Drops the keys of tasks from @first on (their computation or lookup
 * failed): keys stay NULL-terminated. */
static void
truncate_keys (OsiisoTaskGroup *self,
               guint            first)
{
  for (guint i = first; self->keys[i] != NULL; i++)
    g_clear_pointer (&self->keys[i], g_free);
}

/* Before admission: the keys of every task, and the tasks already done
 * according to the checkpoint, which are restored instead of run. */
gboolean
_osiiso_task_group_restore (OsiisoTaskGroup  *self,
                            GError          **error)
{
  g_autoptr(GHashTable) hits = NULL;
  gint64 now = g_get_monotonic_time ();
  guint first = self->n_keys;

  /* Done once per task: a submission refused after it (a full queue) may
   * be tried again, perhaps with tasks added since, and the tasks it
   * restored stay restored. */
  if (self->checkpoint == NULL || first == self->tasks->len)
    return TRUE;

  self->keys = g_renew (char *, self->keys, self->tasks->len + 1);
  self->keys[first] = NULL;
  for (guint i = first; i < self->tasks->len; i++)
    {
      OsiisoTask *task = g_ptr_array_index (self->tasks, i);

      if (self->key_func != NULL)
        {
          g_autoptr(GVariant) input = task->batch != NULL ? _osiiso_batch_dup_input (task->batch, i) : NULL;
          GObject *object = task->batch != NULL ? _osiiso_batch_get_input_object (task->batch, i) : NULL;

          self->keys[i] = self->key_func (input, object, i, self->key_data);
        }
      else
        self->keys[i] = default_key (task);
      if (self->keys[i] == NULL)
        {
          truncate_keys (self, first);
          g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION,
                       _("task %u of group “%s” has no checkpoint key: give a key function"),
                       i, self->id);
          return FALSE;
        }
      self->keys[i + 1] = NULL;
    }

  hits = osiiso_checkpoint_lookup (self->checkpoint, self->checkpoint_ns,
                                   (const char * const *) self->keys + first, error);
  if (hits == NULL)
    {
      truncate_keys (self, first);
      return FALSE;
    }

  self->n_keys = self->tasks->len;
  for (guint i = first; i < self->tasks->len; i++)
    {
      OsiisoTask *task = g_ptr_array_index (self->tasks, i);
      OsiisoCheckpointHit *hit = g_hash_table_lookup (hits, self->keys[i]);
      g_auto(GValue) value = G_VALUE_INIT;

      if (hit == NULL)
        continue;
      if (osiiso_checkpoint_hit_has_value (hit))
        g_value_set_variant (g_value_init (&value, G_TYPE_VARIANT), osiiso_checkpoint_hit_get_value (hit));
      task->created = now;
      task->result = _osiiso_task_result_new (task, OSIISO_TASK_STATUS_SUCCEEDED, &value, NULL,
                                              osiiso_checkpoint_hit_has_value (hit)
                                                ? "restored from checkpoint"
                                                : "restored from checkpoint (value not retained)",
                                              now);
      g_atomic_int_set (&task->status, OSIISO_TASK_STATUS_SUCCEEDED);
      self->n_restored++;
      /* It never runs: its share of the data goes now. */
      _osiiso_task_data_unref (task);
    }
  return TRUE;
}

/* A delivered success is recorded (owner context). */
static void
record_success (OsiisoTaskGroup *self,
                OsiisoTask      *task)
{
  g_autoptr(GError) error = NULL;
  const GValue *value = osiiso_task_result_get_value (task->result);
  GVariant *variant = NULL;

  if (task->result->status != OSIISO_TASK_STATUS_SUCCEEDED)
    return;
  if (value != NULL && G_IS_VALUE (value))
    {
      if (!G_VALUE_HOLDS_VARIANT (value))
        {
          g_warning ("osiiso: the value of task %u of group “%s” is a %s, not a GVariant: "
                     "not recorded in the checkpoint", task->index, self->id, G_VALUE_TYPE_NAME (value));
          return;
        }
      variant = g_value_get_variant (value);
    }
  if (!osiiso_checkpoint_record (self->checkpoint, self->checkpoint_ns, self->keys[task->index],
                                 variant, task->options->name, &error))
    g_warning ("osiiso: could not record task %u of group “%s” in the checkpoint: %s",
               task->index, self->id, error->message);
}

/* ------------------------------------------------------------------------
 * Admission and completion (called by the queue)
 * --------------------------------------------------------------------- */

GPtrArray *
_osiiso_task_group_get_tasks (OsiisoTaskGroup *self)
{
  return self->tasks;
}

gboolean
_osiiso_task_group_check (OsiisoTaskGroup  *self,
                          gboolean          process_backend,
                          GError          **error)
{
  if (g_atomic_int_get (&self->submitted))
    {
      g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION,
                   _("the group “%s” was already submitted"), self->id);
      return FALSE;
    }
  if (self->invalid != NULL)
    {
      g_propagate_error (error, g_error_copy (self->invalid));
      return FALSE;
    }
  if (process_backend && self->has_functions)
    {
      g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION,
                   _("the group “%s” has in-process functions, which a process queue cannot run"),
                   self->id);
      return FALSE;
    }
  if (!process_backend && self->has_process)
    {
      g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION,
                   _("the group “%s” has worker calls or commands, which only a process queue runs"),
                   self->id);
      return FALSE;
    }
  /* Two threads submitting the same group at once: one goes on. */
  if (!g_atomic_int_compare_and_exchange (&self->claimed, 0, 1))
    {
      g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION,
                   _("the group “%s” was already submitted"), self->id);
      return FALSE;
    }
  return TRUE;
}

void
_osiiso_task_group_unclaim (OsiisoTaskGroup *self)
{
  g_atomic_int_set (&self->claimed, 0);
}

void
_osiiso_task_group_admit_locked (OsiisoTaskGroup *self,
                                 OsiisoQueue     *queue)
{
  self->link = _osiiso_queue_get_link (queue);
  self->order = g_new (guint, MAX (self->tasks->len, 1));
}

void
_osiiso_task_group_admit_task_locked (OsiisoTaskGroup *self,
                                      OsiisoTask      *task)
{
  if (task->batch != NULL && task->batch->group == NULL)
    task->batch->group = g_object_ref (self);
  /* Restored tasks are done already: first in completion order. */
  if (_osiiso_task_status_is_final (task->status))
    self->order[self->n_order++] = task->index;
}

void
_osiiso_task_group_admitted_locked (OsiisoTaskGroup *self)
{
  self->n_delivered = self->n_restored;
  g_clear_pointer (&self->plain, _osiiso_batch_unref);   /* its tasks own it now; no more adds */
  g_clear_pointer (&self->block, _osiiso_task_block_release);
  g_atomic_int_set (&self->submitted, TRUE);
}

void
_osiiso_task_group_finished_locked (OsiisoTaskGroup *self,
                                    OsiisoTask      *task)
{
  self->order[self->n_order++] = task->index;
}

static gboolean complete_wait (OsiisoTaskGroup *self, PendingWait *wait);

void
_osiiso_task_group_delivered (OsiisoTaskGroup *self,
                              OsiisoTask      *task)
{
  OsiisoTaskHandle *handle;
  GList *done = NULL;

  if (self->checkpoint != NULL)
    record_success (self, task);

  g_mutex_lock (&self->lock);
  handle = self->handles != NULL ? self->handles[task->index] : NULL;
  if (handle != NULL)
    g_object_ref (handle);
  g_atomic_int_inc ((gint *) &self->n_delivered);
  for (GList *l = self->waits; l != NULL;)
    {
      GList *next = l->next;
      PendingWait *wait = l->data;

      if (self->n_delivered >= wait->needed)
        {
          self->waits = g_list_remove_link (self->waits, l);
          done = g_list_concat (done, l);
        }
      l = next;
    }
  g_mutex_unlock (&self->lock);

  if (handle != NULL)
    {
      /* Observed if anyone but the group (and this function) holds it. */
      _osiiso_task_handle_completed (handle, g_atomic_int_get ((gint *) &((GObject *) handle)->ref_count) > 2);
      g_object_unref (handle);
    }
  for (GList *l = done; l != NULL; l = l->next)
    complete_wait (self, l->data);
  g_list_free (done);
}

OsiisoTaskHandle *
_osiiso_task_group_peek_handle (OsiisoTaskGroup *self,
                                guint            index)
{
  OsiisoTaskHandle *handle;

  /* Most groups never make a handle: no lock round trip per event then.
   * The array, once made, lives as long as the group. */
  if (g_atomic_pointer_get (&self->handles) == NULL)
    return NULL;
  g_mutex_lock (&self->lock);
  handle = self->handles[index];
  g_mutex_unlock (&self->lock);
  return handle;
}

OsiisoTaskHandle *
_osiiso_task_group_ensure_handle (OsiisoTaskGroup *self,
                                  guint            index)
{
  OsiisoTaskHandle *handle;

  g_mutex_lock (&self->lock);
  if (self->handles == NULL)
    g_atomic_pointer_set (&self->handles, g_new0 (OsiisoTaskHandle *, self->tasks->len));
  handle = self->handles[index];
  if (handle == NULL)
    handle = self->handles[index] = _osiiso_task_handle_new_linked (g_ptr_array_index (self->tasks, index),
                                                                    self->link, self->id);
  g_mutex_unlock (&self->lock);
  return handle;
}

/* ------------------------------------------------------------------------
 * Looking at the tasks
 * --------------------------------------------------------------------- */

/**
 * osiiso_task_group_get_id:
 * @self: a #OsiisoTaskGroup
 *
 * Gets the group's id, which every task of the group carries as its group
 * id.
 *
 * Returns: the id
 */
const char *
osiiso_task_group_get_id (OsiisoTaskGroup *self)
{
  g_return_val_if_fail (OSIISO_IS_TASK_GROUP (self), NULL);
  return self->id;
}

/**
 * osiiso_task_group_get_size:
 * @self: a #OsiisoTaskGroup
 *
 * Gets the number of tasks added to the group. Before the group is
 * submitted its #GListModel is empty; afterwards it has this many items.
 *
 * Returns: the number of tasks
 */
guint
osiiso_task_group_get_size (OsiisoTaskGroup *self)
{
  g_return_val_if_fail (OSIISO_IS_TASK_GROUP (self), 0);
  return self->tasks->len;
}

/**
 * osiiso_task_group_get_submitted:
 * @self: a #OsiisoTaskGroup
 *
 * Checks whether the group was submitted to a queue.
 *
 * Returns: %TRUE once osiiso_queue_submit_group() accepted it
 */
gboolean
osiiso_task_group_get_submitted (OsiisoTaskGroup *self)
{
  g_return_val_if_fail (OSIISO_IS_TASK_GROUP (self), FALSE);
  return g_atomic_int_get (&self->submitted);
}

/**
 * osiiso_task_group_get_handle:
 * @self: a submitted #OsiisoTaskGroup
 * @index: a task's index, less than osiiso_task_group_get_size()
 *
 * Gets the handle of the task at @index, made on first request; the same
 * handle is returned each time, and it is also the one the queue's
 * signals carry.
 *
 * Returns: (transfer none): the handle
 */
OsiisoTaskHandle *
osiiso_task_group_get_handle (OsiisoTaskGroup *self,
                              guint            index)
{
  g_return_val_if_fail (OSIISO_IS_TASK_GROUP (self), NULL);
  g_return_val_if_fail (g_atomic_int_get (&self->submitted), NULL);
  g_return_val_if_fail (index < self->tasks->len, NULL);

  return _osiiso_task_group_ensure_handle (self, index);
}

/**
 * osiiso_task_group_get_status:
 * @self: a #OsiisoTaskGroup
 * @index: a task's index, less than osiiso_task_group_get_size()
 *
 * Gets the status of the task at @index without making its handle.
 *
 * Returns: the status
 */
OsiisoTaskStatus
osiiso_task_group_get_status (OsiisoTaskGroup *self,
                              guint            index)
{
  g_return_val_if_fail (OSIISO_IS_TASK_GROUP (self), OSIISO_TASK_STATUS_PENDING);
  g_return_val_if_fail (index < self->tasks->len, OSIISO_TASK_STATUS_PENDING);

  return _osiiso_task_get_status (g_ptr_array_index (self->tasks, index));
}

/**
 * osiiso_task_group_get_result:
 * @self: a #OsiisoTaskGroup
 * @index: a task's index, less than osiiso_task_group_get_size()
 *
 * Gets the result of the task at @index, once it has finished, without
 * making its handle.
 *
 * Returns: (transfer none) (nullable): the result, or %NULL while the
 *   task is not done
 */
OsiisoTaskResult *
osiiso_task_group_get_result (OsiisoTaskGroup *self,
                              guint            index)
{
  OsiisoTask *task;

  g_return_val_if_fail (OSIISO_IS_TASK_GROUP (self), NULL);
  g_return_val_if_fail (index < self->tasks->len, NULL);

  task = g_ptr_array_index (self->tasks, index);
  if (!_osiiso_task_status_is_final (_osiiso_task_get_status (task)))
    return NULL;
  return task->result;
}

typedef struct
{
  OsiisoTaskGroup *group;
  guint            needed;
  gboolean         delivered;   /* wait for the completions to be delivered too */
} Needed;

/* With the queue's lock held. */
static gboolean
finished_enough (gpointer data)
{
  Needed *needed = data;

  if (needed->group->n_order < needed->needed)
    return FALSE;
  return !needed->delivered || g_atomic_int_get ((gint *) &needed->group->n_delivered) >= (gint) needed->needed;
}

/**
 * osiiso_task_group_get_n_completed:
 * @self: a #OsiisoTaskGroup
 *
 * Gets how many tasks of the group have finished so far.
 *
 * Returns: the number of finished tasks
 */
guint
osiiso_task_group_get_n_completed (OsiisoTaskGroup *self)
{
  g_autoptr(OsiisoQueue) queue = NULL;
  guint n;

  g_return_val_if_fail (OSIISO_IS_TASK_GROUP (self), 0);

  if (!g_atomic_int_get (&self->submitted))
    return 0;
  queue = _osiiso_queue_link_dup_queue (self->link);
  if (queue == NULL)
    return self->n_order;   /* nothing changes any more */
  _osiiso_queue_lock (queue);
  n = self->n_order;
  _osiiso_queue_unlock (queue);
  return n;
}

/**
 * osiiso_task_group_cancel:
 * @self: a #OsiisoTaskGroup
 *
 * Cancels every task of the group that has not finished, as
 * osiiso_task_handle_cancel() does, without making handles.
 *
 * Returns: how many tasks were cancelled
 */
guint
osiiso_task_group_cancel (OsiisoTaskGroup *self)
{
  g_autoptr(OsiisoQueue) queue = NULL;
  guint n = 0;

  g_return_val_if_fail (OSIISO_IS_TASK_GROUP (self), 0);

  if (!g_atomic_int_get (&self->submitted))
    return 0;
  queue = _osiiso_queue_link_dup_queue (self->link);
  if (queue == NULL)
    return 0;
  /* Waiting tasks first: cancelling a running one frees its worker, which
   * could otherwise start (and even finish) a waiting one meanwhile. */
  for (guint pass = 0; pass < 2; pass++)
    for (guint i = 0; i < self->tasks->len; i++)
      {
        OsiisoTask *task = g_ptr_array_index (self->tasks, i);
        OsiisoTaskStatus status = _osiiso_task_get_status (task);
        gboolean waiting = status == OSIISO_TASK_STATUS_PENDING || status == OSIISO_TASK_STATUS_SCHEDULED;

        if ((pass == 0) == waiting && _osiiso_queue_cancel_task (queue, task))
          n++;
      }
  return n;
}

/* Waits (blocking) until @needed tasks have finished. */
static gboolean
wait_finished (OsiisoTaskGroup  *self,
               guint             needed,
               gdouble           timeout,
               GCancellable     *cancellable,
               GError          **error)
{
  g_autoptr(OsiisoQueue) queue = NULL;
  Needed data = { self, needed, FALSE };

  if (!g_atomic_int_get (&self->submitted))
    {
      g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_NOT_READY,
                   _("the group “%s” was not submitted"), self->id);
      return FALSE;
    }
  queue = _osiiso_queue_link_dup_queue (self->link);
  if (queue == NULL)
    {
      /* A finalized queue ended every task: nothing changes any more. */
      if (self->n_order >= needed)
        return TRUE;
      g_set_error_literal (error, OSIISO_ERROR, OSIISO_ERROR_CLOSED, _("the queue is gone"));
      return FALSE;
    }
  /* The owner thread iterates the context while it waits: it waits for the
   * completions to be delivered too (handles notified, checkpoint rows
   * written), so that nothing is still pending when the wait returns. */
  data.delivered = _osiiso_queue_is_owner_thread (queue);
  if (_osiiso_queue_wait_for (queue, finished_enough, &data, timeout, cancellable))
    return TRUE;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_TIMEOUT,
               _("the group “%s” did not finish within %gs"), self->id, timeout);
  return FALSE;
}

/* The results in input order; every task has finished. */
static OsiisoRunSummary *
make_summary (OsiisoTaskGroup *self,
              gint64           started)
{
  GPtrArray *results = g_ptr_array_new_full (self->tasks->len, (GDestroyNotify) osiiso_task_result_unref);

  for (guint i = 0; i < self->tasks->len; i++)
    g_ptr_array_add (results, osiiso_task_result_ref (((OsiisoTask *) g_ptr_array_index (self->tasks, i))->result));
  return _osiiso_run_summary_new (results, NULL, FALSE, (g_get_monotonic_time () - started) / (gdouble) G_USEC_PER_SEC);
}

/**
 * osiiso_task_group_wait:
 * @self: a submitted #OsiisoTaskGroup
 * @timeout: seconds to wait at most, or a negative number to wait without
 *   limit
 * @cancellable: (nullable): a #GCancellable to stop waiting
 * @error: return location for a #GError
 *
 * Waits until every task of the group has finished and returns a summary
 * of their results in input order (its duration,
 * osiiso_run_summary_get_duration(), measures the wait). Waiting does not
 * start the queue. On the queue's owner thread it iterates the queue's
 * main context.
 *
 * Returns: (transfer full): the summary, or %NULL with %OSIISO_ERROR_TIMEOUT,
 *   %G_IO_ERROR_CANCELLED or %OSIISO_ERROR_NOT_READY (a group never
 *   submitted)
 */
OsiisoRunSummary *
osiiso_task_group_wait (OsiisoTaskGroup  *self,
                        gdouble           timeout,
                        GCancellable     *cancellable,
                        GError          **error)
{
  gint64 started = g_get_monotonic_time ();

  g_return_val_if_fail (OSIISO_IS_TASK_GROUP (self), NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!wait_finished (self, self->tasks->len, timeout, cancellable, error))
    return NULL;
  return make_summary (self, started);
}

/**
 * osiiso_task_group_get_values:
 * @self: a submitted #OsiisoTaskGroup
 * @timeout: seconds to wait at most, or a negative number to wait without
 *   limit
 * @cancellable: (nullable): a #GCancellable to stop waiting
 * @n_values: (out) (optional): return location for the number of values
 * @error: return location for a #GError
 *
 * Waits as osiiso_task_group_wait() does, then gives the tasks' values in
 * input order, one per task, so they line up with the inputs. A task
 * without a value gives a %NULL %G_TYPE_POINTER (`None`, `null` in the
 * bindings). If any task failed or was cancelled there are no values: the
 * error is %OSIISO_ERROR_EXECUTION, as from osiiso_run_summary_check()
 * with cancellations included. The values belong to the group; the same
 * array is returned each time.
 *
 * Returns: (array length=n_values) (transfer none) (nullable): the
 *   values, or %NULL with @error set
 */
const GValue *
osiiso_task_group_get_values (OsiisoTaskGroup  *self,
                              gdouble           timeout,
                              GCancellable     *cancellable,
                              guint            *n_values,
                              GError          **error)
{
  g_autoptr(OsiisoRunSummary) summary = NULL;
  OsiisoRunSummary *values;

  g_return_val_if_fail (OSIISO_IS_TASK_GROUP (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (n_values != NULL)
    *n_values = 0;
  summary = osiiso_task_group_wait (self, timeout, cancellable, error);
  if (summary == NULL || !osiiso_run_summary_check (summary, TRUE, error))
    return NULL;

  /* Every task succeeded: the summary's values (in its order, the input
   * order) are one per task. The first summary asked for keeps them. */
  g_mutex_lock (&self->lock);
  if (self->values == NULL)
    self->values = osiiso_run_summary_ref (summary);
  values = self->values;
  g_mutex_unlock (&self->lock);
  return osiiso_run_summary_get_values (values, n_values);
}

/**
 * osiiso_task_group_wait_completed:
 * @self: a submitted #OsiisoTaskGroup
 * @n: which completion: 0 for the first task to finish, up to
 *   osiiso_task_group_get_size() - 1
 * @timeout: seconds to wait at most, or a negative number to wait without
 *   limit
 * @cancellable: (nullable): a #GCancellable to stop waiting
 * @error: return location for a #GError
 *
 * Waits until @n + 1 tasks have finished and returns the handle of the
 * (@n + 1)th to finish. Calling it for @n = 0, 1, … iterates the group in
 * completion order; tasks that had finished before come first, in the
 * order they finished. For one overall deadline, pass the time left each
 * time.
 *
 * Returns: (transfer none): the handle, or %NULL with
 *   %OSIISO_ERROR_TIMEOUT or %G_IO_ERROR_CANCELLED
 */
OsiisoTaskHandle *
osiiso_task_group_wait_completed (OsiisoTaskGroup  *self,
                                  guint             n,
                                  gdouble           timeout,
                                  GCancellable     *cancellable,
                                  GError          **error)
{
  g_autoptr(OsiisoQueue) queue = NULL;
  guint index;

  g_return_val_if_fail (OSIISO_IS_TASK_GROUP (self), NULL);
  g_return_val_if_fail (n < self->tasks->len, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!wait_finished (self, n + 1, timeout, cancellable, error))
    return NULL;
  queue = _osiiso_queue_link_dup_queue (self->link);
  if (queue != NULL)
    _osiiso_queue_lock (queue);
  index = self->order[n];
  if (queue != NULL)
    _osiiso_queue_unlock (queue);
  return _osiiso_task_group_ensure_handle (self, index);
}

/* ------------------------------------------------------------------------
 * Asynchronous waits
 * --------------------------------------------------------------------- */

/* Completes @wait (taken) with the summary or the handle it waited for. */
static gboolean
complete_wait (OsiisoTaskGroup *self,
               PendingWait     *wait)
{
  GCancellable *cancellable = g_task_get_cancellable (wait->task);

  if (cancellable != NULL && wait->cancelled_id != 0)
    g_cancellable_disconnect (cancellable, wait->cancelled_id);
  if (wait->all)
    g_task_return_pointer (wait->task, make_summary (self, GPOINTER_TO_SIZE (g_task_get_task_data (wait->task))),
                           (GDestroyNotify) osiiso_run_summary_unref);
  else
    {
      g_autoptr(OsiisoQueue) queue = _osiiso_queue_link_dup_queue (self->link);
      guint index;

      if (queue != NULL)
        _osiiso_queue_lock (queue);
      index = self->order[wait->needed - 1];
      if (queue != NULL)
        _osiiso_queue_unlock (queue);
      g_task_return_pointer (wait->task, g_object_ref (_osiiso_task_group_ensure_handle (self, index)),
                             g_object_unref);
    }
  g_object_unref (wait->task);
  g_free (wait);
  return TRUE;
}

/* Ends @wait as cancelled if it is still listed; @wait is not touched
 * otherwise (someone else ended it, and may have freed it). */
static void
end_cancelled_wait (OsiisoTaskGroup *self,
                    PendingWait     *wait)
{
  gboolean pending;

  g_mutex_lock (&self->lock);
  pending = g_list_find (self->waits, wait) != NULL;
  if (pending)
    self->waits = g_list_remove (self->waits, wait);
  g_mutex_unlock (&self->lock);

  if (!pending)
    return;   /* completed meanwhile */
  /* Returned from a source: disconnecting from inside the handler would
   * deadlock, and the callback is due on the task's context anyway. */
  g_task_return_error_if_cancelled (wait->task);
  g_object_unref (wait->task);
  g_free (wait);
}

static void
wait_cancelled_cb (GCancellable *cancellable,
                   PendingWait  *wait)
{
  /* A connected handler's wait is alive: whoever ends it disconnects
   * first, which waits for a running handler. */
  end_cancelled_wait (g_task_get_source_object (wait->task), wait);
}

static void
wait_async_internal (OsiisoTaskGroup     *self,
                     gboolean             all,
                     guint                needed,
                     gpointer             source_tag,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  PendingWait *wait = g_new0 (PendingWait, 1);
  gboolean ready;

  wait->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (wait->task, source_tag);
  g_task_set_task_data (wait->task, GSIZE_TO_POINTER ((gsize) g_get_monotonic_time ()), NULL);
  wait->all = all;
  wait->needed = needed;

  /* Connected before the wait is visible to anyone who could complete it
   * (and disconnect it), from another thread; a cancel that comes before
   * the wait is listed finds nothing, and is caught below. */
  if (cancellable != NULL)
    wait->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (wait_cancelled_cb), wait, NULL);

  g_mutex_lock (&self->lock);
  ready = self->n_delivered >= needed;
  if (!ready)
    self->waits = g_list_prepend (self->waits, wait);
  g_mutex_unlock (&self->lock);

  if (ready)
    complete_wait (self, wait);
  else if (g_cancellable_is_cancelled (cancellable))
    end_cancelled_wait (self, wait);   /* unless a handler did already */
}

/**
 * osiiso_task_group_wait_async:
 * @self: a #OsiisoTaskGroup
 * @cancellable: (nullable): a #GCancellable to stop waiting
 * @callback: (scope async): called when every task has finished
 * @user_data: data for @callback
 *
 * Waits, without blocking, until every task of the group has finished and
 * its completion has been delivered on the queue's main context; finish
 * with osiiso_task_group_wait_finish(). It may be called before the group
 * is submitted.
 */
void
osiiso_task_group_wait_async (OsiisoTaskGroup     *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (OSIISO_IS_TASK_GROUP (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  wait_async_internal (self, TRUE, self->tasks->len, osiiso_task_group_wait_async,
                       cancellable, callback, user_data);
}

/**
 * osiiso_task_group_wait_finish:
 * @self: a #OsiisoTaskGroup
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes osiiso_task_group_wait_async().
 *
 * Returns: (transfer full): the summary of the group's results in input
 *   order, or %NULL with %G_IO_ERROR_CANCELLED
 */
OsiisoRunSummary *
osiiso_task_group_wait_finish (OsiisoTaskGroup  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == osiiso_task_group_wait_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * osiiso_task_group_wait_completed_async:
 * @self: a #OsiisoTaskGroup
 * @n: which completion: 0 for the first task to finish, up to
 *   osiiso_task_group_get_size() - 1
 * @cancellable: (nullable): a #GCancellable to stop waiting
 * @callback: (scope async): called when @n + 1 tasks have finished
 * @user_data: data for @callback
 *
 * The asynchronous form of osiiso_task_group_wait_completed(); finish
 * with osiiso_task_group_wait_completed_finish().
 */
void
osiiso_task_group_wait_completed_async (OsiisoTaskGroup     *self,
                                        guint                n,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_return_if_fail (OSIISO_IS_TASK_GROUP (self));
  g_return_if_fail (n < self->tasks->len);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  wait_async_internal (self, FALSE, n + 1, osiiso_task_group_wait_completed_async,
                       cancellable, callback, user_data);
}

/**
 * osiiso_task_group_wait_completed_finish:
 * @self: a #OsiisoTaskGroup
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes osiiso_task_group_wait_completed_async().
 *
 * Returns: (transfer full): the handle of the (@n + 1)th task to finish,
 *   or %NULL with %G_IO_ERROR_CANCELLED
 */
OsiisoTaskHandle *
osiiso_task_group_wait_completed_finish (OsiisoTaskGroup  *self,
                                         GAsyncResult     *result,
                                         GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == osiiso_task_group_wait_completed_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------------
 * GListModel
 * --------------------------------------------------------------------- */

static GType
osiiso_task_group_get_item_type (GListModel *model)
{
  return OSIISO_TYPE_TASK_HANDLE;
}

static guint
osiiso_task_group_get_n_items (GListModel *model)
{
  OsiisoTaskGroup *self = OSIISO_TASK_GROUP (model);

  return g_atomic_int_get (&self->submitted) ? self->tasks->len : 0;
}

static gpointer
osiiso_task_group_get_item (GListModel *model,
                            guint       position)
{
  OsiisoTaskGroup *self = OSIISO_TASK_GROUP (model);

  if (!g_atomic_int_get (&self->submitted) || position >= self->tasks->len)
    return NULL;
  return g_object_ref (_osiiso_task_group_ensure_handle (self, position));
}

static void
osiiso_task_group_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = osiiso_task_group_get_item_type;
  iface->get_n_items = osiiso_task_group_get_n_items;
  iface->get_item = osiiso_task_group_get_item;
}

/* Called by osiiso_queue_submit_group() once the group is admitted, on
 * the submitting thread. */
void
_osiiso_task_group_emit_submitted (OsiisoTaskGroup *self)
{
  GList *done = NULL;

  /* Restored tasks count as delivered: waits they satisfy (all of a group
   * that was restored whole) will hear of no delivery, so end them now. */
  g_mutex_lock (&self->lock);
  for (GList *l = self->waits; l != NULL;)
    {
      GList *next = l->next;

      if (self->n_delivered >= ((PendingWait *) l->data)->needed)
        {
          self->waits = g_list_remove_link (self->waits, l);
          done = g_list_concat (done, l);
        }
      l = next;
    }
  g_mutex_unlock (&self->lock);
  for (GList *l = done; l != NULL; l = l->next)
    complete_wait (self, l->data);
  g_list_free (done);

  if (self->tasks->len > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, 0, self->tasks->len);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

/* ------------------------------------------------------------------------
 * GObject
 * --------------------------------------------------------------------- */

static void
osiiso_task_group_constructed (GObject *object)
{
  OsiisoTaskGroup *self = OSIISO_TASK_GROUP (object);

  G_OBJECT_CLASS (osiiso_task_group_parent_class)->constructed (object);

  if (self->id == NULL)
    {
      g_autofree char *id = g_strdup_printf ("group-%" G_GUINT64_FORMAT,
                                             __atomic_add_fetch (&last_group_number, 1, __ATOMIC_RELAXED));

      self->id = g_ref_string_new (id);
    }
}

static void
osiiso_task_group_finalize (GObject *object)
{
  OsiisoTaskGroup *self = OSIISO_TASK_GROUP (object);

  /* Pending async waits hold the group: there are none here. */
  g_assert (self->waits == NULL);
  if (self->handles != NULL)
    for (guint i = 0; i < self->tasks->len; i++)
      g_clear_object (&self->handles[i]);
  g_free (self->handles);
  g_ptr_array_unref (self->tasks);   /* unsubmitted tasks free their data */
  g_clear_pointer (&self->plain, _osiiso_batch_unref);
  g_clear_pointer (&self->block, _osiiso_task_block_release);
  g_clear_pointer (&self->order, g_free);
  g_clear_pointer (&self->link, _osiiso_queue_link_unref);
  g_clear_error (&self->invalid);
  g_clear_pointer (&self->values, osiiso_run_summary_unref);
  if (self->key_destroy != NULL)
    self->key_destroy (self->key_data);
  g_clear_object (&self->checkpoint);
  g_free (self->checkpoint_ns);
  g_strfreev (self->keys);
  g_ref_string_release (self->id);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (osiiso_task_group_parent_class)->finalize (object);
}

static void
osiiso_task_group_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  OsiisoTaskGroup *self = OSIISO_TASK_GROUP (object);

  switch (prop_id)
    {
    case PROP_ID:      g_value_set_string (value, self->id); break;
    case PROP_N_ITEMS: g_value_set_uint (value, osiiso_task_group_get_n_items (G_LIST_MODEL (self))); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
osiiso_task_group_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  OsiisoTaskGroup *self = OSIISO_TASK_GROUP (object);

  switch (prop_id)
    {
    case PROP_ID:
      if (g_value_get_string (value) != NULL)
        self->id = g_ref_string_new (g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
osiiso_task_group_class_init (OsiisoTaskGroupClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  _osiiso_i18n_init ();

  object_class->constructed = osiiso_task_group_constructed;
  object_class->finalize = osiiso_task_group_finalize;
  object_class->get_property = osiiso_task_group_get_property;
  object_class->set_property = osiiso_task_group_set_property;

  /**
   * OsiisoTaskGroup:id:
   *
   * The group's id, carried by every task of the group as its group id;
   * `group-N` when none is given.
   */
  properties[PROP_ID] =
    g_param_spec_string ("id", "Id", "The group's id", NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY
                         | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * OsiisoTaskGroup:n-items:
   *
   * The number of items of the group as a #GListModel: 0 until it is
   * submitted, then one per task.
   */
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", "Items", "The number of handles in the model", 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
osiiso_task_group_init (OsiisoTaskGroup *self)
{
  self->tasks = g_ptr_array_new_with_free_func ((GDestroyNotify) _osiiso_task_unref);
  g_mutex_init (&self->lock);
}
