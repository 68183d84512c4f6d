/* test-i18n.c: user-facing messages go through gettext
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "test-util.h"

#include <locale.h>
#include <libintl.h>

static void
test_german_messages (void)
{
  g_autoptr(OsiisoTaskOptions) options = options_new ("retries", -1, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *mo_dir = g_build_filename (g_getenv ("OSIISO_TEST_PO_DIR"), NULL);

  /* The library binds its domain to the install prefix on first use; point
   * it at the build tree's catalogue instead. */
  osiiso_task_options_validate (options, NULL);
  bindtextdomain (GETTEXT_PACKAGE, mo_dir);

  g_assert_false (osiiso_task_options_validate (options, &error));
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION);
  g_assert_cmpstr (error->message, ==, "retries muss >= 0 sein (erhalten: -1)");
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/i18n/german-messages", test_german_messages);

  return g_test_run ();
}
