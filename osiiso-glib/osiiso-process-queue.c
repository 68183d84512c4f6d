/* osiiso-process-queue.c: tasks in a pool of persistent worker processes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "osiiso-queue-private.h"
#include "osiiso-protocol-private.h"
#include "osiiso-command-private.h"
#include "osiiso-task-group-private.h"
#include "osiiso-group-killer-private.h"
#include "osiiso-i18n-private.h"

#include <glib-unix.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/**
 * SECTION:osiiso-process-queue
 * @Title: OsiisoProcessQueue
 * @Short_description: Tasks in persistent worker processes
 *
 * An #OsiisoProcessQueue runs tasks in separate processes: CPU-heavy or
 * crash-prone work, or work that needs isolation. Each worker slot owns one
 * long-lived worker process, started with #GSubprocess when a task first
 * needs it and reused for task after task, across runs, until the queue
 * shuts down. A task names a function of the worker and passes a
 * #GVariant; its value is a #GVariant (in a #GValue of type
 * %G_TYPE_VARIANT).
 *
 * |[<!-- language="C" -->
 * const char *argv[] = { "osiiso-worker", "/usr/lib/myapp/functions.so", NULL };
 * g_autoptr(OsiisoProcessQueue) queue = osiiso_process_queue_new (argv, 0);
 * g_autoptr(OsiisoTaskHandle) handle =
 *   osiiso_process_queue_submit_call (queue, "resize", g_variant_new ("(si)", path, 640),
 *                                     NULL, &error);
 * ]|
 *
 * A worker is any program that speaks the protocol on its standard input
 * and output: a C program, the installed `osiiso-worker` helper loading a
 * C module, or a Python or GJS script, each built on #OsiisoWorker. The
 * parent talks to it through pipes with length-prefixed, versioned
 * #GVariant frames (at most 16 MiB each), all driven from the queue's main
 * context without ever blocking it.
 *
 * Every worker runs in its own process group and asks the kernel to kill it
 * if the parent dies; it also exits when its input ends.
 *
 * What is killed when:
 *
 * - A worker that dies during a task (exit, abort(), a signal) fails that
 *   attempt with %OSIISO_ERROR_WORKER naming the exit status or the
 *   signal; retries apply, and the slot starts a new worker for the next
 *   task.
 * - A timed-out or cancelled attempt gets its worker's whole process group
 *   terminated (SIGTERM, then SIGKILL after #OsiisoProcessQueue:kill-grace
 *   seconds), grandchildren included; the slot starts a new worker.
 * - A worker that breaks the protocol (garbage, a bad frame length, a
 *   truncated frame, a reply to another request) is killed at once and
 *   its attempt fails with %OSIISO_ERROR_PROTOCOL: it is never trusted.
 * - A worker whose initializer fails, or that dies before it is ready,
 *   fails its attempt with %OSIISO_ERROR_WORKER; its slot then backs off
 *   (0.1 s, doubling up to 5 s) and fails the tasks given to it meanwhile
 *   with the same error instead of respawning in a tight loop.
 * - Shutdown closes the workers' input, and they exit; dropping the queue
 *   kills them.
 *
 * A process queue also runs one-shot command lines
 * (osiiso_process_queue_submit_command()), each in its own process group
 * with its output captured; those need no worker process.
 *
 * Every policy (ordering, retries, timeouts, rate limits, fail-first,
 * must-complete, the exit policy) is the queue's, as on the other
 * backends.
 */

/**
 * OsiisoProcessQueue:
 *
 * A queue whose tasks run in worker processes. All its fields are private.
 */

typedef struct
{
  GSubprocess       *process;       /* the current worker, or NULL */
  int                input;         /* our end of its stdin socket (nonblocking), or -1 */
  int                output;        /* our end of its stdout pipe (nonblocking), or -1 */
  GSource           *watch;         /* polls both for this worker (a WorkerSource) */
  guint8            *buffer;        /* what the worker wrote: [parsed, buffered) is still to parse */
  gsize              parsed;
  gsize              buffered;
  gsize              buffer_size;
  GBytes            *unsent;        /* the part of a request the socket had no room for */
  gsize              unsent_offset;
  gint               pgid;
  guint              generation;    /* bumped when the worker is discarded */
  gboolean           ready;         /* the hello arrived */
  gboolean           doomed;        /* its attempt was interrupted: kill it */
  OsiisoTaskContext *context;       /* the attempt in flight, or NULL */
  OsiisoCommand     *command;       /* the command task in flight, or NULL */
  guint64            request_id;
  GError            *exit_error;    /* the worker exited; reported once its output ended */
  gboolean           output_ended;  /* its stdout reached end of file */
  gint64             backoff_until; /* monotonic µs */
  gdouble            backoff;       /* seconds */
  GError            *start_error;   /* why the last worker never became ready */
} Slot;

struct _OsiisoProcessQueue
{
  OsiisoQueue  parent_instance;

  char       **worker_argv;
  gdouble      kill_grace;
  guint64      output_limit;
  Slot        *slots;        /* (queue lock) for doomed/context; otherwise owner context */
  guint        n_slots;
  guint64      last_request;
  gboolean     pump_wanted;  /* (queue lock) */
  guint        n_dying;      /* (queue lock) killed commands whose process is not gone yet */
};

G_DEFINE_FINAL_TYPE (OsiisoProcessQueue, osiiso_process_queue, OSIISO_TYPE_QUEUE)

