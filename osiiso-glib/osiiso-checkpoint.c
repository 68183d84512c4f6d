/* osiiso-checkpoint.c: completion tracking keyed by input, in SQLite
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "osiiso-glib.h"
#include "osiiso-i18n-private.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

/**
 * SECTION:osiiso-checkpoint
 * @Title: OsiisoCheckpoint
 * @Short_description: Completion tracking keyed by input, for resumable runs
 *
 * An #OsiisoCheckpoint remembers which inputs of a job already succeeded,
 * and with which value, in one SQLite database file. A job that is run
 * again with the same checkpoint skips those inputs and reuses their
 * values instead of computing them again. It is completion tracking, not a
 * durable queue: task functions and pending work are never stored, and an
 * input whose task succeeded but whose record was not written yet runs
 * again (at-least-once). The chapter “Resumable runs” explains the model.
 *
 * Each completion is a row keyed by a *namespace* (a plain, non-empty
 * string naming the job, such as the name of the function being mapped)
 * and a *key* (a string naming the input; osiiso_checkpoint_canonical_key()
 * computes the default one from a #GVariant input). A row holds the
 * task's value as a #GVariant with its exact type, or no value at all.
 *
 * |[<!-- language="C" -->
 * g_autoptr(OsiisoCheckpoint) checkpoint = osiiso_checkpoint_new ("run.db", &error);
 * g_autofree char *key = osiiso_checkpoint_canonical_key (input);
 *
 * if (!osiiso_checkpoint_record (checkpoint, "resize", key, value, NULL, &error))
 *   g_printerr ("%s\n", error->message);
 * ]|
 *
 * |[<!-- language="Python" -->
 * checkpoint = Osiiso.Checkpoint.new('run.db')
 * key = Osiiso.Checkpoint.canonical_key(GLib.Variant('s', 'photo.jpg'))
 * checkpoint.record('resize', key, GLib.Variant('(ii)', (640, 480)), None)
 * hits = checkpoint.lookup('resize', [key])   # {key: Osiiso.CheckpointHit}
 * ]|
 *
 * |[<!-- language="JavaScript" -->
 * const checkpoint = Osiiso.Checkpoint.new('run.db');
 * const key = Osiiso.Checkpoint.canonical_key(new GLib.Variant('s', 'photo.jpg'));
 * checkpoint.record('resize', key, new GLib.Variant('(ii)', [640, 480]), null);
 * const hits = checkpoint.lookup('resize', [key]);   // {key: Osiiso.CheckpointHit}
 * ]|
 *
 * The database is one file in WAL mode with `synchronous=NORMAL`; its one
 * table is
 *
 * |[
 * completions(namespace TEXT NOT NULL, key TEXT NOT NULL, value BLOB,
 *             type TEXT, name TEXT, recorded_at REAL NOT NULL,
 *             PRIMARY KEY (namespace, key)) WITHOUT ROWID
 * ]|
 *
 * where `type` is the value's #GVariant type string and `value` the bytes
 * of its normal form, both %NULL for a row without a value, and
 * `recorded_at` is seconds since the Unix epoch. A row whose type or bytes
 * do not form a valid normal-form #GVariant is treated as absent by
 * osiiso_checkpoint_lookup(), so its input runs again.
 *
 * One checkpoint may be used from any number of threads of one process at
 * once; it is not meant to be shared by several processes at a time.
 * Every method fails with %OSIISO_ERROR_CLOSED after
 * osiiso_checkpoint_close(), and with %OSIISO_ERROR_CHECKPOINT when SQLite
 * fails.
 *
 * #OsiisoCheckpoint implements #GInitable: osiiso_checkpoint_new() and
 * osiiso_checkpoint_new_full() open the database and report a bad path or
 * a file that is not a database as a #GError. An object built from
 * properties instead (g_object_new(), `Osiiso.Checkpoint(path=…)` in
 * Python, `new Osiiso.Checkpoint({path})` in JavaScript) opens the
 * database in g_initable_init() or, failing that, at its first use, whose
 * call then fails with the opening error.
 *
 * A %NULL namespace is a programmer error (a critical, as for any %NULL
 * string argument that is not nullable); an empty namespace is refused at
 * run time with %OSIISO_ERROR_INVALID_OPTION, since it may come from data.
 */

/**
 * OsiisoCheckpoint:
 *
 * A store of completed inputs, in an SQLite database file. Thread-safe.
 */

/* The number of keys bound in one lookup statement; SQLite allows 32766
 * parameters per statement, this keeps each statement small. */
#define LOOKUP_CHUNK 500

/* Canonical keys longer than this are replaced by a digest. */
#define KEY_TEXT_MAX 256

/**
 * OsiisoCheckpointHit:
 *
 * One completion found by osiiso_checkpoint_lookup(): the stored value (if
 * any), the recorded name and the time it was recorded. A small,
 * immutable #GObject.
 */

/* An object rather than a ref-counted boxed type: PyGObject 3.42 neither
 * copies nor refs boxed values it reads out of a returned GHashTable, so
 * they would dangle once the table is freed; objects are reffed. */
struct _OsiisoCheckpointHit
{
  GObject   parent_instance;
  GVariant *value;          /* owned, or NULL when no value was stored */
  char     *name;
  gint64    recorded_at;    /* µs since the epoch */
};

