/* test-task-group.c: map, groups, one-shot maps
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "test-util.h"

#include <glib/gstdio.h>

/* Squares its int64 input; sleeps a little for odd inputs so tasks finish
 * out of input order. */
static gboolean
task_square (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  gint64 n = g_variant_get_int64 (osiiso_task_context_get_input (ctx));
  g_auto(GValue) value = G_VALUE_INIT;

  if (n % 2 == 1)
    g_usleep (1000);
  g_value_set_int64 (g_value_init (&value, G_TYPE_INT64), n * n);
  osiiso_task_context_set_value (ctx, &value);
  return TRUE;
}

/* Fails for input 3. */
static gboolean
task_fail_on_3 (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  if (g_variant_get_int64 (osiiso_task_context_get_input (ctx)) == 3)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "three");
      return FALSE;
    }
  return task_square (ctx, data, error);
}

static GVariant *
range_inputs (gint64 n)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("ax"));
  for (gint64 i = 0; i < n; i++)
    g_variant_builder_add (&builder, "x", i);
  return g_variant_builder_end (&builder);
}

static void
count_destroy (gpointer data)
{
  (*(guint *) data)++;
}

/* Task records of a group are allocated many to a block: a block must
 * live as long as any of its records (here through handles and results
 * kept after the group and the queue are gone), and a group that is
 * never submitted must free its blocks. ASan and valgrind check it. */
static void
test_records_outlive_group (void)
{
  static const guint kept[] = { 0, 1, 2, 63, 64, 150, 299 };
  OsiisoTaskHandle *handles[G_N_ELEMENTS (kept)];
  OsiisoTaskResult *results[G_N_ELEMENTS (kept)];
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(OsiisoQueue) queue = OSIISO_QUEUE (osiiso_thread_queue_new (2));
    g_autoptr(OsiisoTaskGroup) group = osiiso_queue_map (queue, task_square, NULL, NULL,
                                                         range_inputs (300), NULL, &error);
    g_autoptr(OsiisoTaskGroup) unsubmitted = osiiso_task_group_new (NULL);
    g_autoptr(OsiisoRunSummary) summary = NULL;

    g_assert_no_error (error);
    for (guint i = 0; i < 100; i++)
      osiiso_task_group_add (unsubmitted, task_ok, NULL, NULL, g_variant_new_int64 (i), NULL);
    summary = osiiso_queue_run (queue, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (osiiso_run_summary_get_succeeded (summary), ==, 300);
    for (guint i = 0; i < G_N_ELEMENTS (kept); i++)
      {
        handles[i] = g_object_ref (osiiso_task_group_get_handle (group, kept[i]));
        results[i] = osiiso_task_result_ref (osiiso_task_group_get_result (group, kept[i]));
      }
  }

  for (guint i = 0; i < G_N_ELEMENTS (kept); i++)
    {
      const GValue *value = osiiso_task_result_get_value (results[i]);

      g_assert_cmpint (osiiso_task_handle_get_status (handles[i]), ==, OSIISO_TASK_STATUS_SUCCEEDED);
      g_assert_true (osiiso_task_handle_get_result (handles[i]) == results[i]);
      g_assert_cmpuint (osiiso_task_handle_get_id (handles[i]), ==, osiiso_task_result_get_task_id (results[i]));
      g_assert_cmpint (g_value_get_int64 (value), ==, (gint64) kept[i] * kept[i]);
      if (i > 0)
        g_assert_cmpuint (osiiso_task_handle_get_id (handles[i]), >, osiiso_task_handle_get_id (handles[i - 1]));
    }
  /* Dropped in an order unlike the blocks': the last records of a block
   * go before its first. */
  for (guint i = G_N_ELEMENTS (kept); i-- > 0;)
    {
      g_object_unref (handles[i]);
      osiiso_task_result_unref (results[i]);
    }
}