enum {
  PROP_0,
  PROP_WORKER_ARGV,
  PROP_KILL_GRACE,
  PROP_OUTPUT_LIMIT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The source that polls one worker's pipes for its slot. */
typedef struct
{
  GSource          source;
  OsiisoQueueLink *link;         /* the queue, weakly */
  guint            slot;
  guint            generation;   /* the worker's: a later one has its own source */
  gpointer         output_tag;   /* its stdout, until it ends */
  gpointer         input_tag;    /* its stdin, while a request waits for room */
} WorkerSource;

/* A wait for a worker's exit: which worker of which queue. It holds the
 * queue only weakly, so it never keeps a dropped queue alive. */
typedef struct
{
  OsiisoQueueLink *link;
  guint            slot;
  guint            generation;
} Op;

static Op *
op_new (OsiisoProcessQueue *self,
        guint               slot)
{
  Op *op = g_new0 (Op, 1);

  op->link = _osiiso_queue_get_link (OSIISO_QUEUE (self));
  op->slot = slot;
  op->generation = self->slots[slot].generation;
  return op;
}

static void
op_free (Op *op)
{
  _osiiso_queue_link_unref (op->link);
  g_free (op);
}

/* The queue (a new reference) and the slot of a worker, or NULL if either
 * has gone since. */
static OsiisoProcessQueue *
claim_worker (OsiisoQueueLink  *link,
              guint             index,
              guint             generation,
              Slot            **slot)
{
  OsiisoQueue *queue = _osiiso_queue_link_dup_queue (link);
  OsiisoProcessQueue *self;

  if (queue == NULL)
    return NULL;
  self = OSIISO_PROCESS_QUEUE (queue);
  if (self->slots == NULL || self->slots[index].generation != generation)
    {
      g_object_unref (queue);
      return NULL;
    }
  *slot = &self->slots[index];
  return self;
}

static OsiisoProcessQueue *
op_claim (Op    *op,
          Slot **slot)
{
  return claim_worker (op->link, op->slot, op->generation, slot);
}

gboolean
_osiiso_process_call_marker (OsiisoTaskContext *context, gpointer data, GError **error)
{
  /* Process tasks never run in this process; the marker tells them apart
   * from functions submitted with osiiso_queue_submit(). */
  g_assert_not_reached ();
  return FALSE;
}

gboolean
_osiiso_process_command_marker (OsiisoTaskContext *context, gpointer data, GError **error)
{
  g_assert_not_reached ();
  return FALSE;
}

/* A command's attempt is over: its slot is free again. A killed command
 * left its slot when it was killed; its process is gone now. */
static void
command_done (OsiisoCommand *command,
              gboolean       killed,
              gpointer       data)
{
  OsiisoProcessQueue *self = data;

  if (killed)
    {
      _osiiso_queue_lock (OSIISO_QUEUE (self));
      self->n_dying--;
      _osiiso_queue_wake_locked (OSIISO_QUEUE (self));   /* shutdown may be waiting */
      _osiiso_queue_unlock (OSIISO_QUEUE (self));
      return;
    }
  for (guint i = 0; i < self->n_slots; i++)
    if (self->slots[i].command == command)
      {
        self->slots[i].command = NULL;
        self->slots[i].context = NULL;   /* the command completes it */
      }
}

/* Worker calls need a worker command line; a queue without one runs only
 * command tasks. */
static gboolean
check_workers (OsiisoProcessQueue  *self,
               GError             **error)
{
  if (self->worker_argv != NULL && self->worker_argv[0] != NULL)
    return TRUE;
  g_set_error_literal (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION,
                       _("the process queue has no worker-argv: it runs only command tasks"));
  return FALSE;
}

/* A call task has no record of its own (at a million queued calls, a
 * 16-byte record would cost 32 bytes of heap each): its data is its
 * argument, and its function is in its task record when it was submitted
 * alone, in its batch when it came in a group. A call of a map has no
 * data: its argument is its batch's input. */
const char *
_osiiso_process_call_get (OsiisoTask  *task,
                          GVariant   **argument)
{
  if (task->batch == NULL)
    {
      *argument = g_variant_ref (task->user_data);
      return g_quark_to_string (task->function);
    }
  if (task->user_data != NULL)
    *argument = g_variant_ref (task->user_data);
  else
    *argument = _osiiso_batch_dup_input (task->batch, task->index);
  return task->batch->function;
}

GVariant *
_osiiso_process_call_describe (OsiisoTask *task)
{
  g_autoptr(GVariant) argument = NULL;
  const char *function = _osiiso_process_call_get (task, &argument);

  return g_variant_ref_sink (g_variant_new ("(sv)", function, argument));
}

/* A request the worker would refuse is refused at submission, before it
 * can cost a worker. */
gboolean
_osiiso_process_check_argument (const char  *function,
                                GVariant    *argument,
                                GError     **error)
{
  g_autoptr(GBytes) request = NULL;

  /* (utsv): 16 bytes of u and t, the name, the variant's value and type,
   * padding and two offsets: well under 64 bytes besides name, value and
   * type. Only a request near the limit is built to be measured. */
  if (argument == NULL
      || g_variant_get_size (argument) + strlen (function) + strlen (g_variant_get_type_string (argument)) + 64
         <= OSIISO_PROTOCOL_MAX_FRAME)
    return TRUE;
  request = _osiiso_protocol_request_frame (0, function, argument);
  if (g_bytes_get_size (request) - 4 > OSIISO_PROTOCOL_MAX_FRAME)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                   _("the request is too large (%zu bytes, the limit is %u)"),
                   g_bytes_get_size (request) - 4, OSIISO_PROTOCOL_MAX_FRAME);
      return FALSE;
    }
  return TRUE;
}

GVariant *
_osiiso_process_call_take_argument (const char  *function,
                                    GVariant    *argument,
                                    GError     **error)
{
  g_autoptr(GVariant) owned = g_variant_ref_sink (argument != NULL ? argument : g_variant_new ("()"));

  if (!_osiiso_process_check_argument (function, owned, error))
    return NULL;
  return g_steal_pointer (&owned);
}

/* ------------------------------------------------------------------------
 * Killing and reaping
 * --------------------------------------------------------------------- */

/* Signals a worker's process group; never group 0, which would be ours. */
static void
kill_group (gint pgid,
            int  sig)
{
  if (pgid > 1)
    kill (-pgid, sig);
}

/* Completes the slot's attempt with @error (dropped by the queue if the
 * attempt already ended there). Takes @error. */
static void
fail_attempt (Slot   *slot,
              GError *error)
{
  OsiisoTaskContext *context = g_steal_pointer (&slot->context);

  if (context == NULL)
    {
      g_clear_error (&error);
      return;
    }
  /* The completion gives back the operation's reference to the context,
   * which is the one the slot held. */
  osiiso_task_context_return_error (context, error);
}

