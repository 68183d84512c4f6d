/* osiiso-run-summary.c: the immutable summary of one run
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "osiiso-task-private.h"
#include "osiiso-i18n-private.h"

#include <string.h>

/**
 * SECTION:osiiso-run-summary
 * @Title: OsiisoRunSummary
 * @Short_description: What happened during a run
 *
 * osiiso_queue_run() and osiiso_queue_run_finish() return an
 * #OsiisoRunSummary: the results of exactly the tasks that finished during
 * that run or had finished, unreported, since the previous one, in
 * completion order. Detached tasks are left out. A summary never changes;
 * it is a reference-counted boxed type, safe to read from several threads
 * at once.
 *
 * Besides the counts, a summary gives its results all at once
 * (osiiso_run_summary_get_results()), by outcome
 * (osiiso_run_summary_get_successes(), osiiso_run_summary_get_errors(),
 * osiiso_run_summary_get_cancellations(), and the values of the successes
 * with osiiso_run_summary_get_values()), and looked up by task id
 * (osiiso_run_summary_lookup()), by name
 * (osiiso_run_summary_lookup_by_name()) or by group
 * (osiiso_run_summary_lookup_by_group()). Every list keeps the order of the
 * results. The indexes behind the look-ups are built on first use, once,
 * so that look-ups stay cheap in a summary of a million results; building
 * them is safe from any thread.
 *
 * The arrays of results that these functions return belong to the summary
 * and end with a %NULL element, which their length does not count:
 * |[<!-- language="C" -->
 * OsiisoTaskResult **errors = osiiso_run_summary_get_errors (summary, NULL);
 *
 * for (guint i = 0; errors[i] != NULL; i++)
 *   g_printerr ("%s: %s\n", osiiso_task_result_get_name (errors[i]),
 *               osiiso_task_result_get_message (errors[i]));
 * ]|
 *
 * osiiso_run_summary_check() turns failures (and, when asked,
 * cancellations) into an %OSIISO_ERROR_EXECUTION error, and
 * osiiso_run_summary_to_string() formats the report that the Python
 * original's `display()` prints.
 */

/* A run of results in an index's array: @len results from @start, then a
 * NULL. */
typedef struct
{
  guint start;
  guint len;
} Span;

/* The results grouped by a string key (a name, or a group id that may be
 * NULL), each group in result order and NULL-terminated. */
typedef struct
{
  OsiisoTaskResult **order;   /* the groups, back to back */
  GHashTable        *keys;    /* borrowed key → GUINT_TO_POINTER (span index + 1) */
  Span              *spans;
  Span               null_span;
} KeyIndex;

struct _OsiisoRunSummary
{
  gint               ref_count;
  gboolean           timed_out;
  gdouble            duration;
  guint              counts[OSIISO_TASK_STATUS_CANCELLED + 1];
  guint              n_results;
  OsiisoTaskResult **results;     /* owned, then NULL */

  /* Indexes, each built on first use (g_once) and immutable afterwards. */
  OsiisoTaskResult **by_id;       /* all results, stably sorted by task id */
  OsiisoTaskResult **by_status;   /* successes, failures, cancellations; each NULL-terminated */
  KeyIndex          *by_name;
  KeyIndex          *by_group;
  GValue            *values;      /* the successes' values, then an unset one */
};

G_DEFINE_BOXED_TYPE (OsiisoRunSummary, osiiso_run_summary,
                     osiiso_run_summary_ref, osiiso_run_summary_unref)

/* Returned for a look-up that matches nothing: an empty, NULL-terminated
 * array. */
static OsiisoTaskResult *no_results[1] = { NULL };

/* Takes @results, an array of OsiisoTaskResult that owns its elements. */
OsiisoRunSummary *
_osiiso_run_summary_new (GPtrArray   *results,
                         const guint *counts,
                         gboolean     timed_out,
                         gdouble      duration)
{
  OsiisoRunSummary *self = g_new0 (OsiisoRunSummary, 1);
  gsize n = 0;
  gpointer *pdata = g_ptr_array_steal (results, &n);

  self->ref_count = 1;
  self->timed_out = timed_out;
  self->duration = duration;
  /* The references, NULL-terminated like every array of results a
   * summary gives. */
  self->n_results = n;
  self->results = g_renew (OsiisoTaskResult *, pdata, n + 1);
  self->results[n] = NULL;
  g_ptr_array_unref (results);
  if (counts != NULL)
    memcpy (self->counts, counts, sizeof self->counts);
  else
    for (guint i = 0; i < self->n_results; i++)
      self->counts[self->results[i]->status]++;

  return self;
}