static void
test_map_values_in_order (void)
{
  g_autoptr(OsiisoQueue) queue = OSIISO_QUEUE (osiiso_thread_queue_new (2));
  g_autoptr(OsiisoTaskGroup) group = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  const GValue *values = NULL;
  guint n_values = 0;
  g_autoptr(GError) error = NULL;
  guint destroyed = 0;

  group = osiiso_queue_map (queue, task_square, &destroyed, count_destroy, range_inputs (200), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (osiiso_task_group_get_size (group), ==, 200);
  g_assert_true (g_str_has_prefix (osiiso_task_group_get_id (group), "group-"));
  summary = run_ok (queue);
  g_assert_cmpuint (osiiso_run_summary_get_succeeded (summary), ==, 200);

  values = osiiso_task_group_get_values (group, 5, NULL, &n_values, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n_values, ==, 200);
  for (guint i = 0; i < n_values; i++)
    g_assert_cmpint (g_value_get_int64 (&values[i]), ==, (gint64) i * i);
  /* The shared data is freed once, when the last task is done (the last
   * attempt context may be dropped on a worker thread a moment later). */
  {
    gdouble deadline = now_s () + 10;

    while (g_atomic_int_get ((gint *) &destroyed) == 0 && now_s () < deadline)
      g_main_context_iteration (NULL, FALSE), g_usleep (1000);
  }
  g_assert_cmpuint (destroyed, ==, 1);
  for (guint i = 0; i < 200; i++)
    g_assert_cmpint (osiiso_task_group_get_status (group, i), ==, OSIISO_TASK_STATUS_SUCCEEDED);
  g_assert_cmpuint (osiiso_task_group_get_n_completed (group), ==, 200);
}

static void
items_changed_cb (GListModel *model, guint position, guint removed, guint added, guint *calls)
{
  g_assert_cmpuint (position, ==, 0);
  g_assert_cmpuint (removed, ==, 0);
  g_assert_cmpuint (added, ==, 3);
  (*calls)++;
}

static void
started_cb (OsiisoQueue *queue, OsiisoTaskHandle *handle, GPtrArray *seen)
{
  g_ptr_array_add (seen, handle);
}

/* A GTK-free check that the group behaves as a GListModel must. */
static void
test_list_model (void)
{
  g_autoptr(OsiisoQueue) queue = OSIISO_QUEUE (osiiso_thread_queue_new (1));
  g_autoptr(OsiisoTaskGroup) group = osiiso_task_group_new ("pictures");
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GPtrArray) started = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  GListModel *model = G_LIST_MODEL (group);
  guint calls = 0;

  g_assert_cmpuint (osiiso_task_group_add (group, task_square, NULL, NULL, g_variant_new_int64 (1), NULL), ==, 0);
  g_assert_cmpuint (osiiso_task_group_add_map (group, task_square, NULL, NULL, range_inputs (2), NULL), ==, 1);
  g_assert_cmpuint (osiiso_task_group_get_size (group), ==, 3);
  g_assert_true (g_list_model_get_item_type (model) == OSIISO_TYPE_TASK_HANDLE);
  /* No items before the group is submitted. */
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 0);
  g_assert_null (g_list_model_get_item (model, 0));

  g_signal_connect (model, "items-changed", G_CALLBACK (items_changed_cb), &calls);
  g_signal_connect (queue, "task-started", G_CALLBACK (started_cb), started);
  g_assert_true (osiiso_queue_submit_group (queue, group, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (calls, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 3);
  g_assert_null (g_list_model_get_item (model, 3));

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(OsiisoTaskHandle) item = g_list_model_get_item (model, i);

      /* The same handle each time, and the group's id on it. */
      g_assert_true (item == osiiso_task_group_get_handle (group, i));
      g_assert_cmpstr (osiiso_task_handle_get_group_id (item), ==, "pictures");
    }

  summary = run_ok (queue);
  g_assert_cmpuint (osiiso_run_summary_get_succeeded (summary), ==, 3);
  /* The signals carried the group's handles. */
  g_assert_cmpuint (started->len, ==, 3);
  for (guint i = 0; i < started->len; i++)
    {
      gboolean found = FALSE;

      for (guint j = 0; j < 3; j++)
        found |= g_ptr_array_index (started, i) == (gpointer) osiiso_task_group_get_handle (group, j);
      g_assert_true (found);
    }
  for (guint i = 0; i < 3; i++)
    g_assert_cmpstr (osiiso_task_result_get_group_id (osiiso_task_group_get_result (group, i)), ==, "pictures");
  g_assert_cmpuint (calls, ==, 1);   /* items never change afterwards */
}

static void
test_atomic_admission (void)
{
  g_autoptr(OsiisoQueue) queue = g_object_new (OSIISO_TYPE_THREAD_QUEUE, "workers", 1, "size", 5, NULL);
  g_autoptr(OsiisoTaskOptions) bad = options_new ("retries", -3, NULL);
  g_autoptr(OsiisoTaskGroup) too_big = osiiso_task_group_new (NULL);
  g_autoptr(OsiisoTaskGroup) invalid = osiiso_task_group_new (NULL);
  g_autoptr(OsiisoTaskGroup) not_array = osiiso_task_group_new (NULL);
  g_autoptr(OsiisoTaskGroup) commands = osiiso_task_group_new (NULL);
  g_autoptr(OsiisoTaskGroup) fits = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { "true", NULL };
  guint destroyed = 0;

  for (guint i = 0; i < 3; i++)
    submit_ok (queue, task_ok, NULL, NULL);

  /* Room for 2, not 3: nothing of the group is queued. */
  osiiso_task_group_add_map (too_big, task_square, &destroyed, count_destroy, range_inputs (3), NULL);
  g_assert_false (osiiso_queue_submit_group (queue, too_big, &error));
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_FULL);
  g_clear_error (&error);
  g_assert_cmpuint (osiiso_queue_get_pending (queue), ==, 3);
  g_assert_false (osiiso_task_group_get_submitted (too_big));

  /* One invalid entry: nothing is queued. */
  osiiso_task_group_add (invalid, task_ok, NULL, NULL, NULL, NULL);
  osiiso_task_group_add (invalid, task_ok, NULL, NULL, NULL, bad);
  g_assert_false (osiiso_queue_submit_group (queue, invalid, &error));
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION);
  g_clear_error (&error);

  osiiso_task_group_add_map (not_array, task_square, NULL, NULL, g_variant_new_int32 (3), NULL);
  g_assert_false (osiiso_queue_submit_group (queue, not_array, &error));
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION);
  g_clear_error (&error);

  /* A thread queue runs no commands. */
  osiiso_task_group_add_command (commands, argv, NULL, NULL, NULL, NULL);
  g_assert_false (osiiso_queue_submit_group (queue, commands, &error));
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION);
  g_clear_error (&error);
  g_assert_cmpuint (osiiso_queue_get_pending (queue), ==, 3);

  /* What fits goes in whole; a group is submitted once. */
  fits = osiiso_queue_map (queue, task_square, NULL, NULL, range_inputs (2), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (osiiso_queue_get_pending (queue), ==, 5);
  g_assert_false (osiiso_queue_submit_group (queue, fits, &error));
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION);
  g_clear_error (&error);

  summary = run_ok (queue);
  g_assert_cmpuint (osiiso_run_summary_get_total (summary), ==, 5);

  /* A closed queue takes nothing. */
  g_assert_true (osiiso_queue_shutdown (queue, FALSE, NULL, &error));
  g_clear_object (&too_big);
  g_assert_cmpuint (destroyed, ==, 1);   /* the refused map's data is freed with it */
  too_big = osiiso_task_group_new (NULL);
  osiiso_task_group_add (too_big, task_ok, NULL, NULL, NULL, NULL);
  g_assert_false (osiiso_queue_submit_group (queue, too_big, &error));
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_CLOSED);
}

