/* osiiso-map.h: one-shot maps on a fresh queue
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(OSIISO_INSIDE) && !defined(OSIISO_COMPILATION)
#error "Only <osiiso-glib/osiiso-glib.h> can be included directly."
#endif

#include <gio/gio.h>

#include <osiiso-glib/osiiso-version-macros.h>
#include <osiiso-glib/osiiso-task-options.h>
#include <osiiso-glib/osiiso-task-context.h>
#include <osiiso-glib/osiiso-run-summary.h>

G_BEGIN_DECLS

OSIISO_AVAILABLE_IN_ALL
OsiisoRunSummary *osiiso_thread_map  (OsiisoTaskFunc       func,
                               gpointer             user_data,
                               GDestroyNotify       destroy,
                               GVariant            *inputs,
                               guint                workers,
                               OsiisoTaskOptions   *options,
                               gdouble              rate,
                               gdouble              timeout,
                               GError             **error) G_GNUC_WARN_UNUSED_RESULT;
OSIISO_AVAILABLE_IN_ALL
OsiisoRunSummary *osiiso_async_map   (OsiisoTaskFunc       func,
                               gpointer             user_data,
                               GDestroyNotify       destroy,
                               GVariant            *inputs,
                               guint                workers,
                               OsiisoTaskOptions   *options,
                               gdouble              rate,
                               gdouble              timeout,
                               GError             **error) G_GNUC_WARN_UNUSED_RESULT;
OSIISO_AVAILABLE_IN_ALL
OsiisoRunSummary *osiiso_process_map (const char * const  *worker_argv,
                               const char          *function,
                               GVariant            *inputs,
                               guint                workers,
                               OsiisoTaskOptions   *options,
                               gdouble              rate,
                               gdouble              timeout,
                               GError             **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
