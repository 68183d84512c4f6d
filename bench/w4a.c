/* w4a.c: W4a, one-shot process tasks (2,000 × /bin/true, 2 in flight)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Decides how command tasks (SPEC.md §3.7) should spawn. A command task
 * needs its own process group, a working directory, no leaked parent
 * descriptors (the child gets only stdin from /dev/null and stdout/stderr
 * pipes), its stdout and stderr captured to end of file, and its exit
 * status from a child watch. GLib 2.74's GSubprocess takes the fast glibc
 * posix_spawn path only with G_SUBPROCESS_FLAGS_INHERIT_FDS and without a
 * child setup function or working directory; every guarantee above forces
 * its fork() path. This program measures what that costs, and whether
 * posix_spawn with the same guarantees is faster.
 *
 * N one-shot children (2,000 by default) of /bin/true, at most 2 in flight
 * on a GMainLoop (each completion starts the next), timed from the first
 * spawn to the last completion. The cases:
 *
 * - gsubprocess-default: g_subprocess_newv (STDOUT_PIPE | STDERR_PIPE) and
 *   g_subprocess_wait_async. No child setup, no working directory; the
 *   pipes are not read. The anchor row of perf-anchors.md §2.4.
 * - gsubprocess-pgroup: a GSubprocessLauncher per task with STDOUT_PIPE |
 *   STDERR_PIPE, set_cwd ("/") and set_child_setup (setpgid (0, 0)), then
 *   g_subprocess_communicate_async, which reads both pipes to end of file
 *   and waits for the exit status. Every command-task guarantee, the GLib
 *   way.
 * - gsubprocess-pgroup-wait (diagnostic): the same launcher, but only
 *   g_subprocess_wait_async, as gsubprocess-default. Separates the cost of
 *   the child setup and working directory from the cost of reading pipes.
 * - posix-spawn-pgroup: posix_spawn with POSIX_SPAWN_SETPGROUP (group 0),
 *   an empty signal mask and default dispositions for the signals GLib
 *   resets; file actions open /dev/null as stdin, dup2 the write ends of
 *   two O_CLOEXEC pipes to stdout and stderr, chdir ("/")
 *   (posix_spawn_file_actions_addchdir_np, glibc >= 2.29) and close every
 *   descriptor from 3 up (posix_spawn_file_actions_addclosefrom_np, glibc
 *   >= 2.34); a child watch from g_child_watch_source_new on the loop's
 *   context; both pipes read to end of file with GUnixInputStream async
 *   reads. The same observable guarantees as gsubprocess-pgroup.
 * - osiiso-command: what osiiso-glib ships, command tasks: a commands-only
 *   OsiisoProcessQueue with 2 workers, N osiiso_process_queue_submit_command
 *   of /bin/true with cwd "/", and osiiso_queue_run, timed from the
 *   queue's creation to the end of the run; every policy of the queue is
 *   on the path. The goal (issue 5): at most 1.0× gsubprocess-pgroup.
 * - xargs-P2: one `xargs -P2 -n1 /bin/true` fed N lines on stdin, timed as
 *   a whole command (spawn of xargs to its exit).
 * - gnu-parallel: one `parallel --will-cite -j2 /bin/true ::: 1 .. N`,
 *   timed as a whole command. Needs GNU parallel (Debian package
 *   `parallel`); the case is skipped when it is not installed.
 *
 * Correctness, because a fast wrong answer is no answer:
 * - Every timed run of the per-task cases counts N completions, each with
 *   a wait status of exit code 0, and (where the pipes are read) empty
 *   stdout and stderr.
 * - Every timed run of xargs and parallel must exit 0 (xargs exits 123 and
 *   parallel non-zero if any job failed). Before the rounds, an untimed
 *   verification run of each counts its N children: `xargs -t` echoes each
 *   command line to stderr, `parallel --joblog` writes one line per job
 *   with its exit value.
 * - Before the rounds, gsubprocess-pgroup and posix-spawn-pgroup run, with
 *   the very code of their timed runs, a shell that prints its process
 *   group, its working directory, its open descriptors and where 0, 1 and
 *   2 point, and writes to stderr. This process first opens two
 *   descriptors without O_CLOEXEC on purpose: neither may show up in the
 *   child. The child must be its own group leader, in "/", with exactly
 *   descriptors 0 (/dev/null), 1 and 2 (pipes). posix_spawn of a missing
 *   program must fail synchronously with ENOENT.
 *
 * Method (perf-anchors.md §1): all cases in one process, once per round,
 * in a freshly shuffled order each round (the box is a shared 2-vCPU VM
 * whose speed drifts). Tables give medians and p25-p75 over the rounds; a
 * ratio is the median of the same-round (paired) ratios, with p25-p75.
 * Process start-up, the verification and an untimed warm-up of each case
 * are outside the timed spans. Beside wall time, each run records CPU time
 * (user + system of this process and of every reaped descendant) per
 * task; it does not count time spent waiting for a CPU, so its paired
 * ratios hold up better when other work shares the box.
 *
 * --ballast-mib N allocates and touches N MiB in this process first: fork()
 * copies the page tables of the parent, posix_spawn (clone (CLONE_VM |
 * CLONE_VFORK)) does not, so this shows how each path scales with the
 * size of the program that spawns.
 *
 *   meson setup /tmp/bw4a -Dbuildtype=release -Dgtk_doc=false
 *   ninja -C /tmp/bw4a bench/osiiso-bench-w4a
 *   /tmp/bw4a/bench/osiiso-bench-w4a [--rounds 5] [--tasks 2000] [--json]
 */

#define _GNU_SOURCE   /* pipe2, F_DUPFD_CLOEXEC, posix_spawn_file_actions_add*_np */

#include <osiiso-glib/osiiso-glib.h>
#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <glib/gstdio.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define DEFAULT_TASKS  2000
#define DEFAULT_ROUNDS 5
#define N_IN_FLIGHT    2
#define WARMUP_TASKS   100

static const char * const true_argv[] = { "/bin/true", NULL };

/* Prints "pgid=G pid=P", the working directory, "fds", the names of its
 * open descriptors, "links", and the targets of 0, 1 and 2; "stderr-ok"
 * goes to stderr. `ls` runs directly (no command substitution, which
 * would add the substitution pipe to the shell's descriptors). */
static const char verify_script[] =
  "set -- $(ps -o pgid= -p $$)\n"
  "echo \"pgid=$1 pid=$$\"\n"
  "[ \"$1\" -eq $$ ] || exit 3\n"
  "pwd\n"
  "echo fds\n"
  "ls /proc/$$/fd\n"
  "echo links\n"
  "readlink /proc/$$/fd/0 /proc/$$/fd/1 /proc/$$/fd/2\n"
  "echo stderr-ok >&2\n";

static const char * const verify_argv[] = { "/bin/sh", "-c", verify_script, NULL };

/* ------------------------------------------------------------------------
 * Timing
 * --------------------------------------------------------------------- */

static gint64
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

