/* osiiso-thread-queue.c: tasks as blocking functions on worker threads
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "osiiso-queue-private.h"
#include "osiiso-i18n-private.h"

/**
 * SECTION:osiiso-thread-queue
 * @Title: OsiisoThreadQueue
 * @Short_description: Tasks on worker threads
 *
 * An #OsiisoThreadQueue runs each task as a blocking #OsiisoTaskFunc on a
 * worker thread of the queue's own #GThreadPool: blocking I/O, synchronous
 * SDKs, SQLite writes, filesystem walks, CPU work in C. Python functions
 * work too (PyGObject takes the GIL on the worker thread); JavaScript
 * cannot run off its main thread, so GJS code uses the other backends.
 *
 * The pool is created when the first task needs it. A worker that
 * finishes an attempt takes the next eligible task itself, in priority
 * order, for as long as there is one; threads sleep only when nothing is
 * ready, so a busy queue hands over no task from thread to thread.
 *
 * An optional initializer (osiiso_thread_queue_set_initializer()) runs
 * once in each worker thread, in that thread, before it runs its first
 * task of the queue.
 *
 * ## Timeouts and cancellation
 *
 * A C function cannot be pre-empted. When an attempt times out or its
 * task is cancelled, the attempt ends in the queue at once: its
 * #GCancellable is cancelled, its outcome is recorded (a timeout may be
 * retried), and the next task may start. The thread stays busy until the
 * function returns, and whatever it returns is dropped. So that `workers`
 * attempts can still run, the pool grows by one thread for each such
 * stuck attempt, up to `workers` extra threads; beyond that, new attempts
 * wait for stuck functions to return. A retry may start while the
 * abandoned attempt still runs. osiiso_queue_shutdown() waits
 * #OsiisoQueue:shutdown-grace seconds for stuck functions, then reports
 * them with a log message and detaches; a stuck thread keeps a reference
 * on the queue until its function returns. Finalizing a queue never
 * blocks.
 */

/**
 * OsiisoThreadQueue:
 *
 * A queue that runs tasks on worker threads. All its fields are private.
 */

struct _OsiisoThreadQueue
{
  OsiisoQueue           parent_instance;

  /* Guarded by the queue's lock. */
  GThreadPool          *pool;
  guint                 serial;       /* identifies the queue to its threads' initializer records */
  guint                 n_pulling;    /* runners pushed to the pool that have not pulled yet */
  guint                 n_stuck;      /* threads inside abandoned attempts */
  guint                 max_threads;

  OsiisoThreadInitFunc  init_func;
  gpointer              init_data;
  GDestroyNotify        init_destroy;
};

G_DEFINE_FINAL_TYPE (OsiisoThreadQueue, osiiso_thread_queue, OSIISO_TYPE_QUEUE)

/* Per thread: the serials of the queues whose initializer ran in it. The
 * pool's threads are GLib's shared ones, so one thread may serve several
 * queues over its life. */
static GPrivate initialized_for = G_PRIVATE_INIT ((GDestroyNotify) g_array_unref);
/* Per thread: the pool whose runner this thread is executing. */
static GPrivate serving_pool;
static guint last_serial;

static void
run_initializer_once (OsiisoThreadQueue *self)
{
  GArray *serials;

  if (self->init_func == NULL)
    return;

  serials = g_private_get (&initialized_for);
  if (serials == NULL)
    {
      serials = g_array_new (FALSE, FALSE, sizeof (guint));
      g_private_set (&initialized_for, serials);
    }
  for (guint i = 0; i < serials->len; i++)
    if (g_array_index (serials, guint, i) == self->serial)
      return;

  g_array_append_val (serials, self->serial);
  self->init_func (self, self->init_data);
}

static void
update_max_threads_locked (OsiisoThreadQueue *self)
{
  guint workers = _osiiso_queue_workers_locked (OSIISO_QUEUE (self));
  guint max = workers + MIN (self->n_stuck, workers);

  if (self->pool != NULL && max != self->max_threads)
    {
      self->max_threads = max;
      g_thread_pool_set_max_threads (self->pool, (gint) max, NULL);
    }
}

