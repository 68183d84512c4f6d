/* osiiso-async-queue.c: tasks as asynchronous operations on a main context
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "osiiso-queue-private.h"
#include "osiiso-i18n-private.h"

/**
 * SECTION:osiiso-async-queue
 * @Title: OsiisoAsyncQueue
 * @Short_description: Tasks as asynchronous operations
 *
 * An #OsiisoAsyncQueue runs each task as an asynchronous operation on the
 * queue's #GMainContext, in the manner of #GTask: the #OsiisoTaskFunc is
 * called on that context to start the operation and returns at once; the
 * operation completes later, from any thread, through its context with
 * osiiso_task_context_return_value() or osiiso_task_context_return_error().
 * It suits I/O-bound work with GIO's `_async` calls in GTK applications
 * and in PyGObject and GJS scripts, where no thread is needed at all.
 *
 * |[<!-- language="C" -->
 * static void
 * loaded_cb (GObject *file, GAsyncResult *result, gpointer data)
 * {
 *   OsiisoTaskContext *context = data;
 *   g_autoptr(GBytes) bytes = NULL;
 *   GError *error = NULL;
 *
 *   bytes = g_file_load_bytes_finish (G_FILE (file), result, NULL, &error);
 *   if (bytes == NULL)
 *     {
 *       osiiso_task_context_return_error (context, error);
 *       return;
 *     }
 *   g_auto(GValue) value = G_VALUE_INIT;
 *   g_value_init (&value, G_TYPE_BYTES);
 *   g_value_set_boxed (&value, bytes);
 *   osiiso_task_context_return_value (context, &value);
 * }
 *
 * static gboolean
 * load (OsiisoTaskContext *context, gpointer path, GError **error)
 * {
 *   g_autoptr(GFile) file = g_file_new_for_path (path);
 *
 *   g_file_load_bytes_async (file, osiiso_task_context_get_cancellable (context),
 *                            loaded_cb, context);
 *   return TRUE;
 * }
 * ]|
 *
 * #OsiisoQueue:workers bounds the operations in flight. Each attempt has
 * its own #GCancellable. A per-attempt timeout or a cancel cancels it and
 * ends the attempt at once, even if the operation never completes; a
 * completion that arrives later is dropped (with a debug message). The
 * operation must still complete its context eventually (typically with
 * osiiso_task_context_return_error_if_cancelled() once it sees the
 * cancellation): until then the context and a reference on the queue stay
 * alive.
 *
 * The first completion of an attempt wins: a start function that completes
 * its attempt and then returns %FALSE (or, in Python, raises) does not
 * change the outcome. Every
 * other policy (ordering, retries, rate limits, fail-first, must-complete,
 * run timeouts, shutdown, the exit policy) is the queue's, exactly as on
 * the other backends.
 *
 * No thread is ever created by an async queue. Tasks may be submitted from
 * any thread; they start on the queue's context, and admission errors
 * (%OSIISO_ERROR_CLOSED, %OSIISO_ERROR_FULL) are returned to the
 * submitting thread at once. An async queue never blocks a submitter:
 * osiiso_queue_submit_wait() on a full async queue waits only if some
 * other thread runs the queue's context.
 */

/**
 * OsiisoAsyncQueue:
 *
 * A queue whose tasks are asynchronous operations on its main context.
 * All its fields are private.
 */
struct _OsiisoAsyncQueue
{
  OsiisoQueue parent_instance;

  gboolean    pump_wanted;   /* (queue lock) */
};

G_DEFINE_FINAL_TYPE (OsiisoAsyncQueue, osiiso_async_queue, OSIISO_TYPE_QUEUE)

static guint
async_default_workers (void)
{
  return MAX (4, MIN (32, 4 * g_get_num_processors ()));
}

/* Attempts start on the owner context only: ask for a dispatch. */
static void
async_kick (OsiisoQueue *queue)
{
  OsiisoAsyncQueue *self = OSIISO_ASYNC_QUEUE (queue);

  if (!self->pump_wanted)
    {
      self->pump_wanted = TRUE;
      _osiiso_queue_wake_locked (queue);
    }
}

/* Called on the owner context: starts every attempt that may start. An
 * operation that completes synchronously frees its slot at once, so the
 * loop goes on until the queue is empty or every slot is in flight. */
static void
async_dispatch (OsiisoQueue *queue)
{
  OsiisoAsyncQueue *self = OSIISO_ASYNC_QUEUE (queue);
  OsiisoTaskContext *context;
  GMainContext *context_pushed;

  _osiiso_queue_lock (queue);
  if (!self->pump_wanted)
    {
      _osiiso_queue_unlock (queue);
      return;
    }
  self->pump_wanted = FALSE;

  /* Task functions run with the queue's context as thread-default, so the
   * GIO calls they start complete there even when the caller iterates the
   * context without pushing it. */
  context_pushed = osiiso_queue_get_main_context (queue);
  _osiiso_queue_unlock (queue);
  g_main_context_push_thread_default (context_pushed);
  _osiiso_queue_lock (queue);

  while ((context = _osiiso_queue_take_next_locked (queue)) != NULL)
    {
      OsiisoTask *task = context->task;
      GError *error = NULL;

      /* take_next() gave us a reference: it becomes the operation's,
       * given back by the completion together with the queue's. A second
       * one keeps the context alive for the call itself, since the
       * function may complete the attempt before it returns. */
      context->queue = g_object_ref (queue);
      osiiso_task_context_ref (context);
      _osiiso_queue_unlock (queue);

      if (!task->func (context, task->user_data, &error))
        {
          if (g_atomic_pointer_get (&context->queue) != NULL)
            {
              if (error == NULL)
                {
                  g_autofree char *name = _osiiso_task_dup_name (task);

                  error = g_error_new (OSIISO_ERROR, OSIISO_ERROR_FAILED,
                                       _("task “%s” could not start and gave no error"), name);
                }
              osiiso_task_context_return_error (context, error);
            }
          else
            g_clear_error (&error);   /* completed already: the first outcome wins */
        }
      osiiso_task_context_unref (context);

      _osiiso_queue_lock (queue);
    }

  _osiiso_queue_unlock (queue);
  g_main_context_pop_thread_default (context_pushed);
}

static const OsiisoBackend async_backend = {
  .default_workers = async_default_workers,
  .kick = async_kick,
  .dispatch = async_dispatch,
};

static void
osiiso_async_queue_class_init (OsiisoAsyncQueueClass *klass)
{
  _osiiso_i18n_init ();
}

static void
osiiso_async_queue_init (OsiisoAsyncQueue *self)
{
  _osiiso_queue_set_backend (OSIISO_QUEUE (self), &async_backend);
}

/**
 * osiiso_async_queue_new:
 * @workers: how many operations may be in flight at once, or 0 for
 *   max(4, min(32, 4 × CPUs))
 *
 * Creates an async queue with default settings. Use g_object_new() to set
 * others. The queue starts its operations and emits its signals on the
 * thread-default main context of the calling thread.
 *
 * Returns: (transfer full): a new #OsiisoAsyncQueue
 */
OsiisoAsyncQueue *
osiiso_async_queue_new (guint workers)
{
  return g_object_new (OSIISO_TYPE_ASYNC_QUEUE, "workers", workers, NULL);
}