/* CPU time (user + system) of this process, all its threads, and every
 * descendant reaped so far (GLib's worker thread reaps for the child
 * watches; xargs and parallel reap their jobs and are reaped here). Less
 * sensitive than wall time to other load on a shared box: it does not
 * count the time spent waiting for a CPU. */
static gint64
cpu_ns (void)
{
  struct rusage self, children;

  getrusage (RUSAGE_SELF, &self);
  getrusage (RUSAGE_CHILDREN, &children);
  return ((gint64) self.ru_utime.tv_sec + self.ru_stime.tv_sec
          + children.ru_utime.tv_sec + children.ru_stime.tv_sec) * G_GINT64_CONSTANT (1000000000)
         + ((gint64) self.ru_utime.tv_usec + self.ru_stime.tv_usec
            + children.ru_utime.tv_usec + children.ru_stime.tv_usec) * 1000;
}

/* ------------------------------------------------------------------------
 * The runner: N children, N_IN_FLIGHT at a time, on a GMainLoop
 * --------------------------------------------------------------------- */

typedef struct _Runner Runner;

struct _Runner
{
  void              (*start_one) (Runner *runner);
  const char * const *argv;
  GMainContext       *context;
  GMainLoop          *loop;
  const char         *name;
  guint               n_tasks;
  guint               started;
  guint               completed;
  gboolean            expect_empty_output;   /* timed runs of /bin/true */

  /* The last child's result, for the verification (n_tasks = 1). */
  gint                last_status;
  GBytes             *last_stdout;
  GBytes             *last_stderr;
};

/* Called once per child with its wait status and, if the case reads the
 * pipes, what it wrote (NULL otherwise). Takes the bytes. */
static void
runner_task_done (Runner *runner,
                  gint    wait_status,
                  GBytes *out,
                  GBytes *err)
{
  g_autoptr(GError) error = NULL;

  runner->completed++;

  if (runner->expect_empty_output)
    {
      if (!g_spawn_check_wait_status (wait_status, &error))
        g_error ("%s: child %u of %u: %s", runner->name, runner->completed,
                 runner->n_tasks, error->message);
      if ((out != NULL && g_bytes_get_size (out) != 0)
          || (err != NULL && g_bytes_get_size (err) != 0))
        g_error ("%s: child %u of %u wrote %" G_GSIZE_FORMAT " bytes to stdout and %"
                 G_GSIZE_FORMAT " to stderr; /bin/true writes nothing",
                 runner->name, runner->completed, runner->n_tasks,
                 out ? g_bytes_get_size (out) : 0, err ? g_bytes_get_size (err) : 0);
    }

  runner->last_status = wait_status;
  g_clear_pointer (&runner->last_stdout, g_bytes_unref);
  g_clear_pointer (&runner->last_stderr, g_bytes_unref);
  runner->last_stdout = out;
  runner->last_stderr = err;

  if (runner->started < runner->n_tasks)
    {
      runner->started++;
      runner->start_one (runner);
    }
  else if (runner->completed == runner->n_tasks)
    g_main_loop_quit (runner->loop);
}

/* Runs n_tasks children of argv, at most N_IN_FLIGHT at a time, on this
 * thread's default main context. Returns the span from the first spawn to
 * the last completion. */
static gint64
runner_run (Runner             *runner,
            const char         *name,
            void              (*start_one) (Runner *runner),
            const char * const *argv,
            guint               n_tasks,
            gboolean            expect_empty_output)
{
  gint64 start, end;

  memset (runner, 0, sizeof *runner);
  runner->name = name;
  runner->start_one = start_one;
  runner->argv = argv;
  runner->n_tasks = n_tasks;
  runner->expect_empty_output = expect_empty_output;
  runner->context = g_main_context_default ();
  runner->loop = g_main_loop_new (runner->context, FALSE);

  start = now_ns ();
  while (runner->started < MIN (n_tasks, N_IN_FLIGHT))
    {
      runner->started++;
      start_one (runner);
    }
  g_main_loop_run (runner->loop);
  end = now_ns ();

  if (runner->completed != n_tasks)
    g_error ("%s: %u of %u children completed", name, runner->completed, n_tasks);

  g_main_loop_unref (runner->loop);
  runner->loop = NULL;
  return end - start;
}

static void
runner_clear (Runner *runner)
{
  g_clear_pointer (&runner->last_stdout, g_bytes_unref);
  g_clear_pointer (&runner->last_stderr, g_bytes_unref);
}

/* ------------------------------------------------------------------------
 * gsubprocess-default
 * --------------------------------------------------------------------- */

static void
gsubprocess_wait_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GSubprocess *process = G_SUBPROCESS (object);
  Runner *runner = user_data;
  g_autoptr(GError) error = NULL;
  gint status;

  if (!g_subprocess_wait_finish (process, result, &error))
    g_error ("%s: wait: %s", runner->name, error->message);
  status = g_subprocess_get_status (process);
  g_object_unref (process);

  runner_task_done (runner, status, NULL, NULL);
}

static void
start_gsubprocess_default (Runner *runner)
{
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  process = g_subprocess_newv (runner->argv,
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               &error);
  if (process == NULL)
    g_error ("%s: spawn: %s", runner->name, error->message);
  g_subprocess_wait_async (process, NULL, gsubprocess_wait_cb, runner);
}

/* ------------------------------------------------------------------------
 * gsubprocess-pgroup and gsubprocess-pgroup-wait
 * --------------------------------------------------------------------- */

/* Runs in the forked child, between fork() and exec(): only
 * async-signal-safe calls. setpgid() is one. */
static void
child_setup_new_pgroup (gpointer user_data)
{
  setpgid (0, 0);
}

/* A launcher per task, as command tasks would use one: each has its own
 * working directory and environment. */
static GSubprocess *
spawn_gsubprocess_pgroup (Runner *runner)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_cwd (launcher, "/");
  g_subprocess_launcher_set_child_setup (launcher, child_setup_new_pgroup, NULL, NULL);
  process = g_subprocess_launcher_spawnv (launcher, runner->argv, &error);
  if (process == NULL)
    g_error ("%s: spawn: %s", runner->name, error->message);
  return process;
}

static void
gsubprocess_communicate_cb (GObject      *object,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  GSubprocess *process = G_SUBPROCESS (object);
  Runner *runner = user_data;
  g_autoptr(GError) error = NULL;
  GBytes *out = NULL;
  GBytes *err = NULL;
  gint status;

  if (!g_subprocess_communicate_finish (process, result, &out, &err, &error))
    g_error ("%s: communicate: %s", runner->name, error->message);
  /* communicate completes only once the child has exited and both pipes
   * reached end of file. */
  status = g_subprocess_get_status (process);
  g_object_unref (process);

  runner_task_done (runner, status, out, err);
}

static void
start_gsubprocess_pgroup (Runner *runner)
{
  GSubprocess *process = spawn_gsubprocess_pgroup (runner);

  g_subprocess_communicate_async (process, NULL, NULL, gsubprocess_communicate_cb, runner);
}

