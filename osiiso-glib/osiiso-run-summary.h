/* osiiso-run-summary.h: the immutable summary of one run
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(OSIISO_INSIDE) && !defined(OSIISO_COMPILATION)
# error "Only <osiiso-glib/osiiso-glib.h> can be included directly."
#endif

#include <osiiso-glib/osiiso-types.h>
#include <osiiso-glib/osiiso-task-result.h>

G_BEGIN_DECLS

/**
 * OSIISO_TYPE_RUN_SUMMARY:
 *
 * The #GType of #OsiisoRunSummary.
 */
#define OSIISO_TYPE_RUN_SUMMARY (osiiso_run_summary_get_type ())

/**
 * OsiisoRunSummary:
 *
 * The summary of one run. An opaque, immutable, reference-counted boxed
 * type.
 */
typedef struct _OsiisoRunSummary OsiisoRunSummary;

OSIISO_AVAILABLE_IN_ALL
GType              osiiso_run_summary_get_type      (void) G_GNUC_CONST;
OSIISO_AVAILABLE_IN_ALL
OsiisoRunSummary  *osiiso_run_summary_ref           (OsiisoRunSummary  *self);
OSIISO_AVAILABLE_IN_ALL
void               osiiso_run_summary_unref         (OsiisoRunSummary  *self);
OSIISO_AVAILABLE_IN_ALL
guint              osiiso_run_summary_get_total     (OsiisoRunSummary  *self);
OSIISO_AVAILABLE_IN_ALL
guint              osiiso_run_summary_get_succeeded (OsiisoRunSummary  *self);
OSIISO_AVAILABLE_IN_ALL
guint              osiiso_run_summary_get_failed    (OsiisoRunSummary  *self);
OSIISO_AVAILABLE_IN_ALL
guint              osiiso_run_summary_get_cancelled (OsiisoRunSummary  *self);
OSIISO_AVAILABLE_IN_ALL
gboolean           osiiso_run_summary_get_timed_out (OsiisoRunSummary  *self);
OSIISO_AVAILABLE_IN_ALL
gdouble            osiiso_run_summary_get_duration  (OsiisoRunSummary  *self);
OSIISO_AVAILABLE_IN_ALL
gboolean           osiiso_run_summary_get_ok        (OsiisoRunSummary  *self);
OSIISO_AVAILABLE_IN_ALL
OsiisoTaskResult **osiiso_run_summary_get_results   (OsiisoRunSummary  *self,
                                                     guint             *n_results);
OSIISO_AVAILABLE_IN_ALL
OsiisoTaskResult **osiiso_run_summary_get_successes (OsiisoRunSummary  *self,
                                                     guint             *n_results);
OSIISO_AVAILABLE_IN_ALL
OsiisoTaskResult **osiiso_run_summary_get_errors    (OsiisoRunSummary  *self,
                                                     guint             *n_results);
OSIISO_AVAILABLE_IN_ALL
OsiisoTaskResult **osiiso_run_summary_get_cancellations (OsiisoRunSummary *self,
                                                         guint            *n_results);
OSIISO_AVAILABLE_IN_ALL
const GValue      *osiiso_run_summary_get_values    (OsiisoRunSummary  *self,
                                                     guint             *n_values);
OSIISO_AVAILABLE_IN_ALL
OsiisoTaskResult  *osiiso_run_summary_lookup        (OsiisoRunSummary  *self,
                                                     guint64            task_id);
OSIISO_AVAILABLE_IN_ALL
OsiisoTaskResult **osiiso_run_summary_lookup_by_name (OsiisoRunSummary *self,
                                                      const char       *name,
                                                      guint            *n_results);
OSIISO_AVAILABLE_IN_ALL
OsiisoTaskResult **osiiso_run_summary_lookup_by_group (OsiisoRunSummary *self,
                                                       const char       *group_id,
                                                       guint            *n_results);
OSIISO_AVAILABLE_IN_ALL
gboolean           osiiso_run_summary_check         (OsiisoRunSummary  *self,
                                                     gboolean           include_cancelled,
                                                     GError           **error);
OSIISO_AVAILABLE_IN_ALL
char              *osiiso_run_summary_to_string     (OsiisoRunSummary  *self) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OsiisoRunSummary, osiiso_run_summary_unref)

G_END_DECLS
