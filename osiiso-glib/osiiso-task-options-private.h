/* osiiso-task-options-private.h: the fields of OsiisoTaskOptions
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "osiiso-glib.h"

G_BEGIN_DECLS

/* Options are immutable once constructed, so the core reads these fields
 * directly on its hot paths instead of through the checked getters. */
struct _OsiisoTaskOptions
{
  GObject    parent_instance;

  gint       priority;
  gint       retries;
  gdouble    timeout;
  gdouble    retry_delay;
  gdouble    backoff;
  gdouble    delay;
  gint64     run_at;
  char      *name;
  char      *group_id;
  GVariant  *metadata;
  guint      must_complete : 1;
  guint      detached : 1;
  guint      valid : 1;      /* checked once at construction: immutable */
};

G_END_DECLS