G_DEFINE_FINAL_TYPE (OsiisoCheckpointHit, osiiso_checkpoint_hit, G_TYPE_OBJECT)

enum {
  STMT_RECORD,
  STMT_IS_DONE,
  STMT_LOOKUP,
  STMT_COUNT_ALL,
  STMT_COUNT_NS,
  STMT_NAMESPACES,
  STMT_CLEAR_ALL,
  STMT_CLEAR_NS,
  N_STMTS
};

struct _OsiisoCheckpoint
{
  GObject parent_instance;

  /* construct-only */
  char     *path;
  gboolean  store_values;

  /* Thread safety: one connection, opened with SQLITE_OPEN_NOMUTEX and
   * guarded by @lock. The cached prepared statements belong to the
   * connection, and a bind–step–reset sequence on one of them must not
   * interleave with another thread's; SQLITE_OPEN_FULLMUTEX serialises
   * single API calls only, so this lock is needed anyway, and SQLite's own
   * would just add a second lock to every call. Everything below is
   * guarded by @lock. */
  GMutex        lock;
  sqlite3      *db;                 /* NULL before init, after a failed init and after close */
  sqlite3_stmt *stmts[N_STMTS];
  gboolean      initialized;        /* opening was tried */
  GError       *init_error;         /* its error, if it failed */
  gboolean      closed;
};

static void osiiso_checkpoint_initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (OsiisoCheckpoint, osiiso_checkpoint, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      osiiso_checkpoint_initable_iface_init))

enum {
  PROP_0,
  PROP_PATH,
  PROP_STORE_VALUES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ------------------------------------------------------------------------
 * OsiisoCheckpointHit
 * ------------------------------------------------------------------------ */

static void
osiiso_checkpoint_hit_finalize (GObject *object)
{
  OsiisoCheckpointHit *self = (OsiisoCheckpointHit *) object;

  g_clear_pointer (&self->value, g_variant_unref);
  g_free (self->name);

  G_OBJECT_CLASS (osiiso_checkpoint_hit_parent_class)->finalize (object);
}

static void
osiiso_checkpoint_hit_class_init (OsiisoCheckpointHitClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = osiiso_checkpoint_hit_finalize;
}

static void
osiiso_checkpoint_hit_init (OsiisoCheckpointHit *self)
{
}

/* Takes @value (a full, non-floating reference, or NULL). */
static OsiisoCheckpointHit *
hit_new (GVariant   *value,
         const char *name,
         gint64      recorded_at)
{
  OsiisoCheckpointHit *self = g_object_new (OSIISO_TYPE_CHECKPOINT_HIT, NULL);

  self->value = value;
  self->name = g_strdup (name);
  self->recorded_at = recorded_at;
  return self;
}

/**
 * osiiso_checkpoint_hit_has_value:
 * @self: a #OsiisoCheckpointHit
 *
 * Whether a value was recorded with the completion. It was not when
 * osiiso_checkpoint_record() got a %NULL value, or when the checkpoint
 * had #OsiisoCheckpoint:store-values off.
 *
 * Returns: %TRUE if osiiso_checkpoint_hit_get_value() returns a value
 */
gboolean
osiiso_checkpoint_hit_has_value (OsiisoCheckpointHit *self)
{
  g_return_val_if_fail (OSIISO_IS_CHECKPOINT_HIT (self), FALSE);
  return self->value != NULL;
}

/**
 * osiiso_checkpoint_hit_get_value:
 * @self: a #OsiisoCheckpointHit
 *
 * Gets the recorded value, with the exact type it was recorded with.
 *
 * Returns: (transfer none) (nullable): the value, or %NULL if none was
 *   recorded
 */
GVariant *
osiiso_checkpoint_hit_get_value (OsiisoCheckpointHit *self)
{
  g_return_val_if_fail (OSIISO_IS_CHECKPOINT_HIT (self), NULL);
  return self->value;
}

/**
 * osiiso_checkpoint_hit_get_name:
 * @self: a #OsiisoCheckpointHit
 *
 * Gets the name recorded with the completion, normally the task's name.
 *
 * Returns: (nullable): the name, or %NULL if none was recorded
 */
const char *
osiiso_checkpoint_hit_get_name (OsiisoCheckpointHit *self)
{
  g_return_val_if_fail (OSIISO_IS_CHECKPOINT_HIT (self), NULL);
  return self->name;
}

/**
 * osiiso_checkpoint_hit_get_recorded_at:
 * @self: a #OsiisoCheckpointHit
 *
 * Gets the wall-clock time at which the completion was recorded.
 *
 * Returns: microseconds since the Unix epoch (the unit of
 *   g_get_real_time())
 */
gint64
osiiso_checkpoint_hit_get_recorded_at (OsiisoCheckpointHit *self)
{
  g_return_val_if_fail (OSIISO_IS_CHECKPOINT_HIT (self), 0);
  return self->recorded_at;
}

/* ------------------------------------------------------------------------
 * Errors and statements (everything here runs with self->lock held)
 * ------------------------------------------------------------------------ */

static gboolean
set_sqlite_error (OsiisoCheckpoint  *self,
                  GError           **error)
{
  g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_CHECKPOINT,
               _("checkpoint database “%s”: %s"),
               self->path, sqlite3_errmsg (self->db));
  return FALSE;
}

