/* osiiso-async-queue.h: tasks as asynchronous operations on a main context
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
 * OSIISO_TYPE_ASYNC_QUEUE:
 *
 * The #GType of #OsiisoAsyncQueue.
 */
#define OSIISO_TYPE_ASYNC_QUEUE (osiiso_async_queue_get_type ())

OSIISO_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (OsiisoAsyncQueue, osiiso_async_queue, OSIISO, ASYNC_QUEUE, OsiisoQueue)

OSIISO_AVAILABLE_IN_ALL
OsiisoAsyncQueue *osiiso_async_queue_new (guint workers) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