/* Stops watching the slot's worker and closes our ends of its stdin and
 * stdout; whatever it had not read or we had not parsed is dropped. */
static void
release_io (Slot *slot)
{
  if (slot->watch != NULL)
    {
      g_source_destroy (slot->watch);
      g_clear_pointer (&slot->watch, g_source_unref);
    }
  if (slot->input >= 0)
    close (slot->input);
  if (slot->output >= 0)
    close (slot->output);
  slot->input = slot->output = -1;
  g_clear_pointer (&slot->unsent, g_bytes_unref);
  slot->unsent_offset = 0;
  g_clear_pointer (&slot->buffer, g_free);
  slot->parsed = slot->buffered = slot->buffer_size = 0;
}

/* Lets go of the slot's worker: its pending I/O is dropped, its process
 * group killed (SIGTERM then SIGKILL, or SIGKILL at once), and the slot is
 * free for a new worker. */
static void
discard_worker (OsiisoProcessQueue *self,
                Slot               *slot,
                gboolean            at_once)
{
  slot->generation++;
  slot->ready = FALSE;
  slot->doomed = FALSE;
  slot->output_ended = FALSE;
  g_clear_error (&slot->exit_error);

  if (slot->pgid > 0)
    {
      /* The SIGKILL after the grace period comes from the group killer's
       * thread: a worker's group outlives its leader while any member
       * lives, so its id cannot be reused before then. */
      if (at_once || self->kill_grace <= 0)
        kill_group (slot->pgid, SIGKILL);
      else if (slot->pgid > 1)
        _osiiso_group_terminate (slot->pgid, self->kill_grace);
    }
  release_io (slot);
  g_clear_object (&slot->process);
  slot->pgid = 0;
}

static char *
describe_exit (GSubprocess *process)
{
  if (g_subprocess_get_if_signaled (process))
    {
      int sig = g_subprocess_get_term_sig (process);

      return g_strdup_printf (_("killed by signal %d (%s)"), sig, g_strsignal (sig));
    }
  return g_strdup_printf (_("exit status %d"), g_subprocess_get_exit_status (process));
}

/* A worker was not ready and will not be: back off before the next one. */
static void
start_failed (Slot   *slot,
              GError *error)
{
  slot->backoff = slot->backoff > 0 ? MIN (slot->backoff * 2, 5.0) : 0.1;
  slot->backoff_until = g_get_monotonic_time () + (gint64) (slot->backoff * G_USEC_PER_SEC);
  g_clear_error (&slot->start_error);
  slot->start_error = g_error_copy (error);
}

/* A worker's death is reported once both its exit status and the end of
 * its output are known: a reply (or a truncated frame) still in the pipe
 * decides first. */
static void
report_death (OsiisoProcessQueue *self,
              Slot               *slot)
{
  GError *error = g_steal_pointer (&slot->exit_error);

  if (!slot->ready)
    start_failed (slot, error);
  discard_worker (self, slot, TRUE);   /* its grandchildren too */
  fail_attempt (slot, error);

  _osiiso_queue_lock (OSIISO_QUEUE (self));
  _osiiso_queue_kick_locked (OSIISO_QUEUE (self));
  _osiiso_queue_unlock (OSIISO_QUEUE (self));
}

static void
worker_exited_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      data)
{
  Op *op = data;
  OsiisoProcessQueue *self;
  Slot *slot;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);

  self = op_claim (op, &slot);
  if (self != NULL)
    {
      /* The current worker died on its own. */
      g_autofree char *how = describe_exit (G_SUBPROCESS (source));

      slot->exit_error = g_error_new (OSIISO_ERROR, OSIISO_ERROR_WORKER,
                                      _("worker process %d died (%s)"), slot->pgid, how);
      /* Whatever else holds its output open goes with its group. */
      kill_group (slot->pgid, SIGKILL);
      if (slot->output_ended)
        report_death (self, slot);
      g_object_unref (self);
    }
  op_free (op);
}

/* The worker's output ended: report its death if its exit is known. */
static void
output_ended (OsiisoProcessQueue *self,
              Slot               *slot)
{
  slot->output_ended = TRUE;
  if (slot->exit_error != NULL)
    report_death (self, slot);
}

/* The worker broke the protocol: it is not trusted with anything more. */
static void
protocol_violation (OsiisoProcessQueue *self,
                    Slot               *slot,
                    GError             *error)
{
  GError *reported = g_error_new (OSIISO_ERROR, OSIISO_ERROR_PROTOCOL,
                                  _("worker process %d broke the protocol and was killed: %s"),
                                  slot->pgid, error->message);

  g_debug ("%s", reported->message);
  g_error_free (error);
  if (!slot->ready)
    start_failed (slot, reported);
  discard_worker (self, slot, TRUE);
  fail_attempt (slot, reported);
}

/* ------------------------------------------------------------------------
 * Reading replies
 * --------------------------------------------------------------------- */


/* A well-formed reply to request @id: @value, or the worker's @error.
 * Takes both. */
