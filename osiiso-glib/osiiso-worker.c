/* osiiso-worker.c: the worker side of a process queue
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "osiiso-glib.h"
#include "osiiso-protocol-private.h"
#include "osiiso-i18n-private.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

/**
 * SECTION:osiiso-worker
 * @Title: OsiisoWorker
 * @Short_description: Serving named functions to a process queue
 *
 * An #OsiisoWorker is the other end of a process queue: a worker process
 * creates one, registers the functions it offers by name
 * (osiiso_worker_register()), and calls osiiso_worker_run(), which serves
 * requests from the parent until the parent closes the pipe. A task sent to
 * the queue names one of these functions and carries a #GVariant argument;
 * the function's #GVariant value, or its #GError, goes back to the parent.
 *
 * A worker can be written in C, in Python or in JavaScript:
 *
 * |[<!-- language="C" -->
 * static GVariant *
 * add (OsiisoWorker *worker, GVariant *argument, gpointer user_data, GError **error)
 * {
 *   gint32 a, b;
 *
 *   if (!g_variant_is_of_type (argument, G_VARIANT_TYPE ("(ii)")))
 *     {
 *       g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "add takes (ii)");
 *       return NULL;
 *     }
 *   g_variant_get (argument, "(ii)", &a, &b);
 *   return g_variant_new_int32 (a + b);
 * }
 *
 * int
 * main (void)
 * {
 *   g_autoptr(OsiisoWorker) worker = osiiso_worker_new ();
 *   g_autoptr(GError) error = NULL;
 *   int status;
 *
 *   osiiso_worker_register (worker, "add", add, NULL, NULL);
 *   status = osiiso_worker_run (worker, &error);
 *   if (error != NULL)
 *     g_printerr ("worker: %s\n", error->message);
 *   return status;
 * }
 * ]|
 *
 * |[<!-- language="Python" -->
 * import sys
 * import gi
 * gi.require_version('Osiiso', '1.0')
 * from gi.repository import GLib, Osiiso
 *
 * def add(worker, argument):
 *     a, b = argument.unpack()
 *     return GLib.Variant('i', a + b)
 *
 * worker = Osiiso.Worker.new()
 * worker.register('add', add)
 * sys.exit(worker.run())
 * ]|
 *
 * |[<!-- language="JavaScript" -->
 * import GLib from 'gi://GLib';
 * import Osiiso from 'gi://Osiiso?version=1.0';
 * import System from 'system';
 *
 * const worker = new Osiiso.Worker();
 * worker.register('add', (w, argument) => {
 *     const [a, b] = argument.deepUnpack();
 *     return new GLib.Variant('i', a + b);
 * });
 * System.exit(worker.run());
 * ]|
 *
 * A function fails its task by setting its #GError (in Python, by raising
 * `GLib.Error`; in JavaScript, by throwing a `GLib.Error`): the error's
 * domain, code and message reach the parent unchanged. A function that
 * returns %NULL without an error (`None`, `null`) gives the task the value
 * `()`. Mind the bindings' handling of other exceptions: GJS turns any
 * thrown JavaScript error into a #GError, but PyGObject only prints a
 * Python exception other than `GLib.Error` and returns `None`, so the task
 * would succeed; catch exceptions in Python functions and raise
 * `GLib.Error` instead. A value whose reply would exceed the protocol's frame limit
 * (16 MiB) fails the task with %G_IO_ERROR_MESSAGE_TOO_LARGE instead.
 *
 * C functions can also be served without writing a program: the installed
 * `osiiso-worker` helper loads a shared module with #GModule and calls its
 * `gboolean osiiso_worker_module_init (OsiisoWorker *worker, GError **error)`,
 * which registers the module's functions (and maybe an initializer); then
 * it runs the worker. Use `osiiso-worker MODULE.so` (or
 * `osiiso-worker --module PATH`) as the worker command line.
 *
 * ## One request at a time
 *
 * A worker is single-threaded: osiiso_worker_run() calls the functions in
 * the thread that called it, one request at a time, and a process queue
 * never sends a worker a second request before the first one's reply. The
 * process lives on between tasks: state kept in module globals (caches,
 * connections, counters) persists from one task to the next in the same
 * process, and is lost when the process is replaced (after a crash, a
 * timeout or a cancellation, the queue kills the worker and starts a new
 * one). An initializer (osiiso_worker_set_initializer()) runs once per
 * process, before the first request.
 *
 * ## Standard streams
 *
 * The protocol runs over the process's standard input and output.
 * osiiso_worker_run() moves it to private descriptors first, so that task
 * code cannot corrupt it: from then on, anything written to standard
 * output (printf(), Python's print(), child processes) goes to standard
 * error, and standard input reads from `/dev/null`. C stdio buffers are
 * flushed before each reply. The private descriptors are close-on-exec, so
 * programs that tasks start do not hold the queue's pipes.
 *
 * ## Waiting for the next request
 *
 * While requests follow each other closely, a worker does not go to sleep
 * between them: after a reply it polls its input for up to 50 µs (yielding
 * the processor to anything else that is ready to run) before it blocks.
 * Waking a sleeping process costs more than a tiny task does, so this
 * doubles the rate of small requests on a busy pool. A worker keeps
 * polling while each request arrives within that window; once one arrives
 * later, it sleeps until the next one, and it polls again after a request
 * that came within twice the window of the reply before (the wait then
 * includes its own wake-up). So a worker spends CPU time on polling only
 * while its requests come that often, at most the window per request,
 * and a worker without work sleeps. Set the environment variable
 * `OSIISO_WORKER_SPIN_USEC` to another number of microseconds (up to
 * 20000) in the worker's environment to change the window; 0 turns the
 * polling off, and with any other value the default applies.
 *
 * ## Exit status
 *
 * osiiso_worker_run() returns the status the process should exit with:
 * 0 when the parent closed the pipe (the normal end), 1 when the
 * initializer failed (the parent got its error as the worker's first
 * message, so the #GError is not set), 2 on a protocol or I/O error on the
 * pipe (a malformed request, a broken pipe), with the #GError set. From
 * Python and JavaScript that last case raises an exception instead, which
 * ends the interpreter with a non-zero status too.
 */