static void
key_index_free (KeyIndex *index)
{
  if (index == NULL)
    return;
  g_hash_table_unref (index->keys);
  g_free (index->spans);
  g_free (index->order);
  g_free (index);
}

/**
 * osiiso_run_summary_ref:
 * @self: a #OsiisoRunSummary
 *
 * Takes a reference on @self.
 *
 * Returns: (transfer full): @self
 */
OsiisoRunSummary *
osiiso_run_summary_ref (OsiisoRunSummary *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_int_inc (&self->ref_count);
  return self;
}

/**
 * osiiso_run_summary_unref:
 * @self: (transfer full): a #OsiisoRunSummary
 *
 * Drops a reference on @self.
 */
void
osiiso_run_summary_unref (OsiisoRunSummary *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_int_dec_and_test (&self->ref_count))
    return;

  if (self->values != NULL)
    {
      for (GValue *value = self->values; G_IS_VALUE (value); value++)
        g_value_unset (value);
      g_free (self->values);
    }
  g_free (self->by_id);
  g_free (self->by_status);
  key_index_free (self->by_name);
  key_index_free (self->by_group);
  for (guint i = 0; i < self->n_results; i++)
    osiiso_task_result_unref (self->results[i]);
  g_free (self->results);
  g_free (self);
}

/**
 * osiiso_run_summary_get_total:
 * @self: a #OsiisoRunSummary
 *
 * Gets the number of results in the summary.
 *
 * Returns: the number of tasks covered
 */
guint
osiiso_run_summary_get_total (OsiisoRunSummary *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->n_results;
}

/**
 * osiiso_run_summary_get_succeeded:
 * @self: a #OsiisoRunSummary
 *
 * Gets the number of tasks that succeeded.
 *
 * Returns: the count
 */
guint
osiiso_run_summary_get_succeeded (OsiisoRunSummary *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->counts[OSIISO_TASK_STATUS_SUCCEEDED];
}

/**
 * osiiso_run_summary_get_failed:
 * @self: a #OsiisoRunSummary
 *
 * Gets the number of tasks that failed.
 *
 * Returns: the count
 */
guint
osiiso_run_summary_get_failed (OsiisoRunSummary *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->counts[OSIISO_TASK_STATUS_FAILED];
}

/**
 * osiiso_run_summary_get_cancelled:
 * @self: a #OsiisoRunSummary
 *
 * Gets the number of tasks that were cancelled.
 *
 * Returns: the count
 */
guint
osiiso_run_summary_get_cancelled (OsiisoRunSummary *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->counts[OSIISO_TASK_STATUS_CANCELLED];
}

/**
 * osiiso_run_summary_get_timed_out:
 * @self: a #OsiisoRunSummary
 *
 * Gets whether the run ended because its timeout expired. Such a run ends
 * in shutdown: the queue is closed until osiiso_queue_reset().
 *
 * Returns: %TRUE if the run timed out
 */
gboolean
osiiso_run_summary_get_timed_out (OsiisoRunSummary *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->timed_out;
}

/**
 * osiiso_run_summary_get_duration:
 * @self: a #OsiisoRunSummary
 *
 * Gets how long the run lasted.
 *
 * Returns: seconds
 */
gdouble
osiiso_run_summary_get_duration (OsiisoRunSummary *self)
{
  g_return_val_if_fail (self != NULL, 0.0);
  return self->duration;
}

/**
 * osiiso_run_summary_get_ok:
 * @self: a #OsiisoRunSummary
 *
 * Gets whether everything went well: no failure, no cancellation and no
 * timeout.
 *
 * Returns: %TRUE if the run was clean
 */
gboolean
osiiso_run_summary_get_ok (OsiisoRunSummary *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return !self->timed_out
         && self->counts[OSIISO_TASK_STATUS_FAILED] == 0
         && self->counts[OSIISO_TASK_STATUS_CANCELLED] == 0;
}