static void
handle_reply (OsiisoProcessQueue *self,
              Slot               *slot,
              guint64             id,
              GVariant           *value_in,
              GError             *error)
{
  g_autoptr(GVariant) value = value_in;
  gboolean ok = error == NULL;

  if (id == 0)
    {
      if (slot->ready)
        {
          g_clear_error (&error);
          protocol_violation (self, slot, g_error_new_literal (OSIISO_ERROR, OSIISO_ERROR_PROTOCOL,
                                                               _("a second hello")));
          return;
        }
      if (!ok)
        {
          GError *failed = g_error_new (OSIISO_ERROR, OSIISO_ERROR_WORKER,
                                        _("the worker's initializer failed: %s"), error->message);

          g_error_free (error);
          start_failed (slot, failed);
          discard_worker (self, slot, TRUE);
          fail_attempt (slot, failed);
          return;
        }
      slot->ready = TRUE;
      slot->backoff = 0;
      g_clear_error (&slot->start_error);
      return;
    }

  if (!slot->ready || slot->context == NULL || id != slot->request_id)
    {
      g_clear_error (&error);
      protocol_violation (self, slot,
                          g_error_new (OSIISO_ERROR, OSIISO_ERROR_PROTOCOL,
                                       _("a reply to request %llu, expected %llu"),
                                       (unsigned long long) id,
                                       (unsigned long long) (slot->context != NULL ? slot->request_id : 0)));
      return;
    }

  {
    OsiisoTaskContext *context = g_steal_pointer (&slot->context);

    if (ok)
      {
        g_auto(GValue) gvalue = G_VALUE_INIT;

        g_value_init (&gvalue, G_TYPE_VARIANT);
        g_value_set_variant (&gvalue, value);
        osiiso_task_context_return_value (context, &gvalue);
      }
    else
      osiiso_task_context_return_error (context, error);
  }
}

/* What a worker wrote is read into its slot's buffer, as much as the pipe
 * holds, and parsed there frame by frame: no allocation or asynchronous
 * operation per reply. */
#define READ_CHUNK      (16 * 1024)
#define BUFFER_KEPT_MAX (1024 * 1024)   /* a bigger buffer goes once empty */

/* Parses and handles each whole frame in the slot's buffer. Returns FALSE
 * once the worker has been discarded: by a violation, or by what handling
 * a reply led to.
 *
 * Handling a reply may run a nested main loop that reads from this worker
 * again, so a frame is consumed before it is handled and nothing is kept
 * in locals across handle_reply(). */
static gboolean
parse_replies (OsiisoProcessQueue *self,
               Slot               *slot)
{
  guint generation = slot->generation;

  while (slot->buffered - slot->parsed >= 4)
    {
      g_autoptr(GBytes) payload = NULL;
      GVariant *value = NULL;
      GError *error = NULL, *failure = NULL;
      guint64 id = 0;
      guint32 size = _osiiso_protocol_parse_header (slot->buffer + slot->parsed, &error);

      if (size == 0)
        {
          protocol_violation (self, slot, error);
          return FALSE;
        }
      if (slot->buffered - slot->parsed - 4 < size)
        break;   /* the rest of the frame is still to come */

      payload = g_bytes_new (slot->buffer + slot->parsed + 4, size);
      slot->parsed += 4 + size;
      if (!_osiiso_protocol_parse_reply (payload, &id, &value, &failure, &error))
        {
          protocol_violation (self, slot, error);
          return FALSE;
        }
      handle_reply (self, slot, id, value, failure);
      if (slot->generation != generation)
        return FALSE;
    }

  if (slot->parsed == slot->buffered)
    {
      slot->parsed = slot->buffered = 0;
      if (slot->buffer_size > BUFFER_KEPT_MAX)
        {
          g_clear_pointer (&slot->buffer, g_free);
          slot->buffer_size = 0;
        }
    }
  return TRUE;
}

/* Room in the buffer for the next read: a chunk, or the whole of a frame
 * whose header is in. */
static void
reserve_buffer (Slot *slot)
{
  gsize want;

  if (slot->parsed > 0)
    {
      memmove (slot->buffer, slot->buffer + slot->parsed, slot->buffered - slot->parsed);
      slot->buffered -= slot->parsed;
      slot->parsed = 0;
    }
  want = slot->buffered + READ_CHUNK;
  if (slot->buffered >= 4)
    {
      guint32 be;

      memcpy (&be, slot->buffer, 4);
      if (GUINT32_FROM_BE (be) <= OSIISO_PROTOCOL_MAX_FRAME)
        want = MAX (want, 4 + (gsize) GUINT32_FROM_BE (be));
    }
  if (want <= slot->buffer_size)
    return;
  slot->buffer_size = MAX (want, slot->buffer_size * 2);
  slot->buffer = g_realloc (slot->buffer, slot->buffer_size);
}

/* The worker's stdout ended (or failed): what is left in the buffer is a
 * frame cut short; otherwise its death is reported once its exit is
 * known too. */
static void
output_done (OsiisoProcessQueue *self,
             Slot               *slot)
{
  WorkerSource *watch = (WorkerSource *) slot->watch;
  gsize left = slot->buffered - slot->parsed;

  if (left >= 4)
    {
      guint32 be;

      memcpy (&be, slot->buffer + slot->parsed, 4);
      protocol_violation (self, slot, g_error_new (OSIISO_ERROR, OSIISO_ERROR_PROTOCOL,
                                                   _("a truncated frame (%zu of %u bytes)"),
                                                   left - 4, GUINT32_FROM_BE (be)));
      return;
    }
  if (left > 0)
    {
      protocol_violation (self, slot, g_error_new_literal (OSIISO_ERROR, OSIISO_ERROR_PROTOCOL,
                                                           _("a truncated frame header")));
      return;
    }
  /* An ended pipe polls as ready for ever: stop polling it. */
  g_source_remove_unix_fd (slot->watch, watch->output_tag);
  watch->output_tag = NULL;
  output_ended (self, slot);
}

/* Reads what the worker wrote, without waiting, and handles its replies. */
static void
read_replies (OsiisoProcessQueue *self,
              Slot               *slot)
{
  for (;;)
    {
      gsize room;
      gssize n;

      reserve_buffer (slot);
      room = slot->buffer_size - slot->buffered;
      n = read (slot->output, slot->buffer + slot->buffered, room);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
      if (n <= 0)
        {
          output_done (self, slot);   /* end of output, or it failed */
          return;
        }
      slot->buffered += n;
      if (!parse_replies (self, slot))
        return;
      /* A read that did not fill the room emptied the pipe: another
       * would only say so. */
      if ((gsize) n < room)
        return;
    }
}

/* Writes as much of the unsent request as the socket takes now, and polls
 * for room while some is left. */