static gboolean open_db (OsiisoCheckpoint *self, GError **error);

/* Whether the connection is usable; sets the error of a closed checkpoint,
 * or the opening error, otherwise. A checkpoint built without
 * g_initable_init() (a plain constructor call in a binding) is opened
 * here, at its first use. */
static gboolean
check_open (OsiisoCheckpoint  *self,
            GError           **error)
{
  if (self->db != NULL)
    return TRUE;
  if (self->closed)
    {
      g_set_error_literal (error, OSIISO_ERROR, OSIISO_ERROR_CLOSED,
                           _("the checkpoint is closed"));
      return FALSE;
    }
  if (!self->initialized)
    {
      self->initialized = TRUE;
      if (open_db (self, &self->init_error))
        return TRUE;
    }
  g_propagate_error (error, g_error_copy (self->init_error));
  return FALSE;
}

static gboolean
check_namespace (const char  *ns,
                 GError     **error)
{
  if (*ns != '\0')
    return TRUE;
  g_set_error_literal (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION,
                       _("a checkpoint namespace must not be empty"));
  return FALSE;
}

/* Gets a cached statement, ready to bind. */
static sqlite3_stmt *
stmt (OsiisoCheckpoint *self,
      guint             which)
{
  return self->stmts[which];
}

/* Ends a use of a cached statement. The bindings are cleared at once,
 * since they point to the caller's memory (SQLITE_STATIC). */
static void
finish (sqlite3_stmt *s)
{
  sqlite3_reset (s);
  sqlite3_clear_bindings (s);
}

/* Binds a NUL-terminated string without copying it: every statement is
 * stepped and finish()ed before the caller's string goes away. */
static void
bind_text (sqlite3_stmt *s,
           int           index,
           const char   *text)
{
  if (text != NULL)
    sqlite3_bind_text (s, index, text, -1, SQLITE_STATIC);
}

/* Runs a statement that yields one integer row (count(*)). */
static gint64
step_int64 (OsiisoCheckpoint  *self,
            sqlite3_stmt      *s,
            GError           **error)
{
  gint64 result;

  if (sqlite3_step (s) != SQLITE_ROW)
    {
      set_sqlite_error (self, error);
      finish (s);
      return -1;
    }
  result = sqlite3_column_int64 (s, 0);
  finish (s);
  return result;
}

/* Runs a statement that yields no rows. */
static gboolean
step_done (OsiisoCheckpoint  *self,
           sqlite3_stmt      *s,
           GError           **error)
{
  gboolean ok = sqlite3_step (s) == SQLITE_DONE;

  if (!ok)
    set_sqlite_error (self, error);
  finish (s);
  return ok;
}

static char *
lookup_sql (void)
{
  GString *sql = g_string_new ("SELECT key, type, value, name, recorded_at FROM completions"
                               " WHERE namespace = ?1 AND key IN (?2");

  for (guint i = 1; i < LOOKUP_CHUNK; i++)
    g_string_append_printf (sql, ", ?%u", i + 2);
  g_string_append_c (sql, ')');
  return g_string_free (sql, FALSE);
}

static void
close_db (OsiisoCheckpoint *self)
{
  for (guint i = 0; i < N_STMTS; i++)
    g_clear_pointer (&self->stmts[i], sqlite3_finalize);
  /* With every statement finalized, sqlite3_close_v2() closes at once; the
   * last connection to a WAL database also checkpoints and removes the
   * -wal and -shm files. */
  g_clear_pointer (&self->db, sqlite3_close_v2);
}