/**
 * osiiso_run_summary_get_results:
 * @self: a #OsiisoRunSummary
 * @n_results: (out) (optional): return location for the number of results
 *
 * Gets all the results, in result order: the order in which the tasks
 * finished, for the summary of a run.
 *
 * Returns: (array length=n_results) (transfer none): the results, followed
 *   by %NULL
 */
OsiisoTaskResult **
osiiso_run_summary_get_results (OsiisoRunSummary *self,
                                guint            *n_results)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (n_results != NULL)
    *n_results = self->n_results;
  return self->results;
}

/* Indexes */

static gint
compare_task_ids (gconstpointer a,
                  gconstpointer b,
                  gpointer      user_data)
{
  guint64 x = osiiso_task_result_get_task_id (*(OsiisoTaskResult * const *) a);
  guint64 y = osiiso_task_result_get_task_id (*(OsiisoTaskResult * const *) b);

  return (x > y) - (x < y);
}

/* All results, sorted by task id; a task id that occurs twice keeps the
 * result order (g_qsort_with_data() is stable). */
static OsiisoTaskResult **
get_id_index (OsiisoRunSummary *self)
{
  if (g_once_init_enter (&self->by_id))
    {
      guint n = self->n_results;
      /* One more slot: an empty summary's index must not be NULL either. */
      OsiisoTaskResult **by_id = g_new0 (OsiisoTaskResult *, n + 1);

      if (n > 0)
        memcpy (by_id, self->results, n * sizeof (gpointer));
      g_qsort_with_data (by_id, n, sizeof (gpointer), compare_task_ids, NULL);
      g_once_init_leave (&self->by_id, by_id);
    }
  return g_atomic_pointer_get (&self->by_id);
}

/* Where the results of a final @status start in the status index. */
static guint
status_start (OsiisoRunSummary *self,
              OsiisoTaskStatus  status)
{
  switch (status)
    {
    case OSIISO_TASK_STATUS_SUCCEEDED:
      return 0;
    case OSIISO_TASK_STATUS_FAILED:
      return self->counts[OSIISO_TASK_STATUS_SUCCEEDED] + 1;
    case OSIISO_TASK_STATUS_CANCELLED:
      return self->counts[OSIISO_TASK_STATUS_SUCCEEDED]
             + self->counts[OSIISO_TASK_STATUS_FAILED] + 2;
    case OSIISO_TASK_STATUS_PENDING:
    case OSIISO_TASK_STATUS_SCHEDULED:
    case OSIISO_TASK_STATUS_RUNNING:
    case OSIISO_TASK_STATUS_RETRYING:
    default:
      g_assert_not_reached ();
    }
}

/* The successes, the failures and the cancellations, each in result order
 * and NULL-terminated. */
static OsiisoTaskResult **
get_status_index (OsiisoRunSummary *self)
{
  if (g_once_init_enter (&self->by_status))
    {
      OsiisoTaskResult **by_status = g_new0 (OsiisoTaskResult *, self->n_results + 3);
      guint fill[OSIISO_TASK_STATUS_CANCELLED + 1] = { 0, };

      fill[OSIISO_TASK_STATUS_SUCCEEDED] = status_start (self, OSIISO_TASK_STATUS_SUCCEEDED);
      fill[OSIISO_TASK_STATUS_FAILED] = status_start (self, OSIISO_TASK_STATUS_FAILED);
      fill[OSIISO_TASK_STATUS_CANCELLED] = status_start (self, OSIISO_TASK_STATUS_CANCELLED);
      for (guint i = 0; i < self->n_results; i++)
        {
          OsiisoTaskResult *result = self->results[i];
          OsiisoTaskStatus status = osiiso_task_result_get_status (result);

          /* Only final results reach a summary; anything else would
           * overwrite a neighbour's slot. */
          if (G_UNLIKELY (!_osiiso_task_status_is_final (status)))
            {
              g_critical ("a summary holds the result of an unfinished task");
              continue;
            }
          by_status[fill[status]++] = result;
        }
      g_once_init_leave (&self->by_status, by_status);
    }
  return g_atomic_pointer_get (&self->by_status);
}

static OsiisoTaskResult **
get_by_status (OsiisoRunSummary *self,
               OsiisoTaskStatus  status,
               guint            *n_results)
{
  if (n_results != NULL)
    *n_results = self->counts[status];
  return get_status_index (self) + status_start (self, status);
}