/* One runner: pulls attempts until nothing may start, then returns its
 * thread to the pool. It holds a reference on the queue while it runs. */
static void
runner (gpointer token,
        gpointer data)
{
  OsiisoThreadQueue *self = data;
  OsiisoQueue *queue = OSIISO_QUEUE (self);
  OsiisoTaskContext *context, *finished = NULL, *blank = NULL;

  g_private_set (&serving_pool, self->pool);
  run_initializer_once (self);

  _osiiso_queue_lock (queue);
  self->n_pulling--;

  while ((context = _osiiso_queue_take_next_into_locked (queue, &blank)) != NULL)
    {
      OsiisoTask *task = context->task;
      GError *error = NULL;
      gboolean ok;

      _osiiso_queue_unlock (queue);

      /* Dropping a context may free the task's data (when an abandoned
       * attempt outlived its task), which runs user code: never under the
       * lock. Its memory serves the next attempt unless someone kept it
       * (take_next has just used the last blank, so there is none). */
      if (finished != NULL)
        blank = _osiiso_task_context_recycle (g_steal_pointer (&finished));

      ok = task->func (context, task->user_data, &error);
      if (!ok && error == NULL)
        g_debug ("Task %" G_GUINT64_FORMAT " returned FALSE without an error", task->id);
      _osiiso_queue_lock (queue);
      /* This task's end and the next one's start: read once the lock is
       * held, so that it is not older than what other holders used. */
      _osiiso_queue_set_time_hint_locked (queue, g_get_monotonic_time ());

      if (context->abandoned)
        {
          self->n_stuck--;
          update_max_threads_locked (self);
          _osiiso_queue_wake_locked (queue);   /* shutdown may be waiting */
        }
      _osiiso_queue_attempt_done_locked (queue, context, ok, error);
      finished = context;
    }

  _osiiso_queue_unlock (queue);
  g_clear_pointer (&finished, osiiso_task_context_unref);
  g_free (blank);
  g_object_unref (self);   /* may be the last reference: see finalize */
  g_private_set (&serving_pool, NULL);
}

static guint
thread_default_workers (void)
{
  return MAX (4, MIN (32, 4 * g_get_num_processors ()));
}

/* Makes sure enough runners are on their way to start what may start. */
static void
thread_kick (OsiisoQueue *queue)
{
  OsiisoThreadQueue *self = OSIISO_THREAD_QUEUE (queue);
  guint startable = _osiiso_queue_startable_locked (queue);

  if (self->pool == NULL)
    {
      self->max_threads = _osiiso_queue_workers_locked (queue);
      self->pool = g_thread_pool_new (runner, self, (gint) self->max_threads, FALSE, NULL);
      update_max_threads_locked (self);
    }

  while (self->n_pulling < startable)
    {
      self->n_pulling++;
      g_object_ref (self);
      g_thread_pool_push (self->pool, GINT_TO_POINTER (1), NULL);
    }
}

static void
thread_interrupt (OsiisoQueue       *queue,
                  OsiisoTaskContext *context)
{
  OsiisoThreadQueue *self = OSIISO_THREAD_QUEUE (queue);

  /* The function keeps its thread until it returns; let the pool add one
   * so the queue keeps its full number of workers. */
  self->n_stuck++;
  update_max_threads_locked (self);
}

static guint
thread_count_stuck (OsiisoQueue *queue)
{
  return OSIISO_THREAD_QUEUE (queue)->n_stuck;
}

static const OsiisoBackend thread_backend = {
  .default_workers = thread_default_workers,
  .kick = thread_kick,
  .interrupt = thread_interrupt,
  .count_stuck = thread_count_stuck,
};

static gpointer
free_pool_thread (gpointer pool)
{
  g_thread_pool_free (pool, TRUE, TRUE);
  return NULL;
}