static void
start_gsubprocess_pgroup_wait (Runner *runner)
{
  GSubprocess *process = spawn_gsubprocess_pgroup (runner);

  g_subprocess_wait_async (process, NULL, gsubprocess_wait_cb, runner);
}

/* ------------------------------------------------------------------------
 * posix-spawn-pgroup
 * --------------------------------------------------------------------- */

typedef struct _PsTask PsTask;

typedef struct
{
  PsTask       *task;
  GInputStream *stream;
  GByteArray   *data;
  guint8        buffer[4096];
} PsPipe;

struct _PsTask
{
  Runner *runner;
  GPid    pid;
  gint    status;
  guint   pending;   /* the exit status and the end of both pipes */
  PsPipe  out;
  PsPipe  err;
};

/* Shared by every spawn of a run: the attributes do not depend on the
 * task. */
static posix_spawnattr_t ps_attr;

static void
ps_attr_init (void)
{
  sigset_t mask, defaults;
  int rc;

  /* Own process group (0 = the child's pid), an empty signal mask, and
   * default dispositions for the signals GLib resets in its fork path
   * (an ignored SIGPIPE, for one, would otherwise survive exec). Signals
   * with handlers fall back to SIG_DFL anyway: glibc resets them in the
   * child before exec, as exec would. */
  sigemptyset (&mask);
  sigemptyset (&defaults);
  sigaddset (&defaults, SIGPIPE);
  sigaddset (&defaults, SIGCHLD);
  sigaddset (&defaults, SIGINT);
  sigaddset (&defaults, SIGTERM);
  sigaddset (&defaults, SIGHUP);

  if ((rc = posix_spawnattr_init (&ps_attr)) != 0
      || (rc = posix_spawnattr_setpgroup (&ps_attr, 0)) != 0
      || (rc = posix_spawnattr_setsigmask (&ps_attr, &mask)) != 0
      || (rc = posix_spawnattr_setsigdefault (&ps_attr, &defaults)) != 0
      || (rc = posix_spawnattr_setflags (&ps_attr, POSIX_SPAWN_SETPGROUP
                                                  | POSIX_SPAWN_SETSIGMASK
                                                  | POSIX_SPAWN_SETSIGDEF)) != 0)
    g_error ("posix_spawnattr: %s", g_strerror (rc));
}

static void
ps_attr_clear (void)
{
  posix_spawnattr_destroy (&ps_attr);
}

static void
ps_task_step (PsTask *task)
{
  Runner *runner = task->runner;
  GBytes *out, *err;
  gint status;

  if (--task->pending > 0)
    return;

  out = g_byte_array_free_to_bytes (task->out.data);
  err = g_byte_array_free_to_bytes (task->err.data);
  status = task->status;
  g_free (task);

  runner_task_done (runner, status, out, err);
}

static void ps_pipe_read (PsPipe *p);

static void
ps_pipe_read_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  PsPipe *p = user_data;
  g_autoptr(GError) error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);
  if (n < 0)
    g_error ("%s: read: %s", p->task->runner->name, error->message);

  if (n > 0)
    {
      g_byte_array_append (p->data, p->buffer, (guint) n);
      ps_pipe_read (p);
      return;
    }

  /* End of file: the stream owns the descriptor and closes it. */
  g_clear_object (&p->stream);
  ps_task_step (p->task);
}

static void
ps_pipe_read (PsPipe *p)
{
  g_input_stream_read_async (p->stream, p->buffer, sizeof p->buffer,
                             G_PRIORITY_DEFAULT, NULL, ps_pipe_read_cb, p);
}

static void
ps_child_watch_cb (GPid     pid,
                   gint     wait_status,
                   gpointer user_data)
{
  PsTask *task = user_data;

  /* GLib has reaped the child; on Unix g_spawn_close_pid() is a no-op. */
  task->status = wait_status;
  ps_task_step (task);
}

/* A pipe whose ends are both O_CLOEXEC and >= 3, so that the dup2 file
 * actions onto 0-2 cannot clobber one of them and closefrom (3) closes
 * both copies in the child. (Only matters if this process runs with
 * 0, 1 or 2 closed.) */
static void
ps_make_pipe (int fds[2])
{
  if (pipe2 (fds, O_CLOEXEC) != 0)
    g_error ("pipe2: %s", g_strerror (errno));
  for (guint i = 0; i < 2; i++)
    if (fds[i] < 3)
      {
        int moved = fcntl (fds[i], F_DUPFD_CLOEXEC, 3);

        if (moved < 0)
          g_error ("fcntl (F_DUPFD_CLOEXEC): %s", g_strerror (errno));
        close (fds[i]);
        fds[i] = moved;
      }
}

/* posix_spawn with every guarantee of a command task. Returns 0 or the
 * errno of a failed spawn (including a failed exec: glibc reports it
 * synchronously). On success the read ends are returned in *out_fd and
 * *err_fd. */
static int
ps_spawn (const char * const *argv,
          const char         *cwd,
          GPid               *pid,
          int                *out_fd,
          int                *err_fd)
{
  posix_spawn_file_actions_t actions;
  int out_pipe[2], err_pipe[2];
  int rc;

  ps_make_pipe (out_pipe);
  ps_make_pipe (err_pipe);

  if ((rc = posix_spawn_file_actions_init (&actions)) != 0
      || (rc = posix_spawn_file_actions_addopen (&actions, 0, "/dev/null", O_RDONLY, 0)) != 0
      || (rc = posix_spawn_file_actions_adddup2 (&actions, out_pipe[1], 1)) != 0
      || (rc = posix_spawn_file_actions_adddup2 (&actions, err_pipe[1], 2)) != 0
      || (rc = posix_spawn_file_actions_addchdir_np (&actions, cwd)) != 0
      || (rc = posix_spawn_file_actions_addclosefrom_np (&actions, 3)) != 0)
    g_error ("posix_spawn_file_actions: %s", g_strerror (rc));

  /* argv[0] must be a path: a relative one, or posix_spawnp's PATH
   * search, would be resolved after the chdir action. Command tasks
   * resolve the program in the parent (g_find_program_in_path). */
  rc = posix_spawn (pid, argv[0], &actions, &ps_attr, (char * const *) argv, environ);
  posix_spawn_file_actions_destroy (&actions);

  close (out_pipe[1]);
  close (err_pipe[1]);
  if (rc != 0)
    {
      close (out_pipe[0]);
      close (err_pipe[0]);
      return rc;
    }

  *out_fd = out_pipe[0];
  *err_fd = err_pipe[0];
  return 0;
}