typedef const char *(*KeyFunc) (OsiisoTaskResult *result);

/* Groups @results by the string key @key_func gives (NULL is a key too).
 * The keys are borrowed from the results, which outlive the index. */
static KeyIndex *
key_index_new (OsiisoTaskResult **results,
               guint              n_results,
               KeyFunc            key_func)
{
  KeyIndex *index = g_new0 (KeyIndex, 1);
  GArray *spans = g_array_new (FALSE, TRUE, sizeof (Span));
  guint *which = g_new (guint, n_results);   /* span index + 1, or 0 for NULL */
  guint pos;

  index->keys = g_hash_table_new (g_str_hash, g_str_equal);

  /* Count the results of each key… */
  for (guint i = 0; i < n_results; i++)
    {
      const char *key = key_func (results[i]);
      guint k = 0;

      if (key == NULL)
        index->null_span.len++;
      else
        {
          k = GPOINTER_TO_UINT (g_hash_table_lookup (index->keys, key));
          if (k == 0)
            {
              g_array_set_size (spans, spans->len + 1);
              k = spans->len;
              g_hash_table_insert (index->keys, (gpointer) key, GUINT_TO_POINTER (k));
            }
          g_array_index (spans, Span, k - 1).len++;
        }
      which[i] = k;
    }

  /* … give each key its place, NULL-terminated (the array is zeroed) … */
  index->spans = (Span *) g_array_free (spans, FALSE);
  index->null_span.start = 0;
  pos = index->null_span.len + 1;
  for (guint k = 0; k < g_hash_table_size (index->keys); k++)
    {
      index->spans[k].start = pos;
      pos += index->spans[k].len + 1;
    }

  /* … and fill them in result order. */
  index->order = g_new0 (OsiisoTaskResult *, pos);
  index->null_span.len = 0;
  for (guint k = 0; k < g_hash_table_size (index->keys); k++)
    index->spans[k].len = 0;
  for (guint i = 0; i < n_results; i++)
    {
      Span *span = which[i] == 0 ? &index->null_span : &index->spans[which[i] - 1];

      index->order[span->start + span->len++] = results[i];
    }

  g_free (which);
  return index;
}

static OsiisoTaskResult **
key_index_lookup (KeyIndex   *index,
                  const char *key,
                  guint      *n_results)
{
  const Span *span = &index->null_span;

  if (key != NULL)
    {
      guint k = GPOINTER_TO_UINT (g_hash_table_lookup (index->keys, key));

      if (k == 0)
        {
          if (n_results != NULL)
            *n_results = 0;
          return no_results;
        }
      span = &index->spans[k - 1];
    }

  if (n_results != NULL)
    *n_results = span->len;
  return index->order + span->start;
}

static KeyIndex *
get_name_index (OsiisoRunSummary *self)
{
  if (g_once_init_enter (&self->by_name))
    g_once_init_leave (&self->by_name,
                       key_index_new (self->results, self->n_results,
                                      (KeyFunc) osiiso_task_result_get_name));
  return g_atomic_pointer_get (&self->by_name);
}

static KeyIndex *
get_group_index (OsiisoRunSummary *self)
{
  if (g_once_init_enter (&self->by_group))
    g_once_init_leave (&self->by_group,
                       key_index_new (self->results, self->n_results,
                                      (KeyFunc) osiiso_task_result_get_group_id));
  return g_atomic_pointer_get (&self->by_group);
}

/**
 * osiiso_run_summary_lookup:
 * @self: a #OsiisoRunSummary
 * @task_id: a task id
 *
 * Finds the result of a task by its id (osiiso_task_handle_get_id(),
 * osiiso_task_result_get_task_id()).
 *
 * Returns: (nullable) (transfer none): the result, or %NULL if the task is
 *   not in this summary
 */
OsiisoTaskResult *
osiiso_run_summary_lookup (OsiisoRunSummary *self,
                           guint64           task_id)
{
  OsiisoTaskResult **by_id;
  guint lo = 0, hi;

  g_return_val_if_fail (self != NULL, NULL);

  by_id = get_id_index (self);
  hi = self->n_results;
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (osiiso_task_result_get_task_id (by_id[mid]) < task_id)
        lo = mid + 1;
      else
        hi = mid;
    }
  if (lo < self->n_results && osiiso_task_result_get_task_id (by_id[lo]) == task_id)
    return by_id[lo];
  return NULL;
}

