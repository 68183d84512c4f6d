/* osiiso-process-queue.h: tasks in a pool of persistent worker processes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(OSIISO_INSIDE) && !defined(OSIISO_COMPILATION)
# error "Only <osiiso-glib/osiiso-glib.h> can be included directly."
#endif

#include <osiiso-glib/osiiso-queue.h>

G_BEGIN_DECLS

/**
 * OSIISO_TYPE_PROCESS_QUEUE:
 *
 * The #GType of #OsiisoProcessQueue.
 */
#define OSIISO_TYPE_PROCESS_QUEUE (osiiso_process_queue_get_type ())

OSIISO_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (OsiisoProcessQueue, osiiso_process_queue, OSIISO, PROCESS_QUEUE, OsiisoQueue)

OSIISO_AVAILABLE_IN_ALL
OsiisoProcessQueue *osiiso_process_queue_new         (const char * const  *worker_argv,
                                                      guint                workers) G_GNUC_WARN_UNUSED_RESULT;
OSIISO_AVAILABLE_IN_ALL
OsiisoTaskHandle   *osiiso_process_queue_submit_call (OsiisoProcessQueue  *self,
                                                      const char          *function,
                                                      GVariant            *argument,
                                                      OsiisoTaskOptions   *options,
                                                      GError             **error) G_GNUC_WARN_UNUSED_RESULT;
OSIISO_AVAILABLE_IN_ALL
OsiisoTaskHandle   *osiiso_process_queue_submit_command (OsiisoProcessQueue  *self,
                                                         const char * const  *argv,
                                                         GBytes              *input,
                                                         const char          *cwd,
                                                         const char * const  *envp,
                                                         OsiisoTaskOptions   *options,
                                                         GError             **error) G_GNUC_WARN_UNUSED_RESULT;
OSIISO_AVAILABLE_IN_ALL
OsiisoTaskGroup    *osiiso_process_queue_map_call    (OsiisoProcessQueue  *self,
                                                      const char          *function,
                                                      GVariant            *inputs,
                                                      OsiisoTaskOptions   *options,
                                                      GError             **error) G_GNUC_WARN_UNUSED_RESULT;
OSIISO_AVAILABLE_IN_ALL
gint               *osiiso_process_queue_get_worker_pids (OsiisoProcessQueue *self,
                                                          guint              *n_pids) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