static void
start_posix_spawn_pgroup (Runner *runner)
{
  PsTask *task = g_new0 (PsTask, 1);
  GSource *watch;
  int out_fd, err_fd;
  int rc;

  rc = ps_spawn (runner->argv, "/", &task->pid, &out_fd, &err_fd);
  if (rc != 0)
    g_error ("%s: posix_spawn: %s", runner->name, g_strerror (rc));

  task->runner = runner;
  task->pending = 3;
  task->out.task = task;
  task->out.stream = g_unix_input_stream_new (out_fd, TRUE);
  task->out.data = g_byte_array_new ();
  task->err.task = task;
  task->err.stream = g_unix_input_stream_new (err_fd, TRUE);
  task->err.data = g_byte_array_new ();

  /* On the loop's own context. GLib 2.74 reaps in its worker thread on
   * SIGCHLD and wakes this context; creating the source also reaps a
   * child that has already exited. */
  watch = g_child_watch_source_new (task->pid);
  g_source_set_callback (watch, G_SOURCE_FUNC (ps_child_watch_cb), task, NULL);
  g_source_attach (watch, runner->context);
  g_source_unref (watch);

  ps_pipe_read (&task->out);
  ps_pipe_read (&task->err);
}

/* ------------------------------------------------------------------------
 * Whole-command peers: xargs-P2 and gnu-parallel
 * --------------------------------------------------------------------- */

static char *parallel_path;   /* NULL: GNU parallel is not installed */

static GBytes *
numbered_lines (guint n)
{
  GString *lines = g_string_new (NULL);

  for (guint i = 1; i <= n; i++)
    g_string_append_printf (lines, "%u\n", i);
  return g_string_free_to_bytes (lines);
}

/* Runs argv with stdin_data (or /dev/null) on stdin and stdout silenced;
 * stderr captured if err_out is given, else inherited. Returns the wait
 * status. */
static gint
run_command (const char * const *argv,
             GBytes             *stdin_data,
             GBytes            **err_out)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  GSubprocessFlags flags = G_SUBPROCESS_FLAGS_STDOUT_SILENCE;

  if (stdin_data != NULL)
    flags |= G_SUBPROCESS_FLAGS_STDIN_PIPE;
  if (err_out != NULL)
    flags |= G_SUBPROCESS_FLAGS_STDERR_PIPE;

  process = g_subprocess_newv (argv, flags, &error);
  if (process == NULL)
    g_error ("%s: %s", argv[0], error->message);
  if (!g_subprocess_communicate (process, stdin_data, NULL, NULL, err_out, &error))
    g_error ("%s: %s", argv[0], error->message);
  return g_subprocess_get_status (process);
}

static const char * const xargs_argv[] = { "xargs", "-P2", "-n1", "/bin/true", NULL };
static const char * const xargs_verify_argv[] = { "xargs", "-t", "-P2", "-n1", "/bin/true", NULL };

static gint64
run_xargs_p2 (guint n_tasks)
{
  g_autoptr(GBytes) lines = numbered_lines (n_tasks);
  g_autoptr(GError) error = NULL;
  gint64 start, end;
  gint status;

  start = now_ns ();
  status = run_command (xargs_argv, lines, NULL);
  end = now_ns ();

  if (!g_spawn_check_wait_status (status, &error))
    g_error ("xargs-P2: %s", error->message);
  return end - start;
}

static char **
parallel_argv (guint       n_tasks,
               const char *joblog)
{
  GPtrArray *argv = g_ptr_array_new ();

  g_ptr_array_add (argv, g_strdup (parallel_path));
  g_ptr_array_add (argv, g_strdup ("--will-cite"));   /* no citation notice */
  g_ptr_array_add (argv, g_strdup ("-j2"));
  if (joblog != NULL)
    {
      g_ptr_array_add (argv, g_strdup ("--joblog"));
      g_ptr_array_add (argv, g_strdup (joblog));
    }
  g_ptr_array_add (argv, g_strdup ("/bin/true"));
  g_ptr_array_add (argv, g_strdup (":::"));
  for (guint i = 1; i <= n_tasks; i++)
    g_ptr_array_add (argv, g_strdup_printf ("%u", i));
  g_ptr_array_add (argv, NULL);
  return (char **) g_ptr_array_free (argv, FALSE);
}

static gint64
run_gnu_parallel (guint n_tasks)
{
  g_auto(GStrv) argv = parallel_argv (n_tasks, NULL);
  g_autoptr(GError) error = NULL;
  gint64 start, end;
  gint status;

  start = now_ns ();
  status = run_command ((const char * const *) argv, NULL, NULL);
  end = now_ns ();

  /* parallel exits with the number of failed jobs. */
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("gnu-parallel: %s", error->message);
  return end - start;
}

/* GNU parallel, not moreutils' parallel (a different program with the
 * same name). */
static void
find_gnu_parallel (void)
{
  g_autofree char *path = g_find_program_in_path ("parallel");
  g_autofree char *out = NULL;
  const char *argv[] = { NULL, "--version", NULL };
  gint status;

  if (path == NULL)
    return;
  argv[0] = path;
  if (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                    &out, NULL, &status, NULL)
      && g_spawn_check_wait_status (status, NULL)
      && g_str_has_prefix (out, "GNU parallel"))
    parallel_path = g_steal_pointer (&path);
}

/* ------------------------------------------------------------------------
 * Command tasks through an OsiisoProcessQueue
 * --------------------------------------------------------------------- */

/* Runs n command tasks of argv on a fresh commands-only queue with
 * N_IN_FLIGHT workers, from the queue's creation to the end of its run;
 * checks that each exited 0. Returns the nanoseconds and, for n == 1, the
 * command's result in *only. */
static gint64
osiiso_command_run (const char * const   *argv,
                    guint                 n_tasks,
                    OsiisoCommandResult **only)
{
  g_autoptr(OsiisoProcessQueue) queue = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;
  OsiisoTaskResult **results;
  guint n_results;
  gint64 start, end;

  start = now_ns ();
  queue = osiiso_process_queue_new (NULL, N_IN_FLIGHT);
  for (guint i = 0; i < n_tasks; i++)
    {
      OsiisoTaskHandle *handle = osiiso_process_queue_submit_command (queue, argv, NULL, "/", NULL,
                                                                      NULL, &error);

      if (handle == NULL)
        g_error ("osiiso-command: %s", error->message);
      g_object_unref (handle);
    }
  summary = osiiso_queue_run (OSIISO_QUEUE (queue), NULL, &error);
  end = now_ns ();

  if (summary == NULL)
    g_error ("osiiso-command: %s", error->message);
  results = osiiso_run_summary_get_results (summary, &n_results);
  if (n_results != n_tasks || osiiso_run_summary_get_succeeded (summary) != n_tasks)
    g_error ("osiiso-command: %u of %u tasks succeeded", osiiso_run_summary_get_succeeded (summary), n_tasks);
  for (guint i = 0; i < n_results; i++)
    {
      OsiisoCommandResult *result = g_value_get_boxed (osiiso_task_result_get_value (results[i]));

      if (osiiso_command_result_get_exit_status (result) != 0)
        g_error ("osiiso-command: a command exited %d", osiiso_command_result_get_exit_status (result));
      if (only != NULL)
        *only = osiiso_command_result_ref (result);
    }
  return end - start;
}

static gint64
run_osiiso_command (guint n_tasks)
{
  return osiiso_command_run (true_argv, n_tasks, NULL);
}