static void
flush_request (Slot *slot)
{
  WorkerSource *watch = (WorkerSource *) slot->watch;
  gsize size;
  const guint8 *data = g_bytes_get_data (slot->unsent, &size);

  while (slot->unsent_offset < size)
    {
      /* A socket, not a pipe: MSG_NOSIGNAL spares the host SIGPIPE when
       * the worker has died. */
      gssize n = send (slot->input, data + slot->unsent_offset, size - slot->unsent_offset,
                       MSG_NOSIGNAL | MSG_DONTWAIT);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        {
          if (watch->input_tag == NULL)
            watch->input_tag = g_source_add_unix_fd (slot->watch, slot->input, G_IO_OUT);
          return;
        }
      if (n < 0)
        break;   /* the worker is gone: its exit reports it */
      slot->unsent_offset += n;
    }

  g_clear_pointer (&slot->unsent, g_bytes_unref);
  slot->unsent_offset = 0;
  if (watch->input_tag != NULL)
    {
      g_source_remove_unix_fd (slot->watch, watch->input_tag);
      watch->input_tag = NULL;
    }
}

static void process_dispatch (OsiisoQueue *queue);

static gboolean
worker_source_dispatch (GSource     *source,
                        GSourceFunc  callback,
                        gpointer     user_data)
{
  WorkerSource *watch = (WorkerSource *) source;
  OsiisoProcessQueue *self;
  Slot *slot;

  self = claim_worker (watch->link, watch->slot, watch->generation, &slot);
  if (self == NULL)
    return G_SOURCE_REMOVE;
  if (watch->input_tag != NULL && g_source_query_unix_fd (source, watch->input_tag) != 0)
    flush_request (slot);
  /* A worker that replied is free: its next task starts now, and the
   * reply is delivered after that, not one iteration of the context
   * later. */
  if (watch->output_tag != NULL && g_source_query_unix_fd (source, watch->output_tag) != 0)
    {
      read_replies (self, slot);
      _osiiso_queue_dispatch (OSIISO_QUEUE (self));
    }
  else
    process_dispatch (OSIISO_QUEUE (self));
  g_object_unref (self);
  return G_SOURCE_CONTINUE;
}

static void
worker_source_finalize (GSource *source)
{
  _osiiso_queue_link_unref (((WorkerSource *) source)->link);
}

static GSourceFuncs worker_source_funcs = {
  .dispatch = worker_source_dispatch,
  .finalize = worker_source_finalize,
};

/* One source per worker polls its stdout, and its stdin while a request
 * waits for room; it lives as long as the worker. */
static GSource *
worker_source_new (OsiisoProcessQueue *self,
                   guint               index)
{
  Slot *slot = &self->slots[index];
  WorkerSource *watch = (WorkerSource *) g_source_new (&worker_source_funcs, sizeof (WorkerSource));

  watch->link = _osiiso_queue_get_link (OSIISO_QUEUE (self));
  watch->slot = index;
  watch->generation = slot->generation;
  watch->output_tag = g_source_add_unix_fd ((GSource *) watch, slot->output, G_IO_IN);
  g_source_set_name ((GSource *) watch, "[osiiso] worker");
  /* GLib stops polling a source that may not recurse while it dispatches,
   * and each stop and restart wakes the context: twice per reply. */
  g_source_set_can_recurse ((GSource *) watch, TRUE);
  g_source_attach ((GSource *) watch, osiiso_queue_get_main_context (OSIISO_QUEUE (self)));
  return (GSource *) watch;
}

/* ------------------------------------------------------------------------
 * Starting workers and attempts
 * --------------------------------------------------------------------- */

static void
child_setup (gpointer data)
{
  /* Its own process group, so a timeout kills the worker's children too;
   * and no life after the parent. */
  setpgid (0, 0);
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static gboolean
spawn_worker (OsiisoProcessQueue  *self,
              guint                index,
              GError             **error)
{
  Slot *slot = &self->slots[index];
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  const char *identifier;
  int in[2], out[2];

  /* The worker's stdin is a socket, not a pipe: writes to it use
   * MSG_NOSIGNAL, so a worker that died never raises SIGPIPE in (and
   * kills) the host program. */
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "socketpair: %s", g_strerror (saved));
      return FALSE;
    }
  if (!g_unix_open_pipe (out, FD_CLOEXEC, error))
    {
      close (in[0]);
      close (in[1]);
      return FALSE;
    }
  /* Our ends never block the owner context; the worker's ends do block. */
  if (!g_unix_set_fd_nonblocking (out[0], TRUE, error))
    {
      close (in[0]);
      close (in[1]);
      close (out[0]);
      close (out[1]);
      return FALSE;
    }

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_take_stdin_fd (launcher, in[1]);     /* closed here with the launcher */
  g_subprocess_launcher_take_stdout_fd (launcher, out[1]);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  slot->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) self->worker_argv, error);
  if (slot->process == NULL)
    {
      close (in[0]);
      close (out[0]);
      return FALSE;
    }

  identifier = g_subprocess_get_identifier (slot->process);
  slot->pgid = identifier != NULL ? atoi (identifier) : 0;
  slot->input = in[0];
  slot->output = out[0];
  slot->ready = FALSE;
  slot->watch = worker_source_new (self, index);

  g_subprocess_wait_async (slot->process, NULL, worker_exited_cb, op_new (self, index));
  return TRUE;
}

/* Whether the slot's worker has exited, reaped or not. */
static gboolean
worker_gone (Slot *slot)
{
  siginfo_t info = { 0 };

  if (g_subprocess_get_identifier (slot->process) == NULL || slot->pgid <= 0)
    return TRUE;
  /* Peek without reaping: GLib's child watch reaps it. */
  if (waitid (P_PID, slot->pgid, &info, WEXITED | WNOHANG | WNOWAIT) < 0)
    return errno == ECHILD;
  return info.si_pid == slot->pgid;
}

