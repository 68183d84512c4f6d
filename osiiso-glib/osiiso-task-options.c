/* osiiso-task-options.c: immutable, shareable per-task options
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "osiiso-task-private.h"
#include "osiiso-task-options-private.h"
#include "osiiso-i18n-private.h"

/**
 * SECTION:osiiso-task-options
 * @Title: OsiisoTaskOptions
 * @Short_description: How one task is run
 *
 * #OsiisoTaskOptions holds the options of a task: priority, must-complete,
 * per-attempt timeout, retries with delay and backoff, a delay or run-at
 * time, a name, a group id, the detached flag and user metadata. An
 * options object is immutable once built, so one object can be shared by
 * any number of tasks. Build one with properties:
 *
 * |[<!-- language="C" -->
 * g_autoptr(OsiisoTaskOptions) options =
 *   g_object_new (OSIISO_TYPE_TASK_OPTIONS, "priority", 0, "retries", 2, NULL);
 * ]|
 *
 * |[<!-- language="Python" -->
 * options = Osiiso.TaskOptions(priority=0, retries=2)
 * ]|
 *
 * |[<!-- language="JavaScript" -->
 * const options = new Osiiso.TaskOptions({priority: 0, retries: 2});
 * ]|
 *
 * Values are checked when a task is submitted with them (and by
 * osiiso_task_options_validate()): an invalid option is refused with
 * %OSIISO_ERROR_INVALID_OPTION before anything is queued. The property
 * ranges are deliberately wide, because an out-of-range construct value
 * would otherwise be replaced by the default with only a warning.
 *
 * Durations are seconds. `timeout`, `delay` and `run-at` use -1 for "none".
 */

/**
 * OsiisoTaskOptions:
 *
 * The options of a task: an immutable #GObject, built with properties.
 */