/* ------------------------------------------------------------------------
 * Cases
 * --------------------------------------------------------------------- */

static Runner the_runner;

#define DEFINE_PER_TASK_CASE(fn, case_name, start_fn, reads_pipes)        \
  static gint64                                                           \
  fn (guint n_tasks)                                                      \
  {                                                                       \
    gint64 ns = runner_run (&the_runner, case_name, start_fn, true_argv,  \
                            n_tasks, TRUE);                               \
    if ((reads_pipes) && (the_runner.last_stdout == NULL                  \
                          || the_runner.last_stderr == NULL))             \
      g_error ("%s: the pipes were not read", case_name);                 \
    runner_clear (&the_runner);                                           \
    return ns;                                                            \
  }

DEFINE_PER_TASK_CASE (run_gsubprocess_default, "gsubprocess-default",
                      start_gsubprocess_default, FALSE)
DEFINE_PER_TASK_CASE (run_gsubprocess_pgroup, "gsubprocess-pgroup",
                      start_gsubprocess_pgroup, TRUE)
DEFINE_PER_TASK_CASE (run_gsubprocess_pgroup_wait, "gsubprocess-pgroup-wait",
                      start_gsubprocess_pgroup_wait, FALSE)
DEFINE_PER_TASK_CASE (run_posix_spawn_pgroup, "posix-spawn-pgroup",
                      start_posix_spawn_pgroup, TRUE)

typedef struct
{
  const char *name;
  gint64    (*run) (guint n_tasks);
  gboolean    baseline;   /* other cases are given as ratios against it */
  const char *what;
} Case;

static const Case cases[] = {
  { "gsubprocess-default",     run_gsubprocess_default,     TRUE,
    "g_subprocess_newv + wait_async (no pgroup, no cwd, pipes unread)" },
  { "gsubprocess-pgroup",      run_gsubprocess_pgroup,      TRUE,
    "launcher: child_setup setpgid + cwd + communicate_async (all guarantees)" },
  { "gsubprocess-pgroup-wait", run_gsubprocess_pgroup_wait, FALSE,
    "diagnostic: same launcher, wait_async only (pipes unread)" },
  { "posix-spawn-pgroup",      run_posix_spawn_pgroup,      FALSE,
    "posix_spawn SETPGROUP + chdir + closefrom(3) + child watch + GIO reads (all guarantees)" },
  { "osiiso-command",          run_osiiso_command,          FALSE,
    "osiiso_process_queue_submit_command x N on 2 workers + run (all guarantees)" },
  { "xargs-P2",                run_xargs_p2,                TRUE,
    "xargs -P2 -n1 /bin/true, whole command" },
  { "gnu-parallel",            run_gnu_parallel,            FALSE,
    "parallel -j2 /bin/true ::: 1..N, whole command" },
};

#define N_CASES G_N_ELEMENTS (cases)

static gboolean case_enabled[N_CASES];

/* ------------------------------------------------------------------------
 * Verification (untimed)
 * --------------------------------------------------------------------- */

/* Checks the output of verify_script; returns a one-line description or
 * dies. */
static char *
check_verify_output (const char *name,
                     gint        status,
                     GBytes     *out,
                     GBytes     *err)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out_text = NULL;
  g_autofree char *err_text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GString) fd_list = g_string_new (NULL);
  guint n_lines, i;
  gint64 pgid = -1, pid = -2;

  if (out == NULL || err == NULL)
    g_error ("verify %s: the output was not captured", name);
  out_text = g_strndup (g_bytes_get_data (out, NULL), g_bytes_get_size (out));
  err_text = g_strndup (g_bytes_get_data (err, NULL), g_bytes_get_size (err));
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("verify %s: the check script failed (%s); stdout:\n%s\nstderr:\n%s",
             name, error->message, out_text, err_text);

  lines = g_strsplit (g_strchomp (out_text), "\n", -1);
  n_lines = g_strv_length (lines);
  if (n_lines < 1 || sscanf (lines[0], "pgid=%" G_GINT64_FORMAT " pid=%" G_GINT64_FORMAT, &pgid, &pid) != 2
      || pgid != pid || pgid == (gint64) getpgrp ())
    g_error ("verify %s: the child is not its own process group leader: “%s”", name, lines[0]);
  if (n_lines < 3 || !g_str_equal (lines[1], "/") || !g_str_equal (lines[2], "fds"))
    g_error ("verify %s: the working directory is not “/”:\n%s", name, out_text);

  for (i = 3; i < n_lines && !g_str_equal (lines[i], "links"); i++)
    g_string_append_printf (fd_list, "%s%s", fd_list->len ? "," : "", lines[i]);
  if (!g_str_equal (fd_list->str, "0,1,2"))
    g_error ("verify %s: the child has descriptors %s, not exactly 0,1,2 (a leak)",
             name, fd_list->str);
  if (i + 3 >= n_lines
      || !g_str_equal (lines[i + 1], "/dev/null")
      || !g_str_has_prefix (lines[i + 2], "pipe:")
      || !g_str_has_prefix (lines[i + 3], "pipe:")
      || g_str_equal (lines[i + 2], lines[i + 3]))
    g_error ("verify %s: stdin must be /dev/null and stdout, stderr two distinct pipes:\n%s",
             name, out_text);
  if (!g_str_equal (g_strchomp (err_text), "stderr-ok"))
    g_error ("verify %s: stderr was not captured: “%s”", name, err_text);

  return g_strdup_printf ("pgid = pid = %" G_GINT64_FORMAT " (parent's pgid %d), cwd /, "
                          "fds {0,1,2}: 0 -> /dev/null, 1 -> %s, 2 -> %s, stderr captured",
                          pid, (int) getpgrp (), lines[i + 2], lines[i + 3]);
}