static void
start_attempt (OsiisoProcessQueue *self,
               guint               index,
               OsiisoTaskContext  *context)
{
  Slot *slot = &self->slots[index];
  OsiisoTask *task = context->task;
  GError *error = NULL;

  if (task->func == _osiiso_process_command_marker)
    {
      slot->command = _osiiso_command_start (task->user_data, context,
                                             osiiso_queue_get_main_context (OSIISO_QUEUE (self)),
                                             self->output_limit, self->kill_grace,
                                             command_done, self, &error);
      if (slot->command == NULL)
        fail_attempt (slot, error);
      return;
    }

  if (task->func != _osiiso_process_call_marker)
    {
      fail_attempt (slot, g_error_new_literal (OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION,
                                               _("a process queue runs only tasks submitted with "
                                                 "osiiso_process_queue_submit_call()")));
      return;
    }

  if (!check_workers (self, &error))
    {
      /* A call in a group given to a commands-only queue. */
      fail_attempt (slot, error);
      return;
    }

  if (slot->process != NULL && worker_gone (slot))
    {
      /* The idle worker died and its death has not been seen yet: this
       * request never reached it, so it goes to a new worker instead of
       * being charged with that death. One that replied a moment ago is
       * checked too: a worker may end itself right after its reply. */
      discard_worker (self, slot, TRUE);
    }

  if (slot->process == NULL)
    {
      if (slot->start_error != NULL && g_get_monotonic_time () < slot->backoff_until)
        {
          /* Backing off: the last worker of this slot never got ready. */
          fail_attempt (slot, g_error_copy (slot->start_error));
          return;
        }
      if (!spawn_worker (self, index, &error))
        {
          GError *failed = g_error_new (OSIISO_ERROR, OSIISO_ERROR_WORKER,
                                        _("could not start a worker process: %s"), error->message);

          g_error_free (error);
          start_failed (slot, failed);
          fail_attempt (slot, failed);
          return;
        }
    }

  /* One request in flight per worker: nothing of another is unsent. The
   * socket almost always takes it at once. */
  g_assert (slot->unsent == NULL);
  slot->request_id = ++self->last_request;
  {
    g_autoptr(GVariant) argument = NULL;
    const char *function = _osiiso_process_call_get (task, &argument);

    slot->unsent = _osiiso_protocol_request_frame (slot->request_id, function, argument);
  }
  flush_request (slot);
}

static guint
process_default_workers (void)
{
  return MAX (1, MIN (32, g_get_num_processors ()));
}

static void
process_kick (OsiisoQueue *queue)
{
  OsiisoProcessQueue *self = OSIISO_PROCESS_QUEUE (queue);

  if (!self->pump_wanted)
    {
      self->pump_wanted = TRUE;
      _osiiso_queue_wake_locked (queue);
    }
}

/* Lock held: the core has ended the attempt; its worker goes at the next
 * dispatch (killing it needs the owner context). */
static void
process_interrupt (OsiisoQueue       *queue,
                   OsiisoTaskContext *context)
{
  OsiisoProcessQueue *self = OSIISO_PROCESS_QUEUE (queue);

  for (guint i = 0; i < self->n_slots; i++)
    if (self->slots[i].context == context)
      self->slots[i].doomed = TRUE;
  self->pump_wanted = TRUE;
  _osiiso_queue_wake_locked (queue);
}

static void
process_dispatch (OsiisoQueue *queue)
{
  OsiisoProcessQueue *self = OSIISO_PROCESS_QUEUE (queue);
  OsiisoTaskContext *context;
  GPtrArray *doomed;

  _osiiso_queue_lock (queue);
  if (!self->pump_wanted)
    {
      _osiiso_queue_unlock (queue);
      return;
    }
  self->pump_wanted = FALSE;
  doomed = g_ptr_array_new ();

  if (self->slots == NULL)
    {
      self->n_slots = _osiiso_queue_workers_locked (queue);
      self->slots = g_new0 (Slot, self->n_slots);
      for (guint i = 0; i < self->n_slots; i++)
        self->slots[i].input = self->slots[i].output = -1;
    }
  for (guint i = 0; i < self->n_slots; i++)
    if (self->slots[i].doomed)
      {
        g_ptr_array_add (doomed, &self->slots[i]);
        if (self->slots[i].command != NULL)
          self->n_dying++;   /* until its process is gone: shutdown waits for it */
      }
  _osiiso_queue_unlock (queue);

  g_main_context_push_thread_default (osiiso_queue_get_main_context (queue));

  /* Interrupted attempts: their workers' process groups are terminated. */
  for (guint i = 0; i < doomed->len; i++)
    {
      Slot *slot = g_ptr_array_index (doomed, i);

      if (slot->command != NULL)
        {
          /* The command completes its attempt (late, dropped) when its
           * group is gone. */
          _osiiso_command_kill (g_steal_pointer (&slot->command));
          slot->context = NULL;
          slot->doomed = FALSE;
        }
      else
        {
          discard_worker (self, slot, FALSE);
          fail_attempt (slot, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                   _("the attempt was cancelled")));   /* dropped */
        }
    }
  g_ptr_array_unref (doomed);

  _osiiso_queue_lock (queue);
  for (;;)
    {
      guint index;

      for (index = 0; index < self->n_slots; index++)
        if (self->slots[index].context == NULL && !self->slots[index].doomed)
          break;
      if (index == self->n_slots)
        break;
      context = _osiiso_queue_take_next_locked (queue);
      if (context == NULL)
        break;

      /* take_next()'s reference is the slot's; the completion gives back
       * the queue reference taken here. */
      context->queue = g_object_ref (queue);
      self->slots[index].context = context;
      _osiiso_queue_unlock (queue);
      start_attempt (self, index, context);
      _osiiso_queue_lock (queue);
    }
  _osiiso_queue_unlock (queue);
  g_main_context_pop_thread_default (osiiso_queue_get_main_context (queue));
}

/* At shutdown: closing their input makes idle workers exit. */
static void
process_stop (OsiisoQueue *queue)
{
  OsiisoProcessQueue *self = OSIISO_PROCESS_QUEUE (queue);

  for (guint i = 0; i < self->n_slots; i++)
    {
      Slot *slot = &self->slots[i];

      if (slot->process == NULL)
        continue;
      /* Closing its input makes it exit; one that does not is killed. */
      if (self->kill_grace > 0 && slot->pgid > 1)
        _osiiso_group_kill_later (slot->pgid, self->kill_grace);
      /* Let go of it: the wait still reaps it. */
      slot->generation++;
      slot->ready = FALSE;
      slot->output_ended = FALSE;
      g_clear_error (&slot->exit_error);
      release_io (slot);
      g_clear_object (&slot->process);
      slot->pgid = 0;
    }
}