G_DEFINE_FINAL_TYPE (OsiisoTaskOptions, osiiso_task_options, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PRIORITY,
  PROP_MUST_COMPLETE,
  PROP_TIMEOUT,
  PROP_RETRIES,
  PROP_RETRY_DELAY,
  PROP_BACKOFF,
  PROP_DELAY,
  PROP_RUN_AT,
  PROP_NAME,
  PROP_GROUP_ID,
  PROP_DETACHED,
  PROP_METADATA,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
osiiso_task_options_finalize (GObject *object)
{
  OsiisoTaskOptions *self = (OsiisoTaskOptions *) object;

  g_free (self->name);
  g_free (self->group_id);
  g_clear_pointer (&self->metadata, g_variant_unref);

  G_OBJECT_CLASS (osiiso_task_options_parent_class)->finalize (object);
}

static void
osiiso_task_options_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  OsiisoTaskOptions *self = OSIISO_TASK_OPTIONS (object);

  switch (prop_id)
    {
    case PROP_PRIORITY:      g_value_set_int (value, self->priority); break;
    case PROP_MUST_COMPLETE: g_value_set_boolean (value, self->must_complete); break;
    case PROP_TIMEOUT:       g_value_set_double (value, self->timeout); break;
    case PROP_RETRIES:       g_value_set_int (value, self->retries); break;
    case PROP_RETRY_DELAY:   g_value_set_double (value, self->retry_delay); break;
    case PROP_BACKOFF:       g_value_set_double (value, self->backoff); break;
    case PROP_DELAY:         g_value_set_double (value, self->delay); break;
    case PROP_RUN_AT:        g_value_set_int64 (value, self->run_at); break;
    case PROP_NAME:          g_value_set_string (value, self->name); break;
    case PROP_GROUP_ID:      g_value_set_string (value, self->group_id); break;
    case PROP_DETACHED:      g_value_set_boolean (value, self->detached); break;
    case PROP_METADATA:      g_value_set_variant (value, self->metadata); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
osiiso_task_options_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  OsiisoTaskOptions *self = OSIISO_TASK_OPTIONS (object);

  /* All properties are construct-only: set exactly once, at construction. */
  switch (prop_id)
    {
    case PROP_PRIORITY:      self->priority = g_value_get_int (value); break;
    case PROP_MUST_COMPLETE: self->must_complete = g_value_get_boolean (value); break;
    case PROP_TIMEOUT:       self->timeout = g_value_get_double (value); break;
    case PROP_RETRIES:       self->retries = g_value_get_int (value); break;
    case PROP_RETRY_DELAY:   self->retry_delay = g_value_get_double (value); break;
    case PROP_BACKOFF:       self->backoff = g_value_get_double (value); break;
    case PROP_DELAY:         self->delay = g_value_get_double (value); break;
    case PROP_RUN_AT:        self->run_at = g_value_get_int64 (value); break;
    case PROP_NAME:          self->name = g_value_dup_string (value); break;
    case PROP_GROUP_ID:      self->group_id = g_value_dup_string (value); break;
    case PROP_DETACHED:      self->detached = g_value_get_boolean (value); break;
    case PROP_METADATA:      self->metadata = g_value_dup_variant (value); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static gboolean check (OsiisoTaskOptions *self, GError **error);

static void
osiiso_task_options_constructed (GObject *object)
{
  OsiisoTaskOptions *self = (OsiisoTaskOptions *) object;

  G_OBJECT_CLASS (osiiso_task_options_parent_class)->constructed (object);

  /* Options never change, so submitting with them need not check again. */
  self->valid = check (self, NULL);
}

static void
osiiso_task_options_class_init (OsiisoTaskOptionsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY
                            | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  _osiiso_i18n_init ();

  object_class->constructed = osiiso_task_options_constructed;
  object_class->finalize = osiiso_task_options_finalize;
  object_class->get_property = osiiso_task_options_get_property;
  object_class->set_property = osiiso_task_options_set_property;

  /**
   * OsiisoTaskOptions:priority:
   *
   * Lower runs first; tasks of equal priority run in submission order.
   */
  properties[PROP_PRIORITY] =
    g_param_spec_int ("priority", "Priority", "Lower runs first",
                      G_MININT, G_MAXINT, 3, flags);

  /**
   * OsiisoTaskOptions:must-complete:
   *
   * Protects the task from implicit cancellation: a run timeout or forced
   * shutdown under %OSIISO_EXIT_POLICY_COMPLETE_PRIORITY and a fail-first
   * trip let it finish. An explicit cancel of the task, and a timeout or
   * forced shutdown under %OSIISO_EXIT_POLICY_CANCEL, still cancel it.
   */
  properties[PROP_MUST_COMPLETE] =
    g_param_spec_boolean ("must-complete", "Must complete",
                          "Protect the task from implicit cancellation",
                          FALSE, flags);

  /**
   * OsiisoTaskOptions:timeout:
   *
   * The limit of each attempt, in seconds; each retry gets a fresh window.
   * A timeout is a failure that consumes a retry. -1 (the default) means
   * no limit; any other value must be greater than 0.
   */
  properties[PROP_TIMEOUT] =
    g_param_spec_double ("timeout", "Timeout", "Seconds per attempt, or -1",
                         -G_MAXDOUBLE, G_MAXDOUBLE, -1.0, flags);

  /**
   * OsiisoTaskOptions:retries:
   *
   * Extra attempts after the first failure: a task makes at most
   * 1 + retries attempts. Must not be negative.
   */
  properties[PROP_RETRIES] =
    g_param_spec_int ("retries", "Retries", "Extra attempts after a failure",
                      G_MININT, G_MAXINT, 0, flags);

  /**
   * OsiisoTaskOptions:retry-delay:
   *
   * Seconds to wait before the first retry. A task waiting to retry holds
   * no worker. Must not be negative.
   */
  properties[PROP_RETRY_DELAY] =
    g_param_spec_double ("retry-delay", "Retry delay", "Seconds before the first retry",
                         -G_MAXDOUBLE, G_MAXDOUBLE, 0.0, flags);

  /**
   * OsiisoTaskOptions:backoff:
   *
   * The factor applied to the retry delay after each retry: with a delay
   * of 0.25 and a backoff of 2 the waits are 0.25, 0.5, 1.0 … seconds.
   * Must be greater than 0.
   */
  properties[PROP_BACKOFF] =
    g_param_spec_double ("backoff", "Backoff", "Retry delay multiplier",
                         -G_MAXDOUBLE, G_MAXDOUBLE, 1.0, flags);

  /**
   * OsiisoTaskOptions:delay:
   *
   * Seconds after submission before the task becomes eligible to run; -1
   * (the default) for none. A waiting task holds no worker. Cannot be
   * combined with #OsiisoTaskOptions:run-at.
   */
  properties[PROP_DELAY] =
    g_param_spec_double ("delay", "Delay", "Seconds before the task is eligible, or -1",
                         -G_MAXDOUBLE, G_MAXDOUBLE, -1.0, flags);

  /**
   * OsiisoTaskOptions:run-at:
   *
   * The wall-clock time at which the task becomes eligible, in microseconds
   * since the Unix epoch (the unit of g_get_real_time()); -1 (the default)
   * for none. It is converted once, at submission, to the monotonic clock,
   * so later changes of the wall clock change nothing. A time in the past
   * means now.
   */
  properties[PROP_RUN_AT] =
    g_param_spec_int64 ("run-at", "Run at", "Wall-clock µs since the epoch, or -1",
                        G_MININT64, G_MAXINT64, -1, flags);

  /**
   * OsiisoTaskOptions:name:
   *
   * The name used in results, signals and summaries. Without one, a task
   * is named `task-ID`.
   */
  properties[PROP_NAME] =
    g_param_spec_string ("name", "Name", "The task's name", NULL, flags);

  /**
   * OsiisoTaskOptions:group-id:
   *
   * A label copied to the task's handle and result. A task added to an
   * #OsiisoTaskGroup has the group's id instead.
   */
  properties[PROP_GROUP_ID] =
    g_param_spec_string ("group-id", "Group id", "The task's group", NULL, flags);

  /**
   * OsiisoTaskOptions:detached:
   *
   * A detached task runs, but is left out of run summaries; its handle and
   * the queue's result history still have its result.
   */
  properties[PROP_DETACHED] =
    g_param_spec_boolean ("detached", "Detached", "Leave the task out of run summaries",
                          FALSE, flags);

  /**
   * OsiisoTaskOptions:metadata:
   *
   * User data carried onto the task's handle and result.
   */
  properties[PROP_METADATA] =
    g_param_spec_variant ("metadata", "Metadata", "User data for the task",
                          G_VARIANT_TYPE_ANY, NULL, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
osiiso_task_options_init (OsiisoTaskOptions *self)
{
}

/**
 * osiiso_task_options_new:
 *
 * Creates options with every default: priority 3, no timeout, no retries,
 * no delay. Use g_object_new() with properties to set others.
 *
 * Returns: (transfer full): a new #OsiisoTaskOptions
 */
OsiisoTaskOptions *
osiiso_task_options_new (void)
{
  return g_object_new (OSIISO_TYPE_TASK_OPTIONS, NULL);
}

/* The options of tasks submitted without any: one immutable object shared
 * by all of them. */
OsiisoTaskOptions *
_osiiso_task_options_get_default (void)
{
  static gsize defaults = 0;

  if (g_once_init_enter (&defaults))
    g_once_init_leave (&defaults, (gsize) osiiso_task_options_new ());

  return (OsiisoTaskOptions *) defaults;
}

/**
 * osiiso_task_options_validate:
 * @self: a #OsiisoTaskOptions
 * @error: return location for a #GError
 *
 * Checks the options as osiiso_queue_submit() does: retries and the retry
 * delay must not be negative, the backoff must be greater than 0, the
 * timeout greater than 0 (or -1), the delay and run-at not negative (or
 * -1), and delay and run-at cannot both be set.
 *
 * Returns: %TRUE if the options are valid, %FALSE with
 *   %OSIISO_ERROR_INVALID_OPTION otherwise
 */
gboolean
osiiso_task_options_validate (OsiisoTaskOptions  *self,
                              GError            **error)
{
  g_return_val_if_fail (OSIISO_IS_TASK_OPTIONS (self), FALSE);

  return self->valid || check (self, error);
}

static gboolean
check (OsiisoTaskOptions  *self,
       GError            **error)
{
  if (self->retries < 0)
    return g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION,
                        _("retries must be >= 0 (got %d)"), self->retries), FALSE;
  if (self->timeout != -1.0 && !(self->timeout > 0.0))
    return g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION,
                        _("timeout must be > 0 or -1 for none (got %g)"), self->timeout), FALSE;
  if (!(self->retry_delay >= 0.0))
    return g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION,
                        _("retry-delay must be >= 0 (got %g)"), self->retry_delay), FALSE;
  if (!(self->backoff > 0.0))
    return g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION,
                        _("backoff must be > 0 (got %g)"), self->backoff), FALSE;
  if (self->delay != -1.0 && !(self->delay >= 0.0))
    return g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION,
                        _("delay must be >= 0 or -1 for none (got %g)"), self->delay), FALSE;
  if (self->run_at != -1 && self->run_at < 0)
    return g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION,
                        _("run-at must be >= 0 or -1 for none (got %lld)"),
                        (long long) self->run_at), FALSE;
  if (self->delay != -1.0 && self->run_at != -1)
    return g_set_error_literal (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION,
                                _("delay and run-at are mutually exclusive")), FALSE;

  return TRUE;
}