static void
osiiso_thread_queue_finalize (GObject *object)
{
  OsiisoThreadQueue *self = (OsiisoThreadQueue *) object;

  /* Every runner holds a reference, so no runner is left but, perhaps, the
   * one whose unref got us here. A pool must not be freed from one of its
   * own threads (the thread still uses it on its way out), so in that case
   * a short-lived thread frees it once this one has left. */
  if (self->pool != NULL && g_private_get (&serving_pool) == self->pool)
    g_thread_unref (g_thread_new ("osiiso-pool-free", free_pool_thread, self->pool));
  else if (self->pool != NULL)
    g_thread_pool_free (self->pool, TRUE, FALSE);
  if (self->init_destroy != NULL)
    self->init_destroy (self->init_data);

  G_OBJECT_CLASS (osiiso_thread_queue_parent_class)->finalize (object);
}

static void
osiiso_thread_queue_class_init (OsiisoThreadQueueClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  _osiiso_i18n_init ();

  object_class->finalize = osiiso_thread_queue_finalize;
}

static void
osiiso_thread_queue_init (OsiisoThreadQueue *self)
{
  self->serial = g_atomic_int_add (&last_serial, 1) + 1;
  _osiiso_queue_set_backend (OSIISO_QUEUE (self), &thread_backend);
}

/**
 * osiiso_thread_queue_new:
 * @workers: how many tasks may run at once, or 0 for max(4, min(32, 4 ×
 *   CPUs))
 *
 * Creates a thread queue with default settings. Use g_object_new() to set
 * others (size, mode, fail-policy, on-exit, rate, burst, timeout …). The
 * queue emits its signals on the thread-default main context of the
 * calling thread.
 *
 * Returns: (transfer full): a new #OsiisoThreadQueue
 */
OsiisoThreadQueue *
osiiso_thread_queue_new (guint workers)
{
  return g_object_new (OSIISO_TYPE_THREAD_QUEUE, "workers", workers, NULL);
}

/**
 * osiiso_thread_queue_set_initializer:
 * @self: a #OsiisoThreadQueue
 * @func: (scope notified) (closure user_data) (destroy destroy) (nullable):
 *   the initializer, or %NULL for none
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when the queue is finalized
 *
 * Sets a function that runs once in each worker thread, in that thread,
 * before the thread runs its first task of this queue. Set it before the
 * first task runs.
 */
void
osiiso_thread_queue_set_initializer (OsiisoThreadQueue    *self,
                                     OsiisoThreadInitFunc  func,
                                     gpointer              user_data,
                                     GDestroyNotify        destroy)
{
  OsiisoThreadInitFunc old_func;
  gpointer old_data;
  GDestroyNotify old_destroy;

  g_return_if_fail (OSIISO_IS_THREAD_QUEUE (self));

  _osiiso_queue_lock (OSIISO_QUEUE (self));
  g_warn_if_fail (self->pool == NULL);
  old_func = self->init_func;
  old_data = self->init_data;
  old_destroy = self->init_destroy;
  self->init_func = func;
  self->init_data = user_data;
  self->init_destroy = destroy;
  _osiiso_queue_unlock (OSIISO_QUEUE (self));

  if (old_func != NULL && old_destroy != NULL)
    old_destroy (old_data);
}

/**
 * osiiso_thread_queue_get_stuck_threads:
 * @self: a #OsiisoThreadQueue
 *
 * Gets how many worker threads are still inside task functions whose
 * attempts already ended (timed out or cancelled functions that ignored
 * their cancellable).
 *
 * Returns: the number of stuck threads
 */
guint
osiiso_thread_queue_get_stuck_threads (OsiisoThreadQueue *self)
{
  guint n;

  g_return_val_if_fail (OSIISO_IS_THREAD_QUEUE (self), 0);

  _osiiso_queue_lock (OSIISO_QUEUE (self));
  n = self->n_stuck;
  _osiiso_queue_unlock (OSIISO_QUEUE (self));
  return n;
}
