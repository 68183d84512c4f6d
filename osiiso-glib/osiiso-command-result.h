/* osiiso-command-result.h: what a command task did
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(OSIISO_INSIDE) && !defined(OSIISO_COMPILATION)
# error "Only <osiiso-glib/osiiso-glib.h> can be included directly."
#endif

#include <osiiso-glib/osiiso-types.h>

G_BEGIN_DECLS

/**
 * OSIISO_TYPE_COMMAND_RESULT:
 *
 * The #GType of #OsiisoCommandResult.
 */
#define OSIISO_TYPE_COMMAND_RESULT (osiiso_command_result_get_type ())

/**
 * OsiisoCommandResult:
 *
 * What one run of a command task did: its exit status or terminating
 * signal, its captured output and its duration. An opaque, immutable,
 * reference-counted boxed type.
 */
typedef struct _OsiisoCommandResult OsiisoCommandResult;

OSIISO_AVAILABLE_IN_ALL
GType                osiiso_command_result_get_type             (void) G_GNUC_CONST;
OSIISO_AVAILABLE_IN_ALL
OsiisoCommandResult *osiiso_command_result_ref                  (OsiisoCommandResult *self);
OSIISO_AVAILABLE_IN_ALL
void                 osiiso_command_result_unref                (OsiisoCommandResult *self);
OSIISO_AVAILABLE_IN_ALL
gint                 osiiso_command_result_get_exit_status      (OsiisoCommandResult *self);
OSIISO_AVAILABLE_IN_ALL
gint                 osiiso_command_result_get_term_signal      (OsiisoCommandResult *self);
OSIISO_AVAILABLE_IN_ALL
gboolean             osiiso_command_result_get_success          (OsiisoCommandResult *self);
OSIISO_AVAILABLE_IN_ALL
GBytes              *osiiso_command_result_get_stdout           (OsiisoCommandResult *self);
OSIISO_AVAILABLE_IN_ALL
GBytes              *osiiso_command_result_get_stderr           (OsiisoCommandResult *self);
OSIISO_AVAILABLE_IN_ALL
gboolean             osiiso_command_result_get_stdout_truncated (OsiisoCommandResult *self);
OSIISO_AVAILABLE_IN_ALL
gboolean             osiiso_command_result_get_stderr_truncated (OsiisoCommandResult *self);
OSIISO_AVAILABLE_IN_ALL
gdouble              osiiso_command_result_get_duration         (OsiisoCommandResult *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OsiisoCommandResult, osiiso_command_result_unref)

G_END_DECLS
