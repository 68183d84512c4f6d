/* osiiso-glib.h: the single public include of osiiso-glib
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#define OSIISO_INSIDE

#include <glib-object.h>
#include <gio/gio.h>

#include <osiiso-glib/osiiso-version-macros.h>
#include <osiiso-glib/osiiso-version.h>
#include <osiiso-glib/osiiso-types.h>
#include <osiiso-glib/osiiso-enum-types.h>
#include <osiiso-glib/osiiso-task-options.h>
#include <osiiso-glib/osiiso-task-context.h>
#include <osiiso-glib/osiiso-task-result.h>
#include <osiiso-glib/osiiso-run-summary.h>
#include <osiiso-glib/osiiso-task-handle.h>
#include <osiiso-glib/osiiso-task-group.h>
#include <osiiso-glib/osiiso-queue.h>
#include <osiiso-glib/osiiso-thread-queue.h>
#include <osiiso-glib/osiiso-async-queue.h>
#include <osiiso-glib/osiiso-command-result.h>
#include <osiiso-glib/osiiso-process-queue.h>
#include <osiiso-glib/osiiso-map.h>
#include <osiiso-glib/osiiso-worker.h>
#include <osiiso-glib/osiiso-checkpoint.h>

#undef OSIISO_INSIDE