static void
verify (guint n_tasks)
{
  g_autoptr(GError) error = NULL;
  int leaky_fd, leaky_pipe[2];
  GPid pid;
  int out_fd, err_fd, rc;

  printf ("Verification (untimed)\n");

  /* Descriptors without O_CLOEXEC, as a careless library or another
   * thread might leave them: the children must not see them. */
  leaky_fd = open ("/dev/null", O_RDONLY);
  if (leaky_fd < 0 || pipe (leaky_pipe) != 0)
    g_error ("verify: cannot open the leak probes: %s", g_strerror (errno));

  for (guint c = 0; c < N_CASES; c++)
    {
      g_autofree char *summary = NULL;
      void (*start_one) (Runner *runner) = NULL;

      if (!case_enabled[c])
        continue;
      if (g_str_equal (cases[c].name, "gsubprocess-pgroup"))
        start_one = start_gsubprocess_pgroup;
      else if (g_str_equal (cases[c].name, "posix-spawn-pgroup"))
        start_one = start_posix_spawn_pgroup;
      else
        continue;

      runner_run (&the_runner, cases[c].name, start_one, verify_argv, 1, FALSE);
      summary = check_verify_output (cases[c].name, the_runner.last_status,
                                     the_runner.last_stdout, the_runner.last_stderr);
      runner_clear (&the_runner);
      printf ("  %-24s %s (leak probes: fds %d, %d, %d open without O_CLOEXEC)\n",
              cases[c].name, summary, leaky_fd, leaky_pipe[0], leaky_pipe[1]);
    }

  /* Command tasks: the same script through the queue. */
  for (guint c = 0; c < N_CASES; c++)
    if (case_enabled[c] && g_str_equal (cases[c].name, "osiiso-command"))
      {
        g_autoptr(OsiisoCommandResult) result = NULL;
        g_autofree char *summary = NULL;

        osiiso_command_run (verify_argv, 1, &result);
        summary = check_verify_output (cases[c].name, 0, osiiso_command_result_get_stdout (result),
                                       osiiso_command_result_get_stderr (result));
        printf ("  %-24s %s (leak probes: fds %d, %d, %d open without O_CLOEXEC)\n",
                cases[c].name, summary, leaky_fd, leaky_pipe[0], leaky_pipe[1]);
      }

  close (leaky_fd);
  close (leaky_pipe[0]);
  close (leaky_pipe[1]);

  /* A failed exec is reported synchronously, as g_subprocess_new does:
   * glibc's clone (CLONE_VM | CLONE_VFORK) child writes the exec errno
   * where the parent reads it. (Under valgrind, which runs the child as a
   * plain fork, posix_spawn succeeds and the child exits 127 instead; a
   * command-task implementation must accept both.) */
  {
    const char * const missing_argv[] = { "/nonexistent/osiiso-bench-w4a", NULL };

    rc = ps_spawn (missing_argv, "/", &pid, &out_fd, &err_fd);
    if (rc == 0)
      {
        int status;

        close (out_fd);
        close (err_fd);
        while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
          ;
        printf ("  %-24s WARNING: spawning a missing program succeeded and the child exited "
                "with wait status %d (valgrind?); the exec error was not synchronous\n",
                "posix-spawn-pgroup", status);
      }
    else if (rc != ENOENT)
      g_error ("verify posix-spawn-pgroup: spawning a missing program returned “%s”, not ENOENT",
               g_strerror (rc));
    else
      printf ("  %-24s spawning a missing program fails synchronously: %s\n",
              "posix-spawn-pgroup", g_strerror (rc));
  }

  /* xargs: -t echoes each command line to stderr before running it. */
  for (guint c = 0; c < N_CASES; c++)
    if (case_enabled[c] && g_str_equal (cases[c].name, "xargs-P2"))
      {
        g_autoptr(GBytes) lines = numbered_lines (n_tasks);
        g_autoptr(GBytes) err = NULL;
        g_autofree char *err_text = NULL;
        g_auto(GStrv) commands = NULL;
        gint status;

        status = run_command (xargs_verify_argv, lines, &err);
        if (!g_spawn_check_wait_status (status, &error))
          g_error ("verify xargs-P2: %s", error->message);
        err_text = g_strndup (g_bytes_get_data (err, NULL), g_bytes_get_size (err));
        commands = g_strsplit (g_strchomp (err_text), "\n", -1);
        if (g_strv_length (commands) != n_tasks)
          g_error ("verify xargs-P2: %u commands ran, not %u", g_strv_length (commands), n_tasks);
        for (guint i = 0; i < n_tasks; i++)
          if (!g_str_has_prefix (commands[i], "/bin/true "))
            g_error ("verify xargs-P2: unexpected command “%s”", commands[i]);
        printf ("  %-24s %u children of /bin/true, exit status 0 (xargs -t trace)\n",
                cases[c].name, n_tasks);
      }

  /* parallel: --joblog has a header and one line per job; column 7 is
   * Exitval, column 8 Signal. */
  for (guint c = 0; c < N_CASES; c++)
    if (case_enabled[c] && g_str_equal (cases[c].name, "gnu-parallel"))
      {
        g_autofree char *joblog = NULL;
        g_autofree char *contents = NULL;
        g_auto(GStrv) argv = NULL;
        g_auto(GStrv) lines = NULL;
        guint n_lines, ok = 0;
        gint status;
        int fd;

        fd = g_file_open_tmp ("osiiso-w4a-joblog-XXXXXX", &joblog, &error);
        if (fd < 0)
          g_error ("verify gnu-parallel: %s", error->message);
        close (fd);
        argv = parallel_argv (n_tasks, joblog);
        status = run_command ((const char * const *) argv, NULL, NULL);
        if (!g_spawn_check_wait_status (status, &error))
          g_error ("verify gnu-parallel: %s", error->message);
        if (!g_file_get_contents (joblog, &contents, NULL, &error))
          g_error ("verify gnu-parallel: %s", error->message);
        g_unlink (joblog);

        lines = g_strsplit (g_strchomp (contents), "\n", -1);
        n_lines = g_strv_length (lines);
        for (guint i = 1; i < n_lines; i++)
          {
            g_auto(GStrv) fields = g_strsplit (lines[i], "\t", -1);

            if (g_strv_length (fields) >= 9 && g_str_equal (fields[6], "0")
                && g_str_equal (fields[7], "0") && g_str_has_prefix (fields[8], "/bin/true "))
              ok++;
          }
        if (n_lines != n_tasks + 1 || ok != n_tasks)
          g_error ("verify gnu-parallel: the job log has %u jobs, %u of them exit 0, not %u",
                   n_lines - 1, ok, n_tasks);
        printf ("  %-24s %u children of /bin/true, all exit value 0 (--joblog)\n",
                cases[c].name, n_tasks);
      }

  printf ("  every timed run below checks %u completions with exit status 0%s\n\n",
          n_tasks, " (xargs/parallel: the command's exit status 0)");
}

/* ------------------------------------------------------------------------
 * Statistics
 * --------------------------------------------------------------------- */

static gint
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  gdouble x = *(const gdouble *) a;
  gdouble y = *(const gdouble *) b;

  return (x > y) - (x < y);
}

typedef struct
{
  gdouble median;
  gdouble p25;
  gdouble p75;
  gdouble min;
  gdouble max;
} Stats;

/* Linear interpolation between order statistics, numpy's default, as the
 * reference harness and w1.c. */
static gdouble
quantile (const gdouble *sorted,
          guint          n,
          gdouble        q)
{
  gdouble pos = q * (n - 1);
  guint lo = (guint) pos;
  guint hi = MIN (lo + 1, n - 1);

  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

static Stats
compute_stats (const gdouble *values,
               guint          n)
{
  g_autofree gdouble *sorted = g_memdup2 (values, n * sizeof (gdouble));
  Stats stats;

  qsort (sorted, n, sizeof (gdouble), compare_doubles);
  stats.median = quantile (sorted, n, 0.5);
  stats.p25 = quantile (sorted, n, 0.25);
  stats.p75 = quantile (sorted, n, 0.75);
  stats.min = sorted[0];
  stats.max = sorted[n - 1];
  return stats;
}

static void
append_doubles_json (GString       *out,
                     const gdouble *values,
                     guint          n,
                     const char    *format)
{
  g_string_append_c (out, '[');
  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append (out, ", ");
      g_string_append_printf (out, format, values[i]);
    }
  g_string_append_c (out, ']');
}

