/* osiiso-i18n-private.h: gettext for the library's user-facing messages
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib/gi18n-lib.h>

G_BEGIN_DECLS

/* Binds the library's text domain once; called before any translated
 * message is produced (class_init of the public types). */
void _osiiso_i18n_init (void);

G_END_DECLS