/**
 * OsiisoWorker:
 *
 * Serves named functions to a process queue. All its fields are private.
 */

typedef struct
{
  OsiisoWorkerFunc  func;
  gpointer          user_data;
  GDestroyNotify    destroy;
} Registration;

struct _OsiisoWorker
{
  GObject               parent_instance;

  GHashTable           *functions;   /* name → Registration (rc box) */

  OsiisoWorkerInitFunc  init_func;
  gpointer              init_data;
  GDestroyNotify        init_destroy;

  gboolean              running;
};

G_DEFINE_FINAL_TYPE (OsiisoWorker, osiiso_worker, G_TYPE_OBJECT)

/* The protocol's descriptors, taken from fds 0 and 1 once per process
 * (standard output is process-wide, so a second worker, or a second run,
 * reuses them). */
static int protocol_in = -1;
static int protocol_out = -1;

static void
registration_clear (gpointer data)
{
  Registration *registration = data;

  if (registration->destroy != NULL)
    registration->destroy (registration->user_data);
}

static void
registration_release (gpointer data)
{
  g_rc_box_release_full (data, registration_clear);
}

static void
osiiso_worker_finalize (GObject *object)
{
  OsiisoWorker *self = OSIISO_WORKER (object);

  g_hash_table_unref (self->functions);
  if (self->init_func != NULL && self->init_destroy != NULL)
    self->init_destroy (self->init_data);

  G_OBJECT_CLASS (osiiso_worker_parent_class)->finalize (object);
}

static void
osiiso_worker_class_init (OsiisoWorkerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  _osiiso_i18n_init ();

  object_class->finalize = osiiso_worker_finalize;
}

static void
osiiso_worker_init (OsiisoWorker *self)
{
  self->functions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, registration_release);
}

/**
 * osiiso_worker_new:
 *
 * Creates a worker with no functions. Register them with
 * osiiso_worker_register(), then serve them with osiiso_worker_run().
 *
 * Returns: (transfer full): a new #OsiisoWorker
 */
OsiisoWorker *
osiiso_worker_new (void)
{
  return g_object_new (OSIISO_TYPE_WORKER, NULL);
}

/**
 * osiiso_worker_register:
 * @self: a #OsiisoWorker
 * @name: the name tasks call the function by
 * @func: (scope notified) (closure user_data) (destroy destroy): the function
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when the function is replaced or
 *   the worker is finalized
 *
 * Offers @func to the parent under @name. Registering a name again
 * replaces its function.
 */
void
osiiso_worker_register (OsiisoWorker     *self,
                        const char       *name,
                        OsiisoWorkerFunc  func,
                        gpointer          user_data,
                        GDestroyNotify    destroy)
{
  Registration *registration;

  g_return_if_fail (OSIISO_IS_WORKER (self));
  g_return_if_fail (name != NULL);
  g_return_if_fail (func != NULL);

  registration = g_rc_box_new0 (Registration);
  registration->func = func;
  registration->user_data = user_data;
  registration->destroy = destroy;
  g_hash_table_replace (self->functions, g_strdup (name), registration);
}

/**
 * osiiso_worker_set_initializer:
 * @self: a #OsiisoWorker
 * @func: (scope notified) (closure user_data) (destroy destroy) (nullable):
 *   the initializer, or %NULL for none
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when the initializer is replaced
 *   or the worker is finalized
 *
 * Sets a function that osiiso_worker_run() calls once, before it serves
 * the first request. If it fails, the parent gets its error (the queue
 * reports that the worker could not start) and osiiso_worker_run()
 * returns 1.
 */