static guint
process_count_stuck (OsiisoQueue *queue)
{
  return OSIISO_PROCESS_QUEUE (queue)->n_dying;
}

static const OsiisoBackend process_backend = {
  .default_workers = process_default_workers,
  .count_stuck = process_count_stuck,
  .process_tasks = TRUE,
  .kick = process_kick,
  .interrupt = process_interrupt,
  .dispatch = process_dispatch,
  .stop = process_stop,
};

/* ------------------------------------------------------------------------
 * GObject
 * --------------------------------------------------------------------- */

static void
osiiso_process_queue_dispose (GObject *object)
{
  OsiisoProcessQueue *self = (OsiisoProcessQueue *) object;

  /* No attempt is in flight (each holds a reference); kill what is left. */
  for (guint i = 0; i < self->n_slots; i++)
    {
      if (self->slots[i].process != NULL)
        discard_worker (self, &self->slots[i], TRUE);
      g_clear_error (&self->slots[i].start_error);
      g_clear_error (&self->slots[i].exit_error);
    }

  G_OBJECT_CLASS (osiiso_process_queue_parent_class)->dispose (object);
}

static void
osiiso_process_queue_finalize (GObject *object)
{
  OsiisoProcessQueue *self = (OsiisoProcessQueue *) object;

  g_free (self->slots);
  g_strfreev (self->worker_argv);

  G_OBJECT_CLASS (osiiso_process_queue_parent_class)->finalize (object);
}

