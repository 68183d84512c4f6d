/* osiiso-types.h: shared enumerations, the error domain and forward types
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(OSIISO_INSIDE) && !defined(OSIISO_COMPILATION)
# error "Only <osiiso-glib/osiiso-glib.h> can be included directly."
#endif

#include <glib-object.h>
#include <gio/gio.h>
#include <osiiso-glib/osiiso-version-macros.h>

G_BEGIN_DECLS

/**
 * SECTION:osiiso-types
 * @Title: Common types
 * @Short_description: Enumerations, the error domain and the task function
 *
 * The enumerations shared by every queue and the #OSIISO_ERROR domain.
 */

/**
 * OsiisoQueueMode:
 * @OSIISO_QUEUE_MODE_FINITE: osiiso_queue_run() returns when nothing is
 *   outstanding (the default)
 * @OSIISO_QUEUE_MODE_INFINITE: osiiso_queue_run() serves until
 *   osiiso_queue_shutdown() is called or the run times out
 *
 * How long a run lasts.
 */
typedef enum {
  OSIISO_QUEUE_MODE_FINITE,
  OSIISO_QUEUE_MODE_INFINITE,
} OsiisoQueueMode;

/**
 * OsiisoFailPolicy:
 * @OSIISO_FAIL_POLICY_CONTINUE: record failures and keep processing the
 *   remaining tasks (the default)
 * @OSIISO_FAIL_POLICY_FAIL_FIRST: after the first final failure, cancel all
 *   remaining eligible work; must-complete tasks are spared
 *
 * What a final task failure does to the rest of the work.
 */
typedef enum {
  OSIISO_FAIL_POLICY_CONTINUE,
  OSIISO_FAIL_POLICY_FAIL_FIRST,
} OsiisoFailPolicy;

/**
 * OsiisoExitPolicy:
 * @OSIISO_EXIT_POLICY_COMPLETE_PRIORITY: cancel ordinary pending and running
 *   work but let must-complete tasks finish (the default)
 * @OSIISO_EXIT_POLICY_CANCEL: cancel everything that can be cancelled,
 *   must-complete tasks included
 *
 * What a run timeout or a forced shutdown does (the queue's
 * #OsiisoQueue:on-exit property).
 */
typedef enum {
  OSIISO_EXIT_POLICY_COMPLETE_PRIORITY,
  OSIISO_EXIT_POLICY_CANCEL,
} OsiisoExitPolicy;

/**
 * OsiisoTaskStatus:
 * @OSIISO_TASK_STATUS_PENDING: queued, eligible to run
 * @OSIISO_TASK_STATUS_SCHEDULED: waiting for its delay or run-at time
 * @OSIISO_TASK_STATUS_RUNNING: an attempt is in progress
 * @OSIISO_TASK_STATUS_RETRYING: an attempt failed; waiting for the retry delay
 * @OSIISO_TASK_STATUS_SUCCEEDED: final: the task produced a value
 * @OSIISO_TASK_STATUS_FAILED: final: the last attempt failed
 * @OSIISO_TASK_STATUS_CANCELLED: final: the task was cancelled
 *
 * The state of a task. The last three are final: a task reaches exactly one
 * of them, exactly once.
 */
typedef enum {
  OSIISO_TASK_STATUS_PENDING,
  OSIISO_TASK_STATUS_SCHEDULED,
  OSIISO_TASK_STATUS_RUNNING,
  OSIISO_TASK_STATUS_RETRYING,
  OSIISO_TASK_STATUS_SUCCEEDED,
  OSIISO_TASK_STATUS_FAILED,
  OSIISO_TASK_STATUS_CANCELLED,
} OsiisoTaskStatus;

/**
 * OsiisoRunFlags:
 * @OSIISO_RUN_FLAGS_NONE: use the queue's settings
 * @OSIISO_RUN_FLAGS_STRICT: fail the run call with %OSIISO_ERROR_EXECUTION
 *   after the run if any task failed
 * @OSIISO_RUN_FLAGS_FAIL_FIRST: use %OSIISO_FAIL_POLICY_FAIL_FIRST for this
 *   run
 * @OSIISO_RUN_FLAGS_CONTINUE: use %OSIISO_FAIL_POLICY_CONTINUE for this run
 *
 * Per-run overrides for osiiso_queue_run_full() and
 * osiiso_queue_run_async(). %OSIISO_RUN_FLAGS_FAIL_FIRST and
 * %OSIISO_RUN_FLAGS_CONTINUE cannot be combined.
 */
typedef enum /*< flags >*/ {
  OSIISO_RUN_FLAGS_NONE       = 0,
  OSIISO_RUN_FLAGS_STRICT     = 1 << 0,
  OSIISO_RUN_FLAGS_FAIL_FIRST = 1 << 1,
  OSIISO_RUN_FLAGS_CONTINUE   = 1 << 2,
} OsiisoRunFlags;

/**
 * OSIISO_ERROR:
 *
 * The error domain of osiiso-glib. Errors in this domain come from the
 * #OsiisoError enumeration. Cancellation is reported as
 * %G_IO_ERROR_CANCELLED instead.
 */
#define OSIISO_ERROR (osiiso_error_quark ())

/**
 * OsiisoError:
 * @OSIISO_ERROR_FAILED: a task failed without saying why
 * @OSIISO_ERROR_CLOSED: the queue is closed or draining and accepts no tasks
 * @OSIISO_ERROR_FULL: the queue holds as many outstanding tasks as its
 *   #OsiisoQueue:size allows
 * @OSIISO_ERROR_INVALID_OPTION: an option or setting has an invalid value
 * @OSIISO_ERROR_EXECUTION: one or more tasks failed (or were cancelled)
 * @OSIISO_ERROR_TIMEOUT: an attempt exceeded its timeout, or a wait timed out
 * @OSIISO_ERROR_BUSY: the operation is not allowed while a run is in progress
 * @OSIISO_ERROR_NOT_READY: the task has no result yet
 * @OSIISO_ERROR_PROTOCOL: a worker process broke the protocol (garbage,
 *   an oversized or truncated frame, a reply to the wrong request)
 * @OSIISO_ERROR_WORKER: a worker process died, could not start, or its
 *   initializer failed
 * @OSIISO_ERROR_UNKNOWN_FUNCTION: a worker has no function of that name
 * @OSIISO_ERROR_COMMAND: a command task could not start, or exited with a
 *   non-zero status or by a signal
 * @OSIISO_ERROR_CHECKPOINT: a checkpoint database could not be opened, is
 *   not a database, or failed to read or write (#OsiisoCheckpoint)
 *
 * Error codes in the %OSIISO_ERROR domain. More codes may be added later.
 */
typedef enum {
  OSIISO_ERROR_FAILED,
  OSIISO_ERROR_CLOSED,
  OSIISO_ERROR_FULL,
  OSIISO_ERROR_INVALID_OPTION,
  OSIISO_ERROR_EXECUTION,
  OSIISO_ERROR_TIMEOUT,
  OSIISO_ERROR_BUSY,
  OSIISO_ERROR_NOT_READY,
  OSIISO_ERROR_PROTOCOL,
  OSIISO_ERROR_WORKER,
  OSIISO_ERROR_UNKNOWN_FUNCTION,
  OSIISO_ERROR_COMMAND,
  OSIISO_ERROR_CHECKPOINT,
} OsiisoError;

OSIISO_AVAILABLE_IN_ALL
GQuark osiiso_error_quark (void);

G_END_DECLS
