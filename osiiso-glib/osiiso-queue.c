/* osiiso-queue.c: the policy engine shared by every backend
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "osiiso-queue-private.h"
#include "osiiso-task-group-private.h"
#include "osiiso-task-options-private.h"
#include "osiiso-ready-queue-private.h"
#include "osiiso-i18n-private.h"

#include <math.h>

/**
 * SECTION:osiiso-queue
 * @Title: OsiisoQueue
 * @Short_description: The structured task queue
 *
 * #OsiisoQueue is the abstract base of every queue. It holds all the
 * policy: priority ordering with FIFO among equals, retries with delay and
 * backoff, per-attempt and per-run timeouts, delayed starts, rate limits,
 * the size bound, fail-first, must-complete protection, graceful and
 * forced shutdown, summaries and signals. A backend (#OsiisoThreadQueue,
 * #OsiisoAsyncQueue) only starts attempts, interrupts them and reports
 * their outcome.
 *
 * ## Lifecycle
 *
 * A queue is created, optionally started with osiiso_queue_start(), given
 * tasks with osiiso_queue_submit(), and driven by osiiso_queue_run() (or
 * osiiso_queue_run_async()), which returns an #OsiisoRunSummary. The queue
 * stays usable after a run; run it again, or osiiso_queue_reset() it, and
 * finally osiiso_queue_shutdown() it. A started queue runs submitted tasks
 * at once, before and between runs; a run waits and summarizes.
 *
 * - In %OSIISO_QUEUE_MODE_FINITE a run returns when nothing is
 *   outstanding; in %OSIISO_QUEUE_MODE_INFINITE it serves until the queue
 *   is shut down or the run times out.
 * - A run timeout, a forced shutdown (osiiso_queue_shutdown() with @force,
 *   or osiiso_queue_cancel() from any thread) and cancelling a run's
 *   cancellable apply the exit policy (#OsiisoQueue:on-exit): with
 *   %OSIISO_EXIT_POLICY_COMPLETE_PRIORITY ordinary work is cancelled and
 *   must-complete tasks finish; with %OSIISO_EXIT_POLICY_CANCEL everything
 *   is cancelled. Either way the queue ends closed; osiiso_queue_reset()
 *   reopens it. #OsiisoQueue:exit-timeout can bound how long the exit waits
 *   for must-complete work.
 * - A graceful shutdown drains everything outstanding, delayed tasks
 *   included, then closes the queue.
 * - With %OSIISO_FAIL_POLICY_FAIL_FIRST, the first final failure cancels
 *   all remaining eligible work except must-complete tasks; new
 *   submissions are refused until the run ends.
 *
 * A run's summary holds exactly the tasks that finished during that run or
 * had finished, unreported, since the previous one: a task that finishes
 * on a started queue before osiiso_queue_run() is called appears in that
 * run's summary, once.
 *
 * ## Main context and threads
 *
 * A queue captures the thread-default #GMainContext when it is
 * constructed. Every signal, property notification and completion
 * callback is emitted there, never on a worker thread, in a fixed order
 * per task: #OsiisoQueue::task-started (each attempt), then
 * #OsiisoQueue::task-retrying (before a retry), then
 * #OsiisoQueue::task-completed (once). Completions are delivered in
 * batches: one wake-up of the context delivers all that finished since the
 * last one. Time-based policy (delays, retry delays, attempt timeouts, rate
 * limits, run timeouts) is driven by the same context; the blocking calls
 * osiiso_queue_run(), osiiso_queue_join() and osiiso_queue_shutdown()
 * iterate it themselves and must be called on the thread that owns it.
 *
 * The state itself is immediate and thread-safe: a task's status and
 * result are visible on its handle, and wake threads blocked in
 * osiiso_task_handle_wait(), the moment the task ends.
 */

/**
 * OsiisoQueue:
 *
 * The abstract structured task queue. All its fields are private.
 */

typedef enum {
  STATE_IDLE,       /* created or reset: tasks wait for start() or run() */
  STATE_STARTED,    /* tasks run as they become eligible */
  STATE_DRAINING,   /* graceful shutdown: no submissions, everything runs */
  STATE_CLOSING,    /* exit policy applied: only protected work remains */
  STATE_CLOSED,
} QueueState;

typedef enum {
  EVENT_STARTED,
  EVENT_RETRYING,
  EVENT_COMPLETED,
} EventKind;

typedef struct
{
  EventKind   kind;
  OsiisoTask *task;
  GError     *error;   /* EVENT_RETRYING: the failed attempt's error */
} Event;

/* Events waiting for the owner context. Not a GArray: a worker appends
 * two or three per task under the queue's lock, and an inline append is a
 * tenth of g_array_append_val()'s cost. */
typedef struct
{
  Event *items;
  guint  len;
  guint  size;
} EventList;

typedef struct
{
  GTask    *task;
  gint64    started;
  gboolean  timed_out;
  gboolean  strict;
  GSource  *timeout_source;
  gulong    cancelled_id;
} Run;

/* The queue's source on its owner context. Its ready time is its own
 * (not g_source_set_ready_time(), which writes the context's wake-up
 * descriptor at every change, even from the thread that is iterating
 * it): prepare() and check() read it. The context is woken up only when
 * it may be asleep in poll() with a later time in mind: between a
 * prepare() that found nothing due and the check() after the poll. A
 * worker that completes tasks while the owner delivers the last batch
 * does not wake it, since the owner's next prepare() sees the new time. */
typedef struct
{
  GSource  source;
  GWeakRef queue;
  GMutex   lock;     /* guards ready and polling: arm_locked() runs in any thread */
  gint64   ready;    /* dispatch at this monotonic time (µs), or -1 */
  gboolean polling;  /* prepare() found it not due: the owner may poll */
} QueueSource;

struct _OsiisoQueueLink
{
  gint     ref_count;
  GWeakRef queue;
};

typedef struct
{
  /* The queue's fields in three parts: what only the owner context
   * writes (once per delivered event), the settings, which nobody writes
   * once the queue runs, and what the lock guards (written by workers once
   * per task). The settings keep the first part and the last at least a
   * cache line apart, wherever the private data starts: a worker reading
   * @to_cancel on the line the owner wrote @delivery_pos to was a miss per
   * task for two of the four alignments a GObject's private data can have. */
  /* Owner context only. */
  GPtrArray           *history;       /* every OsiisoTaskResult since reset/clear */
  EventList            delivery;      /* the events being delivered */
  guint                delivery_pos;  /* the next of them */
  guint                delivering;    /* deliver_events() calls running (nested main loops) */
  GPtrArray           *unreported;    /* results for the next run summary */
  guint                unreported_counts[OSIISO_TASK_STATUS_CANCELLED + 1];   /* of them, by status */
  Run                 *run;
  GSList              *joins;         /* GTasks waiting until nothing is outstanding */
  GSList              *shutdowns;     /* GTasks waiting until closed */
  GSource             *grace_timer;
  gboolean             grace_expired;
  guint                notified[4];
  gboolean             notified_closed;

  const OsiisoBackend *backend;
  GMainContext        *context;
  GThread             *owner_thread;  /* the constructing thread */
  GSource             *source;
  OsiisoQueueLink     *link;          /* shared by the handles */

  /* Settings (construct-only). */
  guint                workers;
  guint                size;
  gdouble              timeout;
  OsiisoQueueMode      mode;
  OsiisoFailPolicy     fail_policy;
  OsiisoExitPolicy     on_exit;
  gdouble              rate;
  guint                burst;
  gdouble              exit_timeout;
  gdouble              shutdown_grace;

  /* Everything below is guarded by @lock. */
  GMutex               lock;
  GCond                cond;          /* a task finished or space freed */
  guint                n_waiters;     /* threads waiting on @cond */
  QueueState           state;
  gboolean             halted;        /* fail-first tripped: refuse new work */
  gboolean             run_overrides_policy;
  OsiisoFailPolicy     run_fail_policy;
  guint                effective_workers;
  guint64              next_seq;
  OsiisoReadyQueue     ready;         /* eligible tasks by (priority, seq) */
  OsiisoHeap           timers;        /* waiting tasks and attempt deadlines by (due, seq) */
  OsiisoTask          *running;       /* list of running attempts */
  guint                n_status[OSIISO_TASK_STATUS_CANCELLED + 1];
  gint64               rate_tat;      /* GCRA theoretical arrival time */
  gint64               rate_wake;     /* when a rate-blocked start may proceed, or 0 */
  gint64               armed;         /* ready time set on @source, or -1 */
  gint64               dispatched;    /* when the owner last dispatched (monotonic µs) */
  gint64               time_hint;     /* "now" for the rest of this lock hold, or 0 */
  GThread             *dispatcher;    /* the thread that did */
  EventList            events;        /* delivered in order on the owner context */
  EventList            spare_events;  /* the list of the last batch, emptied, or none */
  GPtrArray           *to_cancel;     /* cancellables to cancel once unlocked */
  GSource             *exit_timer;
} OsiisoQueuePrivate;

G_STATIC_ASSERT (G_STRUCT_OFFSET (OsiisoQueuePrivate, lock)
                 >= G_STRUCT_OFFSET (OsiisoQueuePrivate, notified_closed) + sizeof (gboolean) + 64);

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (OsiisoQueue, osiiso_queue, G_TYPE_OBJECT)

#define PRIV(self) ((OsiisoQueuePrivate *) osiiso_queue_get_instance_private (self))

enum {
  PROP_0,
  PROP_WORKERS,
  PROP_SIZE,
  PROP_TIMEOUT,
  PROP_MODE,
  PROP_FAIL_POLICY,
  PROP_ON_EXIT,
  PROP_RATE,
  PROP_BURST,
  PROP_EXIT_TIMEOUT,
  PROP_SHUTDOWN_GRACE,
  PROP_MAIN_CONTEXT,
  PROP_PENDING,
  PROP_ACTIVE,
  PROP_SCHEDULED,
  PROP_COMPLETED,
  PROP_CLOSED,
  N_PROPS
};