void
osiiso_worker_set_initializer (OsiisoWorker         *self,
                               OsiisoWorkerInitFunc  func,
                               gpointer              user_data,
                               GDestroyNotify        destroy)
{
  OsiisoWorkerInitFunc old_func;
  gpointer old_data;
  GDestroyNotify old_destroy;

  g_return_if_fail (OSIISO_IS_WORKER (self));

  old_func = self->init_func;
  old_data = self->init_data;
  old_destroy = self->init_destroy;
  self->init_func = func;
  self->init_data = user_data;
  self->init_destroy = destroy;

  if (old_func != NULL && old_destroy != NULL)
    old_destroy (old_data);
}

static gboolean
set_errno_error (GError     **error,
                 const char  *what)
{
  int saved = errno;

  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
               "%s: %s", what, g_strerror (saved));
  return FALSE;
}

/* Moves the protocol off fds 0 and 1: task output goes to stderr, task
 * input comes from /dev/null. */
static gboolean
take_protocol_fds (GError **error)
{
  int in, out, null_fd;

  if (protocol_out >= 0)
    return TRUE;

  fflush (NULL);

  in = fcntl (STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
  if (in < 0)
    return set_errno_error (error, _("standard input"));
  out = fcntl (STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
  if (out < 0)
    {
      set_errno_error (error, _("standard output"));
      close (in);
      return FALSE;
    }

  null_fd = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd >= 0)
    {
      while (dup2 (null_fd, STDIN_FILENO) < 0 && errno == EINTR)
        ;
    }
  /* fd 1 becomes a copy of stderr; with stderr closed, /dev/null. */
  if (dup2 (STDERR_FILENO, STDOUT_FILENO) < 0 && null_fd >= 0)
    {
      while (dup2 (null_fd, STDOUT_FILENO) < 0 && errno == EINTR)
        ;
    }
  if (null_fd >= 0)
    close (null_fd);

  protocol_in = in;
  protocol_out = out;
  return TRUE;
}

/* Replies with @value or @error (never both). Errors must fit the
 * protocol: a registered domain and a valid UTF-8 message. */
static gboolean
send_reply (guint64        id,
            GVariant      *value,
            const GError  *error,
            GError       **io_error)
{
  g_autoptr(GBytes) frame = NULL;
  g_autoptr(GError) clean = NULL;

  if (error != NULL && (error->domain == 0 || error->message == NULL ||
                        !g_utf8_validate (error->message, -1, NULL)))
    {
      g_autofree char *message = g_utf8_make_valid (error->message != NULL ? error->message : "", -1);

      if (error->domain != 0)
        clean = g_error_new_literal (error->domain, error->code, message);
      else
        clean = g_error_new_literal (OSIISO_ERROR, OSIISO_ERROR_FAILED, message);
      error = clean;
    }

  frame = _osiiso_protocol_reply_frame (id, error == NULL ? value : NULL, error);
  if (g_bytes_get_size (frame) - 4 > OSIISO_PROTOCOL_MAX_FRAME)
    {
      g_autoptr(GError) too_large = NULL;

      too_large = g_error_new (G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                               _("the reply is too large (%zu bytes, the limit is %u)"),
                               g_bytes_get_size (frame) - 4, OSIISO_PROTOCOL_MAX_FRAME);
      g_clear_pointer (&frame, g_bytes_unref);
      frame = _osiiso_protocol_reply_frame (id, NULL, too_large);
    }

  /* Whatever the task printed goes out before the reply does. */
  fflush (NULL);

  if (!_osiiso_protocol_write_frame (protocol_out, frame, io_error))
    {
      g_prefix_error (io_error, _("Could not send a reply: "));
      return FALSE;
    }
  return TRUE;
}

static gboolean
serve_request (OsiisoWorker  *self,
               guint64        id,
               const char    *name,
               GVariant      *argument,
               GError       **io_error)
{
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GError) error = NULL;
  Registration *registration;

  registration = g_hash_table_lookup (self->functions, name);
  if (registration == NULL)
    {
      g_set_error (&error, OSIISO_ERROR, OSIISO_ERROR_UNKNOWN_FUNCTION,
                   _("no function “%s” in this worker"), name);
      return send_reply (id, NULL, error, io_error);
    }

  /* The function may register functions, even replace itself. */
  g_rc_box_acquire (registration);
  value = registration->func (self, argument, registration->user_data, &error);
  registration_release (registration);

  if (value != NULL)
    g_variant_take_ref (value);

  /* An error wins over a value returned with it. */
  return send_reply (id, error == NULL ? value : NULL, error, io_error);
}