static char *
read_loadavg (void)
{
  g_autofree char *text = NULL;
  char **fields;
  char *result;

  if (!g_file_get_contents ("/proc/loadavg", &text, NULL, NULL))
    return g_strdup ("?");
  fields = g_strsplit (text, " ", 4);
  result = g_strdup_printf ("%s %s %s", fields[0], fields[1] ? fields[1] : "",
                            fields[1] && fields[2] ? fields[2] : "");
  g_strfreev (fields);
  return result;
}

/* ------------------------------------------------------------------------
 * Rounds
 * --------------------------------------------------------------------- */

static int
run_rounds (guint    n_tasks,
            guint    n_rounds,
            guint32  seed,
            guint    ballast_mib,
            gboolean json)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  g_autofree gdouble *us_per_task = g_new0 (gdouble, N_CASES * n_rounds);   /* [case][round] */
  g_autofree gdouble *cpu_us_per_task = g_new0 (gdouble, N_CASES * n_rounds);
  g_autofree gdouble *ratios = g_new0 (gdouble, n_rounds);
  g_autofree char *load_before = NULL;
  g_autofree char *load_after = NULL;
  guint order[N_CASES], n_enabled = 0;
  Stats stats[N_CASES], cpu_stats[N_CASES];
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < N_CASES; i++)
    if (case_enabled[i])
      order[n_enabled++] = i;

  /* Warm-up, untimed: GType registration, GLib's worker thread and SIGCHLD
   * handler, the page cache for the programs. */
  for (guint k = 0; k < n_enabled; k++)
    cases[order[k]].run (MIN (n_tasks, WARMUP_TASKS));

  load_before = read_loadavg ();
  for (guint r = 0; r < n_rounds; r++)
    {
      for (guint k = n_enabled - 1; k > 0; k--)
        {
          guint j = (guint) g_rand_int_range (rand, 0, (gint32) k + 1);
          guint tmp = order[k];

          order[k] = order[j];
          order[j] = tmp;
        }

      for (guint k = 0; k < n_enabled; k++)
        {
          guint i = order[k];
          gint64 cpu_start = cpu_ns ();
          gint64 ns = cases[i].run (n_tasks);
          gint64 cpu = cpu_ns () - cpu_start;

          us_per_task[i * n_rounds + r] = (gdouble) ns / n_tasks / 1000.0;
          cpu_us_per_task[i * n_rounds + r] = (gdouble) cpu / n_tasks / 1000.0;
          if (!json)
            fprintf (stderr, "round %u/%u  %-24s %9.1f µs/task  (CPU %.1f µs/task)\n",
                     r + 1, n_rounds, cases[i].name, us_per_task[i * n_rounds + r],
                     cpu_us_per_task[i * n_rounds + r]);
        }
    }
  load_after = read_loadavg ();

  for (guint i = 0; i < N_CASES; i++)
    if (case_enabled[i])
      {
        stats[i] = compute_stats (&us_per_task[i * n_rounds], n_rounds);
        cpu_stats[i] = compute_stats (&cpu_us_per_task[i * n_rounds], n_rounds);
      }

  if (json)
    g_string_append_printf (out,
                            "{\"workload\": \"W4a\", \"tasks\": %u, \"in_flight\": %u, "
                            "\"rounds\": %u, \"seed\": %u, \"ballast_mib\": %u, "
                            "\"glib\": \"%u.%u.%u\", \"loadavg_before\": \"%s\", "
                            "\"loadavg_after\": \"%s\", \"cases\": {",
                            n_tasks, N_IN_FLIGHT, n_rounds, seed, ballast_mib,
                            glib_major_version, glib_minor_version, glib_micro_version,
                            load_before, load_after);
  else
    {
      g_string_append_printf (out,
                              "\nW4a: %u × /bin/true, %u in flight, %u interleaved rounds "
                              "(seed %u), GLib %u.%u.%u, ballast %u MiB, "
                              "load average %s -> %s\n\n",
                              n_tasks, N_IN_FLIGHT, n_rounds, seed,
                              glib_major_version, glib_minor_version, glib_micro_version,
                              ballast_mib, load_before, load_after);
      g_string_append_printf (out, "%-24s %15s %9s %18s %18s %15s\n",
                              "case", "median µs/task", "tasks/s", "p25-p75 µs/task",
                              "min-max µs/task", "CPU µs/task");
    }

  for (guint i = 0, n = 0; i < N_CASES; i++)
    {
      if (json)
        {
          g_string_append_printf (out, "%s\"%s\": ", n++ > 0 ? ", " : "", cases[i].name);
          if (!case_enabled[i])
            {
              g_string_append_printf (out, "{\"skipped\": true}");
              continue;
            }
          g_string_append_printf (out,
                                  "{\"median_us_per_task\": %.1f, \"tasks_per_s\": %.0f, "
                                  "\"p25_us_per_task\": %.1f, \"p75_us_per_task\": %.1f, "
                                  "\"median_cpu_us_per_task\": %.1f, \"runs_us_per_task\": ",
                                  stats[i].median, 1e6 / stats[i].median,
                                  stats[i].p25, stats[i].p75, cpu_stats[i].median);
          append_doubles_json (out, &us_per_task[i * n_rounds], n_rounds, "%.1f");
          g_string_append (out, ", \"runs_cpu_us_per_task\": ");
          append_doubles_json (out, &cpu_us_per_task[i * n_rounds], n_rounds, "%.1f");
          g_string_append_c (out, '}');
        }
      else if (!case_enabled[i])
        g_string_append_printf (out, "%-24s %12s\n", cases[i].name, "skipped");
      else
        {
          g_autofree char *iqr = g_strdup_printf ("%.0f-%.0f", stats[i].p25, stats[i].p75);
          g_autofree char *range = g_strdup_printf ("%.0f-%.0f", stats[i].min, stats[i].max);

          g_string_append_printf (out, "%-24s %14.1f %9.0f %17s %17s %14.1f\n",
                                  cases[i].name, stats[i].median, 1e6 / stats[i].median,
                                  iqr, range, cpu_stats[i].median);
        }
    }

  if (json)
    g_string_append (out, "}, \"ratios\": {");
  else
    g_string_append_printf (out, "\npaired same-round ratios: median (p25-p75)\n  %-48s %22s   %22s\n",
                            "", "wall time", "CPU time");

  for (guint i = 0, n_subjects = 0; i < N_CASES; i++)
    {
      guint n_baselines = 0;

      if (!case_enabled[i])
        continue;
      if (json)
        g_string_append_printf (out, "%s\"%s\": {", n_subjects++ > 0 ? ", " : "", cases[i].name);

      for (guint b = 0; b < N_CASES; b++)
        {
          Stats rs, cpu_rs;

          /* Baselines among themselves: one direction is enough. */
          if (b == i || !cases[b].baseline || !case_enabled[b]
              || (cases[i].baseline && b > i))
            continue;
          for (guint r = 0; r < n_rounds; r++)
            ratios[r] = cpu_us_per_task[i * n_rounds + r] / cpu_us_per_task[b * n_rounds + r];
          cpu_rs = compute_stats (ratios, n_rounds);
          for (guint r = 0; r < n_rounds; r++)
            ratios[r] = us_per_task[i * n_rounds + r] / us_per_task[b * n_rounds + r];
          rs = compute_stats (ratios, n_rounds);

          if (json)
            {
              g_string_append_printf (out,
                                      "%s\"%s\": {\"median\": %.3f, \"p25\": %.3f, \"p75\": %.3f, "
                                      "\"cpu_median\": %.3f, \"cpu_p25\": %.3f, \"cpu_p75\": %.3f, "
                                      "\"runs\": ",
                                      n_baselines > 0 ? ", " : "", cases[b].name,
                                      rs.median, rs.p25, rs.p75,
                                      cpu_rs.median, cpu_rs.p25, cpu_rs.p75);
              append_doubles_json (out, ratios, n_rounds, "%.3f");
              g_string_append_c (out, '}');
            }
          else
            {
              g_autofree char *label = g_strdup_printf ("%s / %s", cases[i].name, cases[b].name);

              g_string_append_printf (out, "  %-48s %6.3f  (%.3f-%.3f)   %6.3f  (%.3f-%.3f)\n",
                                      label, rs.median, rs.p25, rs.p75,
                                      cpu_rs.median, cpu_rs.p25, cpu_rs.p75);
            }
          n_baselines++;
        }
      if (json)
        g_string_append_c (out, '}');
    }

  if (json)
    g_string_append (out, "}}");
  else
    {
      g_string_append (out, "\ncases:\n");
      for (guint i = 0; i < N_CASES; i++)
        g_string_append_printf (out, "  %-24s %s%s\n", cases[i].name, cases[i].what,
                                case_enabled[i] ? "" : " [skipped]");
    }

  printf ("%s\n", out->str);
  g_string_free (out, TRUE);
  return 0;
}