enum {
  TASK_STARTED,
  TASK_COMPLETED,
  TASK_RETRYING,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void check_waiters (OsiisoQueue *self);

/* ------------------------------------------------------------------------
 * Small helpers (lock held)
 * --------------------------------------------------------------------- */

/* The two heaps: ready tasks by (priority, seq), so lower priorities run
 * first and equal ones in submission order; waiting tasks and running
 * attempts' deadlines by (due, seq). */
static inline void
push_ready_locked (OsiisoQueuePrivate *priv,
                   OsiisoTask         *task)
{
  _osiiso_ready_queue_push (&priv->ready, task);
}

static inline void
push_timer_locked (OsiisoQueuePrivate *priv,
                   OsiisoTask         *task)
{
  task->in_timer = TRUE;
  _osiiso_heap_push (&priv->timers, task, task->due, task->seq);
}

static inline gint64
seconds_to_usec (gdouble seconds)
{
  return (gint64) (seconds * G_USEC_PER_SEC);
}

static void
set_status_locked (OsiisoQueuePrivate *priv,
                   OsiisoTask         *task,
                   OsiisoTaskStatus    status)
{
  priv->n_status[task->status]--;
  priv->n_status[status]++;
  g_atomic_int_set (&task->status, status);
}

static guint
outstanding_locked (OsiisoQueuePrivate *priv)
{
  return priv->n_status[OSIISO_TASK_STATUS_PENDING]
       + priv->n_status[OSIISO_TASK_STATUS_SCHEDULED]
       + priv->n_status[OSIISO_TASK_STATUS_RUNNING]
       + priv->n_status[OSIISO_TASK_STATUS_RETRYING];
}

/* Make the owner context dispatch the queue's source at @when (monotonic
 * µs; 0 = now). Only an earlier time touches the source, so a burst of
 * completions costs one wake-up. */
static void
arm_locked (OsiisoQueuePrivate *priv,
            gint64              when)
{
  QueueSource *source = (QueueSource *) priv->source;
  gboolean polling;

  /* After dispose nothing is delivered any more: a late outcome (a command
   * that ends while its queue goes) has no source to wake. */
  if (source == NULL)
    return;
  if (priv->armed >= 0 && priv->armed <= when)
    return;
  priv->armed = when;
  g_mutex_lock (&source->lock);
  source->ready = when;
  polling = source->polling;
  g_mutex_unlock (&source->lock);
  /* A thread that owns the context is not polling it: prepare() sees the
   * new time before the next poll. */
  if (polling && !g_main_context_is_owner (priv->context))
    g_main_context_wakeup (priv->context);
}

/* Lock held: nothing is due until arm_locked() says so. */
static void
disarm_locked (OsiisoQueuePrivate *priv)
{
  QueueSource *source = (QueueSource *) priv->source;

  priv->armed = -1;
  if (source == NULL)
    return;
  g_mutex_lock (&source->lock);
  source->ready = -1;
  g_mutex_unlock (&source->lock);
}

/* The time for the policies, within one hold of the lock. A thread queue's
 * worker reads the clock once per task, when its task returns, and that
 * time serves as the task's finish and the next one's start: two reads of
 * the clock per task cost a worker a tenth of its time (in a VM). */
static inline gint64
now_locked (OsiisoQueuePrivate *priv)
{
  return priv->time_hint != 0 ? priv->time_hint : g_get_monotonic_time ();
}

void
_osiiso_queue_set_time_hint_locked (OsiisoQueue *self,
                                    gint64       now)
{
  PRIV (self)->time_hint = now;
}

/* Delivery policy: when the owner context should deliver an event that
 * was just queued. Events from the owner's own thread are delivered in
 * its next iteration. Events from worker threads are delivered at once
 * after a quiet spell, but a busy stream of them is delivered in batches,
 * at most one every EVENT_BATCH_USEC (half a millisecond, far below a
 * frame of a GTK application): without that the owner wakes for
 * every few tasks, and its dispatches contend with the workers for the
 * queue's lock and cache lines (on two cores, a third of a worker's time
 * for tasks that do nothing). */
#define EVENT_BATCH_USEC 500

static gint64
delivery_time_locked (OsiisoQueuePrivate *priv)
{
  gint64 now;

  if (g_thread_self () == priv->dispatcher)
    return 0;
  now = now_locked (priv);
  if (now - priv->dispatched < EVENT_BATCH_USEC)
    return priv->dispatched + EVENT_BATCH_USEC;
  return 0;
}

static void
push_event_locked (OsiisoQueuePrivate *priv,
                   EventKind           kind,
                   OsiisoTask         *task,
                   GError             *error)
{
  EventList *events = &priv->events;

  if (G_UNLIKELY (events->len == events->size))
    {
      events->size = MAX (64, events->size * 2);
      events->items = g_renew (Event, events->items, events->size);
    }
  events->items[events->len++] = (Event) { kind, task, error };
  if (events->len == 1)
    arm_locked (priv, delivery_time_locked (priv));
}

static OsiisoFailPolicy
fail_policy_locked (OsiisoQueuePrivate *priv)
{
  return priv->run_overrides_policy ? priv->run_fail_policy : priv->fail_policy;
}

static gboolean
dispatch_allowed_locked (OsiisoQueuePrivate *priv)
{
  return priv->state == STATE_STARTED
      || priv->state == STATE_DRAINING
      || priv->state == STATE_CLOSING;
}

static gboolean
accepting_locked (OsiisoQueuePrivate *priv)
{
  return (priv->state == STATE_IDLE || priv->state == STATE_STARTED) && !priv->halted;
}

/* How many attempts could start now, rate limit aside. */
guint
_osiiso_queue_startable_locked (OsiisoQueue *self)
{
  OsiisoQueuePrivate *priv = PRIV (self);
  guint running = priv->n_status[OSIISO_TASK_STATUS_RUNNING];

  if (!dispatch_allowed_locked (priv) || running >= priv->effective_workers)
    return 0;
  return MIN (priv->ready.len, priv->effective_workers - running);
}

guint
_osiiso_queue_workers_locked (OsiisoQueue *self)
{
  return PRIV (self)->effective_workers;
}

static void
maybe_kick_locked (OsiisoQueue *self)
{
  if (_osiiso_queue_startable_locked (self) > 0)
    PRIV (self)->backend->kick (self);
}

void
_osiiso_queue_kick_locked (OsiisoQueue *self)
{
  maybe_kick_locked (self);
}

void
_osiiso_queue_wake_locked (OsiisoQueue *self)
{
  arm_locked (PRIV (self), 0);
}

/* The queue's critical sections are short (a heap step, a counter, an
 * event appended), but a worker enters one for every task while the owner
 * context takes batches out. A GMutex that is taken sleeps in the kernel
 * at once, and its holder then pays a futex wake on unlock: with a worker
 * and the owner on two cores that was one system call every other task.
 * So a locker first retries for about as long as a critical section lasts,
 * and only then sleeps. */
static inline void
lock_queue (OsiisoQueuePrivate *priv)
{
  for (guint spins = 0; spins < 100; spins++)
    {
      if (g_mutex_trylock (&priv->lock))
        return;
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause ();
#elif defined(__aarch64__)
      __asm__ __volatile__ ("yield");
#endif
    }
  g_mutex_lock (&priv->lock);
}

void
_osiiso_queue_lock (OsiisoQueue *self)
{
  lock_queue (PRIV (self));
}

void
_osiiso_queue_unlock (OsiisoQueue *self)
{
  OsiisoQueuePrivate *priv = PRIV (self);
  GPtrArray *to_cancel = NULL;

  if (priv->to_cancel->len > 0)
    {
      to_cancel = priv->to_cancel;
      priv->to_cancel = g_ptr_array_new_with_free_func (g_object_unref);
    }
  priv->time_hint = 0;
  g_mutex_unlock (&priv->lock);

  if (to_cancel != NULL)
    {
      for (guint i = 0; i < to_cancel->len; i++)
        g_cancellable_cancel (g_ptr_array_index (to_cancel, i));
      g_ptr_array_unref (to_cancel);
    }
}

void
_osiiso_queue_set_backend (OsiisoQueue         *self,
                           const OsiisoBackend *backend)
{
  PRIV (self)->backend = backend;
}

/* ------------------------------------------------------------------------
 * Rate limit: GCRA (virtual scheduling), booked per attempt at its start
 * --------------------------------------------------------------------- */

static gboolean
rate_reserve_locked (OsiisoQueuePrivate *priv,
                     gint64              now)
{
  gint64 interval = seconds_to_usec (1.0 / priv->rate);
  gint64 tau = (gint64) (priv->burst - 1) * interval;
  gint64 t = MAX (priv->rate_tat, now);

  if (t - tau > now)
    {
      /* Leave the task in the ready heap, so priority still decides which
       * task gets the next slot, and come back when it opens. */
      priv->rate_wake = t - tau;
      arm_locked (priv, priv->rate_wake);
      return FALSE;
    }

  priv->rate_tat = t + interval;
  return TRUE;
}

/* ------------------------------------------------------------------------
 * Ending attempts and tasks: the one place each happens
 * --------------------------------------------------------------------- */

static void
running_unlink_locked (OsiisoQueuePrivate *priv,
                       OsiisoTask         *task)
{
  if (task->run_prev != NULL)
    task->run_prev->run_next = task->run_next;
  else
    priv->running = task->run_next;
  if (task->run_next != NULL)
    task->run_next->run_prev = task->run_prev;
  task->run_prev = task->run_next = NULL;
  task->in_running = FALSE;
}

/* Takes a task out of whichever of the two queues it is in. */
static void
heap_unlink_locked (OsiisoQueuePrivate *priv,
                    OsiisoTask         *task)
{
  if (task->in_ready)
    _osiiso_ready_queue_remove (&priv->ready, task);
  else if (task->in_timer)
    {
      _osiiso_heap_remove (&priv->timers, task);
      task->in_timer = FALSE;
    }
}

/* The attempt is over as far as the queue is concerned. */
static void
end_attempt_locked (OsiisoQueuePrivate *priv,
                    OsiisoTask         *task)
{
  OsiisoTaskContext *context = g_steal_pointer (&task->context);

  running_unlink_locked (priv, task);
  heap_unlink_locked (priv, task);   /* the attempt's deadline */
  osiiso_task_context_unref (context);
}

/* Ends a running attempt from outside (timeout, cancel): the function may
 * still be running, so its context is marked abandoned and cancelled, and
 * whatever it reports later is dropped. */
static void
interrupt_attempt_locked (OsiisoQueue *self,
                          OsiisoTask  *task)
{
  OsiisoQueuePrivate *priv = PRIV (self);
  OsiisoTaskContext *context = task->context;
  GCancellable *cancellable;

  context->abandoned = TRUE;
  cancellable = _osiiso_task_context_interrupt (context);
  if (cancellable != NULL)
    g_ptr_array_add (priv->to_cancel, cancellable);
  if (priv->backend->interrupt != NULL)
    priv->backend->interrupt (self, context);
  end_attempt_locked (priv, task);
}

static void trip_fail_first_locked (OsiisoQueue *self);

/* Records the final result of a task: every task passes here exactly once.
 * Takes @value's contents and @error. */
static void
finish_locked (OsiisoQueue      *self,
               OsiisoTask       *task,
               OsiisoTaskStatus  status,
               GValue           *value,
               GError           *error,
               const char       *message)
{
  OsiisoQueuePrivate *priv = PRIV (self);

  g_assert (!_osiiso_task_status_is_final (task->status));
  g_assert (task->context == NULL);

  heap_unlink_locked (priv, task);

  if (status == OSIISO_TASK_STATUS_CANCELLED && error == NULL)
    error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, message);

  task->result = _osiiso_task_result_new (task, status, value, error, message,
                                          now_locked (priv));
  set_status_locked (priv, task, status);   /* publishes the result */
  if (task->batch != NULL && task->batch->group != NULL)
    _osiiso_task_group_finished_locked (task->batch->group, task);
  push_event_locked (priv, EVENT_COMPLETED, task, NULL);

  if (priv->n_waiters > 0)
    g_cond_broadcast (&priv->cond);

  if (status == OSIISO_TASK_STATUS_FAILED
      && fail_policy_locked (priv) == OSIISO_FAIL_POLICY_FAIL_FIRST
      && !priv->halted)
    trip_fail_first_locked (self);
}

/* Retry policy: an attempt failed; retry the task or fail it for good.
 * Takes @error. */
static void
attempt_failed_locked (OsiisoQueue *self,
                       OsiisoTask  *task,
                       GError      *error,
                       GValue      *value)
{
  OsiisoQueuePrivate *priv = PRIV (self);
  OsiisoTaskOptions *options = task->options;
  gboolean protected = options->must_complete;
  gboolean winding_down = priv->halted || priv->state == STATE_CLOSING;

  if (error == NULL)
    {
      g_autofree char *name = _osiiso_task_dup_name (task);

      error = g_error_new (OSIISO_ERROR, OSIISO_ERROR_FAILED,
                           _("task “%s” failed without setting an error"), name);
    }

  if (task->attempts <= (guint) options->retries
      && (!winding_down || protected))
    {
      /* retry-delay after the first attempt, times backoff after each
       * further one. */
      gdouble delay = options->retry_delay * pow (options->backoff, task->attempts - 1);

      if (value != NULL && G_IS_VALUE (value))
        g_value_unset (value);   /* only a final result keeps one */
      set_status_locked (priv, task, OSIISO_TASK_STATUS_RETRYING);
      push_event_locked (priv, EVENT_RETRYING, task, error);

      if (delay > 0)
        {
          /* A task waiting to retry holds no worker. */
          task->due = g_get_monotonic_time () + seconds_to_usec (delay);
          push_timer_locked (priv, task);
          arm_locked (priv, task->due);
        }
      else
        push_ready_locked (priv, task);
      return;
    }

  /* A backend may give a failure a value (a command's output): the final
   * result keeps it. */
  finish_locked (self, task, OSIISO_TASK_STATUS_FAILED, value, error, error->message);
}

/* Cancels one live task wherever it is. */
static gboolean
cancel_task_locked (OsiisoQueue *self,
                    OsiisoTask  *task,
                    const char  *message)
{
  if (_osiiso_task_status_is_final (task->status))
    return FALSE;

  if (task->status == OSIISO_TASK_STATUS_RUNNING)
    interrupt_attempt_locked (self, task);
  else if (message == NULL && task->attempts == 0)
    message = _("cancelled before execution");

  finish_locked (self, task, OSIISO_TASK_STATUS_CANCELLED, NULL, NULL,
                 message != NULL ? message : _("cancelled"));
  return TRUE;
}

/* What a fail-first trip, a run timeout, a forced shutdown and a reset
 * cancel: every live task, except must-complete ones when @spare_protected. */
static void
cancel_live_locked (OsiisoQueue *self,
                    gboolean     spare_protected,
                    const char  *message)
{
  OsiisoQueuePrivate *priv = PRIV (self);
  g_autoptr(GPtrArray) victims = g_ptr_array_new ();

  for (OsiisoTask *t = priv->running; t != NULL; t = t->run_next)
    g_ptr_array_add (victims, t);
  _osiiso_ready_queue_collect (&priv->ready, victims);
  for (guint i = 0; i < priv->timers.len; i++)
    if (_osiiso_heap_nth (&priv->timers, i)->status != OSIISO_TASK_STATUS_RUNNING)
      g_ptr_array_add (victims, _osiiso_heap_nth (&priv->timers, i));

  for (guint i = 0; i < victims->len; i++)
    {
      OsiisoTask *task = g_ptr_array_index (victims, i);

      if (spare_protected && task->options->must_complete)
        continue;
      cancel_task_locked (self, task, message);
    }

  maybe_kick_locked (self);
}

static void
trip_fail_first_locked (OsiisoQueue *self)
{
  PRIV (self)->halted = TRUE;
  cancel_live_locked (self, TRUE, NULL);
}

static gboolean
exit_timer_cb (gpointer data)
{
  OsiisoQueue *self = data;
  OsiisoQueuePrivate *priv = PRIV (self);

  _osiiso_queue_lock (self);
  g_clear_pointer (&priv->exit_timer, g_source_unref);
  cancel_live_locked (self, FALSE, _("cancelled during shutdown"));
  _osiiso_queue_unlock (self);

  return G_SOURCE_REMOVE;
}

static guint
resolve_workers_locked (OsiisoQueuePrivate *priv)
{
  return priv->workers > 0 ? priv->workers : priv->backend->default_workers ();
}