static gboolean
open_db (OsiisoCheckpoint  *self,
         GError           **error)
{
  static const char * const setup[] = {
    "PRAGMA synchronous=NORMAL",
    "CREATE TABLE IF NOT EXISTS completions ("
    " namespace TEXT NOT NULL,"
    " key TEXT NOT NULL,"
    " value BLOB,"
    " type TEXT,"
    " name TEXT,"
    " recorded_at REAL NOT NULL,"
    " PRIMARY KEY (namespace, key)) WITHOUT ROWID",
  };
  g_autofree char *lookup = lookup_sql ();
  const char *sql[N_STMTS] = {
    [STMT_RECORD] = "INSERT OR REPLACE INTO completions (namespace, key, value, type, name, recorded_at)"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [STMT_IS_DONE] = "SELECT 1 FROM completions WHERE namespace = ?1 AND key = ?2",
    [STMT_LOOKUP] = lookup,
    [STMT_COUNT_ALL] = "SELECT count(*) FROM completions",
    [STMT_COUNT_NS] = "SELECT count(*) FROM completions WHERE namespace = ?1",
    [STMT_NAMESPACES] = "SELECT DISTINCT namespace FROM completions ORDER BY namespace",
    [STMT_CLEAR_ALL] = "DELETE FROM completions",
    [STMT_CLEAR_NS] = "DELETE FROM completions WHERE namespace = ?1",
  };
  sqlite3_stmt *wal = NULL;
  int rc;

  if (self->path == NULL || *self->path == '\0')
    {
      g_set_error_literal (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION,
                           _("a checkpoint path must not be empty"));
      return FALSE;
    }

  /* A plain file name (no URI), created if missing; see the comment on
   * the instance struct for NOMUTEX. Debian's SQLite reads names that
   * begin with "file:" as URIs: such a relative name gets a "./". */
  {
    g_autofree char *plain = g_str_has_prefix (self->path, "file:") ? g_strconcat ("./", self->path, NULL) : NULL;

    rc = sqlite3_open_v2 (plain != NULL ? plain : self->path, &self->db,
                          SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                          NULL);
  }
  if (rc != SQLITE_OK)
    {
      g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_CHECKPOINT,
                   _("cannot open the checkpoint database “%s”: %s"), self->path,
                   self->db != NULL ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
      close_db (self);
      return FALSE;
    }
  sqlite3_extended_result_codes (self->db, 1);
  /* SQLite falls back to read-only for a write-protected file; every
   * record would then fail, so refuse it now. */
  if (sqlite3_db_readonly (self->db, "main") == 1)
    {
      g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_CHECKPOINT,
                   _("cannot open the checkpoint database “%s”: %s"), self->path,
                   sqlite3_errstr (SQLITE_READONLY));
      close_db (self);
      return FALSE;
    }
  /* Another process that reads the file (the sqlite3 shell, a second run)
   * may hold a lock briefly. */
  sqlite3_busy_timeout (self->db, 5000);

  /* The first statement that reads the file (creating the table) fails
   * for a file that is not a database. */
  for (guint i = 0; i < G_N_ELEMENTS (setup); i++)
    if (sqlite3_exec (self->db, setup[i], NULL, NULL, NULL) != SQLITE_OK)
      goto failed;

  /* Preparing checks the table's shape too: a "completions" table from
   * another program without our columns fails here, before the file's
   * journal mode is changed. */
  for (guint i = 0; i < N_STMTS; i++)
    if (sqlite3_prepare_v3 (self->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                            &self->stmts[i], NULL) != SQLITE_OK)
      goto failed;

  /* WAL is a property of the file, kept from now on. The pragma answers
   * with the mode in effect: "wal", or "memory" for an in-memory
   * database. */
  if (sqlite3_prepare_v2 (self->db, "PRAGMA journal_mode=WAL", -1, &wal, NULL) != SQLITE_OK
      || sqlite3_step (wal) != SQLITE_ROW)
    goto failed;
  g_debug ("checkpoint “%s”: journal mode %s", self->path,
           (const char *) sqlite3_column_text (wal, 0));
  g_clear_pointer (&wal, sqlite3_finalize);

  return TRUE;

failed:
  g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_CHECKPOINT,
               _("cannot open the checkpoint database “%s”: %s"),
               self->path, sqlite3_errmsg (self->db));
  g_clear_pointer (&wal, sqlite3_finalize);
  close_db (self);
  return FALSE;
}

/* ------------------------------------------------------------------------
 * GObject and GInitable
 * ------------------------------------------------------------------------ */

static gboolean
osiiso_checkpoint_initable_init (GInitable     *initable,
                                 GCancellable  *cancellable,
                                 GError       **error)
{
  OsiisoCheckpoint *self = OSIISO_CHECKPOINT (initable);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  /* Initializing again repeats the first outcome. */
  if (!self->initialized)
    {
      self->initialized = TRUE;
      if (!self->closed)
        open_db (self, &self->init_error);
    }
  if (self->init_error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->init_error));
      return FALSE;
    }
  return TRUE;
}

static void
osiiso_checkpoint_initable_iface_init (GInitableIface *iface)
{
  iface->init = osiiso_checkpoint_initable_init;
}

static void
osiiso_checkpoint_finalize (GObject *object)
{
  OsiisoCheckpoint *self = (OsiisoCheckpoint *) object;

  close_db (self);
  g_clear_error (&self->init_error);
  g_free (self->path);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (osiiso_checkpoint_parent_class)->finalize (object);
}

