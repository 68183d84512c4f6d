/* osiiso-checkpoint.h: completion tracking keyed by input, in SQLite
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
 * OSIISO_TYPE_CHECKPOINT_HIT:
 *
 * The #GType of #OsiisoCheckpointHit.
 */
#define OSIISO_TYPE_CHECKPOINT_HIT (osiiso_checkpoint_hit_get_type ())

OSIISO_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (OsiisoCheckpointHit, osiiso_checkpoint_hit, OSIISO, CHECKPOINT_HIT, GObject)

OSIISO_AVAILABLE_IN_ALL
gboolean    osiiso_checkpoint_hit_has_value       (OsiisoCheckpointHit *self);
OSIISO_AVAILABLE_IN_ALL
GVariant   *osiiso_checkpoint_hit_get_value       (OsiisoCheckpointHit *self);
OSIISO_AVAILABLE_IN_ALL
const char *osiiso_checkpoint_hit_get_name        (OsiisoCheckpointHit *self);
OSIISO_AVAILABLE_IN_ALL
gint64      osiiso_checkpoint_hit_get_recorded_at (OsiisoCheckpointHit *self);

/**
 * OSIISO_TYPE_CHECKPOINT:
 *
 * The #GType of #OsiisoCheckpoint.
 */
#define OSIISO_TYPE_CHECKPOINT (osiiso_checkpoint_get_type ())

OSIISO_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (OsiisoCheckpoint, osiiso_checkpoint, OSIISO, CHECKPOINT, GObject)

OSIISO_AVAILABLE_IN_ALL
OsiisoCheckpoint *osiiso_checkpoint_new              (const char          *path,
                                                      GError             **error) G_GNUC_WARN_UNUSED_RESULT;
OSIISO_AVAILABLE_IN_ALL
OsiisoCheckpoint *osiiso_checkpoint_new_full         (const char          *path,
                                                      gboolean             store_values,
                                                      GError             **error) G_GNUC_WARN_UNUSED_RESULT;
OSIISO_AVAILABLE_IN_ALL
const char       *osiiso_checkpoint_get_path         (OsiisoCheckpoint    *self);
OSIISO_AVAILABLE_IN_ALL
gboolean          osiiso_checkpoint_get_store_values (OsiisoCheckpoint    *self);
OSIISO_AVAILABLE_IN_ALL
gboolean          osiiso_checkpoint_is_closed        (OsiisoCheckpoint    *self);
OSIISO_AVAILABLE_IN_ALL
gboolean          osiiso_checkpoint_record           (OsiisoCheckpoint    *self,
                                                      const char          *ns,
                                                      const char          *key,
                                                      GVariant            *value,
                                                      const char          *name,
                                                      GError             **error);
OSIISO_AVAILABLE_IN_ALL
GHashTable       *osiiso_checkpoint_lookup           (OsiisoCheckpoint    *self,
                                                      const char          *ns,
                                                      const char * const  *keys,
                                                      GError             **error) G_GNUC_WARN_UNUSED_RESULT;
OSIISO_AVAILABLE_IN_ALL
gboolean          osiiso_checkpoint_is_done          (OsiisoCheckpoint    *self,
                                                      const char          *ns,
                                                      const char          *key,
                                                      GError             **error);
OSIISO_AVAILABLE_IN_ALL
gint64            osiiso_checkpoint_count            (OsiisoCheckpoint    *self,
                                                      const char          *ns,
                                                      GError             **error);
OSIISO_AVAILABLE_IN_ALL
char            **osiiso_checkpoint_namespaces       (OsiisoCheckpoint    *self,
                                                      GError             **error) G_GNUC_WARN_UNUSED_RESULT;
OSIISO_AVAILABLE_IN_ALL
gint64            osiiso_checkpoint_clear            (OsiisoCheckpoint    *self,
                                                      const char          *ns,
                                                      GError             **error);
OSIISO_AVAILABLE_IN_ALL
gboolean          osiiso_checkpoint_close            (OsiisoCheckpoint    *self,
                                                      GError             **error);
OSIISO_AVAILABLE_IN_ALL
char             *osiiso_checkpoint_canonical_key    (GVariant            *input) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