static void
test_values_error_when_failed_or_cancelled (void)
{
  g_autoptr(OsiisoQueue) queue = OSIISO_QUEUE (osiiso_thread_queue_new (1));
  g_autoptr(OsiisoTaskGroup) failing = NULL;
  g_autoptr(OsiisoTaskGroup) cancelled = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(OsiisoRunSummary) waited = NULL;
  const GValue *values = NULL;
  guint n_values = 0;
  g_autoptr(GError) error = NULL;

  failing = osiiso_queue_map (queue, task_fail_on_3, NULL, NULL, range_inputs (5), NULL, &error);
  g_assert_no_error (error);
  cancelled = osiiso_queue_map (queue, task_square, NULL, NULL, range_inputs (4), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (osiiso_task_group_cancel (cancelled), ==, 4);
  summary = run_ok (queue);

  values = osiiso_task_group_get_values (failing, 5, NULL, &n_values, &error);
  g_assert_null (values);
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_EXECUTION);
  g_clear_error (&error);
  values = osiiso_task_group_get_values (cancelled, 5, NULL, &n_values, &error);
  g_assert_null (values);
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_EXECUTION);
  g_clear_error (&error);

  /* The summary of a group lines up with its inputs. */
  waited = osiiso_task_group_wait (failing, 5, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (osiiso_run_summary_get_total (waited), ==, 5);
  g_assert_cmpuint (osiiso_run_summary_get_failed (waited), ==, 1);
  {
    guint n;
    OsiisoTaskResult **results = osiiso_run_summary_get_results (waited, &n);

    g_assert_cmpuint (n, ==, 5);
    for (guint i = 0; i < n; i++)
      g_assert_cmpint (osiiso_task_result_get_status (results[i]), ==,
                       i == 3 ? OSIISO_TASK_STATUS_FAILED : OSIISO_TASK_STATUS_SUCCEEDED);
  }
}

/* Tasks wait at their own gate, opened in the order 2, 0, 1. */
static gboolean
task_indexed_gate (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  Gate *gates = data;

  gate_wait (&gates[osiiso_task_context_get_index (ctx)]);
  return TRUE;
}

static void
test_completion_order (void)
{
  g_autoptr(OsiisoQueue) queue = OSIISO_QUEUE (osiiso_thread_queue_new (3));
  g_autoptr(OsiisoTaskGroup) group = NULL;
  g_autoptr(GError) error = NULL;
  Gate gates[3];
  const guint order[3] = { 2, 0, 1 };

  for (guint i = 0; i < 3; i++)
    gate_init (&gates[i]);
  g_assert_true (osiiso_queue_start (queue, &error));
  group = osiiso_queue_map (queue, task_indexed_gate, gates, NULL, range_inputs (3), NULL, &error);
  g_assert_no_error (error);

  /* Nothing finished yet: the wait times out. */
  g_assert_null (osiiso_task_group_wait_completed (group, 0, 0.05, NULL, &error));
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_TIMEOUT);
  g_clear_error (&error);

  for (guint k = 0; k < 3; k++)
    {
      OsiisoTaskHandle *handle;

      gate_open (&gates[order[k]]);
      handle = osiiso_task_group_wait_completed (group, k, 10, NULL, &error);
      g_assert_no_error (error);
      g_assert_true (handle == osiiso_task_group_get_handle (group, order[k]));
    }
  /* Asked again, the same order. */
  for (guint k = 0; k < 3; k++)
    g_assert_true (osiiso_task_group_wait_completed (group, k, 0, NULL, NULL)
                   == osiiso_task_group_get_handle (group, order[k]));

  g_assert_true (osiiso_queue_shutdown (queue, FALSE, NULL, &error));
  for (guint i = 0; i < 3; i++)
    gate_clear (&gates[i]);
}

static void
store_result_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