/**
 * osiiso_run_summary_lookup_by_name:
 * @self: a #OsiisoRunSummary
 * @name: a task name
 * @n_results: (out) (optional): return location for the number of results
 *
 * Finds the results of the tasks called @name, in result order. A task
 * without a name option is called `task-ID`, as
 * osiiso_task_result_get_name() says.
 *
 * This is the Python original's `by_name` mapping, one name at a time.
 *
 * Returns: (array length=n_results) (transfer none): the results, followed
 *   by %NULL; empty (but not %NULL) if no task has that name
 */
OsiisoTaskResult **
osiiso_run_summary_lookup_by_name (OsiisoRunSummary *self,
                                   const char       *name,
                                   guint            *n_results)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  return key_index_lookup (get_name_index (self), name, n_results);
}

/**
 * osiiso_run_summary_lookup_by_group:
 * @self: a #OsiisoRunSummary
 * @group_id: (nullable): a group id, or %NULL for the tasks in no group
 * @n_results: (out) (optional): return location for the number of results
 *
 * Finds the results of the tasks whose group id
 * (osiiso_task_result_get_group_id(): the #OsiisoTaskGroup they were added
 * to, else their #OsiisoTaskOptions:group-id) is @group_id, in result
 * order; with a %NULL @group_id, the results of the tasks that belong to
 * no group.
 *
 * This is the Python original's `by_group` mapping, one group at a time.
 *
 * Returns: (array length=n_results) (transfer none): the results, followed
 *   by %NULL; empty (but not %NULL) if no task is in that group
 */
OsiisoTaskResult **
osiiso_run_summary_lookup_by_group (OsiisoRunSummary *self,
                                    const char       *group_id,
                                    guint            *n_results)
{
  g_return_val_if_fail (self != NULL, NULL);

  return key_index_lookup (get_group_index (self), group_id, n_results);
}

/**
 * osiiso_run_summary_get_successes:
 * @self: a #OsiisoRunSummary
 * @n_results: (out) (optional): return location for the number of results
 *
 * Gets the results of the tasks that succeeded, in result order.
 *
 * Returns: (array length=n_results) (transfer none): the results, followed
 *   by %NULL
 */
OsiisoTaskResult **
osiiso_run_summary_get_successes (OsiisoRunSummary *self,
                                  guint            *n_results)
{
  g_return_val_if_fail (self != NULL, NULL);

  return get_by_status (self, OSIISO_TASK_STATUS_SUCCEEDED, n_results);
}

/**
 * osiiso_run_summary_get_errors:
 * @self: a #OsiisoRunSummary
 * @n_results: (out) (optional): return location for the number of results
 *
 * Gets the results of the tasks that failed, in result order. Each has
 * its error (osiiso_task_result_get_error()) and a message.
 *
 * Returns: (array length=n_results) (transfer none): the results, followed
 *   by %NULL
 */
OsiisoTaskResult **
osiiso_run_summary_get_errors (OsiisoRunSummary *self,
                               guint            *n_results)
{
  g_return_val_if_fail (self != NULL, NULL);

  return get_by_status (self, OSIISO_TASK_STATUS_FAILED, n_results);
}

/**
 * osiiso_run_summary_get_cancellations:
 * @self: a #OsiisoRunSummary
 * @n_results: (out) (optional): return location for the number of results
 *
 * Gets the results of the tasks that were cancelled, in result order.
 *
 * Returns: (array length=n_results) (transfer none): the results, followed
 *   by %NULL
 */
OsiisoTaskResult **
osiiso_run_summary_get_cancellations (OsiisoRunSummary *self,
                                      guint            *n_results)
{
  g_return_val_if_fail (self != NULL, NULL);

  return get_by_status (self, OSIISO_TASK_STATUS_CANCELLED, n_results);
}

/* Copies of the values of the successes, in result order, then an unset
 * GValue. */