/**
 * osiiso_task_options_get_priority:
 * @self: a #OsiisoTaskOptions
 *
 * Gets #OsiisoTaskOptions:priority.
 *
 * Returns: the priority
 */
gint
osiiso_task_options_get_priority (OsiisoTaskOptions *self)
{
  g_return_val_if_fail (OSIISO_IS_TASK_OPTIONS (self), 0);
  return self->priority;
}

/**
 * osiiso_task_options_get_must_complete:
 * @self: a #OsiisoTaskOptions
 *
 * Gets #OsiisoTaskOptions:must-complete.
 *
 * Returns: whether the task is protected from implicit cancellation
 */
gboolean
osiiso_task_options_get_must_complete (OsiisoTaskOptions *self)
{
  g_return_val_if_fail (OSIISO_IS_TASK_OPTIONS (self), FALSE);
  return self->must_complete;
}

/**
 * osiiso_task_options_get_timeout:
 * @self: a #OsiisoTaskOptions
 *
 * Gets #OsiisoTaskOptions:timeout.
 *
 * Returns: seconds per attempt, or -1 for none
 */
gdouble
osiiso_task_options_get_timeout (OsiisoTaskOptions *self)
{
  g_return_val_if_fail (OSIISO_IS_TASK_OPTIONS (self), -1.0);
  return self->timeout;
}