static void
test_wait_async (void)
{
  g_autoptr(OsiisoQueue) queue = OSIISO_QUEUE (osiiso_thread_queue_new (2));
  g_autoptr(OsiisoTaskGroup) group = NULL;
  g_autoptr(GAsyncResult) all = NULL;
  g_autoptr(GAsyncResult) first = NULL;
  g_autoptr(GAsyncResult) late = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(OsiisoTaskHandle) handle = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) never = NULL;
  g_autoptr(GError) error = NULL;

  group = osiiso_queue_map (queue, task_square, NULL, NULL, range_inputs (20), NULL, &error);
  g_assert_no_error (error);
  osiiso_task_group_wait_async (group, NULL, store_result_cb, &all);
  osiiso_task_group_wait_completed_async (group, 0, NULL, store_result_cb, &first);
  g_assert_true (osiiso_queue_start (queue, &error));

  while (all == NULL || first == NULL)
    g_main_context_iteration (NULL, TRUE);
  summary = osiiso_task_group_wait_finish (group, all, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (osiiso_run_summary_get_succeeded (summary), ==, 20);
  handle = osiiso_task_group_wait_completed_finish (group, first, &error);
  g_assert_no_error (error);
  g_assert_true (osiiso_task_handle_is_done (handle));

  /* Once delivered, a wait completes at once. */
  osiiso_task_group_wait_completed_async (group, 19, NULL, store_result_cb, &late);
  while (late == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_clear_object (&handle);
  handle = osiiso_task_group_wait_completed_finish (group, late, &error);
  g_assert_no_error (error);

  g_assert_true (osiiso_queue_shutdown (queue, FALSE, NULL, &error));
  g_assert_no_error (error);
}

static void
test_wait_async_cancelled (void)
{
  g_autoptr(OsiisoQueue) queue = OSIISO_QUEUE (osiiso_thread_queue_new (1));
  g_autoptr(OsiisoTaskGroup) group = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;

  /* The queue never starts: only the cancellable ends the wait. */
  group = osiiso_queue_map (queue, task_square, NULL, NULL, range_inputs (3), NULL, &error);
  g_assert_no_error (error);
  osiiso_task_group_wait_async (group, cancellable, store_result_cb, &result);
  g_cancellable_cancel (cancellable);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  summary = osiiso_task_group_wait_finish (group, result, &error);
  g_assert_null (summary);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  /* A cancellable cancelled before the wait begins ends it as well. */
  g_clear_object (&result);
  osiiso_task_group_wait_completed_async (group, 0, cancellable, store_result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_null (osiiso_task_group_wait_completed_finish (group, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static gboolean
task_name_length (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  GAction *action = G_ACTION (osiiso_task_context_get_input_object (ctx));
  g_auto(GValue) value = G_VALUE_INIT;

  g_value_set_uint (g_value_init (&value, G_TYPE_UINT), strlen (g_action_get_name (action)));
  osiiso_task_context_set_value (ctx, &value);
  return TRUE;
}

static void
test_map_objects (void)
{
  g_autoptr(OsiisoQueue) queue = OSIISO_QUEUE (osiiso_thread_queue_new (2));
  g_autoptr(GListStore) store = g_list_store_new (G_TYPE_SIMPLE_ACTION);
  g_autoptr(OsiisoTaskGroup) group = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  const GValue *values = NULL;
  guint n_values = 0;
  g_autoptr(GError) error = NULL;
  const char *names[] = { "a", "bb", "ccc", "dddd" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(GSimpleAction) action = g_simple_action_new (names[i], NULL);

      g_list_store_append (store, action);
    }
  group = osiiso_queue_map_objects (queue, task_name_length, NULL, NULL, G_LIST_MODEL (store), NULL, &error);
  g_assert_no_error (error);
  g_list_store_remove_all (store);   /* the group took the items */
  summary = run_ok (queue);
  values = osiiso_task_group_get_values (group, 5, NULL, &n_values, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_assert_cmpuint (g_value_get_uint (&values[i]), ==, i + 1);
}

static gboolean
task_double_input (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  g_auto(GValue) value = G_VALUE_INIT;

  g_value_set_string (g_value_init (&value, G_TYPE_STRING), data);
  osiiso_task_context_set_value (ctx, &value);
  return TRUE;
}

/* A group of different functions, with its own id. */
static void
test_heterogeneous_group (void)
{
  g_autoptr(OsiisoQueue) queue = OSIISO_QUEUE (osiiso_thread_queue_new (2));
  g_autoptr(OsiisoTaskGroup) group = osiiso_task_group_new ("mixed");
  g_autoptr(OsiisoTaskOptions) named = options_new ("name", "labelled", "group-id", "other", NULL);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  const GValue *values = NULL;
  guint n_values = 0;
  g_autoptr(GError) error = NULL;

  osiiso_task_group_add (group, task_square, NULL, NULL, g_variant_new_int64 (7), NULL);
  osiiso_task_group_add (group, task_double_input, g_strdup ("text"), g_free, NULL, named);
  g_assert_true (osiiso_queue_submit_group (queue, group, &error));
  summary = run_ok (queue);
  values = osiiso_task_group_get_values (group, 5, NULL, &n_values, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int64 (&values[0]), ==, 49);
  g_assert_cmpstr (g_value_get_string (&values[1]), ==, "text");
  /* The group's id wins over the options'; the other options stay. */
  g_assert_cmpstr (osiiso_task_result_get_group_id (osiiso_task_group_get_result (group, 1)), ==, "mixed");
  g_assert_cmpstr (osiiso_task_result_get_name (osiiso_task_group_get_result (group, 1)), ==, "labelled");
}

static gboolean
task_async_square (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  gint64 n = g_variant_get_int64 (osiiso_task_context_get_input (ctx));
  g_auto(GValue) value = G_VALUE_INIT;

  g_value_set_int64 (g_value_init (&value, G_TYPE_INT64), n * n);
  osiiso_task_context_return_value (ctx, &value);
  return TRUE;
}

static void
test_async_queue_map (void)
{
  g_autoptr(OsiisoQueue) queue = OSIISO_QUEUE (osiiso_async_queue_new (4));
  g_autoptr(OsiisoTaskGroup) group = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  const GValue *values = NULL;
  guint n_values = 0;
  g_autoptr(GError) error = NULL;

  group = osiiso_queue_map (queue, task_async_square, NULL, NULL, range_inputs (50), NULL, &error);
  g_assert_no_error (error);
  summary = run_ok (queue);
  values = osiiso_task_group_get_values (group, 5, NULL, &n_values, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < n_values; i++)
    g_assert_cmpint (g_value_get_int64 (&values[i]), ==, (gint64) i * i);
}

/* Waits from another thread while the owner thread runs the queue. */
static gpointer
wait_in_thread (gpointer data)
{
  OsiisoTaskGroup *group = data;
  g_autoptr(GError) error = NULL;
  OsiisoRunSummary *summary = osiiso_task_group_wait (group, 30, NULL, &error);

  g_assert_no_error (error);
  return summary;
}

static void
test_wait_from_other_thread (void)
{
  g_autoptr(OsiisoQueue) queue = OSIISO_QUEUE (osiiso_thread_queue_new (2));
  g_autoptr(OsiisoTaskGroup) group = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(OsiisoRunSummary) waited = NULL;
  g_autoptr(GError) error = NULL;
  GThread *thread;

  group = osiiso_queue_map (queue, task_square, NULL, NULL, range_inputs (100), NULL, &error);
  g_assert_no_error (error);
  thread = g_thread_new ("waiter", wait_in_thread, group);
  summary = run_ok (queue);
  waited = g_thread_join (thread);
  g_assert_cmpuint (osiiso_run_summary_get_succeeded (waited), ==, 100);
}

static void
test_one_shot_maps (void)
{
  OsiisoRunSummary *summary = NULL;
  const GValue *values = NULL;
  guint n_values = 0;
  g_autoptr(OsiisoTaskOptions) retrying = options_new ("retries", 1, NULL);
  g_autoptr(GError) error = NULL;
  guint destroyed = 0;
  gdouble started;

  summary = osiiso_thread_map (task_square, &destroyed, count_destroy, range_inputs (30), 3, retrying, 0, 0, &error);
  g_assert_no_error (error);
  values = osiiso_run_summary_get_values (summary, &n_values);
  g_assert_cmpuint (n_values, ==, 30);
  for (guint i = 0; i < n_values; i++)
    g_assert_cmpint (g_value_get_int64 (&values[i]), ==, (gint64) i * i);
  /* The data goes with the last attempt, perhaps just after the return,
   * on a worker thread. */
  {
    gdouble deadline = now_s () + 10;

    while (g_atomic_int_get ((gint *) &destroyed) == 0 && now_s () < deadline)
      g_usleep (1000);
  }
  g_assert_cmpuint (destroyed, ==, 1);
  osiiso_run_summary_unref (summary);

  summary = osiiso_async_map (task_async_square, NULL, NULL, range_inputs (30), 4, NULL, 0, 0, &error);
  g_assert_no_error (error);
  values = osiiso_run_summary_get_values (summary, &n_values);
  g_assert_cmpint (g_value_get_int64 (&values[29]), ==, 29 * 29);
  osiiso_run_summary_unref (summary);

  /* A failure: no values. */
  summary = osiiso_thread_map (task_fail_on_3, NULL, NULL, range_inputs (5), 2, NULL, 0, 0, &error);
  g_assert_null (summary);
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_EXECUTION);
  g_clear_error (&error);

  /* The whole map's timeout cancels what is left, and the map returns. */
  started = now_s ();
  summary = osiiso_thread_map (task_until_cancelled, NULL, NULL, range_inputs (4), 2, NULL, 0, 0.2, &error);
  g_assert_null (summary);
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_EXECUTION);
  g_assert_cmpfloat (now_s () - started, <, 20);
}

/* Squares its input into a GVariant value (what a checkpoint stores) and
 * counts its runs in data (a gint). */
static gboolean
task_square_variant (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  gint64 n = g_variant_get_int64 (osiiso_task_context_get_input (ctx));
  g_auto(GValue) value = G_VALUE_INIT;

  if (data != NULL)
    g_atomic_int_inc ((gint *) data);
  if (n == 3 && g_getenv ("OSIISO_TEST_FAIL_3") != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "three");
      return FALSE;
    }
  g_value_set_variant (g_value_init (&value, G_TYPE_VARIANT), g_variant_new_int64 (n * n));
  osiiso_task_context_set_value (ctx, &value);
  return TRUE;
}

/* Runs a checkpointed map of @n inputs on a fresh queue; returns its group. */
static OsiisoTaskGroup *
run_checkpointed (OsiisoCheckpoint *checkpoint,
                  OsiisoTaskFunc    func,
                  gint             *runs,
                  gint64            n,
                  OsiisoRunSummary **summary_out)
{
  g_autoptr(OsiisoQueue) queue = OSIISO_QUEUE (osiiso_thread_queue_new (2));
  OsiisoTaskGroup *group = osiiso_task_group_new (NULL);
  g_autoptr(GError) error = NULL;

  osiiso_task_group_set_checkpoint (group, checkpoint, "squares", NULL, NULL, NULL);
  osiiso_task_group_add_map (group, func, runs, NULL, range_inputs (n), NULL);
  g_assert_true (osiiso_queue_submit_group (queue, group, &error));
  g_assert_no_error (error);
  *summary_out = run_ok (queue);
  return group;
}

static void
test_checkpoint_resumes (void)
{
  g_autofree char *dir = g_dir_make_tmp ("osiiso-group-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "done.db", NULL);
  g_autoptr(OsiisoCheckpoint) checkpoint = osiiso_checkpoint_new (path, NULL);
  g_autoptr(OsiisoTaskGroup) first = NULL;
  g_autoptr(OsiisoTaskGroup) second = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  const GValue *values = NULL;
  guint n_values = 0;
  g_autoptr(GError) error = NULL;
  gint runs = 0;

  /* First run: input 3 fails; only successes are recorded. */
  g_setenv ("OSIISO_TEST_FAIL_3", "1", TRUE);
  first = run_checkpointed (checkpoint, task_square_variant, &runs, 10, &summary);
  g_assert_cmpint (runs, ==, 10);
  g_assert_cmpuint (osiiso_run_summary_get_failed (summary), ==, 1);
  g_assert_cmpint (osiiso_checkpoint_count (checkpoint, "squares", NULL), ==, 9);
  g_clear_pointer (&summary, osiiso_run_summary_unref);

  /* Second run: only input 3 runs; all values come back, in order. */
  g_unsetenv ("OSIISO_TEST_FAIL_3");
  runs = 0;
  second = run_checkpointed (checkpoint, task_square_variant, &runs, 10, &summary);
  g_assert_cmpint (runs, ==, 1);
  g_assert_cmpuint (osiiso_task_group_get_n_restored (second), ==, 9);
  /* Restored tasks are left out of run summaries. */
  g_assert_cmpuint (osiiso_run_summary_get_total (summary), ==, 1);
  values = osiiso_task_group_get_values (second, 5, NULL, &n_values, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 10; i++)
    g_assert_cmpint (g_variant_get_int64 (g_value_get_variant (&values[i])), ==, (gint64) i * i);
  {
    OsiisoTaskResult *restored = osiiso_task_group_get_result (second, 0);

    g_assert_cmpuint (osiiso_task_result_get_attempts (restored), ==, 0);
    g_assert_cmpstr (osiiso_task_result_get_message (restored), ==, "restored from checkpoint");
  }
  g_assert_cmpint (osiiso_checkpoint_count (checkpoint, "squares", NULL), ==, 10);

  /* A group restored whole: an async wait begun before the submission
   * ends, though no task runs. */
  {
    g_autoptr(OsiisoQueue) queue = OSIISO_QUEUE (osiiso_thread_queue_new (1));
    g_autoptr(OsiisoTaskGroup) third = osiiso_task_group_new (NULL);
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(OsiisoRunSummary) waited = NULL;

    osiiso_task_group_set_checkpoint (third, checkpoint, "squares", NULL, NULL, NULL);
    osiiso_task_group_add_map (third, task_square_variant, NULL, NULL, range_inputs (10), NULL);
    osiiso_task_group_wait_async (third, NULL, store_result_cb, &result);
    /* Refused once (closed), then taken: restored once, not twice. */
    g_assert_true (osiiso_queue_shutdown (queue, FALSE, NULL, NULL));
    g_assert_false (osiiso_queue_submit_group (queue, third, &error));
    g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_CLOSED);
    g_clear_error (&error);
    g_assert_true (osiiso_queue_reset (queue, &error));
    g_assert_true (osiiso_queue_submit_group (queue, third, &error));
    g_assert_cmpuint (osiiso_task_group_get_n_restored (third), ==, 10);
    while (result == NULL)
      g_main_context_iteration (NULL, TRUE);
    waited = osiiso_task_group_wait_finish (third, result, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (osiiso_run_summary_get_succeeded (waited), ==, 10);
  }

  g_assert_true (osiiso_checkpoint_close (checkpoint, NULL));
  g_unlink (path);
  {
    g_autofree char *wal = g_strconcat (path, "-wal", NULL);
    g_autofree char *shm = g_strconcat (path, "-shm", NULL);

    g_unlink (wal);
    g_unlink (shm);
  }
  g_rmdir (dir);
}

/* A value that is not a GVariant cannot be stored: a warning, and the
 * task still succeeds; a key function replaces the default key. */
static char *
key_by_index (GVariant *input, GObject *object, guint index, gpointer data)
{
  return g_strdup_printf ("item-%u", index);
}

static void
test_checkpoint_non_variant_and_key_func (void)
{
  g_autoptr(OsiisoCheckpoint) checkpoint = osiiso_checkpoint_new (":memory:", NULL);
  g_autoptr(OsiisoQueue) queue = OSIISO_QUEUE (osiiso_thread_queue_new (1));
  g_autoptr(OsiisoTaskGroup) group = osiiso_task_group_new (NULL);
  g_autoptr(OsiisoTaskGroup) objects = osiiso_task_group_new (NULL);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GListStore) store = g_list_store_new (G_TYPE_SIMPLE_ACTION);
  g_autoptr(GSimpleAction) action = g_simple_action_new ("x", NULL);
  g_autoptr(GError) error = NULL;

  osiiso_task_group_set_checkpoint (group, checkpoint, "plain", key_by_index, NULL, NULL);
  osiiso_task_group_add_map (group, task_square, NULL, NULL, range_inputs (2), NULL);
  g_assert_true (osiiso_queue_submit_group (queue, group, &error));
  g_test_expect_message ("Osiiso", G_LOG_LEVEL_WARNING, "*not a GVariant*");
  g_test_expect_message ("Osiiso", G_LOG_LEVEL_WARNING, "*not a GVariant*");
  summary = run_ok (queue);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (osiiso_run_summary_get_succeeded (summary), ==, 2);
  g_assert_cmpint (osiiso_checkpoint_count (checkpoint, "plain", NULL), ==, 0);

  /* Input objects have no default key. */
  g_list_store_append (store, action);
  osiiso_task_group_set_checkpoint (objects, checkpoint, "objects", NULL, NULL, NULL);
  osiiso_task_group_add_map_objects (objects, task_ok, NULL, NULL, G_LIST_MODEL (store), NULL);
  g_assert_false (osiiso_queue_submit_group (queue, objects, &error));
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION);
}

/* A submission refused after its checkpoint restored tasks (here: all of
 * them, to a closed queue) leaves the group usable: tasks may still be
 * added, sharing the batch the restored ones released, and the next
 * submission computes and looks up the keys of those tasks too. The
 * restored tasks report the group's id, like the ones that ran. */
static void
test_checkpoint_refused_then_added (void)
{
  g_autoptr(OsiisoCheckpoint) checkpoint = osiiso_checkpoint_new (":memory:", NULL);
  g_autoptr(OsiisoQueue) closed = OSIISO_QUEUE (osiiso_thread_queue_new (1));
  g_autoptr(OsiisoQueue) queue = OSIISO_QUEUE (osiiso_thread_queue_new (1));
  g_autoptr(OsiisoTaskGroup) group = osiiso_task_group_new ("again");
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(OsiisoRunSummary) all = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *key = g_strdup_printf ("item-%u", i);

      g_assert_true (osiiso_checkpoint_record (checkpoint, "again", key, NULL, NULL, &error));
      g_assert_no_error (error);
    }
  g_assert_true (osiiso_queue_shutdown (closed, FALSE, NULL, &error));
  g_assert_no_error (error);

  osiiso_task_group_set_checkpoint (group, checkpoint, "again", key_by_index, NULL, NULL);
  for (guint i = 0; i < 4; i++)
    osiiso_task_group_add (group, task_ok, NULL, NULL, NULL, NULL);
  g_assert_false (osiiso_queue_submit_group (closed, group, &error));
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_CLOSED);
  g_clear_error (&error);
  g_assert_cmpuint (osiiso_task_group_get_n_restored (group), ==, 4);

  /* Two more, without an input: the batch of the four restored ones. */
  g_assert_cmpuint (osiiso_task_group_add (group, task_ok, NULL, NULL, NULL, NULL), ==, 4);
  g_assert_cmpuint (osiiso_task_group_add (group, task_ok, NULL, NULL, NULL, NULL), ==, 5);
  g_assert_true (osiiso_queue_submit_group (queue, group, &error));
  g_assert_no_error (error);
  summary = run_ok (queue);
  g_assert_cmpuint (osiiso_run_summary_get_succeeded (summary), ==, 2);

  all = osiiso_task_group_wait (group, 30, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (osiiso_run_summary_get_succeeded (all), ==, 6);
  for (guint i = 0; i < 6; i++)
    g_assert_cmpstr (osiiso_task_result_get_group_id (osiiso_task_group_get_result (group, i)), ==, "again");
  /* The two that ran were recorded under their own keys. */
  g_assert_cmpint (osiiso_checkpoint_count (checkpoint, "again", NULL), ==, 6);
}

/* On the owner thread a wait returns once the completions are delivered:
 * the checkpoint rows are there at once. A relative name that begins with
 * "file:" is a file name, not an SQLite URI. */
static void
test_wait_delivers (void)
{
  g_autofree char *dir = g_dir_make_tmp ("osiiso-group-XXXXXX", NULL);
  g_autofree char *cwd = g_get_current_dir ();
  g_autoptr(OsiisoCheckpoint) checkpoint = NULL;
  g_autoptr(OsiisoQueue) queue = OSIISO_QUEUE (osiiso_thread_queue_new (2));
  g_autoptr(OsiisoTaskGroup) group = osiiso_task_group_new (NULL);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_chdir (dir), ==, 0);
  checkpoint = osiiso_checkpoint_new ("file:done.db", &error);
  g_assert_no_error (error);
  osiiso_task_group_set_checkpoint (group, checkpoint, "squares", NULL, NULL, NULL);
  osiiso_task_group_add_map (group, task_square_variant, NULL, NULL, range_inputs (50), NULL);
  g_assert_true (osiiso_queue_submit_group (queue, group, &error));
  g_assert_true (osiiso_queue_start (queue, &error));
  summary = osiiso_task_group_wait (group, 30, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (osiiso_checkpoint_count (checkpoint, "squares", NULL), ==, 50);
  g_assert_true (g_file_test ("file:done.db", G_FILE_TEST_IS_REGULAR));

  g_assert_true (osiiso_queue_shutdown (queue, FALSE, NULL, &error));
  g_assert_true (osiiso_checkpoint_close (checkpoint, NULL));
  g_unlink ("file:done.db");
  g_unlink ("file:done.db-wal");
  g_unlink ("file:done.db-shm");
  g_assert_cmpint (g_chdir (cwd), ==, 0);
  g_rmdir (dir);
}

/* The child of /group/checkpoint-killed: a slow checkpointed map of 200
 * inputs, killed part-way by the parent. */
static gboolean
task_slow_square (OsiisoTaskContext *ctx, gpointer data, GError **error)
{
  g_usleep (5000);
  return task_square_variant (ctx, data, error);
}

static int
child_map_main (const char *path)
{
  g_autoptr(OsiisoCheckpoint) checkpoint = osiiso_checkpoint_new (path, NULL);
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(OsiisoTaskGroup) group = run_checkpointed (checkpoint, task_slow_square, NULL, 200, &summary);

  return 0;   /* not reached: the parent kills it */
}

static void
test_checkpoint_killed (void)
{
  g_autofree char *dir = g_dir_make_tmp ("osiiso-group-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "done.db", NULL);
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);
  const char *argv[] = { self_exe, "--child-map", path, NULL };
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(OsiisoCheckpoint) checkpoint = NULL;
  g_autoptr(OsiisoTaskGroup) group = NULL;
  g_autoptr(OsiisoRunSummary) summary = NULL;
  const GValue *values = NULL;
  guint n_values = 0;
  g_autoptr(GError) error = NULL;
  gint64 done_before;
  gint runs = 0;
  gdouble deadline = now_s () + 60;

  child = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_NONE, &error);
  g_assert_no_error (error);
  checkpoint = osiiso_checkpoint_new (path, NULL);
  /* Wait until the child has recorded some, then kill it mid-map. */
  while (osiiso_checkpoint_count (checkpoint, "squares", NULL) < 20)
    {
      g_assert_cmpfloat (now_s (), <, deadline);
      g_usleep (5000);
    }
  g_subprocess_force_exit (child);
  g_assert_true (g_subprocess_wait (child, NULL, NULL));
  g_assert_true (g_subprocess_get_if_signaled (child));
  done_before = osiiso_checkpoint_count (checkpoint, "squares", NULL);
  g_assert_cmpint (done_before, <, 200);

  group = run_checkpointed (checkpoint, task_square_variant, &runs, 200, &summary);
  g_assert_cmpint (runs, ==, 200 - done_before);
  values = osiiso_task_group_get_values (group, 5, NULL, &n_values, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n_values, ==, 200);
  for (guint i = 0; i < 200; i++)
    g_assert_cmpint (g_variant_get_int64 (g_value_get_variant (&values[i])), ==, (gint64) i * i);

  g_assert_true (osiiso_checkpoint_close (checkpoint, NULL));
  {
    g_autofree char *wal = g_strconcat (path, "-wal", NULL);
    g_autofree char *shm = g_strconcat (path, "-shm", NULL);

    g_unlink (path);
    g_unlink (wal);
    g_unlink (shm);
  }
  g_rmdir (dir);
}

