/* test-options.c: OsiisoTaskOptions defaults and validation
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "test-util.h"

static void
test_defaults (void)
{
  g_autoptr(OsiisoTaskOptions) options = osiiso_task_options_new ();
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (osiiso_task_options_get_priority (options), ==, 3);
  g_assert_false (osiiso_task_options_get_must_complete (options));
  g_assert_cmpfloat (osiiso_task_options_get_timeout (options), ==, -1.0);
  g_assert_cmpint (osiiso_task_options_get_retries (options), ==, 0);
  g_assert_cmpfloat (osiiso_task_options_get_retry_delay (options), ==, 0.0);
  g_assert_cmpfloat (osiiso_task_options_get_backoff (options), ==, 1.0);
  g_assert_cmpfloat (osiiso_task_options_get_delay (options), ==, -1.0);
  g_assert_cmpint (osiiso_task_options_get_run_at (options), ==, -1);
  g_assert_null (osiiso_task_options_get_name (options));
  g_assert_null (osiiso_task_options_get_group_id (options));
  g_assert_false (osiiso_task_options_get_detached (options));
  g_assert_null (osiiso_task_options_get_metadata (options));
  g_assert_true (osiiso_task_options_validate (options, &error));
  g_assert_no_error (error);
}

static void
test_properties (void)
{
  g_autoptr(OsiisoTaskOptions) options =
    options_new ("priority", -5, "must-complete", TRUE, "timeout", 1.5, "retries", 4,
                 "retry-delay", 0.25, "backoff", 2.0, "delay", 0.0, "name", "job",
                 "group-id", "batch", "detached", TRUE,
                 "metadata", g_variant_new_string ("meta"), NULL);

  g_assert_cmpint (osiiso_task_options_get_priority (options), ==, -5);
  g_assert_true (osiiso_task_options_get_must_complete (options));
  g_assert_cmpfloat (osiiso_task_options_get_timeout (options), ==, 1.5);
  g_assert_cmpint (osiiso_task_options_get_retries (options), ==, 4);
  g_assert_cmpfloat (osiiso_task_options_get_retry_delay (options), ==, 0.25);
  g_assert_cmpfloat (osiiso_task_options_get_backoff (options), ==, 2.0);
  g_assert_cmpfloat (osiiso_task_options_get_delay (options), ==, 0.0);
  g_assert_cmpstr (osiiso_task_options_get_name (options), ==, "job");
  g_assert_cmpstr (osiiso_task_options_get_group_id (options), ==, "batch");
  g_assert_true (osiiso_task_options_get_detached (options));
  g_assert_cmpstr (g_variant_get_string (osiiso_task_options_get_metadata (options), NULL), ==, "meta");
  g_assert_true (osiiso_task_options_validate (options, NULL));
}

static void
test_immutable (void)
{
  g_autoptr(OsiisoTaskOptions) options = osiiso_task_options_new ();
  GParamSpec **pspecs;
  guint n = 0;

  /* Every property is construct-only: nothing can change after building. */
  pspecs = g_object_class_list_properties (G_OBJECT_GET_CLASS (options), &n);
  g_assert_cmpuint (n, ==, 12);
  for (guint i = 0; i < n; i++)
    g_assert_true (pspecs[i]->flags & G_PARAM_CONSTRUCT_ONLY);
  g_free (pspecs);
}

static void
assert_invalid (OsiisoTaskOptions *options,
                const char        *fragment)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (osiiso_task_options_validate (options, &error));
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION);
  g_assert_nonnull (strstr (error->message, fragment));
  g_object_unref (options);
}

static void
test_invalid (void)
{
  assert_invalid (options_new ("retries", -1, NULL), "retries");
  assert_invalid (options_new ("timeout", 0.0, NULL), "timeout");
  assert_invalid (options_new ("timeout", -2.0, NULL), "timeout");
  assert_invalid (options_new ("retry-delay", -0.1, NULL), "retry-delay");
  assert_invalid (options_new ("backoff", 0.0, NULL), "backoff");
  assert_invalid (options_new ("delay", -0.5, NULL), "delay");
  assert_invalid (options_new ("run-at", (gint64) -7, NULL), "run-at");
  assert_invalid (options_new ("delay", 1.0, "run-at", g_get_real_time (), NULL), "mutually exclusive");
}

static void
test_enums_registered (void)
{
  GEnumClass *klass = g_type_class_ref (OSIISO_TYPE_EXIT_POLICY);

  g_assert_nonnull (g_enum_get_value_by_nick (klass, "complete-priority"));
  g_assert_nonnull (g_enum_get_value_by_nick (klass, "cancel"));
  g_assert_null (g_enum_get_value_by_nick (klass, "complete"));
  g_type_class_unref (klass);

  klass = g_type_class_ref (OSIISO_TYPE_FAIL_POLICY);
  g_assert_nonnull (g_enum_get_value_by_nick (klass, "fail-first"));
  g_type_class_unref (klass);

  klass = g_type_class_ref (OSIISO_TYPE_TASK_STATUS);
  g_assert_cmpuint (klass->n_values, ==, 7);
  g_type_class_unref (klass);

  g_assert_cmpstr (g_quark_to_string (OSIISO_ERROR), ==, "osiiso-error-quark");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/options/defaults", test_defaults);
  g_test_add_func ("/options/properties", test_properties);
  g_test_add_func ("/options/immutable", test_immutable);
  g_test_add_func ("/options/invalid", test_invalid);
  g_test_add_func ("/options/enums-registered", test_enums_registered);

  return g_test_run ();
}