/* Kept reachable so the compiler cannot drop the ballast. */
static volatile char *ballast;

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) option_context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *case_list = NULL;
  gint n_tasks = DEFAULT_TASKS;
  gint n_rounds = DEFAULT_ROUNDS;
  gint ballast_mib = 0;
  gint64 seed = -1;
  gboolean json = FALSE;
  gboolean skip_verify = FALSE;
  const GOptionEntry entries[] = {
    { "tasks", 'n', 0, G_OPTION_ARG_INT, &n_tasks,
      "Children per case and round (default 2000)", "N" },
    { "rounds", 'r', 0, G_OPTION_ARG_INT, &n_rounds,
      "Interleaved rounds (default 5)", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed,
      "Seed of the per-round shuffle (default: from the clock)", "SEED" },
    { "cases", 'c', 0, G_OPTION_ARG_STRING, &case_list,
      "Comma-separated cases to run (default: all)", "LIST" },
    { "ballast-mib", 0, 0, G_OPTION_ARG_INT, &ballast_mib,
      "Allocate and touch this many MiB first, to show how fork() scales (default 0)", "MIB" },
    { "skip-verify", 0, 0, G_OPTION_ARG_NONE, &skip_verify,
      "Skip the untimed verification runs", NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json,
      "Print one JSON object instead of a table", NULL },
    { NULL }
  };

  option_context = g_option_context_new ("- W4a: one-shot /bin/true children, 2 in flight");
  g_option_context_set_summary (option_context,
                                "Cases: gsubprocess-default, gsubprocess-pgroup, "
                                "gsubprocess-pgroup-wait, posix-spawn-pgroup, xargs-P2, "
                                "gnu-parallel (needs the Debian package “parallel”).");
  g_option_context_add_main_entries (option_context, entries, NULL);
  if (!g_option_context_parse (option_context, &argc, &argv, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 2;
    }
  if (n_tasks < 1 || n_rounds < 1 || ballast_mib < 0)
    {
      fprintf (stderr, "--tasks and --rounds must be at least 1, --ballast-mib at least 0\n");
      return 2;
    }

  if (case_list != NULL)
    {
      g_auto(GStrv) names = g_strsplit (case_list, ",", -1);

      for (guint k = 0; names[k] != NULL; k++)
        {
          guint i;

          for (i = 0; i < N_CASES; i++)
            if (g_str_equal (cases[i].name, g_strstrip (names[k])))
              break;
          if (i == N_CASES)
            {
              fprintf (stderr, "Unknown case “%s”; cases:", names[k]);
              for (i = 0; i < N_CASES; i++)
                fprintf (stderr, " %s", cases[i].name);
              fprintf (stderr, "\n");
              return 2;
            }
          case_enabled[i] = TRUE;
        }
    }
  else
    for (guint i = 0; i < N_CASES; i++)
      case_enabled[i] = TRUE;

  find_gnu_parallel ();
  for (guint i = 0; i < N_CASES; i++)
    if (case_enabled[i] && cases[i].run == run_gnu_parallel && parallel_path == NULL)
      {
        fprintf (stderr, "gnu-parallel: GNU parallel is not installed (Debian: apt-get install "
                         "parallel); skipping the case\n");
        case_enabled[i] = FALSE;
      }
  g_autofree char *xargs_path = g_find_program_in_path ("xargs");

  if (xargs_path == NULL)
    for (guint i = 0; i < N_CASES; i++)
      if (cases[i].run == run_xargs_p2 && case_enabled[i])
        {
          fprintf (stderr, "xargs-P2: xargs is not installed; skipping the case\n");
          case_enabled[i] = FALSE;
        }

  {
    guint n_enabled = 0;

    for (guint i = 0; i < N_CASES; i++)
      n_enabled += case_enabled[i] ? 1 : 0;
    if (n_enabled == 0)
      {
        fprintf (stderr, "No case to run\n");
        return 2;
      }
  }

  if (ballast_mib > 0)
    {
      gsize size = (gsize) ballast_mib << 20;

      ballast = g_malloc (size);
      memset ((char *) ballast, 0x5a, size);   /* non-zero: really populated */
    }

  ps_attr_init ();

  if (!skip_verify)
    {
      if (json)
        {
          /* Keep stdout one JSON object: the verification report goes to
           * stderr. */
          fflush (stdout);
          int saved = dup (1);
          dup2 (2, 1);
          verify ((guint) n_tasks);
          fflush (stdout);
          dup2 (saved, 1);
          close (saved);
        }
      else
        verify ((guint) n_tasks);
    }

  if (seed < 0)
    seed = (gint64) (now_ns () & G_MAXUINT32);

  run_rounds ((guint) n_tasks, (guint) n_rounds, (guint32) seed, (guint) ballast_mib, json);

  ps_attr_clear ();
  g_free (parallel_path);
  g_free ((char *) ballast);
  return 0;
}