/* Exit policy: a run timeout, a forced shutdown or a cancelled run. */
static void
begin_exit_locked (OsiisoQueue *self)
{
  OsiisoQueuePrivate *priv = PRIV (self);
  gboolean spare = priv->on_exit == OSIISO_EXIT_POLICY_COMPLETE_PRIORITY;

  if (priv->state == STATE_CLOSED || priv->state == STATE_CLOSING)
    return;

  if (priv->state == STATE_IDLE)   /* protected work may still have to run */
    priv->effective_workers = resolve_workers_locked (priv);
  priv->state = STATE_CLOSING;
  cancel_live_locked (self, spare, _("cancelled during shutdown"));

  if (spare && priv->exit_timeout > 0 && outstanding_locked (priv) > 0)
    {
      priv->exit_timer = g_timeout_source_new ((guint) MAX (1, priv->exit_timeout * 1000));
      g_source_set_callback (priv->exit_timer, exit_timer_cb, self, NULL);
      g_source_set_name (priv->exit_timer, "[osiiso] exit timeout");
      g_source_attach (priv->exit_timer, priv->context);
    }

  arm_locked (priv, 0);
}

/* ------------------------------------------------------------------------
 * The backend protocol
 * --------------------------------------------------------------------- */

/* Ordering policy: the next attempt to start, or NULL. */
OsiisoTaskContext *
_osiiso_queue_take_next_locked (OsiisoQueue *self)
{
  return _osiiso_queue_take_next_into_locked (self, NULL);
}

OsiisoTaskContext *
_osiiso_queue_take_next_into_locked (OsiisoQueue        *self,
                                     OsiisoTaskContext **blank)
{
  OsiisoQueuePrivate *priv = PRIV (self);
  OsiisoTaskContext *context;
  OsiisoTask *task;
  gdouble timeout;
  gint64 now = 0;

  if (_osiiso_queue_startable_locked (self) == 0)
    return NULL;

  task = _osiiso_ready_queue_peek (&priv->ready);
  timeout = task->options->timeout;

  if (task->started == 0 || timeout > 0 || priv->rate > 0)
    now = now_locked (priv);
  if (priv->rate > 0 && !rate_reserve_locked (priv, now))
    return NULL;

  heap_unlink_locked (priv, task);
  task->attempts++;
  if (task->started == 0)
    task->started = now;
  set_status_locked (priv, task, OSIISO_TASK_STATUS_RUNNING);

  context = _osiiso_task_context_new_in (blank != NULL ? g_steal_pointer (blank) : NULL,
                                         task, task->attempts);
  task->context = osiiso_task_context_ref (context);

  task->run_prev = NULL;
  task->run_next = priv->running;
  if (priv->running != NULL)
    priv->running->run_prev = task;
  priv->running = task;
  task->in_running = TRUE;

  if (timeout > 0)
    {
      task->due = now + seconds_to_usec (timeout);
      push_timer_locked (priv, task);
      arm_locked (priv, task->due);
    }

  push_event_locked (priv, EVENT_STARTED, task, NULL);
  return context;
}

/* Reports the outcome of an attempt started by take_next(). Takes @error;
 * the value is taken from @context. */
void
_osiiso_queue_attempt_done_locked (OsiisoQueue       *self,
                                   OsiisoTaskContext *context,
                                   gboolean           ok,
                                   GError            *error)
{
  OsiisoQueuePrivate *priv = PRIV (self);
  OsiisoTask *task = context->task;

  if (context->abandoned)
    {
      /* Timed out or cancelled earlier: the task has moved on. */
      g_debug ("Dropping the late outcome of attempt %u of task %" G_GUINT64_FORMAT,
               context->attempt, task->id);
      g_clear_error (&error);
      return;
    }

  end_attempt_locked (priv, task);

  if (ok)
    {
      g_clear_error (&error);
      finish_locked (self, task, OSIISO_TASK_STATUS_SUCCEEDED,
                     context->has_value ? &context->value : NULL, NULL, NULL);
      context->has_value = FALSE;
    }
  else if (context->has_value && context->value_on_failure)
    {
      attempt_failed_locked (self, task, error, &context->value);
      context->has_value = FALSE;   /* taken, or unset on a retry */
    }
  else
    attempt_failed_locked (self, task, error, NULL);   /* the context unsets its value */
}

/* Timeout policy: the attempt's deadline passed. */
static void
attempt_timed_out_locked (OsiisoQueue *self,
                          OsiisoTask  *task)
{
  g_autofree char *name = _osiiso_task_dup_name (task);
  GError *error;

  error = g_error_new (OSIISO_ERROR, OSIISO_ERROR_TIMEOUT,
                       _("task “%s” exceeded its %gs timeout"), name,
                       task->options->timeout);
  interrupt_attempt_locked (self, task);
  attempt_failed_locked (self, task, error, NULL);
}

/* ------------------------------------------------------------------------
 * The owner context: timers and delivery
 * --------------------------------------------------------------------- */

static void
fire_timers_locked (OsiisoQueue *self,
                    gint64       now)
{
  OsiisoQueuePrivate *priv = PRIV (self);
  OsiisoTask *task;

  while ((task = _osiiso_heap_peek (&priv->timers)) != NULL && task->due <= now)
    {
      _osiiso_heap_remove (&priv->timers, task);
      task->in_timer = FALSE;

      if (task->status == OSIISO_TASK_STATUS_RUNNING)
        attempt_timed_out_locked (self, task);
      else
        {
          /* A delayed task, or a retry whose delay passed, becomes eligible
           * with its original sequence number. */
          if (task->status == OSIISO_TASK_STATUS_SCHEDULED)
            set_status_locked (priv, task, OSIISO_TASK_STATUS_PENDING);
          push_ready_locked (priv, task);
        }
    }

  if (priv->rate_wake != 0 && priv->rate_wake <= now)
    priv->rate_wake = 0;
}

static void
rearm_locked (OsiisoQueuePrivate *priv)
{
  OsiisoTask *next = _osiiso_heap_peek (&priv->timers);

  /* Events queued during the delivery have armed the source already. */
  if (priv->events.len > 0 && priv->armed < 0)
    arm_locked (priv, 0);
  if (next != NULL)
    arm_locked (priv, next->due);
  if (priv->rate_wake != 0 && priv->ready.len > 0)
    arm_locked (priv, priv->rate_wake);
}

static inline OsiisoTaskGroup *
task_group (OsiisoTask *task)
{
  return task->batch != NULL ? task->batch->group : NULL;
}

static OsiisoTaskHandle *
ensure_handle (OsiisoQueue *self,
               OsiisoTask  *task)
{
  /* A group's tasks have the group's handles, made on demand. Other
   * handles are created by submit() or here, both before the task's
   * completion is delivered; only the owner context reads task->handle
   * after submission. */
  if (task_group (task) != NULL)
    return _osiiso_task_group_ensure_handle (task_group (task), task->index);
  if (task->handle == NULL)
    task->handle = _osiiso_task_handle_new (task, self);
  return task->handle;
}

/* Whether anyone but the task itself (or its group) holds the task's
 * handle: only then can anyone see its notifications. */
static inline OsiisoTaskHandle *
observed_handle (OsiisoTask *task)
{
  OsiisoTaskHandle *handle = task->handle;

  if (handle == NULL && task_group (task) != NULL)
    handle = _osiiso_task_group_peek_handle (task_group (task), task->index);
  if (handle != NULL && g_atomic_int_get ((gint *) &((GObject *) handle)->ref_count) > 1)
    return handle;
  return NULL;
}

static void
deliver_events (OsiisoQueue *self,
                gboolean     emit)
{
  OsiisoQueuePrivate *priv = PRIV (self);
  OsiisoQueueClass *klass = OSIISO_QUEUE_GET_CLASS (self);
  gboolean want_started, want_retrying, want_completed;

  /* Handles are made for the signals only when someone listens, and
   * signals without listeners are not emitted at all; asked once per
   * batch, not once per event. */
  want_started = emit && (klass->task_started != NULL
                          || g_signal_has_handler_pending (self, signals[TASK_STARTED], 0, FALSE));
  want_retrying = emit && (klass->task_retrying != NULL
                           || g_signal_has_handler_pending (self, signals[TASK_RETRYING], 0, FALSE));
  want_completed = emit && (klass->task_completed != NULL
                            || g_signal_has_handler_pending (self, signals[TASK_COMPLETED], 0, FALSE));

  /* A handler may run a nested main loop, whose dispatch of the queue
   * goes on with this same list (see queue_dispatch()), so that every
   * event is delivered once and in order. So the list is read afresh for
   * every event: the nested dispatch may have moved and extended it. */
  priv->delivering++;
  while (priv->delivery_pos < priv->delivery.len)
    {
      guint i = priv->delivery_pos++;
      guint n_events = priv->delivery.len;
      Event *events = priv->delivery.items;
      Event copy = events[i];
      Event *event = &copy;
      OsiisoTask *task = event->task;

      /* The tasks were written moments ago on a worker's core: fetch them
       * a few events ahead, then what they point to. */
      if (i + 8 < n_events)
        _osiiso_task_prefetch (events[i + 8].task);
      if (i + 4 < n_events)
        {
          OsiisoTask *ahead = events[i + 4].task;

          if (ahead->handle != NULL)
            __builtin_prefetch (ahead->handle);
          if (ahead->batch != NULL)
            __builtin_prefetch (ahead->batch);
          if (events[i + 4].kind == EVENT_COMPLETED)
            __builtin_prefetch (ahead->result);
        }

      switch (event->kind)
        {
        case EVENT_STARTED:
          if (want_started)
            g_signal_emit (self, signals[TASK_STARTED], 0, ensure_handle (self, task));
          if (observed_handle (task) != NULL)
            _osiiso_task_handle_notify_status (observed_handle (task));
          break;

        case EVENT_RETRYING:
          if (want_retrying)
            g_signal_emit (self, signals[TASK_RETRYING], 0, ensure_handle (self, task), event->error);
          if (emit && observed_handle (task) != NULL)
            _osiiso_task_handle_notify_status (observed_handle (task));
          g_clear_error (&event->error);
          break;

        case EVENT_COMPLETED:
          {
            OsiisoTaskResult *result = task->result;
            OsiisoTaskHandle *handle = g_steal_pointer (&task->handle);

            /* The result is in the history before anyone hears of it. */
            g_ptr_array_add (priv->history, osiiso_task_result_ref (result));
            if (!task->options->detached)
              {
                /* Counted here, where the result is at hand: counting a
                 * run's 100,000 results at its end took a millisecond. */
                g_ptr_array_add (priv->unreported, osiiso_task_result_ref (result));
                priv->unreported_counts[result->status]++;
              }

            if (handle != NULL)
              _osiiso_task_handle_completed (handle, g_atomic_int_get ((gint *) &((GObject *) handle)->ref_count) > 1);
            if (task_group (task) != NULL)
              _osiiso_task_group_delivered (task_group (task), task);
            if (want_completed)
              g_signal_emit (self, signals[TASK_COMPLETED], 0, result);

            /* The task's data is released here, on the owner context,
             * unless an abandoned attempt still runs with it. */
            _osiiso_task_data_unref (task);
            g_clear_object (&handle);
            _osiiso_task_unref (task);
          }
          break;

        default:
          g_assert_not_reached ();
        }
    }
  priv->delivering--;
}