/* How long a worker polls for its next request before it sleeps in
 * read(), in µs. A process woken from sleep on another processor costs
 * tens of µs on a virtual machine (perf: the waker's inter-processor
 * interrupt and the sleeper's way out of idle); a poll() that finds
 * nothing costs well under one. */
#define DEFAULT_SPIN_USEC 50
#define MAX_SPIN_USEC     20000

static gint64
spin_usec_from_environment (void)
{
  const char *value = g_getenv ("OSIISO_WORKER_SPIN_USEC");
  guint64 usec;

  if (value == NULL || !g_ascii_string_to_unsigned (value, 10, 0, MAX_SPIN_USEC, &usec, NULL))
    return DEFAULT_SPIN_USEC;
  return (gint64) usec;
}

/* Polls @fd for input until @deadline, giving way to other threads and
 * processes in between. Returns whether it is readable (or at its end:
 * read() then finds out which). */
static gboolean
poll_until (int    fd,
            gint64 deadline)
{
  do
    {
      struct pollfd pfd = { fd, POLLIN, 0 };

      if (poll (&pfd, 1, 0) != 0)
        return TRUE;
      sched_yield ();
    }
  while (g_get_monotonic_time () < deadline);
  return FALSE;
}

static gint
serve (OsiisoWorker  *self,
       GError       **error)
{
  g_autoptr(GError) init_error = NULL;
  g_auto(OsiisoProtocolReader) reader = { 0 };
  gint64 spin_usec = spin_usec_from_environment ();
  gint64 replied;
  gboolean busy = TRUE;

  if (!take_protocol_fds (error))
    return 2;

  if (self->init_func != NULL)
    {
      if (!self->init_func (self, self->init_data, &init_error) && init_error == NULL)
        g_set_error_literal (&init_error, OSIISO_ERROR, OSIISO_ERROR_WORKER,
                             _("The worker’s initializer failed without an error"));
    }

  /* The hello: request id 0. */
  if (!send_reply (0, NULL, init_error, error))
    return 2;
  /* The parent has the initializer's error: nothing went wrong here. */
  if (init_error != NULL)
    return 1;

  for (;;)
    {
      g_autoptr(GBytes) request = NULL;
      g_autoptr(GVariant) argument = NULL;
      g_autoptr(GError) local_error = NULL;
      const char *name;
      guint64 id;

      /* Adaptive: poll for the next request while the last one came
       * within the window; otherwise sleep in read() right away. */
      replied = 0;
      if (spin_usec > 0 && reader.start == reader.end)
        {
          replied = g_get_monotonic_time ();
          if (busy && poll_until (protocol_in, replied + spin_usec))
            replied = 0;   /* it came within the window: still busy */
        }
      request = _osiiso_protocol_read_frame (protocol_in, &reader, &local_error);
      /* After a sleep, the wait includes the worker's own wake-up: allow
       * for it, or one late request would stop the polling for good. */
      if (replied != 0)
        busy = g_get_monotonic_time () - replied <= (busy ? spin_usec : 2 * spin_usec);
      if (request == NULL && local_error == NULL)
        return 0;   /* the parent closed the pipe */
      /* The parent is trusted: the argument's normal form is not checked
       * (reading a #GVariant is safe whatever its bytes). */
      if (request == NULL
          || !_osiiso_protocol_parse_request (request, &id, &name, &argument, &local_error))
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                      _("Bad request from the parent: "));
          return 2;
        }
      if (!serve_request (self, id, name, argument, error))
        return 2;
    }
}

/**
 * osiiso_worker_run:
 * @self: a #OsiisoWorker
 * @error: return location for a #GError
 *
 * Serves requests from the parent process on standard input and output
 * until the parent closes them. First it moves the protocol to private
 * descriptors (standard output then goes to standard error, standard
 * input reads `/dev/null`), runs the initializer, if any, and tells the
 * parent that the worker is ready (or why it is not). Then it calls the
 * registered functions, one request at a time, in the calling thread.
 *
 * Call it once, from the process's main program, and exit with the status
 * it returns.
 *
 * Returns: the status to exit the process with: 0 at the normal end of
 *   input, 1 if the initializer failed (its error went to the parent;
 *   @error is not set), 2 on a protocol or I/O error on the pipe (with
 *   @error set)
 */
gint
osiiso_worker_run (OsiisoWorker  *self,
                   GError       **error)
{
  gint status;

  g_return_val_if_fail (OSIISO_IS_WORKER (self), 2);
  g_return_val_if_fail (error == NULL || *error == NULL, 2);
  g_return_val_if_fail (!self->running, 2);

  g_object_ref (self);
  self->running = TRUE;
  status = serve (self, error);
  self->running = FALSE;
  g_object_unref (self);

  /* Output the last task wrote must not get lost at exit. */
  fflush (NULL);
  return status;
}