typedef struct
{
  OsiisoQueue     *queue;
  OsiisoTaskGroup *group;
  gint            *start;     /* atomic: both threads go when it is 2 */
  gint             accepted;
} Racer;

static gpointer
race_submit (gpointer data)
{
  Racer *racer = data;
  GError *error = NULL;

  g_atomic_int_inc (racer->start);
  while (g_atomic_int_get (racer->start) < 2)
    g_thread_yield ();
  if (osiiso_queue_submit_group (racer->queue, racer->group, &error))
    racer->accepted = 1;
  else
    g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION);
  g_clear_error (&error);
  return NULL;
}

static void
test_concurrent_submit (void)
{
  g_autoptr(OsiisoQueue) queue = OSIISO_QUEUE (osiiso_thread_queue_new (2));
  g_autoptr(OsiisoRunSummary) summary = NULL;
  const guint rounds = 50, size = 16;

  for (guint r = 0; r < rounds; r++)
    {
      g_autoptr(OsiisoTaskGroup) group = osiiso_task_group_new (NULL);
      gint start = 0;
      Racer a = { queue, group, &start, 0 }, b = { queue, group, &start, 0 };
      GThread *ta, *tb;

      for (guint i = 0; i < size; i++)
        osiiso_task_group_add (group, task_ok, NULL, NULL, NULL, NULL);
      ta = g_thread_new ("submit-a", race_submit, &a);
      tb = g_thread_new ("submit-b", race_submit, &b);
      g_thread_join (ta);
      g_thread_join (tb);
      /* Exactly one of two simultaneous submissions is accepted. */
      g_assert_cmpint (a.accepted + b.accepted, ==, 1);
    }

  summary = run_ok (queue);
  g_assert_cmpuint (osiiso_run_summary_get_succeeded (summary), ==, rounds * size);
}