static void
osiiso_process_queue_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  OsiisoProcessQueue *self = OSIISO_PROCESS_QUEUE (object);

  switch (prop_id)
    {
    case PROP_WORKER_ARGV: g_value_set_boxed (value, self->worker_argv); break;
    case PROP_KILL_GRACE:  g_value_set_double (value, self->kill_grace); break;
    case PROP_OUTPUT_LIMIT: g_value_set_uint64 (value, self->output_limit); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
osiiso_process_queue_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  OsiisoProcessQueue *self = OSIISO_PROCESS_QUEUE (object);

  switch (prop_id)
    {
    case PROP_WORKER_ARGV: self->worker_argv = g_value_dup_boxed (value); break;
    case PROP_KILL_GRACE:  self->kill_grace = g_value_get_double (value); break;
    case PROP_OUTPUT_LIMIT: self->output_limit = g_value_get_uint64 (value); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
osiiso_process_queue_class_init (OsiisoProcessQueueClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY
                            | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  _osiiso_i18n_init ();

  object_class->dispose = osiiso_process_queue_dispose;
  object_class->finalize = osiiso_process_queue_finalize;
  object_class->get_property = osiiso_process_queue_get_property;
  object_class->set_property = osiiso_process_queue_set_property;

  /**
   * OsiisoProcessQueue:worker-argv:
   *
   * The command line of a worker process, e.g. `osiiso-worker module.so`,
   * `python3 worker.py` or `gjs -m worker.js`; the program is looked up in
   * `PATH`. %NULL (or empty) for a queue that runs only command tasks.
   */
  properties[PROP_WORKER_ARGV] =
    g_param_spec_boxed ("worker-argv", "Worker argv", "The command line of a worker",
                        G_TYPE_STRV, flags);

  /**
   * OsiisoProcessQueue:kill-grace:
   *
   * Seconds between the SIGTERM and the SIGKILL sent to the process group
   * of a worker whose attempt timed out or was cancelled.
   */
  properties[PROP_KILL_GRACE] =
    g_param_spec_double ("kill-grace", "Kill grace", "Seconds between SIGTERM and SIGKILL",
                         0.0, G_MAXDOUBLE, 1.0, flags);

  /**
   * OsiisoProcessQueue:output-limit:
   *
   * How many bytes of a command task's standard output, and as many of its
   * standard error, are kept; the rest is read and dropped (see
   * osiiso_command_result_get_stdout_truncated()).
   */
  properties[PROP_OUTPUT_LIMIT] =
    g_param_spec_uint64 ("output-limit", "Output limit", "Bytes of a command's output kept per stream",
                         0, G_MAXUINT64, 16 * 1024 * 1024, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
osiiso_process_queue_init (OsiisoProcessQueue *self)
{
  self->kill_grace = 1.0;
  self->output_limit = 16 * 1024 * 1024;
  _osiiso_queue_set_backend (OSIISO_QUEUE (self), &process_backend);
}

/**
 * osiiso_process_queue_new:
 * @worker_argv: (array zero-terminated=1) (nullable): the command line of
 *   a worker, or %NULL for a queue that runs only command tasks
 * @workers: how many worker processes may run at once, or 0 for
 *   max(1, min(32, CPUs))
 *
 * Creates a process queue with default settings. Use g_object_new() to set
 * others.
 *
 * Returns: (transfer full): a new #OsiisoProcessQueue
 */
OsiisoProcessQueue *
osiiso_process_queue_new (const char * const *worker_argv,
                          guint               workers)
{
  return g_object_new (OSIISO_TYPE_PROCESS_QUEUE, "worker-argv", worker_argv, "workers", workers, NULL);
}

/**
 * osiiso_process_queue_submit_call:
 * @self: a #OsiisoProcessQueue
 * @function: the name of a function the worker registered
 * @argument: (nullable): its argument, or %NULL for `()`; a floating
 *   reference is taken
 * @options: (nullable): the task's options, or %NULL for the defaults
 * @error: return location for a #GError
 *
 * Submits a call of @function in a worker process. Its value is the
 * #GVariant the function returns (in a #GValue of type %G_TYPE_VARIANT);
 * a worker without that function fails the task with
 * %OSIISO_ERROR_UNKNOWN_FUNCTION. Admission works as for
 * osiiso_queue_submit().
 *
 * Returns: (transfer full): the task's handle, or %NULL with @error set
 */
OsiisoTaskHandle *
osiiso_process_queue_submit_call (OsiisoProcessQueue  *self,
                                  const char          *function,
                                  GVariant            *argument,
                                  OsiisoTaskOptions   *options,
                                  GError             **error)
{
  GVariant *owned;

  g_return_val_if_fail (OSIISO_IS_PROCESS_QUEUE (self), NULL);
  g_return_val_if_fail (function != NULL, NULL);
  g_return_val_if_fail (options == NULL || OSIISO_IS_TASK_OPTIONS (options), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_workers (self, error))
    {
      if (argument != NULL)
        g_variant_ref_sink (argument), g_variant_unref (argument);
      return NULL;
    }

  owned = _osiiso_process_call_take_argument (function, argument, error);
  if (owned == NULL)
    return NULL;
  /* Function names are few: as quarks they cost nothing per task. */
  return _osiiso_queue_submit_call (OSIISO_QUEUE (self), _osiiso_process_call_marker,
                                    g_quark_from_string (function), owned, options, error);
}

/**
 * osiiso_process_queue_submit_command:
 * @self: a #OsiisoProcessQueue
 * @argv: (array zero-terminated=1): the command line; the program is looked
 *   up in `PATH`
 * @input: (nullable): bytes for the command's standard input, or %NULL for
 *   /dev/null
 * @cwd: (nullable) (type filename): its working directory, or %NULL for
 *   this process's
 * @envp: (nullable) (array zero-terminated=1): its environment, or %NULL
 *   for this process's
 * @options: (nullable): the task's options, or %NULL for the defaults
 * @error: return location for a #GError
 *
 * Submits a one-shot command line as a task. It runs in its own process
 * group, with its standard output and error captured (see
 * #OsiisoProcessQueue:output-limit); every policy of the queue applies. A
 * timeout or cancel terminates the whole process group (SIGTERM, then
 * SIGKILL after #OsiisoProcessQueue:kill-grace seconds), so no grandchild
 * survives. The task's value is an #OsiisoCommandResult; a non-zero exit
 * or a signal fails the task with %OSIISO_ERROR_COMMAND, whose message
 * gives the status and the end of the standard error, and the failed
 * result still carries the #OsiisoCommandResult. A command that cannot be
 * started (a missing program, a bad @cwd) fails with %OSIISO_ERROR_COMMAND
 * too. Command tasks count against #OsiisoQueue:workers like any other.
 *
 * Returns: (transfer full): the task's handle, or %NULL with @error set
 */
OsiisoTaskHandle *
osiiso_process_queue_submit_command (OsiisoProcessQueue  *self,
                                     const char * const  *argv,
                                     GBytes              *input,
                                     const char          *cwd,
                                     const char * const  *envp,
                                     OsiisoTaskOptions   *options,
                                     GError             **error)
{
  OsiisoCommandSpec *spec;

  g_return_val_if_fail (OSIISO_IS_PROCESS_QUEUE (self), NULL);
  g_return_val_if_fail (argv != NULL && argv[0] != NULL, NULL);

  spec = _osiiso_command_spec_new (argv, input, cwd, envp);
  return osiiso_queue_submit (OSIISO_QUEUE (self), _osiiso_process_command_marker, spec,
                              (GDestroyNotify) _osiiso_command_spec_unref, options, error);
}

/**
 * osiiso_process_queue_map_call:
 * @self: a #OsiisoProcessQueue
 * @function: the name of a function the worker registered
 * @inputs: an array: one call per element, each element the call's
 *   argument; a floating reference is taken
 * @options: (nullable): the options of every call, or %NULL for the
 *   defaults
 * @error: return location for a #GError
 *
 * Calls @function in a worker once per element of @inputs: a new
 * #OsiisoTaskGroup with osiiso_task_group_add_map_call(), submitted with
 * osiiso_queue_submit_group(), all or nothing. Each task's value is the
 * #GVariant its call returned.
 *
 * Returns: (transfer full): the group, or %NULL with @error set
 */
OsiisoTaskGroup *
osiiso_process_queue_map_call (OsiisoProcessQueue  *self,
                               const char          *function,
                               GVariant            *inputs,
                               OsiisoTaskOptions   *options,
                               GError             **error)
{
  g_autoptr(OsiisoTaskGroup) group = NULL;

  g_return_val_if_fail (OSIISO_IS_PROCESS_QUEUE (self), NULL);
  g_return_val_if_fail (function != NULL, NULL);
  g_return_val_if_fail (inputs != NULL, NULL);
  g_return_val_if_fail (options == NULL || OSIISO_IS_TASK_OPTIONS (options), NULL);

  if (!check_workers (self, error))
    {
      g_variant_unref (g_variant_ref_sink (inputs));
      return NULL;
    }
  group = osiiso_task_group_new (options != NULL ? osiiso_task_options_get_group_id (options) : NULL);
  osiiso_task_group_add_map_call (group, function, inputs, options);
  if (!osiiso_queue_submit_group (OSIISO_QUEUE (self), group, error))
    return NULL;
  return g_steal_pointer (&group);
}

/**
 * osiiso_process_queue_get_worker_pids:
 * @self: a #OsiisoProcessQueue
 * @n_pids: (out): return location for the number of pids
 *
 * Gets the process ids of the worker processes alive now. Call it on the
 * thread that owns the queue's main context.
 *
 * Returns: (array length=n_pids) (transfer full): the pids
 */
gint *
osiiso_process_queue_get_worker_pids (OsiisoProcessQueue *self,
                                      guint              *n_pids)
{
  gint *pids;
  guint n = 0;

  g_return_val_if_fail (OSIISO_IS_PROCESS_QUEUE (self), NULL);

  pids = g_new0 (gint, self->n_slots + 1);
  for (guint i = 0; i < self->n_slots; i++)
    if (self->slots[i].pgid > 0)
      pids[n++] = self->slots[i].pgid;
  if (n_pids != NULL)
    *n_pids = n;
  return pids;
}
