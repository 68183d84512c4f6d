/* osiiso-command-private.h: running one command line for a command task
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "osiiso-glib.h"

G_BEGIN_DECLS

/* What a command task runs: immutable, and shared by the tasks that run
 * the same command line. */
typedef struct
{
  gint     ref_count;  /* under the lock of the live specs (osiiso-command.c) */
  guint    hash;
  char   **argv;
  GBytes  *input;      /* nullable: stdin is /dev/null */
  char    *cwd;        /* nullable */
  char   **envp;       /* nullable: the parent's environment */
} OsiisoCommandSpec;

/* A reference to the spec of this command line: the live spec of an
 * equal one (the same argv, cwd and environment, the same @input
 * object), or a new spec. Safe from any thread. */
OsiisoCommandSpec *_osiiso_command_spec_new   (const char * const *argv,
                                               GBytes             *input,
                                               const char         *cwd,
                                               const char * const *envp);
void               _osiiso_command_spec_unref (OsiisoCommandSpec  *spec);

typedef struct _OsiisoCommand OsiisoCommand;

/* Called on the owner context when the command is over (its process
 * reaped, its outputs read), just before its context is completed; for a
 * killed command too, with @killed TRUE. */
typedef void (*OsiisoCommandDone) (OsiisoCommand *command,
                                   gboolean       killed,
                                   gpointer       user_data);

/* Starts @spec for the attempt of @context, which it completes (its
 * operation reference and queue reference included) when the command
 * ends: with an OsiisoCommandResult value, or an error that also carries
 * the result. Returns NULL with @error if the command could not start;
 * @context is then untouched. */
OsiisoCommand *_osiiso_command_start (const OsiisoCommandSpec  *spec,
                                      OsiisoTaskContext        *context,
                                      GMainContext             *main_context,
                                      gsize                     output_limit,
                                      gdouble                   kill_grace,
                                      OsiisoCommandDone         done,
                                      gpointer                  done_data,
                                      GError                  **error);
/* The attempt ended in the queue: terminate the command's process group
 * (SIGTERM, SIGKILL after the grace period, from the group killer's
 * thread). It still completes its context, late, and calls the done
 * callback with killed TRUE once its process is gone. */
void           _osiiso_command_kill  (OsiisoCommand           *command);

G_END_DECLS
