/* osiiso-task-options.h: immutable, shareable per-task options
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
 * OSIISO_TYPE_TASK_OPTIONS:
 *
 * The #GType of #OsiisoTaskOptions.
 */
#define OSIISO_TYPE_TASK_OPTIONS (osiiso_task_options_get_type ())

OSIISO_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (OsiisoTaskOptions, osiiso_task_options, OSIISO, TASK_OPTIONS, GObject)

OSIISO_AVAILABLE_IN_ALL
OsiisoTaskOptions *osiiso_task_options_new              (void) G_GNUC_WARN_UNUSED_RESULT;
OSIISO_AVAILABLE_IN_ALL
gboolean           osiiso_task_options_validate         (OsiisoTaskOptions  *self,
                                                         GError            **error);
OSIISO_AVAILABLE_IN_ALL
gint               osiiso_task_options_get_priority     (OsiisoTaskOptions  *self);
OSIISO_AVAILABLE_IN_ALL
gboolean           osiiso_task_options_get_must_complete (OsiisoTaskOptions *self);
OSIISO_AVAILABLE_IN_ALL
gdouble            osiiso_task_options_get_timeout      (OsiisoTaskOptions  *self);
OSIISO_AVAILABLE_IN_ALL
gint               osiiso_task_options_get_retries      (OsiisoTaskOptions  *self);
OSIISO_AVAILABLE_IN_ALL
gdouble            osiiso_task_options_get_retry_delay  (OsiisoTaskOptions  *self);
OSIISO_AVAILABLE_IN_ALL
gdouble            osiiso_task_options_get_backoff      (OsiisoTaskOptions  *self);
OSIISO_AVAILABLE_IN_ALL
gdouble            osiiso_task_options_get_delay        (OsiisoTaskOptions  *self);
OSIISO_AVAILABLE_IN_ALL
gint64             osiiso_task_options_get_run_at       (OsiisoTaskOptions  *self);
OSIISO_AVAILABLE_IN_ALL
const char        *osiiso_task_options_get_name         (OsiisoTaskOptions  *self);
OSIISO_AVAILABLE_IN_ALL
const char        *osiiso_task_options_get_group_id     (OsiisoTaskOptions  *self);
OSIISO_AVAILABLE_IN_ALL
gboolean           osiiso_task_options_get_detached     (OsiisoTaskOptions  *self);
OSIISO_AVAILABLE_IN_ALL
GVariant          *osiiso_task_options_get_metadata     (OsiisoTaskOptions  *self);

G_END_DECLS