int
main (int argc, char **argv)
{
  if (argc == 3 && g_str_equal (argv[1], "--child-map"))
    return child_map_main (argv[2]);

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/group/map-values-in-order", test_map_values_in_order);
  g_test_add_func ("/group/records-outlive-group", test_records_outlive_group);
  g_test_add_func ("/group/list-model", test_list_model);
  g_test_add_func ("/group/atomic-admission", test_atomic_admission);
  g_test_add_func ("/group/concurrent-submit", test_concurrent_submit);
  g_test_add_func ("/group/values-error-when-failed-or-cancelled", test_values_error_when_failed_or_cancelled);
  g_test_add_func ("/group/completion-order", test_completion_order);
  g_test_add_func ("/group/wait-async", test_wait_async);
  g_test_add_func ("/group/wait-async-cancelled", test_wait_async_cancelled);
  g_test_add_func ("/group/map-objects", test_map_objects);
  g_test_add_func ("/group/heterogeneous", test_heterogeneous_group);
  g_test_add_func ("/group/async-queue-map", test_async_queue_map);
  g_test_add_func ("/group/wait-from-other-thread", test_wait_from_other_thread);
  g_test_add_func ("/group/one-shot-maps", test_one_shot_maps);
  g_test_add_func ("/group/checkpoint-resumes", test_checkpoint_resumes);
  g_test_add_func ("/group/checkpoint-non-variant-and-key-func", test_checkpoint_non_variant_and_key_func);
  g_test_add_func ("/group/checkpoint-refused-then-added", test_checkpoint_refused_then_added);
  g_test_add_func ("/group/checkpoint-killed", test_checkpoint_killed);
  g_test_add_func ("/group/wait-delivers", test_wait_delivers);

  return g_test_run ();
}