static GValue *
get_values (OsiisoRunSummary *self)
{
  if (g_once_init_enter (&self->values))
    {
      GValue *values = g_new0 (GValue, self->counts[OSIISO_TASK_STATUS_SUCCEEDED] + 1);
      guint n = 0;

      for (guint i = 0; i < self->n_results; i++)
        {
          OsiisoTaskResult *result = self->results[i];
          const GValue *value;

          if (osiiso_task_result_get_status (result) != OSIISO_TASK_STATUS_SUCCEEDED)
            continue;
          value = osiiso_task_result_get_value (result);
          if (value != NULL)
            {
              g_value_init (&values[n], G_VALUE_TYPE (value));
              g_value_copy (value, &values[n]);
            }
          else
            g_value_init (&values[n], G_TYPE_POINTER);
          n++;
        }
      g_once_init_leave (&self->values, values);
    }
  return g_atomic_pointer_get (&self->values);
}

/**
 * osiiso_run_summary_get_values:
 * @self: a #OsiisoRunSummary
 * @n_values: (out) (optional): return location for the number of values
 *
 * Gets the values of the tasks that succeeded, in result order: one per
 * result of osiiso_run_summary_get_successes(). A success that stored no
 * value gives a %NULL %G_TYPE_POINTER, as
 * osiiso_task_result_propagate_value() does (None in Python, null in
 * JavaScript).
 *
 * The values belong to the summary; an unset #GValue follows the last
 * one:
 * |[<!-- language="C" -->
 * for (const GValue *value = osiiso_run_summary_get_values (summary, NULL);
 *      G_IS_VALUE (value); value++)
 *   total += g_value_get_int64 (value);
 * ]|
 *
 * Returns: (array length=n_values) (transfer none): the values
 */
const GValue *
osiiso_run_summary_get_values (OsiisoRunSummary *self,
                               guint            *n_values)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (n_values != NULL)
    *n_values = self->counts[OSIISO_TASK_STATUS_SUCCEEDED];
  return get_values (self);
}

/**
 * osiiso_run_summary_check:
 * @self: a #OsiisoRunSummary
 * @include_cancelled: whether cancelled tasks count as errors too
 * @error: return location for the execution error
 *
 * Checks the run for failed tasks (and cancelled ones, when asked), in the
 * manner of the Python original's raise_for_errors method. The error is
 * %OSIISO_ERROR_EXECUTION with a message such as "2 task(s) failed; 1
 * task(s) cancelled": each part only when its count is not zero. The
 * results behind it are osiiso_run_summary_get_errors() and
 * osiiso_run_summary_get_cancellations(). A timeout alone is no error: the
 * tasks it ended are cancellations.
 *
 * Returns: %TRUE if there is nothing to report, %FALSE with @error set
 *   otherwise
 */
gboolean
osiiso_run_summary_check (OsiisoRunSummary  *self,
                          gboolean           include_cancelled,
                          GError           **error)
{
  guint failed, cancelled;
  g_autoptr(GString) message = NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  _osiiso_i18n_init ();

  failed = self->counts[OSIISO_TASK_STATUS_FAILED];
  cancelled = include_cancelled ? self->counts[OSIISO_TASK_STATUS_CANCELLED] : 0;
  if (failed == 0 && cancelled == 0)
    return TRUE;

  message = g_string_new (NULL);
  if (failed > 0)
    g_string_append_printf (message, _("%u task(s) failed"), failed);
  if (cancelled > 0)
    {
      if (message->len > 0)
        g_string_append (message, "; ");
      g_string_append_printf (message, _("%u task(s) cancelled"), cancelled);
    }

  g_set_error_literal (error, OSIISO_ERROR, OSIISO_ERROR_EXECUTION, message->str);
  return FALSE;
}

/* Appends "  LABEL : " with LABEL padded to @width characters. */
static void
append_label (GString    *out,
              const char *label,
              glong       width)
{
  g_string_append (out, "  ");
  g_string_append (out, label);
  for (glong i = g_utf8_strlen (label, -1); i < width; i++)
    g_string_append_c (out, ' ');
  g_string_append (out, " : ");
}

/**
 * osiiso_run_summary_to_string:
 * @self: a #OsiisoRunSummary
 *
 * Formats a human-readable report of the run, laid out like the report
 * that the Python original's `display()` prints:
 * |[
 * ----------------------------------------
 *   Run Summary: COMPLETED WITH ERRORS
 * ----------------------------------------
 *   Total tasks : 3
 *   Succeeded   : 1
 *   Failed      : 1
 *   Cancelled   : 1
 *   Duration    : 0.214s
 * ----------------------------------------
 *   Failures:
 *     - fetch (3 attempts)
 *       connection refused
 * ----------------------------------------
 * ]|
 * The status is TIMED OUT if the run timed out, else PASSED if it was ok
 * (osiiso_run_summary_get_ok()), else COMPLETED WITH ERRORS. The failures
 * section, in result order, is there only when a task failed; it gives the
 * number of attempts when there was more than one, and the message (every
 * line of it indented) when there is one.
 *
 * The words are translated, and the labels aligned to the widest
 * translation; the duration follows the locale's number format.
 *
 * Returns: (transfer full): the report, ending with a newline
 */
