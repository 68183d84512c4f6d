/* osiiso-map.c: one-shot maps on a fresh queue
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "osiiso-glib.h"

/**
 * SECTION:osiiso-map
 * @Title: One-shot maps
 * @Short_description: Map a function over inputs and get the values
 *
 * osiiso_thread_map(), osiiso_async_map() and osiiso_process_map() run one
 * function over every element of a #GVariant array on a fresh queue of
 * their own and return the values in input order, the way a
 * `ThreadPoolExecutor.map` would (in an #OsiisoRunSummary whose results
 * are in input order: osiiso_run_summary_get_values() gives one value per
 * input), with the queue's policies at hand:
 * @workers, retries and per-attempt timeouts through @options, a rate
 * limit and a timeout for the whole map. The queue is always shut down,
 * also on error, before they return.
 *
 * They block. They run the queue on a main context of their own, pushed
 * as the thread-default context while they run, so they may be called
 * from any thread, and the caller's own main context is not iterated
 * meanwhile. On an async map, the task functions start their operations
 * on that private context (it is their thread-default context).
 *
 * If any task fails or is cancelled (also when @timeout ends the run),
 * there are no values: the error is %OSIISO_ERROR_EXECUTION, whose
 * message counts the failures and cancellations.
 */

/* Runs @group on @queue, both made on the private @context, and shuts
 * the queue down whatever happens. */
static OsiisoRunSummary *
run_one_shot (OsiisoQueue      *queue,
              OsiisoTaskGroup  *group,
              GError          **error)
{
  g_autoptr(OsiisoRunSummary) summary = NULL;
  g_autoptr(GError) run_error = NULL;
  OsiisoRunSummary *values = NULL;

  if (osiiso_queue_submit_group (queue, group, error))
    {
      summary = osiiso_queue_run (queue, NULL, &run_error);
      /* After a timed-out run, must-complete work may still run; a
       * forced shutdown settles everything before the values are read. */
      osiiso_queue_shutdown (queue, summary == NULL || osiiso_run_summary_get_timed_out (summary),
                             NULL, NULL);
      if (summary == NULL)
        g_propagate_error (error, g_steal_pointer (&run_error));
      else
        {
          /* The group's summary: its results in input order. */
          values = osiiso_task_group_wait (group, 0, NULL, error);
          if (values != NULL && !osiiso_run_summary_check (values, TRUE, error))
            g_clear_pointer (&values, osiiso_run_summary_unref);
        }
    }
  else
    osiiso_queue_shutdown (queue, TRUE, NULL, NULL);
  return values;
}

static OsiisoRunSummary *
map_in_context (GType               queue_type,
                const char * const *worker_argv,
                const char         *function,
                OsiisoTaskFunc      func,
                gpointer            user_data,
                GDestroyNotify      destroy,
                GVariant           *inputs,
                guint               workers,
                OsiisoTaskOptions  *options,
                gdouble             rate,
                gdouble             timeout,
                GError            **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(OsiisoTaskGroup) group = osiiso_task_group_new (NULL);
  OsiisoQueue *queue;
  OsiisoRunSummary *values;

  g_main_context_push_thread_default (context);
  queue = g_object_new (queue_type,
                        "workers", workers,
                        "rate", rate > 0 ? rate : 0.0,
                        "timeout", timeout > 0 ? timeout : -1.0,
                        worker_argv != NULL ? "worker-argv" : NULL, worker_argv,
                        NULL);
  if (function != NULL)
    osiiso_task_group_add_map_call (group, function, inputs, options);
  else
    osiiso_task_group_add_map (group, func, user_data, destroy, inputs, options);
  values = run_one_shot (queue, group, error);
  g_object_unref (queue);
  g_main_context_pop_thread_default (context);
  return values;
}

/**
 * osiiso_thread_map:
 * @func: (scope notified) (closure user_data) (destroy destroy): the task
 *   function, run on worker threads once per input (per attempt)
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data once no task uses it any more (a
 *   worker thread may drop the last use just after this returns)
 * @inputs: an array: one task per element, read with
 *   osiiso_task_context_get_input(); a floating reference is taken
 * @workers: worker threads, or 0 for the number of CPUs
 * @options: (nullable): options of every task (retries, timeout, …), or
 *   %NULL for the defaults
 * @rate: attempts started per second at most, or 0 for no limit
 * @timeout: seconds for the whole map, or 0 for no limit
 * @error: return location for a #GError
 *
 * Maps @func over @inputs on a fresh #OsiisoThreadQueue and returns the
 * values in input order.
 *
 * Returns: (transfer full): the summary of the map, its results and
 *   values in input order, or %NULL with @error set
 */
