/* osiiso-thread-queue.h: tasks as blocking functions on worker threads
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
 * OSIISO_TYPE_THREAD_QUEUE:
 *
 * The #GType of #OsiisoThreadQueue.
 */
#define OSIISO_TYPE_THREAD_QUEUE (osiiso_thread_queue_get_type ())

OSIISO_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (OsiisoThreadQueue, osiiso_thread_queue, OSIISO, THREAD_QUEUE, OsiisoQueue)

/**
 * OsiisoThreadInitFunc:
 * @queue: the queue whose worker thread is starting to serve it
 * @user_data: (closure): the data given to
 *   osiiso_thread_queue_set_initializer()
 *
 * Runs once in each worker thread, in that thread, before the thread runs
 * its first task of @queue. Use it to set up per-thread resources (a
 * database connection, a thread-local cache).
 */
typedef void (*OsiisoThreadInitFunc) (OsiisoThreadQueue *queue,
                                      gpointer           user_data);

OSIISO_AVAILABLE_IN_ALL
OsiisoThreadQueue *osiiso_thread_queue_new             (guint                workers) G_GNUC_WARN_UNUSED_RESULT;
OSIISO_AVAILABLE_IN_ALL
void               osiiso_thread_queue_set_initializer (OsiisoThreadQueue   *self,
                                                        OsiisoThreadInitFunc func,
                                                        gpointer             user_data,
                                                        GDestroyNotify       destroy);
OSIISO_AVAILABLE_IN_ALL
guint              osiiso_thread_queue_get_stuck_threads (OsiisoThreadQueue *self);

G_END_DECLS