char *
osiiso_run_summary_to_string (OsiisoRunSummary *self)
{
  static const char rule[] = "----------------------------------------\n";
  const char *labels[5];
  const char *status;
  glong width = 0;
  GString *out;

  G_STATIC_ASSERT (sizeof rule == 40 + 2);
  g_return_val_if_fail (self != NULL, NULL);

  _osiiso_i18n_init ();

  if (self->timed_out)
    /* TRANSLATORS: the status of a run in its report ("Run Summary: …") */
    status = _("TIMED OUT");
  else if (osiiso_run_summary_get_ok (self))
    /* TRANSLATORS: the status of a run in its report ("Run Summary: …") */
    status = _("PASSED");
  else
    /* TRANSLATORS: the status of a run in its report ("Run Summary: …") */
    status = _("COMPLETED WITH ERRORS");

  /* TRANSLATORS: the labels of a run's report, aligned on their colons:
   * "Total tasks : 12". Short words keep the report narrow. */
  labels[0] = _("Total tasks");
  labels[1] = _("Succeeded");
  labels[2] = _("Failed");
  labels[3] = _("Cancelled");
  labels[4] = _("Duration");
  for (guint i = 0; i < G_N_ELEMENTS (labels); i++)
    width = MAX (width, g_utf8_strlen (labels[i], -1));

  out = g_string_new (rule);
  /* TRANSLATORS: the title of a run's report, before its status */
  g_string_append_printf (out, "  %s: %s\n", _("Run Summary"), status);
  g_string_append (out, rule);
  append_label (out, labels[0], width);
  g_string_append_printf (out, "%u\n", self->n_results);
  append_label (out, labels[1], width);
  g_string_append_printf (out, "%u\n", self->counts[OSIISO_TASK_STATUS_SUCCEEDED]);
  append_label (out, labels[2], width);
  g_string_append_printf (out, "%u\n", self->counts[OSIISO_TASK_STATUS_FAILED]);
  append_label (out, labels[3], width);
  g_string_append_printf (out, "%u\n", self->counts[OSIISO_TASK_STATUS_CANCELLED]);
  append_label (out, labels[4], width);
  g_string_append_printf (out, "%.3fs\n", self->duration);

  if (self->counts[OSIISO_TASK_STATUS_FAILED] > 0)
    {
      guint n_errors;
      OsiisoTaskResult **errors = osiiso_run_summary_get_errors (self, &n_errors);

      g_string_append (out, rule);
      /* TRANSLATORS: the heading of the failed tasks in a run's report */
      g_string_append_printf (out, "  %s:\n", _("Failures"));
      for (guint i = 0; i < n_errors; i++)
        {
          const char *message = osiiso_task_result_get_message (errors[i]);
          guint attempts = osiiso_task_result_get_attempts (errors[i]);

          g_string_append_printf (out, "    - %s", osiiso_task_result_get_name (errors[i]));
          if (attempts > 1)
            {
              g_string_append_c (out, ' ');
              /* TRANSLATORS: after a failed task's name in a run's report,
               * when it was tried more than once */
              g_string_append_printf (out, g_dngettext (GETTEXT_PACKAGE, "(%u attempt)",
                                                        "(%u attempts)", attempts),
                                      attempts);
            }
          g_string_append_c (out, '\n');

          /* The message, every line of it indented; no empty last line
           * for a message that ends with a newline. */
          while (*message != '\0')
            {
              const char *end = strchr (message, '\n');

              if (end == NULL)
                end = message + strlen (message);

              g_string_append (out, "      ");
              g_string_append_len (out, message, end - message);
              g_string_append_c (out, '\n');
              message = *end == '\n' ? end + 1 : end;
            }
        }
    }
  g_string_append (out, rule);

  return g_string_free (out, FALSE);
}