/**
 * osiiso_task_options_get_retries:
 * @self: a #OsiisoTaskOptions
 *
 * Gets #OsiisoTaskOptions:retries.
 *
 * Returns: the number of retries
 */
gint
osiiso_task_options_get_retries (OsiisoTaskOptions *self)
{
  g_return_val_if_fail (OSIISO_IS_TASK_OPTIONS (self), 0);
  return self->retries;
}

/**
 * osiiso_task_options_get_retry_delay:
 * @self: a #OsiisoTaskOptions
 *
 * Gets #OsiisoTaskOptions:retry-delay.
 *
 * Returns: seconds before the first retry
 */
gdouble
osiiso_task_options_get_retry_delay (OsiisoTaskOptions *self)
{
  g_return_val_if_fail (OSIISO_IS_TASK_OPTIONS (self), 0.0);
  return self->retry_delay;
}

/**
 * osiiso_task_options_get_backoff:
 * @self: a #OsiisoTaskOptions
 *
 * Gets #OsiisoTaskOptions:backoff.
 *
 * Returns: the retry delay multiplier
 */
gdouble
osiiso_task_options_get_backoff (OsiisoTaskOptions *self)
{
  g_return_val_if_fail (OSIISO_IS_TASK_OPTIONS (self), 1.0);
  return self->backoff;
}

/**
 * osiiso_task_options_get_delay:
 * @self: a #OsiisoTaskOptions
 *
 * Gets #OsiisoTaskOptions:delay.
 *
 * Returns: seconds before the task is eligible, or -1 for none
 */
gdouble
osiiso_task_options_get_delay (OsiisoTaskOptions *self)
{
  g_return_val_if_fail (OSIISO_IS_TASK_OPTIONS (self), -1.0);
  return self->delay;
}

/**
 * osiiso_task_options_get_run_at:
 * @self: a #OsiisoTaskOptions
 *
 * Gets #OsiisoTaskOptions:run-at.
 *
 * Returns: wall-clock microseconds since the epoch, or -1 for none
 */
gint64
osiiso_task_options_get_run_at (OsiisoTaskOptions *self)
{
  g_return_val_if_fail (OSIISO_IS_TASK_OPTIONS (self), -1);
  return self->run_at;
}

/**
 * osiiso_task_options_get_name:
 * @self: a #OsiisoTaskOptions
 *
 * Gets #OsiisoTaskOptions:name.
 *
 * Returns: (nullable): the name, or %NULL
 */
const char *
osiiso_task_options_get_name (OsiisoTaskOptions *self)
{
  g_return_val_if_fail (OSIISO_IS_TASK_OPTIONS (self), NULL);
  return self->name;
}

/**
 * osiiso_task_options_get_group_id:
 * @self: a #OsiisoTaskOptions
 *
 * Gets #OsiisoTaskOptions:group-id.
 *
 * Returns: (nullable): the group id, or %NULL
 */
const char *
osiiso_task_options_get_group_id (OsiisoTaskOptions *self)
{
  g_return_val_if_fail (OSIISO_IS_TASK_OPTIONS (self), NULL);
  return self->group_id;
}

/**
 * osiiso_task_options_get_detached:
 * @self: a #OsiisoTaskOptions
 *
 * Gets #OsiisoTaskOptions:detached.
 *
 * Returns: whether the task is left out of run summaries
 */
gboolean
osiiso_task_options_get_detached (OsiisoTaskOptions *self)
{
  g_return_val_if_fail (OSIISO_IS_TASK_OPTIONS (self), FALSE);
  return self->detached;
}

/**
 * osiiso_task_options_get_metadata:
 * @self: a #OsiisoTaskOptions
 *
 * Gets #OsiisoTaskOptions:metadata.
 *
 * Returns: (nullable) (transfer none): the metadata, or %NULL
 */
GVariant *
osiiso_task_options_get_metadata (OsiisoTaskOptions *self)
{
  g_return_val_if_fail (OSIISO_IS_TASK_OPTIONS (self), NULL);
  return self->metadata;
}