static void
osiiso_checkpoint_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  OsiisoCheckpoint *self = OSIISO_CHECKPOINT (object);

  switch (prop_id)
    {
    case PROP_PATH:         g_value_set_string (value, self->path); break;
    case PROP_STORE_VALUES: g_value_set_boolean (value, self->store_values); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
osiiso_checkpoint_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  OsiisoCheckpoint *self = OSIISO_CHECKPOINT (object);

  /* Both properties are construct-only. */
  switch (prop_id)
    {
    case PROP_PATH:
      g_free (self->path);
      self->path = g_value_dup_string (value);
      break;
    case PROP_STORE_VALUES:
      self->store_values = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
osiiso_checkpoint_class_init (OsiisoCheckpointClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY
                            | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  _osiiso_i18n_init ();

  object_class->finalize = osiiso_checkpoint_finalize;
  object_class->get_property = osiiso_checkpoint_get_property;
  object_class->set_property = osiiso_checkpoint_set_property;

  /**
   * OsiisoCheckpoint:path:
   *
   * The database file, created if it does not exist; its directory must
   * exist. `:memory:` (the default) is a private in-memory database that
   * is lost on close, for tests. The path is a plain file name, never an
   * SQLite URI.
   */
  properties[PROP_PATH] =
    g_param_spec_string ("path", "Path", "The SQLite database file, or :memory:",
                         ":memory:", flags);

  /**
   * OsiisoCheckpoint:store-values:
   *
   * Whether osiiso_checkpoint_record() stores values. When %FALSE, a
   * record keeps only the key (and name), and lookups report completions
   * without a value: useful when values are large or not needed again.
   */
  properties[PROP_STORE_VALUES] =
    g_param_spec_boolean ("store-values", "Store values",
                          "Whether recorded values are stored", TRUE, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
osiiso_checkpoint_init (OsiisoCheckpoint *self)
{
  g_mutex_init (&self->lock);
  self->store_values = TRUE;
}

/* ------------------------------------------------------------------------
 * Public API
 * ------------------------------------------------------------------------ */

/**
 * osiiso_checkpoint_new:
 * @path: (type filename): the database file, or `:memory:`
 * @error: return location for a #GError, or %NULL
 *
 * Opens (creating if needed) the checkpoint database @path, storing
 * values. See osiiso_checkpoint_new_full().
 *
 * Returns: (transfer full): the open checkpoint, or %NULL with @error set
 */
OsiisoCheckpoint *
osiiso_checkpoint_new (const char  *path,
                       GError     **error)
{
  return osiiso_checkpoint_new_full (path, TRUE, error);
}

/**
 * osiiso_checkpoint_new_full:
 * @path: (type filename): the database file, or `:memory:`
 * @store_values: whether values are stored (#OsiisoCheckpoint:store-values)
 * @error: return location for a #GError, or %NULL
 *
 * Opens (creating if needed) the checkpoint database @path. A path in a
 * directory that does not exist, a file that cannot be opened, or a file
 * that is not an SQLite database fails with %OSIISO_ERROR_CHECKPOINT; an
 * empty path fails with %OSIISO_ERROR_INVALID_OPTION.
 *
 * Returns: (transfer full): the open checkpoint, or %NULL with @error set
 */
OsiisoCheckpoint *
osiiso_checkpoint_new_full (const char  *path,
                            gboolean     store_values,
                            GError     **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_initable_new (OSIISO_TYPE_CHECKPOINT, NULL, error,
                         "path", path, "store-values", store_values, NULL);
}

/**
 * osiiso_checkpoint_get_path:
 * @self: a #OsiisoCheckpoint
 *
 * Gets #OsiisoCheckpoint:path.
 *
 * Returns: (type filename): the database file
 */
const char *
osiiso_checkpoint_get_path (OsiisoCheckpoint *self)
{
  g_return_val_if_fail (OSIISO_IS_CHECKPOINT (self), NULL);
  return self->path;
}

/**
 * osiiso_checkpoint_get_store_values:
 * @self: a #OsiisoCheckpoint
 *
 * Gets #OsiisoCheckpoint:store-values.
 *
 * Returns: whether recorded values are stored
 */
gboolean
osiiso_checkpoint_get_store_values (OsiisoCheckpoint *self)
{
  g_return_val_if_fail (OSIISO_IS_CHECKPOINT (self), FALSE);
  return self->store_values;
}

/**
 * osiiso_checkpoint_is_closed:
 * @self: a #OsiisoCheckpoint
 *
 * Whether osiiso_checkpoint_close() was called.
 *
 * Returns: %TRUE once @self is closed
 */
gboolean
osiiso_checkpoint_is_closed (OsiisoCheckpoint *self)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (OSIISO_IS_CHECKPOINT (self), FALSE);

  locker = g_mutex_locker_new (&self->lock);
  return self->closed;
}

/**
 * osiiso_checkpoint_record:
 * @self: a #OsiisoCheckpoint
 * @ns: the namespace, not empty
 * @key: the input's key
 * @value: (nullable): the task's value, or %NULL for none; a floating
 *   reference is consumed
 * @name: (nullable): a name to keep with the completion (the task's
 *   name), or %NULL
 * @error: return location for a #GError, or %NULL
 *
 * Records that the input @key of @ns completed, replacing any earlier
 * record of it (the last value wins). The value is stored with its exact
 * type, as its type string and the bytes of its normal form, so
 * osiiso_checkpoint_lookup() gives back an equal #GVariant of the same
 * type. Without a value, or when #OsiisoCheckpoint:store-values is
 * %FALSE, the row has no value.
 *
 * Safe to call from any thread. The write is committed when this
 * returns; with `synchronous=NORMAL` it survives a crash of the program,
 * and may be lost only if the operating system crashes before the next
 * WAL checkpoint.
 *
 * Returns: %TRUE if the completion was written, %FALSE with @error set
 *   otherwise (%OSIISO_ERROR_CLOSED, %OSIISO_ERROR_INVALID_OPTION for an
 *   empty namespace, %OSIISO_ERROR_CHECKPOINT)
 */
gboolean
osiiso_checkpoint_record (OsiisoCheckpoint  *self,
                          const char        *ns,
                          const char        *key,
                          GVariant          *value,
                          const char        *name,
                          GError           **error)
{
  g_autoptr(GVariant) owned = NULL;
  g_autoptr(GVariant) normal = NULL;
  g_autoptr(GMutexLocker) locker = NULL;
  sqlite3_stmt *s;

  g_return_val_if_fail (OSIISO_IS_CHECKPOINT (self), FALSE);
  g_return_val_if_fail (ns != NULL, FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (value != NULL)
    owned = g_variant_ref_sink (value);
  if (!check_namespace (ns, error))
    return FALSE;

  /* Serialised outside the lock: it may be large. */
  if (owned != NULL && self->store_values)
    normal = g_variant_get_normal_form (owned);

  locker = g_mutex_locker_new (&self->lock);
  if (!check_open (self, error))
    return FALSE;

  s = stmt (self, STMT_RECORD);
  bind_text (s, 1, ns);
  bind_text (s, 2, key);
  if (normal != NULL)
    {
      /* A zero-size value (an empty array) has no data pointer; a NULL
       * pointer would bind SQL NULL, so bind an empty blob instead. */
      const void *data = g_variant_get_data (normal);

      sqlite3_bind_blob64 (s, 3, data != NULL ? data : "", g_variant_get_size (normal),
                           SQLITE_STATIC);
      bind_text (s, 4, g_variant_get_type_string (normal));
    }
  bind_text (s, 5, name);
  sqlite3_bind_double (s, 6, g_get_real_time () / (gdouble) G_USEC_PER_SEC);

  return step_done (self, s, error);
}

/* Decodes the value columns of a lookup row. Returns FALSE (and logs) for
 * a corrupt row; *value is NULL for a row without a value. */
static gboolean
decode_row (OsiisoCheckpoint  *self,
            sqlite3_stmt      *s,
            const char        *ns,
            const char        *key,
            GVariant         **value)
{
  const char *type = (const char *) sqlite3_column_text (s, 1);
  const char *name = (const char *) sqlite3_column_text (s, 3);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GVariant) v = NULL;
  const char *why = NULL;

  *value = NULL;

  if (name != NULL && !g_utf8_validate (name, -1, NULL))
    why = "its name is not valid UTF-8";
  else if (type == NULL)
    return TRUE;    /* a completion without a value */
  else if (!g_variant_type_string_is_valid (type)
           || !g_variant_type_is_definite (G_VARIANT_TYPE (type)))
    why = "its type string is not a definite GVariant type";
  else if (sqlite3_column_type (s, 2) != SQLITE_BLOB)
    why = "its value is not a blob";
  else
    {
      /* Copied into memory of our own, which also gives the alignment
       * GVariant needs. */
      bytes = g_bytes_new (sqlite3_column_blob (s, 2), sqlite3_column_bytes (s, 2));
      v = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (type), bytes, FALSE));
      /* Not the normal form of that type (wrong size, bad offsets, a
       * string without its terminator…): GVariant would read it as some
       * default value, never as what was recorded. */
      if (g_variant_get_size (v) != g_bytes_get_size (bytes) || !g_variant_is_normal_form (v))
        why = "its value is not a valid normal-form GVariant of its type";
    }

  if (why != NULL)
    {
      g_debug ("checkpoint “%s”: skipping the corrupt row of key “%s” in namespace “%s”: %s",
               self->path, key, ns, why);
      return FALSE;
    }
  *value = g_steal_pointer (&v);
  return TRUE;
}

/**
 * osiiso_checkpoint_lookup:
 * @self: a #OsiisoCheckpoint
 * @ns: the namespace, not empty
 * @keys: (array zero-terminated=1) (nullable): the keys to look up;
 *   %NULL is the same as none
 * @error: return location for a #GError, or %NULL
 *
 * Looks up many keys at once (in statements of at most 500 keys each)
 * and returns the completions found. Each key found maps to a hit, with
 * osiiso_checkpoint_hit_has_value() telling whether a value was stored;
 * a key that is not found is not in the table at all. Rows that cannot
 * be decoded (an unknown type string, bytes that are not a valid
 * normal-form value of the type; written by something else, or damaged)
 * are left out, so their inputs run again; each is logged with g_debug().
 *
 * Returns: (transfer container) (element-type utf8 OsiisoCheckpointHit): a
 *   table from each key found to its #OsiisoCheckpointHit, or %NULL with
 *   @error set
 */
GHashTable *
osiiso_checkpoint_lookup (OsiisoCheckpoint    *self,
                          const char          *ns,
                          const char * const  *keys,
                          GError             **error)
{
  g_autoptr(GHashTable) hits = NULL;
  g_autoptr(GMutexLocker) locker = NULL;
  guint n_keys = keys != NULL ? g_strv_length ((char **) keys) : 0;

  g_return_val_if_fail (OSIISO_IS_CHECKPOINT (self), NULL);
  g_return_val_if_fail (ns != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_namespace (ns, error))
    return NULL;

  locker = g_mutex_locker_new (&self->lock);
  if (!check_open (self, error))
    return NULL;

  hits = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                g_object_unref);

  for (guint start = 0; start < n_keys; start += LOOKUP_CHUNK)
    {
      /* Unbound parameters are NULL, which matches no key. */
      sqlite3_stmt *s = stmt (self, STMT_LOOKUP);
      guint n = MIN (LOOKUP_CHUNK, n_keys - start);
      int rc;

      bind_text (s, 1, ns);
      for (guint i = 0; i < n; i++)
        bind_text (s, (int) i + 2, keys[start + i]);

      while ((rc = sqlite3_step (s)) == SQLITE_ROW)
        {
          const char *key = (const char *) sqlite3_column_text (s, 0);
          GVariant *value = NULL;
          gint64 recorded_at;

          if (key == NULL || !decode_row (self, s, ns, key, &value))
            continue;
          recorded_at = (gint64) (sqlite3_column_double (s, 4) * G_USEC_PER_SEC + 0.5);
          g_hash_table_replace (hits, g_strdup (key),
                                hit_new (value, (const char *) sqlite3_column_text (s, 3),
                                         recorded_at));
        }
      if (rc != SQLITE_DONE)
        {
          set_sqlite_error (self, error);
          finish (s);
          return NULL;
        }
      finish (s);
    }

  return g_steal_pointer (&hits);
}

