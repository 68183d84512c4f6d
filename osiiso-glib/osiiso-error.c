/* osiiso-error.c: the error domain and the text domain
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "osiiso-glib.h"
#include "osiiso-i18n-private.h"

/**
 * osiiso_error_quark:
 *
 * Gets the quark of the #OSIISO_ERROR domain.
 *
 * Returns: the error quark
 */
G_DEFINE_QUARK (osiiso-error-quark, osiiso_error)

void
_osiiso_i18n_init (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
      bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
      g_once_init_leave (&initialized, 1);
    }
}