static void
notify_counts (OsiisoQueue *self)
{
  OsiisoQueuePrivate *priv = PRIV (self);
  static const guint props[4] = { PROP_PENDING, PROP_ACTIVE, PROP_SCHEDULED, PROP_COMPLETED };
  guint now[4];
  gboolean closed;

  lock_queue (priv);
  now[0] = priv->n_status[OSIISO_TASK_STATUS_PENDING] + priv->n_status[OSIISO_TASK_STATUS_SCHEDULED];
  now[1] = priv->n_status[OSIISO_TASK_STATUS_RUNNING] + priv->n_status[OSIISO_TASK_STATUS_RETRYING];
  now[2] = priv->n_status[OSIISO_TASK_STATUS_SCHEDULED];
  closed = priv->state == STATE_CLOSED;
  g_mutex_unlock (&priv->lock);
  now[3] = priv->history->len;

  g_object_freeze_notify (G_OBJECT (self));
  for (guint i = 0; i < 4; i++)
    if (now[i] != priv->notified[i])
      {
        priv->notified[i] = now[i];
        g_object_notify_by_pspec (G_OBJECT (self), properties[props[i]]);
      }
  if (closed != priv->notified_closed)
    {
      priv->notified_closed = closed;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLOSED]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

/* One dispatch of the owner context: fire due timers, then deliver every
 * event queued since the last dispatch, in order. */
static void
queue_dispatch (OsiisoQueue *self,
                gboolean     emit)
{
  OsiisoQueuePrivate *priv = PRIV (self);
  EventList events;
  gboolean outermost;

  _osiiso_queue_lock (self);
  disarm_locked (priv);
  priv->dispatched = g_get_monotonic_time ();
  priv->dispatcher = g_thread_self ();
  fire_timers_locked (self, priv->dispatched);
  maybe_kick_locked (self);
  _osiiso_queue_unlock (self);

  /* Attempts that start on this context start now, so that what they do
   * synchronously is delivered in this same batch. */
  if (emit && priv->backend->dispatch != NULL)
    priv->backend->dispatch (self);

  _osiiso_queue_lock (self);
  events = priv->events;
  priv->events = priv->spare_events;
  priv->spare_events = (EventList) { NULL, 0, 0 };
  _osiiso_queue_unlock (self);

  /* Inside a handler's nested main loop, the new events go after those
   * the outer delivery has not reached yet. */
  outermost = priv->delivering == 0;
  if (outermost)
    {
      priv->delivery = events;
      priv->delivery_pos = 0;
    }
  else if (events.len > 0)
    {
      EventList *delivery = &priv->delivery;

      if (delivery->len + events.len > delivery->size)
        {
          delivery->size = MAX (delivery->size * 2, delivery->len + events.len);
          delivery->items = g_renew (Event, delivery->items, delivery->size);
        }
      memcpy (delivery->items + delivery->len, events.items, events.len * sizeof (Event));
      delivery->len += events.len;
    }
  if (!outermost)
    g_free (events.items);

  deliver_events (self, emit);

  /* The outermost delivery owns the list, delivered by now. Taken back
   * before the notifications: a handler of those may run a nested main
   * loop, whose dispatch starts a delivery of its own. */
  if (outermost)
    {
      events = priv->delivery;
      priv->delivery = (EventList) { NULL, 0, 0 };
      priv->delivery_pos = 0;
    }
  else
    events = (EventList) { NULL, 0, 0 };

  if (emit)
    {
      notify_counts (self);
      check_waiters (self);
    }

  _osiiso_queue_lock (self);
  /* Two lists take turns, so that a busy queue's workers do not grow a
   * fresh one (reallocations, page faults) for every batch; one of more
   * than a few hundred kilobytes is not kept idle. */
  if (priv->spare_events.items == NULL && events.items != NULL && events.size <= 16384)
    {
      events.len = 0;
      priv->spare_events = events;
      events.items = NULL;
    }
  rearm_locked (priv);
  _osiiso_queue_unlock (self);
  g_free (events.items);
}

void
_osiiso_queue_dispatch (OsiisoQueue *self)
{
  queue_dispatch (self, TRUE);
}

/* Reads the ready time and says whether the owner may now sleep in
 * poll(): prepare() says yes (a due source is dispatched right after and
 * says no again), check() and dispatch() say no. */
static gint64
queue_source_ready (QueueSource *source,
                    gboolean     polling)
{
  gint64 ready;

  g_mutex_lock (&source->lock);
  ready = source->ready;
  source->polling = polling;
  g_mutex_unlock (&source->lock);
  return ready;
}

static gboolean
queue_source_prepare (GSource *source,
                      gint    *timeout)
{
  gint64 ready = queue_source_ready ((QueueSource *) source, TRUE);
  gint64 now;

  *timeout = -1;
  if (ready < 0)
    return FALSE;
  now = g_source_get_time (source);
  if (ready <= now)
    {
      *timeout = 0;
      return TRUE;
    }
  /* Rounded up: waking before the time would only poll again. */
  *timeout = (gint) MIN ((ready - now + 999) / 1000, G_MAXINT);
  return FALSE;
}

static gboolean
queue_source_check (GSource *source)
{
  gint64 ready = queue_source_ready ((QueueSource *) source, FALSE);

  return ready >= 0 && ready <= g_source_get_time (source);
}

static gboolean
queue_source_dispatch (GSource     *source,
                       GSourceFunc  callback,
                       gpointer     user_data)
{
  QueueSource *qs = (QueueSource *) source;
  OsiisoQueue *self;

  queue_source_ready (qs, FALSE);
  self = g_weak_ref_get (&qs->queue);
  if (self == NULL)
    return G_SOURCE_REMOVE;

  queue_dispatch (self, TRUE);
  g_object_unref (self);
  return G_SOURCE_CONTINUE;
}

static void
queue_source_finalize (GSource *source)
{
  g_weak_ref_clear (&((QueueSource *) source)->queue);
  g_mutex_clear (&((QueueSource *) source)->lock);
}

static GSourceFuncs queue_source_funcs = {
  .prepare = queue_source_prepare,
  .check = queue_source_check,
  .dispatch = queue_source_dispatch,
  .finalize = queue_source_finalize,
};

/* ------------------------------------------------------------------------
 * Runs, joins and shutdowns (owner context)
 * --------------------------------------------------------------------- */

static void
run_free (Run *run)
{
  if (run->timeout_source != NULL)
    {
      g_source_destroy (run->timeout_source);
      g_source_unref (run->timeout_source);
    }
  g_clear_object (&run->task);
  g_free (run);
}

/* Summary policy: a run's summary holds the results delivered since the
 * previous summary (detached tasks excluded). */
static void
complete_run (OsiisoQueue *self)
{
  OsiisoQueuePrivate *priv = PRIV (self);
  Run *run = g_steal_pointer (&priv->run);
  GCancellable *cancellable = g_task_get_cancellable (run->task);
  OsiisoRunSummary *summary;
  GError *error = NULL;

  if (run->cancelled_id != 0)
    g_cancellable_disconnect (cancellable, run->cancelled_id);

  lock_queue (priv);
  priv->halted = FALSE;
  priv->run_overrides_policy = FALSE;
  g_mutex_unlock (&priv->lock);

  summary = _osiiso_run_summary_new (g_steal_pointer (&priv->unreported), priv->unreported_counts,
                                     run->timed_out,
                                     (g_get_monotonic_time () - run->started) / (gdouble) G_USEC_PER_SEC);
  priv->unreported = g_ptr_array_new_with_free_func ((GDestroyNotify) osiiso_task_result_unref);
  memset (priv->unreported_counts, 0, sizeof priv->unreported_counts);

  if (run->strict && osiiso_run_summary_get_failed (summary) > 0)
    {
      osiiso_run_summary_check (summary, FALSE, &error);
      osiiso_run_summary_unref (summary);
      g_task_return_error (run->task, error);
    }
  else
    g_task_return_pointer (run->task, summary, (GDestroyNotify) osiiso_run_summary_unref);

  run_free (run);
}

static gboolean
grace_timer_cb (gpointer data)
{
  OsiisoQueue *self = data;
  OsiisoQueuePrivate *priv = PRIV (self);

  g_clear_pointer (&priv->grace_timer, g_source_unref);
  priv->grace_expired = TRUE;
  check_waiters (self);
  return G_SOURCE_REMOVE;
}

static void
return_all (GSList   **list,
            gboolean   value)
{
  GSList *tasks = g_steal_pointer (list);

  for (GSList *l = tasks; l != NULL; l = l->next)
    {
      g_task_return_boolean (l->data, value);
      g_object_unref (l->data);
    }
  g_slist_free (tasks);
}

/* Lifecycle policy: decides, after each dispatch, whether the queue has
 * closed and which waiting runs, joins and shutdowns are over. */
static void
check_waiters (OsiisoQueue *self)
{
  OsiisoQueuePrivate *priv = PRIV (self);
  gboolean idle, closed, started, just_closed = FALSE;
  guint stuck = 0;

  lock_queue (priv);
  idle = outstanding_locked (priv) == 0 && priv->events.len == 0;
  if (idle && (priv->state == STATE_DRAINING || priv->state == STATE_CLOSING))
    {
      priv->state = STATE_CLOSED;
      just_closed = TRUE;
      if (priv->exit_timer != NULL)
        {
          g_source_destroy (priv->exit_timer);
          g_clear_pointer (&priv->exit_timer, g_source_unref);
        }
    }
  closed = priv->state == STATE_CLOSED;
  started = priv->state == STATE_STARTED;
  if (closed && priv->backend->count_stuck != NULL)
    stuck = priv->backend->count_stuck (self);
  g_mutex_unlock (&priv->lock);

  if (just_closed)
    {
      if (priv->backend->stop != NULL)
        priv->backend->stop (self);
      notify_counts (self);
    }

  if (priv->run != NULL
      && (closed || (idle && priv->mode == OSIISO_QUEUE_MODE_FINITE && started)))
    complete_run (self);

  if (priv->joins != NULL && (idle || closed))
    return_all (&priv->joins, TRUE);

  if (priv->shutdowns != NULL && closed)
    {
      /* Shutdown waits a bounded grace period for abandoned attempts
       * still running (threads inside task functions that ignored
       * cancellation, terminated processes not yet gone), then reports
       * them. */
      if (stuck > 0 && !priv->grace_expired)
        {
          if (priv->grace_timer == NULL)
            {
              priv->grace_timer = g_timeout_source_new ((guint) (priv->shutdown_grace * 1000));
              g_source_set_callback (priv->grace_timer, grace_timer_cb, self, NULL);
              g_source_set_name (priv->grace_timer, "[osiiso] shutdown grace");
              g_source_attach (priv->grace_timer, priv->context);
            }
          return;
        }
      if (stuck > 0)
        g_message ("osiiso: %u abandoned attempt(s) still inside task functions that "
                   "ignored cancellation, or in processes not yet gone, after the %gs "
                   "shutdown grace period; detaching them",
                   stuck, priv->shutdown_grace);
      if (priv->grace_timer != NULL)
        {
          g_source_destroy (priv->grace_timer);
          g_clear_pointer (&priv->grace_timer, g_source_unref);
        }
      priv->grace_expired = FALSE;
      return_all (&priv->shutdowns, TRUE);
    }
}

static gboolean
validate_settings (OsiisoQueue  *self,
                   GError      **error)
{
  OsiisoQueuePrivate *priv = PRIV (self);

  if (priv->timeout != -1.0 && !(priv->timeout > 0))
    return g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION,
                        _("timeout must be > 0 or -1 for none (got %g)"), priv->timeout), FALSE;
  if (!(priv->rate >= 0))
    return g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION,
                        _("rate must be > 0 or 0 for no limit (got %g)"), priv->rate), FALSE;
  if (priv->burst < 1)
    return g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION,
                        _("burst must be >= 1 (got %u)"), priv->burst), FALSE;
  if (priv->exit_timeout != -1.0 && !(priv->exit_timeout > 0))
    return g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION,
                        _("exit-timeout must be > 0 or -1 for none (got %g)"), priv->exit_timeout), FALSE;
  if (!(priv->shutdown_grace >= 0))
    return g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION,
                        _("shutdown-grace must be >= 0 (got %g)"), priv->shutdown_grace), FALSE;
  return TRUE;
}

/* start(), also from run() and shutdown(): lock held. */
static gboolean
start_locked (OsiisoQueue  *self,
              GError      **error)
{
  OsiisoQueuePrivate *priv = PRIV (self);

  if (priv->state == STATE_CLOSED)
    return g_set_error_literal (error, OSIISO_ERROR, OSIISO_ERROR_CLOSED,
                                _("the queue has been shut down")), FALSE;
  if (priv->state != STATE_IDLE)
    return TRUE;
  if (!validate_settings (self, error))
    return FALSE;

  priv->effective_workers = resolve_workers_locked (priv);
  priv->state = STATE_STARTED;
  maybe_kick_locked (self);
  return TRUE;
}

/* The blocking calls start their _async() twin, then iterate the queue's
 * context until its callback stored the result. */
static gboolean
iterate_begin (OsiisoQueue *self)
{
  GMainContext *context = PRIV (self)->context;

  if (!g_main_context_acquire (context))
    {
      g_critical ("osiiso: blocking calls on a queue must be made on the thread that "
                  "runs its main context; use the _async() variant instead");
      return FALSE;
    }

  g_main_context_push_thread_default (context);
  return TRUE;
}

static void
iterate_finish (OsiisoQueue   *self,
                GAsyncResult **done)
{
  GMainContext *context = PRIV (self)->context;

  while (*done == NULL)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);
  g_main_context_release (context);
}

static void
store_result_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* ------------------------------------------------------------------------
 * GObject
 * --------------------------------------------------------------------- */

static void
osiiso_queue_constructed (GObject *object)
{
  OsiisoQueue *self = OSIISO_QUEUE (object);
  OsiisoQueuePrivate *priv = PRIV (self);
  QueueSource *source;

  G_OBJECT_CLASS (osiiso_queue_parent_class)->constructed (object);

  g_assert (priv->backend != NULL);

  priv->context = g_main_context_ref_thread_default ();
  priv->owner_thread = g_thread_self ();
  priv->link = g_new0 (OsiisoQueueLink, 1);
  priv->link->ref_count = 1;
  g_weak_ref_init (&priv->link->queue, self);
  source = (QueueSource *) g_source_new (&queue_source_funcs, sizeof (QueueSource));
  g_weak_ref_init (&source->queue, self);
  g_mutex_init (&source->lock);
  source->ready = -1;
  priv->source = (GSource *) source;
  g_source_set_name (priv->source, "[osiiso] queue");
  g_source_set_can_recurse (priv->source, TRUE);
  g_source_attach (priv->source, priv->context);
}

/* Dropping the last reference cancels whatever is still outstanding.
 * Running attempts keep the queue alive (the backend holds a reference),
 * so this runs only when nothing executes. */
static void
osiiso_queue_dispose (GObject *object)
{
  OsiisoQueue *self = OSIISO_QUEUE (object);
  OsiisoQueuePrivate *priv = PRIV (self);

  if (priv->source != NULL)
    {
      _osiiso_queue_lock (self);
      priv->state = STATE_CLOSED;
      cancel_live_locked (self, FALSE, _("cancelled: the queue was destroyed"));
      _osiiso_queue_unlock (self);

      queue_dispatch (self, FALSE);

      g_source_destroy (priv->source);
      g_clear_pointer (&priv->source, g_source_unref);
    }

  G_OBJECT_CLASS (osiiso_queue_parent_class)->dispose (object);
}