/**
 * osiiso_checkpoint_is_done:
 * @self: a #OsiisoCheckpoint
 * @ns: the namespace, not empty
 * @key: the input's key
 * @error: return location for a #GError, or %NULL
 *
 * Whether a completion of @key is recorded in @ns. This only checks that
 * the row exists; it does not decode the value, so a corrupt row counts
 * here although osiiso_checkpoint_lookup() leaves it out.
 *
 * Returns: %TRUE if recorded; %FALSE if not, or with @error set
 */
gboolean
osiiso_checkpoint_is_done (OsiisoCheckpoint  *self,
                           const char        *ns,
                           const char        *key,
                           GError           **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  sqlite3_stmt *s;
  int rc;

  g_return_val_if_fail (OSIISO_IS_CHECKPOINT (self), FALSE);
  g_return_val_if_fail (ns != NULL, FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_namespace (ns, error))
    return FALSE;

  locker = g_mutex_locker_new (&self->lock);
  if (!check_open (self, error))
    return FALSE;

  s = stmt (self, STMT_IS_DONE);
  bind_text (s, 1, ns);
  bind_text (s, 2, key);
  rc = sqlite3_step (s);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    set_sqlite_error (self, error);
  finish (s);
  return rc == SQLITE_ROW;
}

/**
 * osiiso_checkpoint_count:
 * @self: a #OsiisoCheckpoint
 * @ns: (nullable): a namespace, or %NULL for all of them
 * @error: return location for a #GError, or %NULL
 *
 * Counts the recorded completions of @ns, or of every namespace.
 *
 * Returns: the number of rows, or -1 with @error set
 */