OsiisoRunSummary *
osiiso_thread_map (OsiisoTaskFunc      func,
                   gpointer            user_data,
                   GDestroyNotify      destroy,
                   GVariant           *inputs,
                   guint               workers,
                   OsiisoTaskOptions  *options,
                   gdouble             rate,
                   gdouble             timeout,
                   GError            **error)
{
  g_return_val_if_fail (func != NULL, NULL);
  g_return_val_if_fail (inputs != NULL, NULL);
  g_return_val_if_fail (options == NULL || OSIISO_IS_TASK_OPTIONS (options), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return map_in_context (OSIISO_TYPE_THREAD_QUEUE, NULL, NULL, func, user_data, destroy, inputs,
                         workers, options, rate, timeout, error);
}

/**
 * osiiso_async_map:
 * @func: (scope notified) (closure user_data) (destroy destroy): the task
 *   function, which starts an operation per input (per attempt) and
 *   completes it through its #OsiisoTaskContext
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data once the map is done
 * @inputs: an array: one task per element, read with
 *   osiiso_task_context_get_input(); a floating reference is taken
 * @workers: operations in flight at most, or 0 for the default
 * @options: (nullable): options of every task, or %NULL for the defaults
 * @rate: attempts started per second at most, or 0 for no limit
 * @timeout: seconds for the whole map, or 0 for no limit
 * @error: return location for a #GError
 *
 * Maps @func over @inputs on a fresh #OsiisoAsyncQueue and returns the
 * values in input order.
 *
 * Returns: (transfer full): the summary of the map, its results and
 *   values in input order, or %NULL with @error set
 */
OsiisoRunSummary *
osiiso_async_map (OsiisoTaskFunc      func,
                  gpointer            user_data,
                  GDestroyNotify      destroy,
                  GVariant           *inputs,
                  guint               workers,
                  OsiisoTaskOptions  *options,
                  gdouble             rate,
                  gdouble             timeout,
                  GError            **error)
{
  g_return_val_if_fail (func != NULL, NULL);
  g_return_val_if_fail (inputs != NULL, NULL);
  g_return_val_if_fail (options == NULL || OSIISO_IS_TASK_OPTIONS (options), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return map_in_context (OSIISO_TYPE_ASYNC_QUEUE, NULL, NULL, func, user_data, destroy, inputs,
                         workers, options, rate, timeout, error);
}

/**
 * osiiso_process_map:
 * @worker_argv: (array zero-terminated=1): the command line of a worker
 *   (see #OsiisoProcessQueue:worker-argv)
 * @function: the name of a function the worker registered
 * @inputs: an array: one call per element, each element the call's
 *   argument; a floating reference is taken
 * @workers: worker processes, or 0 for the number of CPUs
 * @options: (nullable): options of every call, or %NULL for the defaults
 * @rate: attempts started per second at most, or 0 for no limit
 * @timeout: seconds for the whole map, or 0 for no limit
 * @error: return location for a #GError
 *
 * Calls @function once per input in worker processes of a fresh
 * #OsiisoProcessQueue and returns the values (each a #GValue holding the
 * #GVariant the call returned) in input order. The workers are told to
 * exit (their input is closed) before this returns, and exit right after.
 *
 * Returns: (transfer full): the summary of the map, its results and
 *   values in input order, or %NULL with @error set
 */
OsiisoRunSummary *
osiiso_process_map (const char * const  *worker_argv,
                    const char          *function,
                    GVariant            *inputs,
                    guint                workers,
                    OsiisoTaskOptions   *options,
                    gdouble              rate,
                    gdouble              timeout,
                    GError             **error)
{
  g_return_val_if_fail (worker_argv != NULL && worker_argv[0] != NULL, NULL);
  g_return_val_if_fail (function != NULL, NULL);
  g_return_val_if_fail (inputs != NULL, NULL);
  g_return_val_if_fail (options == NULL || OSIISO_IS_TASK_OPTIONS (options), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return map_in_context (OSIISO_TYPE_PROCESS_QUEUE, worker_argv, function, NULL, NULL, NULL, inputs,
                         workers, options, rate, timeout, error);
}