static void
osiiso_queue_finalize (GObject *object)
{
  OsiisoQueue *self = OSIISO_QUEUE (object);
  OsiisoQueuePrivate *priv = PRIV (self);

  g_assert (priv->run == NULL && priv->joins == NULL && priv->shutdowns == NULL);

  if (priv->exit_timer != NULL)
    {
      g_source_destroy (priv->exit_timer);
      g_source_unref (priv->exit_timer);
    }
  if (priv->grace_timer != NULL)
    {
      g_source_destroy (priv->grace_timer);
      g_source_unref (priv->grace_timer);
    }
  _osiiso_ready_queue_clear (&priv->ready);
  _osiiso_heap_clear (&priv->timers);
  g_free (priv->events.items);
  g_free (priv->spare_events.items);
  g_free (priv->delivery.items);
  g_ptr_array_unref (priv->to_cancel);
  g_ptr_array_unref (priv->history);
  g_ptr_array_unref (priv->unreported);
  g_main_context_unref (priv->context);
  _osiiso_queue_link_unref (priv->link);
  g_mutex_clear (&priv->lock);
  g_cond_clear (&priv->cond);

  G_OBJECT_CLASS (osiiso_queue_parent_class)->finalize (object);
}

static void
osiiso_queue_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  OsiisoQueue *self = OSIISO_QUEUE (object);
  OsiisoQueuePrivate *priv = PRIV (self);

  switch (prop_id)
    {
    case PROP_WORKERS:        g_value_set_uint (value, priv->workers); break;
    case PROP_SIZE:           g_value_set_uint (value, priv->size); break;
    case PROP_TIMEOUT:        g_value_set_double (value, priv->timeout); break;
    case PROP_MODE:           g_value_set_enum (value, priv->mode); break;
    case PROP_FAIL_POLICY:    g_value_set_enum (value, priv->fail_policy); break;
    case PROP_ON_EXIT:        g_value_set_enum (value, priv->on_exit); break;
    case PROP_RATE:           g_value_set_double (value, priv->rate); break;
    case PROP_BURST:          g_value_set_uint (value, priv->burst); break;
    case PROP_EXIT_TIMEOUT:   g_value_set_double (value, priv->exit_timeout); break;
    case PROP_SHUTDOWN_GRACE: g_value_set_double (value, priv->shutdown_grace); break;
    case PROP_MAIN_CONTEXT:   g_value_set_boxed (value, priv->context); break;
    case PROP_PENDING:        g_value_set_uint (value, osiiso_queue_get_pending (self)); break;
    case PROP_ACTIVE:         g_value_set_uint (value, osiiso_queue_get_active (self)); break;
    case PROP_SCHEDULED:      g_value_set_uint (value, osiiso_queue_get_scheduled (self)); break;
    case PROP_COMPLETED:      g_value_set_uint (value, osiiso_queue_get_completed (self)); break;
    case PROP_CLOSED:         g_value_set_boolean (value, osiiso_queue_get_closed (self)); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
osiiso_queue_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  OsiisoQueuePrivate *priv = PRIV (OSIISO_QUEUE (object));

  switch (prop_id)
    {
    case PROP_WORKERS:        priv->workers = g_value_get_uint (value); break;
    case PROP_SIZE:           priv->size = g_value_get_uint (value); break;
    case PROP_TIMEOUT:        priv->timeout = g_value_get_double (value); break;
    case PROP_MODE:           priv->mode = g_value_get_enum (value); break;
    case PROP_FAIL_POLICY:    priv->fail_policy = g_value_get_enum (value); break;
    case PROP_ON_EXIT:        priv->on_exit = g_value_get_enum (value); break;
    case PROP_RATE:           priv->rate = g_value_get_double (value); break;
    case PROP_BURST:          priv->burst = g_value_get_uint (value); break;
    case PROP_EXIT_TIMEOUT:   priv->exit_timeout = g_value_get_double (value); break;
    case PROP_SHUTDOWN_GRACE: priv->shutdown_grace = g_value_get_double (value); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
osiiso_queue_class_init (OsiisoQueueClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags setting = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY
                              | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  const GParamFlags count = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  _osiiso_i18n_init ();

  object_class->constructed = osiiso_queue_constructed;
  object_class->dispose = osiiso_queue_dispose;
  object_class->finalize = osiiso_queue_finalize;
  object_class->get_property = osiiso_queue_get_property;
  object_class->set_property = osiiso_queue_set_property;

  /**
   * OsiisoQueue:workers:
   *
   * How many attempts may run at once; 0 (the default) picks a number
   * from the CPU count: max(4, min(32, 4 × CPUs)) for thread and async
   * queues.
   */
  properties[PROP_WORKERS] =
    g_param_spec_uint ("workers", "Workers", "Attempts that may run at once, or 0 for automatic",
                       0, G_MAXUINT, 0, setting);

  /**
   * OsiisoQueue:size:
   *
   * The most outstanding tasks (queued, scheduled, running, waiting to
   * retry) the queue holds; 0 (the default) for no bound. When full,
   * osiiso_queue_submit() fails at once with %OSIISO_ERROR_FULL and
   * osiiso_queue_submit_wait() blocks.
   */
  properties[PROP_SIZE] =
    g_param_spec_uint ("size", "Size", "Bound on outstanding tasks, or 0",
                       0, G_MAXUINT, 0, setting);

  /**
   * OsiisoQueue:timeout:
   *
   * The default run timeout, in seconds; -1 (the default) for none.
   */
  properties[PROP_TIMEOUT] =
    g_param_spec_double ("timeout", "Timeout", "Default run timeout in seconds, or -1",
                         -G_MAXDOUBLE, G_MAXDOUBLE, -1.0, setting);

  /**
   * OsiisoQueue:mode:
   *
   * Whether runs end when nothing is outstanding, or serve until shutdown.
   */
  properties[PROP_MODE] =
    g_param_spec_enum ("mode", "Mode", "Finite or infinite runs",
                       OSIISO_TYPE_QUEUE_MODE, OSIISO_QUEUE_MODE_FINITE, setting);

  /**
   * OsiisoQueue:fail-policy:
   *
   * What a final task failure does to the remaining work; a run can
   * override it.
   */
  properties[PROP_FAIL_POLICY] =
    g_param_spec_enum ("fail-policy", "Fail policy", "What a final failure does",
                       OSIISO_TYPE_FAIL_POLICY, OSIISO_FAIL_POLICY_CONTINUE, setting);

  /**
   * OsiisoQueue:on-exit:
   *
   * What a run timeout or a forced shutdown cancels.
   */
  properties[PROP_ON_EXIT] =
    g_param_spec_enum ("on-exit", "On exit", "What a timeout or forced shutdown cancels",
                       OSIISO_TYPE_EXIT_POLICY, OSIISO_EXIT_POLICY_COMPLETE_PRIORITY, setting);

  /**
   * OsiisoQueue:rate:
   *
   * The most attempts started per second, shared by all workers and
   * counted per attempt (retries included); 0 (the default) for no limit.
   */
  properties[PROP_RATE] =
    g_param_spec_double ("rate", "Rate", "Attempts started per second, or 0",
                         -G_MAXDOUBLE, G_MAXDOUBLE, 0.0, setting);

  /**
   * OsiisoQueue:burst:
   *
   * With #OsiisoQueue:rate, how many attempts may start at once after an
   * idle period. At least 1.
   */
  properties[PROP_BURST] =
    g_param_spec_uint ("burst", "Burst", "Attempts that may start at once after idle",
                       0, G_MAXUINT, 1, setting);

  /**
   * OsiisoQueue:exit-timeout:
   *
   * After a run timeout or a forced shutdown under
   * %OSIISO_EXIT_POLICY_COMPLETE_PRIORITY, how long to wait for
   * must-complete work before cancelling it too, in seconds; -1 (the
   * default) waits without limit.
   */
  properties[PROP_EXIT_TIMEOUT] =
    g_param_spec_double ("exit-timeout", "Exit timeout", "Bound on waiting for must-complete work, or -1",
                         -G_MAXDOUBLE, G_MAXDOUBLE, -1.0, setting);

  /**
   * OsiisoQueue:shutdown-grace:
   *
   * How long osiiso_queue_shutdown() waits for threads still running task
   * functions whose attempts already ended (functions that ignored
   * cancellation) before it reports and detaches them, in seconds.
   */
  properties[PROP_SHUTDOWN_GRACE] =
    g_param_spec_double ("shutdown-grace", "Shutdown grace", "Seconds to wait for stuck task functions",
                         -G_MAXDOUBLE, G_MAXDOUBLE, 5.0, setting);

  /**
   * OsiisoQueue:main-context:
   *
   * The #GMainContext the queue emits its signals on: the thread-default
   * context when the queue was constructed.
   */
  properties[PROP_MAIN_CONTEXT] =
    g_param_spec_boxed ("main-context", "Main context", "The context signals are emitted on",
                        G_TYPE_MAIN_CONTEXT, count);

  /**
   * OsiisoQueue:pending:
   *
   * Tasks waiting to start: queued and scheduled.
   */
  properties[PROP_PENDING] =
    g_param_spec_uint ("pending", "Pending", "Tasks waiting to start", 0, G_MAXUINT, 0, count);

  /**
   * OsiisoQueue:active:
   *
   * Tasks that have started: running, or waiting to retry.
   */
  properties[PROP_ACTIVE] =
    g_param_spec_uint ("active", "Active", "Tasks running or waiting to retry", 0, G_MAXUINT, 0, count);

  /**
   * OsiisoQueue:scheduled:
   *
   * Tasks waiting for their delay or run-at time.
   */
  properties[PROP_SCHEDULED] =
    g_param_spec_uint ("scheduled", "Scheduled", "Tasks waiting for their time", 0, G_MAXUINT, 0, count);

  /**
   * OsiisoQueue:completed:
   *
   * Results in the queue's history (see osiiso_queue_get_results()).
   */
  properties[PROP_COMPLETED] =
    g_param_spec_uint ("completed", "Completed", "Results in the history", 0, G_MAXUINT, 0, count);

  /**
   * OsiisoQueue:closed:
   *
   * Whether the queue has been shut down; osiiso_queue_reset() reopens it.
   */
  properties[PROP_CLOSED] =
    g_param_spec_boolean ("closed", "Closed", "Whether the queue is shut down", FALSE, count);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * OsiisoQueue::task-started:
   * @self: the queue
   * @handle: the task's handle
   *
   * Emitted on the queue's main context for each attempt of a task, after
   * it started.
   */
  signals[TASK_STARTED] =
    g_signal_new ("task-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (OsiisoQueueClass, task_started),
                  NULL, NULL, NULL, G_TYPE_NONE, 1, OSIISO_TYPE_TASK_HANDLE);

  /**
   * OsiisoQueue::task-completed:
   * @self: the queue
   * @result: the task's final result
   *
   * Emitted on the queue's main context once per task, when it reached its
   * final state (succeeded, failed or cancelled). The result is already in
   * the queue's history and on the handle.
   */
  signals[TASK_COMPLETED] =
    g_signal_new ("task-completed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (OsiisoQueueClass, task_completed),
                  NULL, NULL, NULL, G_TYPE_NONE, 1,
                  OSIISO_TYPE_TASK_RESULT | G_SIGNAL_TYPE_STATIC_SCOPE);

  /**
   * OsiisoQueue::task-retrying:
   * @self: the queue
   * @handle: the task's handle
   * @error: the error of the attempt that failed
   *
   * Emitted on the queue's main context before a task is retried.
   */
  signals[TASK_RETRYING] =
    g_signal_new ("task-retrying", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (OsiisoQueueClass, task_retrying),
                  NULL, NULL, NULL, G_TYPE_NONE, 2,
                  OSIISO_TYPE_TASK_HANDLE, G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
osiiso_queue_init (OsiisoQueue *self)
{
  OsiisoQueuePrivate *priv = PRIV (self);

  g_mutex_init (&priv->lock);
  g_cond_init (&priv->cond);
  priv->timeout = -1.0;
  priv->burst = 1;
  priv->exit_timeout = -1.0;
  priv->shutdown_grace = 5.0;
  priv->armed = -1;
  _osiiso_ready_queue_init (&priv->ready);
  _osiiso_heap_init (&priv->timers, TRUE);
  priv->to_cancel = g_ptr_array_new_with_free_func (g_object_unref);
  priv->history = g_ptr_array_new_with_free_func ((GDestroyNotify) osiiso_task_result_unref);
  priv->unreported = g_ptr_array_new_with_free_func ((GDestroyNotify) osiiso_task_result_unref);
}

/* ------------------------------------------------------------------------
 * Public API
 * --------------------------------------------------------------------- */

/* When a new task becomes eligible: now, after its delay, or at its
 * run-at time (converted to the monotonic clock once, here). */
static void
set_due (OsiisoTask *task,
         gint64      now)
{
  OsiisoTaskOptions *options = task->options;

  task->created = now;
  if (options->delay >= 0)
    task->due = now + seconds_to_usec (options->delay);
  else if (options->run_at >= 0)
    task->due = now + MAX (0, options->run_at - g_get_real_time ());
  else
    task->due = 0;
}

/* Queues an accepted task: ordered among the ready ones, or waiting for
 * its time. */
static void
admit_locked (OsiisoQueue *self,
              OsiisoTask  *task,
              gint64       now)
{
  OsiisoQueuePrivate *priv = PRIV (self);

  task->seq = priv->next_seq++;
  priv->n_status[OSIISO_TASK_STATUS_PENDING]++;
  if (task->due > now)
    {
      task->scheduled_for = task->due;
      set_status_locked (priv, task, OSIISO_TASK_STATUS_SCHEDULED);
      push_timer_locked (priv, task);
      arm_locked (priv, task->due);
    }
  else
    {
      push_ready_locked (priv, task);
      maybe_kick_locked (self);
    }
}

static OsiisoTaskHandle *
submit_internal (OsiisoQueue        *self,
                 OsiisoTaskFunc      func,
                 gpointer            user_data,
                 GDestroyNotify      destroy,
                 OsiisoTaskOptions  *options,
                 GQuark              function,
                 gboolean            wait,
                 gdouble             timeout,
                 GCancellable       *cancellable,
                 GError            **error)
{
  OsiisoQueuePrivate *priv = PRIV (self);
  OsiisoTaskHandle *handle;
  OsiisoTask *task;
  gint64 now, deadline = -1;
  gulong cancelled_id = 0;

  if (options == NULL)
    options = _osiiso_task_options_get_default ();
  if (!osiiso_task_options_validate (options, error))
    goto refuse;

  task = _osiiso_task_new (self, func, user_data, destroy, options);
  task->function = function;   /* set before the task can start */
  handle = _osiiso_task_handle_new (task, self);
  task->handle = g_object_ref (handle);

  now = g_get_monotonic_time ();
  set_due (task, now);

  if (wait && timeout >= 0)
    deadline = now + seconds_to_usec (timeout);

  _osiiso_queue_lock (self);

  for (;;)
    {
      if (!accepting_locked (priv))
        {
          g_set_error_literal (error, OSIISO_ERROR, OSIISO_ERROR_CLOSED,
                               _("the queue is not accepting tasks"));
          goto refuse_locked;
        }
      if (priv->size == 0 || outstanding_locked (priv) < priv->size)
        break;
      if (!wait)
        {
          g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_FULL,
                       _("the queue is full (%u tasks outstanding)"), outstanding_locked (priv));
          goto refuse_locked;
        }
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        goto refuse_locked;
      if (cancellable != NULL && cancelled_id == 0)
        {
          /* The handler takes the lock: connect with it released. */
          _osiiso_queue_unlock (self);
          cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (g_cond_broadcast),
                                                &priv->cond, NULL);
          _osiiso_queue_lock (self);
          continue;
        }

      priv->n_waiters++;
      if (deadline >= 0)
        {
          gboolean signalled = g_cond_wait_until (&priv->cond, &priv->lock, deadline);

          priv->n_waiters--;
          if (!signalled && g_get_monotonic_time () >= deadline)
            {
              g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_TIMEOUT,
                           _("the queue stayed full for %gs"), timeout);
              goto refuse_locked;
            }
        }
      else
        {
          g_cond_wait (&priv->cond, &priv->lock);
          priv->n_waiters--;
        }
    }

  admit_locked (self, task, now);
  arm_locked (priv, 0);   /* counts changed */
  _osiiso_queue_unlock (self);

  if (cancelled_id != 0)
    g_cancellable_disconnect (cancellable, cancelled_id);

  return handle;

refuse_locked:
  _osiiso_queue_unlock (self);
  if (cancelled_id != 0)
    g_cancellable_disconnect (cancellable, cancelled_id);
  g_clear_object (&task->handle);
  g_object_unref (handle);
  _osiiso_task_unref (task);   /* calls @destroy */
  return NULL;

refuse:
  if (destroy != NULL)
    destroy (user_data);
  return NULL;
}

/**
 * osiiso_queue_submit:
 * @self: a #OsiisoQueue
 * @func: (scope notified) (closure user_data) (destroy destroy): the task
 *   function, called once per attempt
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data once the task is done and no
 *   attempt still runs (normally on the queue's main context), or at once
 *   when the submission is refused
 * @options: (nullable): the task's options, or %NULL for the defaults
 * @error: return location for a #GError
 *
 * Submits a task and returns its handle at once. The task runs as soon as
 * the queue is started and the task is eligible. Safe from any thread,
 * including from inside a running task.
 *
 * This never blocks: on a queue that holds #OsiisoQueue:size outstanding
 * tasks it fails with %OSIISO_ERROR_FULL. It fails with
 * %OSIISO_ERROR_CLOSED on a closed or draining queue (and after a
 * fail-first trip until the run ends), and with
 * %OSIISO_ERROR_INVALID_OPTION for invalid @options; nothing is queued
 * then.
 *
 * Returns: (transfer full): the task's handle, or %NULL with @error set
 */
OsiisoTaskHandle *
osiiso_queue_submit (OsiisoQueue        *self,
                     OsiisoTaskFunc      func,
                     gpointer            user_data,
                     GDestroyNotify      destroy,
                     OsiisoTaskOptions  *options,
                     GError            **error)
{
  g_return_val_if_fail (OSIISO_IS_QUEUE (self), NULL);
  g_return_val_if_fail (func != NULL, NULL);
  g_return_val_if_fail (options == NULL || OSIISO_IS_TASK_OPTIONS (options), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return submit_internal (self, func, user_data, destroy, options, 0, FALSE, -1, NULL, error);
}

/**
 * osiiso_queue_submit_wait:
 * @self: a #OsiisoQueue
 * @func: (scope notified) (closure user_data) (destroy destroy): the task
 *   function, called once per attempt
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when the task is done, or at
 *   once when the submission is refused
 * @options: (nullable): the task's options, or %NULL for the defaults
 * @timeout: the longest time to wait for space, in seconds; negative to
 *   wait without limit
 * @cancellable: (nullable): a #GCancellable to stop waiting
 * @error: return location for a #GError
 *
 * Like osiiso_queue_submit(), but while the queue is full it blocks until
 * a task finishes (backpressure), at most @timeout seconds
 * (%OSIISO_ERROR_TIMEOUT). Workers free space without the main context,
 * so this is safe on any thread that does not have to run the queue's
 * main context for tasks to finish.
 *
 * Returns: (transfer full): the task's handle, or %NULL with @error set
 */
OsiisoTaskHandle *
osiiso_queue_submit_wait (OsiisoQueue        *self,
                          OsiisoTaskFunc      func,
                          gpointer            user_data,
                          GDestroyNotify      destroy,
                          OsiisoTaskOptions  *options,
                          gdouble             timeout,
                          GCancellable       *cancellable,
                          GError            **error)
{
  g_return_val_if_fail (OSIISO_IS_QUEUE (self), NULL);
  g_return_val_if_fail (func != NULL, NULL);
  g_return_val_if_fail (options == NULL || OSIISO_IS_TASK_OPTIONS (options), NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return submit_internal (self, func, user_data, destroy, options, 0, TRUE, timeout, cancellable, error);
}

/* osiiso_queue_submit() of a worker call (osiiso-process-queue.c): the
 * task's data is @argument (owned) and its function is kept in the task
 * record, so a call costs no record of its own. */
OsiisoTaskHandle *
_osiiso_queue_submit_call (OsiisoQueue        *self,
                           OsiisoTaskFunc      marker,
                           GQuark              function,
                           GVariant           *argument,
                           OsiisoTaskOptions  *options,
                           GError            **error)
{
  return submit_internal (self, marker, argument, (GDestroyNotify) g_variant_unref, options,
                          function, FALSE, -1, NULL, error);
}

/**
 * osiiso_queue_submit_group:
 * @self: a #OsiisoQueue
 * @group: an #OsiisoTaskGroup that was not submitted yet
 * @error: return location for a #GError
 *
 * Submits every task of @group, atomically: either all of them are
 * queued, in the group's order, or none is. Nothing is queued when an
 * entry was invalid (%OSIISO_ERROR_INVALID_OPTION, also for worker calls
 * or commands on a thread or async queue, and in-process functions on a
 * process queue), when the queue does not accept tasks
 * (%OSIISO_ERROR_CLOSED), or when #OsiisoQueue:size leaves no room for the
 * whole group (%OSIISO_ERROR_FULL); a group is submitted once. Never
 * blocks; safe from any thread, but the group's #GListModel announces its
 * items on the calling thread.
 *
 * Returns: %TRUE if the group was queued, %FALSE with @error set
 */
gboolean
osiiso_queue_submit_group (OsiisoQueue      *self,
                           OsiisoTaskGroup  *group,
                           GError          **error)
{
  OsiisoQueuePrivate *priv;
  GPtrArray *tasks;
  guint n_to_run;
  gint64 now;

  g_return_val_if_fail (OSIISO_IS_QUEUE (self), FALSE);
  g_return_val_if_fail (OSIISO_IS_TASK_GROUP (group), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  priv = PRIV (self);
  if (!_osiiso_task_group_check (group, priv->backend->process_tasks, error))
    return FALSE;

  tasks = _osiiso_task_group_get_tasks (group);
  now = g_get_monotonic_time ();
  /* A resumable group: keys are computed and the checkpoint read before
   * the lock is taken. (Refused later, the group may be submitted again;
   * its restored tasks stay restored.) */
  if (!_osiiso_task_group_restore (group, error))
    {
      _osiiso_task_group_unclaim (group);
      return FALSE;
    }
  _osiiso_queue_lock (self);
  if (!accepting_locked (priv))
    {
      _osiiso_queue_unlock (self);
      _osiiso_task_group_unclaim (group);
      g_set_error_literal (error, OSIISO_ERROR, OSIISO_ERROR_CLOSED,
                           _("the queue is not accepting tasks"));
      return FALSE;
    }
  n_to_run = tasks->len - osiiso_task_group_get_n_restored (group);
  if (priv->size != 0 && outstanding_locked (priv) + n_to_run > priv->size)
    {
      guint room = priv->size > outstanding_locked (priv) ? priv->size - outstanding_locked (priv) : 0;

      _osiiso_queue_unlock (self);
      _osiiso_task_group_unclaim (group);
      g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_FULL,
                   _("the queue has room for %u more tasks, not the %u of group “%s”"),
                   room, n_to_run, osiiso_task_group_get_id (group));
      return FALSE;
    }
  /* One pass: the records of a big group are not all in any cache, and
   * each pass over them reads them all from memory again. */
  _osiiso_task_group_admit_locked (group, self);
  for (guint i = 0; i < tasks->len; i++)
    {
      OsiisoTask *task = g_ptr_array_index (tasks, i);

      task->queue = self;
      if (task->result == NULL)   /* restored tasks never enter the queue */
        {
          set_due (task, now);
          admit_locked (self, _osiiso_task_ref (task), now);   /* the queue's reference */
        }
      _osiiso_task_group_admit_task_locked (group, task);
    }
  _osiiso_task_group_admitted_locked (group);
  arm_locked (priv, 0);   /* counts changed */
  _osiiso_queue_unlock (self);

  _osiiso_task_group_emit_submitted (group);
  return TRUE;
}

/**
 * osiiso_queue_map:
 * @self: a #OsiisoQueue that runs task functions (a thread or async queue)
 * @func: (scope notified) (closure user_data) (destroy destroy): the task
 *   function, shared by every task
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data once every task is done
 * @inputs: an array (any `a*` type): one task per element, which the task
 *   reads with osiiso_task_context_get_input(); a floating reference is
 *   taken
 * @options: (nullable): the options of every task, or %NULL for the
 *   defaults
 * @error: return location for a #GError
 *
 * Runs @func once per input: a new #OsiisoTaskGroup with
 * osiiso_task_group_add_map(), submitted with osiiso_queue_submit_group(),
 * all or nothing. No handle is made per task unless asked for.
 *
 * Returns: (transfer full): the group, or %NULL with @error set
 */
OsiisoTaskGroup *
osiiso_queue_map (OsiisoQueue        *self,
                  OsiisoTaskFunc      func,
                  gpointer            user_data,
                  GDestroyNotify      destroy,
                  GVariant           *inputs,
                  OsiisoTaskOptions  *options,
                  GError            **error)
{
  g_autoptr(OsiisoTaskGroup) group = NULL;

  g_return_val_if_fail (OSIISO_IS_QUEUE (self), NULL);
  g_return_val_if_fail (func != NULL, NULL);
  g_return_val_if_fail (inputs != NULL, NULL);
  g_return_val_if_fail (options == NULL || OSIISO_IS_TASK_OPTIONS (options), NULL);

  group = osiiso_task_group_new (options != NULL ? options->group_id : NULL);
  osiiso_task_group_add_map (group, func, user_data, destroy, inputs, options);
  if (!osiiso_queue_submit_group (self, group, error))
    return NULL;
  return g_steal_pointer (&group);
}

/**
 * osiiso_queue_map_objects:
 * @self: a #OsiisoQueue that runs task functions (a thread or async queue)
 * @func: (scope notified) (closure user_data) (destroy destroy): the task
 *   function, shared by every task
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data once every task is done
 * @inputs: a #GListModel: one task per item, which the task reads with
 *   osiiso_task_context_get_input_object()
 * @options: (nullable): the options of every task, or %NULL for the
 *   defaults
 * @error: return location for a #GError
 *
 * Like osiiso_queue_map(), over the items of a #GListModel (a #GListStore,
 * or any model of objects).
 *
 * Returns: (transfer full): the group, or %NULL with @error set
 */
OsiisoTaskGroup *
osiiso_queue_map_objects (OsiisoQueue        *self,
                          OsiisoTaskFunc      func,
                          gpointer            user_data,
                          GDestroyNotify      destroy,
                          GListModel         *inputs,
                          OsiisoTaskOptions  *options,
                          GError            **error)
{
  g_autoptr(OsiisoTaskGroup) group = NULL;

  g_return_val_if_fail (OSIISO_IS_QUEUE (self), NULL);
  g_return_val_if_fail (func != NULL, NULL);
  g_return_val_if_fail (G_IS_LIST_MODEL (inputs), NULL);
  g_return_val_if_fail (options == NULL || OSIISO_IS_TASK_OPTIONS (options), NULL);

  group = osiiso_task_group_new (options != NULL ? options->group_id : NULL);
  osiiso_task_group_add_map_objects (group, func, user_data, destroy, inputs, options);
  if (!osiiso_queue_submit_group (self, group, error))
    return NULL;
  return g_steal_pointer (&group);
}

/**
 * osiiso_queue_start:
 * @self: a #OsiisoQueue
 * @error: return location for a #GError
 *
 * Starts the queue: submitted tasks run as soon as they are eligible,
 * before and between runs. Threads and processes are still created only
 * when a task needs them. Starting a started queue does nothing.
 *
 * Returns: %TRUE on success; %FALSE with %OSIISO_ERROR_CLOSED on a closed
 *   queue, or %OSIISO_ERROR_INVALID_OPTION for an invalid setting
 */
gboolean
osiiso_queue_start (OsiisoQueue  *self,
                    GError      **error)
{
  gboolean ret;

  g_return_val_if_fail (OSIISO_IS_QUEUE (self), FALSE);

  _osiiso_queue_lock (self);
  ret = start_locked (self, error);
  _osiiso_queue_unlock (self);
  return ret;
}

static gboolean
run_timeout_cb (gpointer data)
{
  OsiisoQueue *self = data;
  OsiisoQueuePrivate *priv = PRIV (self);

  if (priv->run != NULL)
    {
      priv->run->timed_out = TRUE;
      g_clear_pointer (&priv->run->timeout_source, g_source_unref);
    }
  _osiiso_queue_lock (self);
  begin_exit_locked (self);
  _osiiso_queue_unlock (self);
  return G_SOURCE_REMOVE;
}

static void
run_cancelled_cb (GCancellable *cancellable,
                  OsiisoQueue  *self)
{
  osiiso_queue_cancel (self);
}

/**
 * osiiso_queue_run_async:
 * @self: a #OsiisoQueue
 * @timeout: the run timeout in seconds; 0 or less to use
 *   #OsiisoQueue:timeout
 * @flags: per-run overrides
 * @cancellable: (nullable): cancelling it ends the run like a forced
 *   shutdown
 * @callback: (scope async): called when the run is over
 * @user_data: (closure): data for @callback
 *
 * Starts the queue if needed and runs it: in finite mode until nothing is
 * outstanding, in infinite mode until the queue is shut down. When the
 * timeout expires, the exit policy applies and the run ends in shutdown.
 * Lets an application keep its own main loop running; @callback runs on
 * the queue's main context.
 */
void
osiiso_queue_run_async (OsiisoQueue         *self,
                        gdouble              timeout,
                        OsiisoRunFlags       flags,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  OsiisoQueuePrivate *priv;
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;
  Run *run;

  g_return_if_fail (OSIISO_IS_QUEUE (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  priv = PRIV (self);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, osiiso_queue_run_async);
  g_task_set_name (task, "[osiiso] osiiso_queue_run_async");
  /* A cancelled run still returns its summary: it ended like a forced
   * shutdown. */
  g_task_set_check_cancellable (task, FALSE);

  if ((flags & OSIISO_RUN_FLAGS_FAIL_FIRST) && (flags & OSIISO_RUN_FLAGS_CONTINUE))
    {
      g_task_return_new_error (task, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION,
                               _("a run cannot be both fail-first and continue"));
      return;
    }
  if (priv->run != NULL)
    {
      g_task_return_new_error (task, OSIISO_ERROR, OSIISO_ERROR_BUSY,
                               _("a run is already in progress"));
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  _osiiso_queue_lock (self);
  if (!start_locked (self, &error))
    {
      _osiiso_queue_unlock (self);
      g_task_return_error (task, error);
      return;
    }
  priv->halted = FALSE;
  priv->run_overrides_policy = (flags & (OSIISO_RUN_FLAGS_FAIL_FIRST | OSIISO_RUN_FLAGS_CONTINUE)) != 0;
  priv->run_fail_policy = (flags & OSIISO_RUN_FLAGS_FAIL_FIRST) ? OSIISO_FAIL_POLICY_FAIL_FIRST
                                                                : OSIISO_FAIL_POLICY_CONTINUE;
  arm_locked (priv, 0);   /* an empty run completes at the next dispatch */
  _osiiso_queue_unlock (self);

  run = g_new0 (Run, 1);
  run->task = g_steal_pointer (&task);
  run->started = g_get_monotonic_time ();
  run->strict = (flags & OSIISO_RUN_FLAGS_STRICT) != 0;
  priv->run = run;

  if (timeout <= 0)
    timeout = priv->timeout;
  if (timeout > 0)
    {
      run->timeout_source = g_timeout_source_new ((guint) MAX (1, timeout * 1000));
      g_source_set_callback (run->timeout_source, run_timeout_cb, self, NULL);
      g_source_set_name (run->timeout_source, "[osiiso] run timeout");
      g_source_attach (run->timeout_source, priv->context);
    }
  if (cancellable != NULL)
    run->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (run_cancelled_cb), self, NULL);
}

/**
 * osiiso_queue_run_finish:
 * @self: a #OsiisoQueue
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes osiiso_queue_run_async().
 *
 * Returns: (transfer full): the run's summary, or %NULL with @error set:
 *   %OSIISO_ERROR_BUSY if another run is in progress, %OSIISO_ERROR_CLOSED
 *   on a closed queue, %OSIISO_ERROR_EXECUTION for a strict run in which a
 *   task failed
 */
OsiisoRunSummary *
osiiso_queue_run_finish (OsiisoQueue   *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (OSIISO_IS_QUEUE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == osiiso_queue_run_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * osiiso_queue_run_full:
 * @self: a #OsiisoQueue
 * @timeout: the run timeout in seconds; 0 or less to use
 *   #OsiisoQueue:timeout
 * @flags: per-run overrides
 * @cancellable: (nullable): cancelling it ends the run like a forced
 *   shutdown
 * @error: return location for a #GError
 *
 * The blocking form of osiiso_queue_run_async(). It iterates the queue's
 * main context until the run is over, so it must be called on the thread
 * that owns that context (a programmer error otherwise).
 *
 * Returns: (transfer full): the run's summary, or %NULL with @error set
 */
OsiisoRunSummary *
osiiso_queue_run_full (OsiisoQueue     *self,
                       gdouble          timeout,
                       OsiisoRunFlags   flags,
                       GCancellable    *cancellable,
                       GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (OSIISO_IS_QUEUE (self), NULL);

  if (!iterate_begin (self))
    return NULL;
  osiiso_queue_run_async (self, timeout, flags, cancellable, store_result_cb, &result);
  iterate_finish (self, &result);

  return osiiso_queue_run_finish (self, result, error);
}

/**
 * osiiso_queue_run:
 * @self: a #OsiisoQueue
 * @cancellable: (nullable): cancelling it ends the run like a forced
 *   shutdown
 * @error: return location for a #GError
 *
 * Runs the queue with its own settings; see osiiso_queue_run_full().
 *
 * Returns: (transfer full): the run's summary, or %NULL with @error set
 */
OsiisoRunSummary *
osiiso_queue_run (OsiisoQueue   *self,
                  GCancellable  *cancellable,
                  GError       **error)
{
  return osiiso_queue_run_full (self, 0, OSIISO_RUN_FLAGS_NONE, cancellable, error);
}

static void
join_async (OsiisoQueue         *self,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  OsiisoQueuePrivate *priv = PRIV (self);
  GTask *task = g_task_new (self, NULL, callback, user_data);
  GError *error = NULL;

  g_task_set_source_tag (task, join_async);

  _osiiso_queue_lock (self);
  if (priv->state != STATE_CLOSED && !start_locked (self, &error))
    {
      _osiiso_queue_unlock (self);
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  arm_locked (priv, 0);
  _osiiso_queue_unlock (self);

  priv->joins = g_slist_prepend (priv->joins, task);
}

/**
 * osiiso_queue_join:
 * @self: a #OsiisoQueue
 * @cancellable: (nullable): a #GCancellable (reserved; pass %NULL)
 * @error: return location for a #GError
 *
 * Starts the queue if needed and waits until nothing is outstanding,
 * without stopping anything and without a summary; usable in infinite
 * mode. Iterates the queue's main context, so it must be called on the
 * thread that owns it.
 *
 * Returns: %TRUE when the queue is idle, %FALSE with @error set
 */
gboolean
osiiso_queue_join (OsiisoQueue   *self,
                   GCancellable  *cancellable,
                   GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (OSIISO_IS_QUEUE (self), FALSE);

  if (!iterate_begin (self))
    return FALSE;
  join_async (self, store_result_cb, &result);
  iterate_finish (self, &result);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * osiiso_queue_shutdown_async:
 * @self: a #OsiisoQueue
 * @force: %FALSE to drain all outstanding work first; %TRUE to cancel
 *   under the exit policy
 * @cancellable: (nullable): a #GCancellable (reserved; pass %NULL)
 * @callback: (scope async): called once the queue is closed
 * @user_data: (closure): data for @callback
 *
 * Shuts the queue down. A graceful shutdown refuses new tasks and waits
 * for everything outstanding, delayed tasks included, to finish (starting
 * the queue if it never started). A forced one applies the exit policy:
 * ordinary work is cancelled at once, must-complete work finishes unless
 * #OsiisoQueue:on-exit is %OSIISO_EXIT_POLICY_CANCEL. Shutting down a
 * closed queue does nothing.
 */
void
osiiso_queue_shutdown_async (OsiisoQueue         *self,
                             gboolean             force,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  OsiisoQueuePrivate *priv;
  GTask *task;

  g_return_if_fail (OSIISO_IS_QUEUE (self));

  priv = PRIV (self);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, osiiso_queue_shutdown_async);
  g_task_set_name (task, "[osiiso] osiiso_queue_shutdown_async");

  _osiiso_queue_lock (self);
  if (force)
    begin_exit_locked (self);
  else if (priv->state == STATE_IDLE || priv->state == STATE_STARTED)
    {
      GError *error = NULL;

      if (!start_locked (self, &error))
        {
          _osiiso_queue_unlock (self);
          g_task_return_error (task, error);
          g_object_unref (task);
          return;
        }
      priv->state = STATE_DRAINING;
      maybe_kick_locked (self);
    }
  arm_locked (priv, 0);
  _osiiso_queue_unlock (self);

  priv->shutdowns = g_slist_prepend (priv->shutdowns, task);
}

/**
 * osiiso_queue_shutdown_finish:
 * @self: a #OsiisoQueue
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes osiiso_queue_shutdown_async().
 *
 * Returns: %TRUE once the queue is closed
 */
gboolean
osiiso_queue_shutdown_finish (OsiisoQueue   *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (OSIISO_IS_QUEUE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * osiiso_queue_shutdown:
 * @self: a #OsiisoQueue
 * @force: %FALSE to drain all outstanding work first; %TRUE to cancel
 *   under the exit policy
 * @cancellable: (nullable): a #GCancellable (reserved; pass %NULL)
 * @error: return location for a #GError
 *
 * The blocking form of osiiso_queue_shutdown_async(). It iterates the
 * queue's main context, so it must be called on the thread that owns it.
 *
 * Returns: %TRUE once the queue is closed
 */
gboolean
osiiso_queue_shutdown (OsiisoQueue   *self,
                       gboolean       force,
                       GCancellable  *cancellable,
                       GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (OSIISO_IS_QUEUE (self), FALSE);

  if (!iterate_begin (self))
    return FALSE;
  osiiso_queue_shutdown_async (self, force, cancellable, store_result_cb, &result);
  iterate_finish (self, &result);

  return osiiso_queue_shutdown_finish (self, result, error);
}

/**
 * osiiso_queue_cancel:
 * @self: a #OsiisoQueue
 *
 * Cancels everything: a forced shutdown that does not wait. Queued work is
 * cancelled and running attempts are ended at once, under the exit policy
 * (must-complete work still finishes under
 * %OSIISO_EXIT_POLICY_COMPLETE_PRIORITY). The queue closes once the
 * remaining work is done. Safe from any thread, including from inside a
 * running task.
 */
void
osiiso_queue_cancel (OsiisoQueue *self)
{
  g_return_if_fail (OSIISO_IS_QUEUE (self));

  _osiiso_queue_lock (self);
  begin_exit_locked (self);
  _osiiso_queue_unlock (self);
}

/**
 * osiiso_queue_reset:
 * @self: a #OsiisoQueue
 * @error: return location for a #GError
 *
 * Makes the queue as good as new: cancels whatever is still outstanding
 * (must-complete tasks too; their #OsiisoQueue::task-completed signals are
 * emitted before this returns), clears the result history and the
 * unreported results, and reopens a closed queue. The queue is left not
 * started. Call it on the thread that owns the queue's main context.
 *
 * Returns: %TRUE on success, %FALSE with %OSIISO_ERROR_BUSY while a run is
 *   in progress
 */
gboolean
osiiso_queue_reset (OsiisoQueue  *self,
                    GError      **error)
{
  OsiisoQueuePrivate *priv;

  g_return_val_if_fail (OSIISO_IS_QUEUE (self), FALSE);

  priv = PRIV (self);
  if (priv->run != NULL)
    {
      g_set_error_literal (error, OSIISO_ERROR, OSIISO_ERROR_BUSY,
                           _("cannot reset while a run is in progress"));
      return FALSE;
    }

  _osiiso_queue_lock (self);
  cancel_live_locked (self, FALSE, NULL);
  _osiiso_queue_unlock (self);

  queue_dispatch (self, TRUE);

  _osiiso_queue_lock (self);
  priv->state = STATE_IDLE;
  priv->halted = FALSE;
  priv->run_overrides_policy = FALSE;
  priv->next_seq = 0;
  priv->rate_tat = 0;
  priv->rate_wake = 0;
  if (priv->exit_timer != NULL)
    {
      g_source_destroy (priv->exit_timer);
      g_clear_pointer (&priv->exit_timer, g_source_unref);
    }
  _osiiso_queue_unlock (self);

  g_ptr_array_set_size (priv->history, 0);
  g_ptr_array_set_size (priv->unreported, 0);
  memset (priv->unreported_counts, 0, sizeof priv->unreported_counts);
  notify_counts (self);
  return_all (&priv->joins, TRUE);
  return TRUE;
}

/**
 * osiiso_queue_clear_results:
 * @self: a #OsiisoQueue
 *
 * Frees the stored result history, and the results not yet reported by a
 * run, without resetting anything else. Handles keep their results. Call
 * it on the thread that owns the queue's main context.
 */
void
osiiso_queue_clear_results (OsiisoQueue *self)
{
  OsiisoQueuePrivate *priv;

  g_return_if_fail (OSIISO_IS_QUEUE (self));

  priv = PRIV (self);
  g_ptr_array_set_size (priv->history, 0);
  g_ptr_array_set_size (priv->unreported, 0);
  memset (priv->unreported_counts, 0, sizeof priv->unreported_counts);
  notify_counts (self);
}

/**
 * osiiso_queue_get_results:
 * @self: a #OsiisoQueue
 * @n_results: (out) (optional): return location for the number of results
 *
 * Gets the result history: every task result delivered since the queue was
 * created, reset or cleared, detached tasks included, in completion order.
 *
 * Returns: (array length=n_results) (transfer full): the results
 */
OsiisoTaskResult **
osiiso_queue_get_results (OsiisoQueue *self,
                          guint       *n_results)
{
  OsiisoQueuePrivate *priv;
  OsiisoTaskResult **results;

  g_return_val_if_fail (OSIISO_IS_QUEUE (self), NULL);

  priv = PRIV (self);
  results = g_new (OsiisoTaskResult *, priv->history->len + 1);
  for (guint i = 0; i < priv->history->len; i++)
    results[i] = osiiso_task_result_ref (g_ptr_array_index (priv->history, i));
  results[priv->history->len] = NULL;
  if (n_results != NULL)
    *n_results = priv->history->len;
  return results;
}

/**
 * osiiso_queue_get_main_context:
 * @self: a #OsiisoQueue
 *
 * Gets #OsiisoQueue:main-context.
 *
 * Returns: (transfer none): the context the queue emits its signals on
 */
GMainContext *
osiiso_queue_get_main_context (OsiisoQueue *self)
{
  g_return_val_if_fail (OSIISO_IS_QUEUE (self), NULL);
  return PRIV (self)->context;
}

/**
 * osiiso_queue_get_workers:
 * @self: a #OsiisoQueue
 *
 * Gets how many attempts may run at once: #OsiisoQueue:workers, or the
 * automatic number once the queue has started.
 *
 * Returns: the worker count
 */
guint
osiiso_queue_get_workers (OsiisoQueue *self)
{
  OsiisoQueuePrivate *priv;
  guint workers;

  g_return_val_if_fail (OSIISO_IS_QUEUE (self), 0);

  priv = PRIV (self);
  lock_queue (priv);
  workers = priv->workers > 0 ? priv->workers
          : priv->effective_workers > 0 ? priv->effective_workers
          : priv->backend->default_workers ();
  g_mutex_unlock (&priv->lock);
  return workers;
}

static guint
count_statuses (OsiisoQueue      *self,
                OsiisoTaskStatus  a,
                OsiisoTaskStatus  b)
{
  OsiisoQueuePrivate *priv = PRIV (self);
  guint n;

  lock_queue (priv);
  n = priv->n_status[a] + (b != a ? priv->n_status[b] : 0);
  g_mutex_unlock (&priv->lock);
  return n;
}

/**
 * osiiso_queue_get_pending:
 * @self: a #OsiisoQueue
 *
 * Gets #OsiisoQueue:pending, at this moment; safe from any thread.
 *
 * Returns: tasks queued or scheduled
 */
guint
osiiso_queue_get_pending (OsiisoQueue *self)
{
  g_return_val_if_fail (OSIISO_IS_QUEUE (self), 0);
  return count_statuses (self, OSIISO_TASK_STATUS_PENDING, OSIISO_TASK_STATUS_SCHEDULED);
}

/**
 * osiiso_queue_get_active:
 * @self: a #OsiisoQueue
 *
 * Gets #OsiisoQueue:active, at this moment; safe from any thread.
 *
 * Returns: tasks running or waiting to retry
 */
guint
osiiso_queue_get_active (OsiisoQueue *self)
{
  g_return_val_if_fail (OSIISO_IS_QUEUE (self), 0);
  return count_statuses (self, OSIISO_TASK_STATUS_RUNNING, OSIISO_TASK_STATUS_RETRYING);
}

/**
 * osiiso_queue_get_scheduled:
 * @self: a #OsiisoQueue
 *
 * Gets #OsiisoQueue:scheduled, at this moment; safe from any thread.
 *
 * Returns: tasks waiting for their delay or run-at time
 */
guint
osiiso_queue_get_scheduled (OsiisoQueue *self)
{
  g_return_val_if_fail (OSIISO_IS_QUEUE (self), 0);
  return count_statuses (self, OSIISO_TASK_STATUS_SCHEDULED, OSIISO_TASK_STATUS_SCHEDULED);
}

/**
 * osiiso_queue_get_completed:
 * @self: a #OsiisoQueue
 *
 * Gets #OsiisoQueue:completed: the number of results in the history. Call
 * it on the thread that owns the queue's main context.
 *
 * Returns: the number of results in the history
 */
guint
osiiso_queue_get_completed (OsiisoQueue *self)
{
  g_return_val_if_fail (OSIISO_IS_QUEUE (self), 0);
  return PRIV (self)->history->len;
}

/**
 * osiiso_queue_get_closed:
 * @self: a #OsiisoQueue
 *
 * Gets #OsiisoQueue:closed.
 *
 * Returns: %TRUE if the queue has been shut down
 */
gboolean
osiiso_queue_get_closed (OsiisoQueue *self)
{
  OsiisoQueuePrivate *priv;
  gboolean closed;

  g_return_val_if_fail (OSIISO_IS_QUEUE (self), FALSE);

  priv = PRIV (self);
  lock_queue (priv);
  closed = priv->state == STATE_CLOSED;
  g_mutex_unlock (&priv->lock);
  return closed;
}

/* ------------------------------------------------------------------------
 * For handles
 * --------------------------------------------------------------------- */

OsiisoQueueLink *
_osiiso_queue_get_link (OsiisoQueue *self)
{
  return _osiiso_queue_link_ref (PRIV (self)->link);
}

OsiisoQueueLink *
_osiiso_queue_link_ref (OsiisoQueueLink *link)
{
  g_atomic_int_inc (&link->ref_count);
  return link;
}

void
_osiiso_queue_link_unref (OsiisoQueueLink *link)
{
  if (g_atomic_int_dec_and_test (&link->ref_count))
    {
      g_weak_ref_clear (&link->queue);
      g_free (link);
    }
}

OsiisoQueue *
_osiiso_queue_link_dup_queue (OsiisoQueueLink *link)
{
  return g_weak_ref_get (&link->queue);
}

gboolean
_osiiso_queue_cancel_task (OsiisoQueue *self,
                           OsiisoTask  *task)
{
  gboolean cancelled;

  _osiiso_queue_lock (self);
  cancelled = cancel_task_locked (self, task, NULL);
  if (cancelled)
    maybe_kick_locked (self);
  _osiiso_queue_unlock (self);
  return cancelled;
}

static gboolean
wait_timeout_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
wait_cancelled_cb (GCancellable *cancellable,
                   gpointer      data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
_osiiso_queue_is_owner_thread (OsiisoQueue *self)
{
  OsiisoQueuePrivate *priv = PRIV (self);

  return g_main_context_is_owner (priv->context) || g_thread_self () == priv->owner_thread;
}

/* Waits until @done (called with the queue's lock held) returns TRUE, at
 * most @timeout seconds (negative: no limit). Returns FALSE if the wait
 * timed out or @cancellable was cancelled first. */
gboolean
_osiiso_queue_wait_for (OsiisoQueue       *self,
                        OsiisoWaitDoneFunc done,
                        gpointer           data,
                        gdouble            timeout,
                        GCancellable      *cancellable)
{
  OsiisoQueuePrivate *priv = PRIV (self);
  gboolean met;

  lock_queue (priv);
  met = done (data);
  g_mutex_unlock (&priv->lock);
  if (met)
    return TRUE;

  /* On the thread that runs the queue's context (it already owns it, or
   * it built the queue and nobody else runs the context), keep the context
   * running while waiting. Any other thread just sleeps: it must not
   * become the thread that emits the queue's signals. */
  if ((g_main_context_is_owner (priv->context) || g_thread_self () == priv->owner_thread)
      && g_main_context_acquire (priv->context))
    {
      GSource *timer = NULL;
      GSource *cancelled = NULL;
      gboolean was_cancelled = FALSE;
      gboolean timed_out = FALSE;

      if (timeout >= 0)
        {
          timer = g_timeout_source_new ((guint) (timeout * 1000));
          g_source_set_callback (timer, wait_timeout_cb, &timed_out, NULL);
          g_source_attach (timer, priv->context);
        }
      if (cancellable != NULL)
        {
          /* Wakes the iteration when another thread cancels. */
          cancelled = g_cancellable_source_new (cancellable);
          g_source_set_callback (cancelled, G_SOURCE_FUNC (wait_cancelled_cb), &was_cancelled, NULL);
          g_source_attach (cancelled, priv->context);
        }
      for (;;)
        {
          lock_queue (priv);
          met = done (data);
          g_mutex_unlock (&priv->lock);
          if (met || timed_out || was_cancelled || g_cancellable_is_cancelled (cancellable))
            break;
          g_main_context_iteration (priv->context, TRUE);
        }
      if (timer != NULL)
        {
          g_source_destroy (timer);
          g_source_unref (timer);
        }
      if (cancelled != NULL)
        {
          g_source_destroy (cancelled);
          g_source_unref (cancelled);
        }
      g_main_context_release (priv->context);
    }
  else
    {
      gint64 deadline = timeout >= 0 ? g_get_monotonic_time () + seconds_to_usec (timeout) : -1;
      gulong id = 0;

      if (cancellable != NULL)
        id = g_cancellable_connect (cancellable, G_CALLBACK (g_cond_broadcast), &priv->cond, NULL);

      lock_queue (priv);
      priv->n_waiters++;
      while (!(met = done (data)) && !g_cancellable_is_cancelled (cancellable))
        {
          if (deadline < 0)
            g_cond_wait (&priv->cond, &priv->lock);
          else if (!g_cond_wait_until (&priv->cond, &priv->lock, deadline)
                   && g_get_monotonic_time () >= deadline)
            {
              met = done (data);
              break;
            }
        }
      priv->n_waiters--;
      g_mutex_unlock (&priv->lock);

      if (id != 0)
        g_cancellable_disconnect (cancellable, id);
    }

  return met;
}

static gboolean
task_is_final (gpointer data)
{
  return _osiiso_task_status_is_final (((OsiisoTask *) data)->status);
}

gboolean
_osiiso_queue_wait_task (OsiisoQueue   *self,
                         OsiisoTask    *task,
                         gdouble        timeout,
                         GCancellable  *cancellable,
                         GError       **error)
{
  if (_osiiso_queue_wait_for (self, task_is_final, task, timeout, cancellable))
    return TRUE;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_TIMEOUT,
               _("the task did not finish within %gs"), timeout);
  return FALSE;
}