gint64
osiiso_checkpoint_count (OsiisoCheckpoint  *self,
                         const char        *ns,
                         GError           **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  sqlite3_stmt *s;

  g_return_val_if_fail (OSIISO_IS_CHECKPOINT (self), -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);

  if (ns != NULL && !check_namespace (ns, error))
    return -1;

  locker = g_mutex_locker_new (&self->lock);
  if (!check_open (self, error))
    return -1;

  s = stmt (self, ns != NULL ? STMT_COUNT_NS : STMT_COUNT_ALL);
  bind_text (s, 1, ns);
  return step_int64 (self, s, error);
}

/**
 * osiiso_checkpoint_namespaces:
 * @self: a #OsiisoCheckpoint
 * @error: return location for a #GError, or %NULL
 *
 * Lists the namespaces that have at least one completion, sorted bytewise
 * (strcmp() order, which is code point order for UTF-8).
 *
 * Returns: (transfer full) (array zero-terminated=1): the namespaces
 *   (possibly none), or %NULL with @error set
 */
char **
osiiso_checkpoint_namespaces (OsiisoCheckpoint  *self,
                              GError           **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(GStrvBuilder) builder = NULL;
  sqlite3_stmt *s;
  int rc;

  g_return_val_if_fail (OSIISO_IS_CHECKPOINT (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  locker = g_mutex_locker_new (&self->lock);
  if (!check_open (self, error))
    return NULL;

  builder = g_strv_builder_new ();
  s = stmt (self, STMT_NAMESPACES);
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    {
      const char *ns = (const char *) sqlite3_column_text (s, 0);

      if (ns != NULL && g_utf8_validate (ns, -1, NULL))
        g_strv_builder_add (builder, ns);
    }
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (self, error);
      finish (s);
      return NULL;
    }
  finish (s);
  return g_strv_builder_end (builder);
}

/**
 * osiiso_checkpoint_clear:
 * @self: a #OsiisoCheckpoint
 * @ns: (nullable): a namespace, or %NULL for all of them
 * @error: return location for a #GError, or %NULL
 *
 * Forgets the completions of @ns, or every completion, so that their
 * inputs run again.
 *
 * Returns: the number of rows removed, or -1 with @error set
 */
gint64
osiiso_checkpoint_clear (OsiisoCheckpoint  *self,
                         const char        *ns,
                         GError           **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  sqlite3_stmt *s;

  g_return_val_if_fail (OSIISO_IS_CHECKPOINT (self), -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);

  if (ns != NULL && !check_namespace (ns, error))
    return -1;

  locker = g_mutex_locker_new (&self->lock);
  if (!check_open (self, error))
    return -1;

  s = stmt (self, ns != NULL ? STMT_CLEAR_NS : STMT_CLEAR_ALL);
  bind_text (s, 1, ns);
  if (!step_done (self, s, error))
    return -1;
  return sqlite3_changes64 (self->db);
}

/**
 * osiiso_checkpoint_close:
 * @self: a #OsiisoCheckpoint
 * @error: return location for a #GError, or %NULL
 *
 * Closes the database. Closing again does nothing. Afterwards every
 * method fails with %OSIISO_ERROR_CLOSED. The last reference closes the
 * database too, so calling this is only needed to close it at a known
 * time (for example before another program opens the file) while
 * references remain: close a queue that records into the checkpoint
 * before the checkpoint.
 *
 * Returns: %TRUE (the error is reserved for failures of future storage
 *   back ends)
 */
gboolean
osiiso_checkpoint_close (OsiisoCheckpoint  *self,
                         GError           **error)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (OSIISO_IS_CHECKPOINT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  locker = g_mutex_locker_new (&self->lock);
  self->closed = TRUE;
  close_db (self);
  return TRUE;
}

/* ------------------------------------------------------------------------
 * Canonical keys
 * ------------------------------------------------------------------------ */

typedef struct
{
  GVariant *entry;
  char     *key_text;
  char     *value_text;
} DictEntry;

static int
compare_dict_entries (const void *a,
                      const void *b)
{
  const DictEntry *x = a, *y = b;
  int c = strcmp (x->key_text, y->key_text);

  return c != 0 ? c : strcmp (x->value_text, y->value_text);
}

/* Sorts the entries of an array of dictionary entries (already
 * canonical) by the text of their keys, then of their values. */
static void
sort_dict_entries (GVariant **children,
                   gsize      n)
{
  g_autofree DictEntry *entries = g_new (DictEntry, n);

  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) k = g_variant_get_child_value (children[i], 0);
      g_autoptr(GVariant) v = g_variant_get_child_value (children[i], 1);

      entries[i].entry = children[i];
      entries[i].key_text = g_variant_print (k, TRUE);
      entries[i].value_text = g_variant_print (v, TRUE);
    }
  qsort (entries, n, sizeof (DictEntry), compare_dict_entries);
  for (gsize i = 0; i < n; i++)
    {
      children[i] = entries[i].entry;
      g_free (entries[i].key_text);
      g_free (entries[i].value_text);
    }
}

/* Returns a full reference to @value with the entries of every
 * dictionary in it sorted. Only values whose type contains a dictionary
 * or a variant (which may hold one) are rebuilt. */
static GVariant *
canonicalize (GVariant *value)
{
  const GVariantType *type = g_variant_get_type (value);
  GVariant **children;
  GVariant *result;
  gsize n;

  if (strpbrk (g_variant_get_type_string (value), "{v") == NULL)
    return g_variant_ref (value);

  if (g_variant_type_is_variant (type))
    {
      g_autoptr(GVariant) inner = g_variant_get_variant (value);
      g_autoptr(GVariant) canonical = canonicalize (inner);

      return g_variant_ref_sink (g_variant_new_variant (canonical));
    }

  n = g_variant_n_children (value);
  children = g_new (GVariant *, MAX (n, 1));
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) child = g_variant_get_child_value (value, i);

      children[i] = canonicalize (child);
    }

  if (g_variant_type_is_array (type))
    {
      if (g_variant_type_is_dict_entry (g_variant_type_element (type)))
        sort_dict_entries (children, n);
      result = g_variant_new_array (g_variant_type_element (type), children, n);
    }
  else if (g_variant_type_is_maybe (type))
    result = g_variant_new_maybe (g_variant_type_element (type), n > 0 ? children[0] : NULL);
  else if (g_variant_type_is_dict_entry (type))
    result = g_variant_new_dict_entry (children[0], children[1]);
  else
    result = g_variant_new_tuple (children, n);

  result = g_variant_ref_sink (result);
  for (gsize i = 0; i < n; i++)
    g_variant_unref (children[i]);
  g_free (children);
  return result;
}

/**
 * osiiso_checkpoint_canonical_key:
 * @input: a #GVariant input; a floating reference is consumed
 *
 * Computes the default checkpoint key of an input: its type string, a
 * space, and its value in the #GVariant text format as g_variant_print()
 * writes it with type annotations, after the entries of every dictionary
 * are sorted. For example `i 5`, `x int64 5`, `s 'photo.jpg'`,
 * `ai [1, 2]`, `(ii) (1, 2)` and `av [<1>, <2>]`.
 *
 * So equal values give equal keys however they were built (dictionaries
 * whose entries differ only in order count as equal), and values that a
 * task would see differently give different keys: a list and a tuple of
 * the same items, or 5 as an `int32` and as an `int64`, are different
 * keys. When the text would be longer than 256 bytes, the key is the type
 * string, a space, `sha256:` and the hexadecimal SHA-256 digest of the
 * text instead, so keys stay short.
 *
 * Returns: (transfer full): the key
 */
char *
osiiso_checkpoint_canonical_key (GVariant *input)
{
  g_autoptr(GVariant) owned = NULL;
  g_autoptr(GVariant) canonical = NULL;
  g_autofree char *text = NULL;
  const char *type;

  g_return_val_if_fail (input != NULL, NULL);

  owned = g_variant_ref_sink (input);
  canonical = canonicalize (owned);
  type = g_variant_get_type_string (canonical);
  text = g_variant_print (canonical, TRUE);

  if (strlen (text) > KEY_TEXT_MAX)
    {
      g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1);

      return g_strdup_printf ("%s sha256:%s", type, digest);
    }
  return g_strdup_printf ("%s %s", type, text);
}
