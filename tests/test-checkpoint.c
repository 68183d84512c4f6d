/* test-checkpoint.c: OsiisoCheckpoint, the SQLite completion store
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "test-util.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

/* A private directory for database files, removed with its contents. */
typedef struct
{
  char *dir;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("osiiso-checkpoint-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GDir) dir = g_dir_open (f->dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (f->dir, name, NULL);

      g_assert_no_errno (g_remove (path));
    }
  g_assert_no_errno (g_rmdir (f->dir));
  g_free (f->dir);
}

static char *
db_path (Fixture    *f,
         const char *name)
{
  return g_build_filename (f->dir, name, NULL);
}

static OsiisoCheckpoint *
open_ok (const char *path)
{
  g_autoptr(GError) error = NULL;
  OsiisoCheckpoint *checkpoint = osiiso_checkpoint_new (path, &error);

  g_assert_no_error (error);
  g_assert_true (OSIISO_IS_CHECKPOINT (checkpoint));
  return checkpoint;
}

static void
record_ok (OsiisoCheckpoint *checkpoint,
           const char       *ns,
           const char       *key,
           GVariant         *value,
           const char       *name)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (osiiso_checkpoint_record (checkpoint, ns, key, value, name, &error));
  g_assert_no_error (error);
}

static GHashTable *
lookup_ok (OsiisoCheckpoint   *checkpoint,
           const char         *ns,
           const char * const *keys)
{
  g_autoptr(GError) error = NULL;
  GHashTable *hits = osiiso_checkpoint_lookup (checkpoint, ns, keys, &error);

  g_assert_no_error (error);
  g_assert_nonnull (hits);
  return hits;
}

static gint64
count_ok (OsiisoCheckpoint *checkpoint,
          const char       *ns)
{
  g_autoptr(GError) error = NULL;
  gint64 n = osiiso_checkpoint_count (checkpoint, ns, &error);

  g_assert_no_error (error);
  return n;
}

static gboolean
is_done_ok (OsiisoCheckpoint *checkpoint,
            const char       *ns,
            const char       *key)
{
  g_autoptr(GError) error = NULL;
  gboolean done = osiiso_checkpoint_is_done (checkpoint, ns, key, &error);

  g_assert_no_error (error);
  return done;
}

/* Runs SQL on the file through a separate SQLite connection. */
static void
sql_exec (const char *path,
          const char *sql)
{
  sqlite3 *db = NULL;
  char *message = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
                   ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 10000);
  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
}

/* The first column of the first row of a query, as text. */
static char *
sql_text (const char *path,
          const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *s = NULL;
  char *result;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 10000);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &s, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (s), ==, SQLITE_ROW);
  result = g_strdup ((const char *) sqlite3_column_text (s, 0));
  sqlite3_finalize (s);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
  return result;
}

/* Takes a floating @expected (g_assert_cmpvariant() would leak it). */
static void
assert_hit_value (OsiisoCheckpointHit *hit,
                  GVariant            *expected)
{
  g_autoptr(GVariant) owned = g_variant_ref_sink (expected);

  g_assert_true (OSIISO_IS_CHECKPOINT_HIT (hit));
  g_assert_nonnull (osiiso_checkpoint_hit_get_value (hit));
  g_assert_cmpvariant (osiiso_checkpoint_hit_get_value (hit), owned);
}

/* ------------------------------------------------------------------------ */

static void
test_basic (void)
{
  g_autoptr(OsiisoCheckpoint) checkpoint = open_ok (":memory:");
  g_autoptr(GHashTable) hits = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) namespaces = NULL;
  const char *keys[] = { "a", "b", "missing", "a", NULL };
  OsiisoCheckpointHit *hit;
  gint64 before = g_get_real_time ();

  g_assert_cmpint (count_ok (checkpoint, NULL), ==, 0);
  namespaces = osiiso_checkpoint_namespaces (checkpoint, &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (namespaces, ((const char *[]) { NULL }));
  g_clear_pointer (&namespaces, g_strfreev);
  g_assert_false (is_done_ok (checkpoint, "job", "a"));

  record_ok (checkpoint, "job", "a", g_variant_new_int32 (1), "task-a");
  record_ok (checkpoint, "job", "b", NULL, NULL);
  record_ok (checkpoint, "other", "a", g_variant_new_string ("x"), NULL);
  record_ok (checkpoint, "Job", "z", NULL, NULL);

  g_assert_true (is_done_ok (checkpoint, "job", "a"));
  g_assert_true (is_done_ok (checkpoint, "job", "b"));
  g_assert_false (is_done_ok (checkpoint, "job", "missing"));
  g_assert_false (is_done_ok (checkpoint, "nothing", "a"));

  g_assert_cmpint (count_ok (checkpoint, NULL), ==, 4);
  g_assert_cmpint (count_ok (checkpoint, "job"), ==, 2);
  g_assert_cmpint (count_ok (checkpoint, "nothing"), ==, 0);

  namespaces = osiiso_checkpoint_namespaces (checkpoint, &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (namespaces, ((const char *[]) { "Job", "job", "other", NULL }));

  /* Found with a value, found without one, not found. */
  hits = lookup_ok (checkpoint, "job", keys);
  g_assert_cmpuint (g_hash_table_size (hits), ==, 2);
  hit = g_hash_table_lookup (hits, "a");
  g_assert_true (OSIISO_IS_CHECKPOINT_HIT (hit));
  g_assert_true (osiiso_checkpoint_hit_has_value (hit));
  assert_hit_value (hit, g_variant_new_int32 (1));
  g_assert_cmpstr (osiiso_checkpoint_hit_get_name (hit), ==, "task-a");
  g_assert_cmpint (osiiso_checkpoint_hit_get_recorded_at (hit), >=, before - G_USEC_PER_SEC);
  g_assert_cmpint (osiiso_checkpoint_hit_get_recorded_at (hit), <=, g_get_real_time () + G_USEC_PER_SEC);
  hit = g_hash_table_lookup (hits, "b");
  g_assert_true (OSIISO_IS_CHECKPOINT_HIT (hit));
  g_assert_false (osiiso_checkpoint_hit_has_value (hit));
  g_assert_null (osiiso_checkpoint_hit_get_value (hit));
  g_assert_null (osiiso_checkpoint_hit_get_name (hit));
  g_assert_false (g_hash_table_contains (hits, "missing"));
  g_clear_pointer (&hits, g_hash_table_unref);

  /* Namespaces are separate; an empty key list (or NULL) finds nothing. */
  hits = lookup_ok (checkpoint, "other", keys);
  g_assert_cmpuint (g_hash_table_size (hits), ==, 1);
  assert_hit_value (g_hash_table_lookup (hits, "a"),
                    g_variant_new_string ("x"));
  g_clear_pointer (&hits, g_hash_table_unref);
  hits = lookup_ok (checkpoint, "job", (const char *[]) { NULL });
  g_assert_cmpuint (g_hash_table_size (hits), ==, 0);
  g_clear_pointer (&hits, g_hash_table_unref);
  hits = lookup_ok (checkpoint, "job", NULL);
  g_assert_cmpuint (g_hash_table_size (hits), ==, 0);
  g_clear_pointer (&hits, g_hash_table_unref);

  /* Recording again replaces: the last value wins, one row. */
  record_ok (checkpoint, "job", "a", g_variant_new_int64 (2), NULL);
  record_ok (checkpoint, "job", "b", g_variant_new_boolean (TRUE), "task-b");
  g_assert_cmpint (count_ok (checkpoint, "job"), ==, 2);
  hits = lookup_ok (checkpoint, "job", keys);
  assert_hit_value (g_hash_table_lookup (hits, "a"),
                    g_variant_new_int64 (2));
  g_assert_null (osiiso_checkpoint_hit_get_name (g_hash_table_lookup (hits, "a")));
  assert_hit_value (g_hash_table_lookup (hits, "b"),
                    g_variant_new_boolean (TRUE));
  g_clear_pointer (&hits, g_hash_table_unref);

  /* clear() counts the rows it removed. */
  g_assert_cmpint (osiiso_checkpoint_clear (checkpoint, "nothing", &error), ==, 0);
  g_assert_no_error (error);
  g_assert_cmpint (osiiso_checkpoint_clear (checkpoint, "job", &error), ==, 2);
  g_assert_no_error (error);
  g_assert_false (is_done_ok (checkpoint, "job", "a"));
  g_assert_cmpint (count_ok (checkpoint, NULL), ==, 2);
  g_assert_cmpint (osiiso_checkpoint_clear (checkpoint, NULL, &error), ==, 2);
  g_assert_no_error (error);
  g_assert_cmpint (count_ok (checkpoint, NULL), ==, 0);
  g_clear_pointer (&namespaces, g_strfreev);
  namespaces = osiiso_checkpoint_namespaces (checkpoint, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (namespaces), ==, 0);
}

static void
test_properties (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *path = db_path (f, "props.db");
  g_autoptr(OsiisoCheckpoint) checkpoint = open_ok (path);
  g_autoptr(OsiisoCheckpoint) plain = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *prop_path = NULL;
  gboolean store_values = FALSE;
  GParamSpec **pspecs;
  guint n = 0;

  g_assert_cmpstr (osiiso_checkpoint_get_path (checkpoint), ==, path);
  g_assert_true (osiiso_checkpoint_get_store_values (checkpoint));
  g_assert_false (osiiso_checkpoint_is_closed (checkpoint));
  g_object_get (checkpoint, "path", &prop_path, "store-values", &store_values, NULL);
  g_assert_cmpstr (prop_path, ==, path);
  g_assert_true (store_values);
  g_assert_true (G_IS_INITABLE (checkpoint));

  pspecs = g_object_class_list_properties (G_OBJECT_GET_CLASS (checkpoint), &n);
  g_assert_cmpuint (n, ==, 2);
  for (guint i = 0; i < n; i++)
    g_assert_true (pspecs[i]->flags & G_PARAM_CONSTRUCT_ONLY);
  g_free (pspecs);

  /* Initializing again is harmless. */
  g_assert_true (g_initable_init (G_INITABLE (checkpoint), NULL, &error));
  g_assert_no_error (error);

  /* Built from properties without g_initable_init(): opened at first use;
   * the default path is an in-memory database. */
  plain = g_object_new (OSIISO_TYPE_CHECKPOINT, NULL);
  g_assert_cmpstr (osiiso_checkpoint_get_path (plain), ==, ":memory:");
  record_ok (plain, "ns", "k", g_variant_new_int32 (7), NULL);
  g_assert_cmpint (count_ok (plain, "ns"), ==, 1);
}

static void
assert_closed_error (GError *error)
{
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_CLOSED);
  g_assert_nonnull (strstr (error->message, "closed"));
}

static void
test_closed (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *path = db_path (f, "closed.db");
  g_autoptr(OsiisoCheckpoint) checkpoint = open_ok (path);
  g_autoptr(GError) error = NULL;
  const char *keys[] = { "k", NULL };

  record_ok (checkpoint, "ns", "k", g_variant_new_int32 (1), NULL);
  g_assert_true (osiiso_checkpoint_close (checkpoint, &error));
  g_assert_no_error (error);
  g_assert_true (osiiso_checkpoint_is_closed (checkpoint));
  /* Idempotent. */
  g_assert_true (osiiso_checkpoint_close (checkpoint, &error));
  g_assert_no_error (error);

  /* A floating value given to a closed checkpoint is still consumed
   * (the sanitizer and valgrind runs would report a leak). */
  g_assert_false (osiiso_checkpoint_record (checkpoint, "ns", "k", g_variant_new_string ("v"),
                                            NULL, &error));
  assert_closed_error (error);
  g_clear_error (&error);
  g_assert_null (osiiso_checkpoint_lookup (checkpoint, "ns", keys, &error));
  assert_closed_error (error);
  g_clear_error (&error);
  g_assert_false (osiiso_checkpoint_is_done (checkpoint, "ns", "k", &error));
  assert_closed_error (error);
  g_clear_error (&error);
  g_assert_cmpint (osiiso_checkpoint_count (checkpoint, NULL, &error), ==, -1);
  assert_closed_error (error);
  g_clear_error (&error);
  g_assert_cmpint (osiiso_checkpoint_count (checkpoint, "ns", &error), ==, -1);
  assert_closed_error (error);
  g_clear_error (&error);
  g_assert_null (osiiso_checkpoint_namespaces (checkpoint, &error));
  assert_closed_error (error);
  g_clear_error (&error);
  g_assert_cmpint (osiiso_checkpoint_clear (checkpoint, NULL, &error), ==, -1);
  assert_closed_error (error);
  g_clear_error (&error);
  g_assert_true (g_initable_init (G_INITABLE (checkpoint), NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (osiiso_checkpoint_count (checkpoint, NULL, &error), ==, -1);
  assert_closed_error (error);
  g_clear_error (&error);

  /* Closing released the file: the WAL was checkpointed into it and
   * another connection sees the row. */
  {
    g_autofree char *wal = g_strconcat (path, "-wal", NULL);
    g_autofree char *n = NULL;

    g_assert_false (g_file_test (wal, G_FILE_TEST_EXISTS));
    n = sql_text (path, "SELECT count(*) FROM completions");
    g_assert_cmpstr (n, ==, "1");
  }
}

static void
test_empty_namespace (void)
{
  g_autoptr(OsiisoCheckpoint) checkpoint = open_ok (":memory:");
  g_autoptr(GError) error = NULL;
  const char *keys[] = { "k", NULL };

  g_assert_false (osiiso_checkpoint_record (checkpoint, "", "k", g_variant_new_int32 (1), NULL, &error));
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION);
  g_assert_nonnull (strstr (error->message, "namespace"));
  g_clear_error (&error);
  g_assert_null (osiiso_checkpoint_lookup (checkpoint, "", keys, &error));
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION);
  g_clear_error (&error);
  g_assert_false (osiiso_checkpoint_is_done (checkpoint, "", "k", &error));
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION);
  g_clear_error (&error);
  g_assert_cmpint (osiiso_checkpoint_count (checkpoint, "", &error), ==, -1);
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION);
  g_clear_error (&error);
  g_assert_cmpint (osiiso_checkpoint_clear (checkpoint, "", &error), ==, -1);
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION);
  g_clear_error (&error);
  g_assert_cmpint (count_ok (checkpoint, NULL), ==, 0);

  /* An empty key is an ordinary key. */
  record_ok (checkpoint, "ns", "", NULL, NULL);
  g_assert_true (is_done_ok (checkpoint, "ns", ""));
}

static void
test_null_namespace (void)
{
  /* A NULL namespace is a programmer error: a critical. */
  if (g_test_subprocess ())
    {
      g_autoptr(OsiisoCheckpoint) checkpoint = open_ok (":memory:");

      osiiso_checkpoint_is_done (checkpoint, NULL, "k", NULL);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*CRITICAL*ns != NULL*");
}

static void
test_wal (Fixture       *f,
          gconstpointer  data)
{
  g_autofree char *path = db_path (f, "wal.db");
  g_autoptr(OsiisoCheckpoint) checkpoint = open_ok (path);
  g_autofree char *mode = NULL;
  g_autofree char *type = NULL;
  g_autofree char *hex = NULL;
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);

  record_ok (checkpoint, "ns", "k", g_variant_new ("(ii)", 1, 2), "n");

  /* The mode is a property of the file, so a second connection sees it;
   * while our connection is open the write-ahead log exists. */
  mode = sql_text (path, "PRAGMA journal_mode");
  g_assert_cmpstr (mode, ==, "wal");
  g_assert_true (g_file_test (wal, G_FILE_TEST_EXISTS));

  /* The row holds the type string and the normal-form bytes. */
  type = sql_text (path, "SELECT type FROM completions WHERE namespace = 'ns' AND key = 'k'");
  g_assert_cmpstr (type, ==, "(ii)");
  hex = sql_text (path, "SELECT hex(value) FROM completions WHERE key = 'k'");
  g_assert_cmpstr (hex, ==, G_BYTE_ORDER == G_LITTLE_ENDIAN ? "0100000002000000" : "0000000100000002");
}

/* Values of many types survive a round trip with their exact type. */
static void
test_types (Fixture       *f,
            gconstpointer  data)
{
  static const char * const texts[] = {
    "int32 5", "int64 5", "uint32 5", "uint64 5", "int16 -5", "uint16 5", "byte 0x05",
    "true", "false", "0.1", "-0.0", "1e300", "-2.5e-300",
    "''", "'héllo wörld ✓'", "objectpath '/org/example/Obj'", "signature 'a{sv}'",
    "handle 3",
    "b'bytes'", "@ay []", "[byte 0x00, 0x01, 0xff, 0x00]",
    "()", "(1,)", "(1, 'two', 3.0)", "((1, (int64 2, ('three', [true]))), @ai [])",
    "@as []", "['a', 'b']", "[[1, 2], [3]]", "@av []", "[<1>, <'x'>, <(1, 2)>]",
    "{'a': <1>, 'b': <int64 2>, 'c': <['x']>}", "@a{sv} {}", "{1: 'one', 2: 'two'}",
    "@a{s(ix)} {'k': (1, 2)}",
    "@mi nothing", "@mi 5", "@ms nothing", "@ms 'x'", "@mmi just nothing", "@m(ii) (1, 2)",
    "<<int64 5>>", "<@mv nothing>", "[@mi 1, nothing, 3]",
  };
  g_autofree char *path = db_path (f, "types.db");
  g_autoptr(OsiisoCheckpoint) checkpoint = open_ok (path);
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  g_autoptr(GHashTable) hits = NULL;
  g_autoptr(GVariantBuilder) strings = g_variant_builder_new (G_VARIANT_TYPE ("as"));
  g_autofree guint8 *big = g_malloc (4 * 1024 * 1024);
  GVariant *nan;

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr(GError) error = NULL;
      GVariant *value = g_variant_parse (NULL, texts[i], NULL, NULL, &error);   /* not floating */

      g_assert_no_error (error);
      g_ptr_array_add (values, value);
    }

  /* Big values: 4 MiB of bytes, 100,000 strings. */
  for (gsize i = 0; i < 4 * 1024 * 1024; i++)
    big[i] = (guint8) (i * 7 + 3);
  g_ptr_array_add (values, g_variant_ref_sink (
    g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, big, 4 * 1024 * 1024, 1)));
  for (guint i = 0; i < 100000; i++)
    g_variant_builder_add (strings, "s", i % 2 ? "odd" : "an even string");
  g_ptr_array_add (values, g_variant_ref_sink (g_variant_builder_end (strings)));
  /* Extreme doubles; NaN keeps its bits. */
  g_ptr_array_add (values, g_variant_ref_sink (g_variant_new_double (G_MAXDOUBLE)));
  g_ptr_array_add (values, g_variant_ref_sink (g_variant_new_double (-G_MINDOUBLE / 4)));
  nan = g_variant_new_double (strtod ("nan", NULL));
  g_ptr_array_add (values, g_variant_ref_sink (nan));

  for (guint i = 0; i < values->len; i++)
    {
      g_ptr_array_add (keys, g_strdup_printf ("key-%u", i));
      /* Stored through a non-floating reference; the caller's ref stays. */
      record_ok (checkpoint, "types", keys->pdata[i], values->pdata[i], NULL);
    }
  g_ptr_array_add (keys, NULL);

  /* Read back through a new connection, so nothing is cached. */
  g_assert_true (osiiso_checkpoint_close (checkpoint, NULL));
  g_clear_object (&checkpoint);
  checkpoint = open_ok (path);

  hits = lookup_ok (checkpoint, "types", (const char * const *) keys->pdata);
  g_assert_cmpuint (g_hash_table_size (hits), ==, values->len);
  for (guint i = 0; i < values->len; i++)
    {
      OsiisoCheckpointHit *hit = g_hash_table_lookup (hits, keys->pdata[i]);
      GVariant *expected = values->pdata[i];
      GVariant *got;

      g_assert_true (OSIISO_IS_CHECKPOINT_HIT (hit));
      got = osiiso_checkpoint_hit_get_value (hit);
      g_assert_nonnull (got);
      g_assert_false (g_variant_is_floating (got));
      g_assert_cmpstr (g_variant_get_type_string (got), ==, g_variant_get_type_string (expected));
      g_assert_true (g_variant_equal (got, expected));
      g_assert_true (g_variant_is_normal_form (got));
    }
}

static void
test_canonical_key (void)
{
  g_autoptr(GVariant) kept = g_variant_ref_sink (g_variant_new_int32 (5));
  g_autoptr(GVariant) long_a = NULL;
  g_autoptr(GVariant) long_b = NULL;
  g_autofree char *key = NULL;
  g_autofree char *other = NULL;
  g_autofree char *list = NULL;
  g_autofree char *ilist = NULL;
  g_autofree char *tuple = NULL;
  g_autofree char *dict1 = NULL;
  g_autofree char *dict2 = NULL;
  g_autofree char *dict3 = NULL;
  g_autofree char *long_key = NULL;
  g_autofree char *long_key2 = NULL;
  g_autofree char *long_key3 = NULL;
  GVariantBuilder builder;

  /* The format: type string, space, annotated text. */
  key = osiiso_checkpoint_canonical_key (kept);
  g_assert_cmpstr (key, ==, "i 5");
  g_assert_false (g_variant_is_floating (kept));   /* not consumed */
  g_assert_cmpint (g_variant_get_int32 (kept), ==, 5);
  g_clear_pointer (&key, g_free);

  /* Floating references are consumed (a leak would show in ASan/valgrind). */
  key = osiiso_checkpoint_canonical_key (g_variant_new_int64 (5));
  g_assert_cmpstr (key, ==, "x int64 5");
  g_clear_pointer (&key, g_free);
  key = osiiso_checkpoint_canonical_key (g_variant_new_string ("photo.jpg"));
  g_assert_cmpstr (key, ==, "s 'photo.jpg'");
  g_clear_pointer (&key, g_free);

  /* A list and a tuple of the same items differ, and so do a list of
   * variants and a list of ints. */
  list = osiiso_checkpoint_canonical_key (g_variant_new_parsed ("[<1>, <2>]"));
  ilist = osiiso_checkpoint_canonical_key (g_variant_new_parsed ("[1, 2]"));
  tuple = osiiso_checkpoint_canonical_key (g_variant_new_parsed ("(1, 2)"));
  g_assert_cmpstr (list, ==, "av [<1>, <2>]");
  g_assert_cmpstr (ilist, ==, "ai [1, 2]");
  g_assert_cmpstr (tuple, ==, "(ii) (1, 2)");
  g_assert_cmpstr (list, !=, tuple);
  g_assert_cmpstr (ilist, !=, tuple);

  /* int32 and uint32 5 differ; so do 'x' as a string and as an object
   * path, and a variant holding int32 or int64. */
  key = osiiso_checkpoint_canonical_key (g_variant_new_uint32 (5));
  g_assert_cmpstr (key, !=, "i 5");
  g_clear_pointer (&key, g_free);
  key = osiiso_checkpoint_canonical_key (g_variant_new_variant (g_variant_new_int32 (5)));
  other = osiiso_checkpoint_canonical_key (g_variant_new_variant (g_variant_new_int64 (5)));
  g_assert_cmpstr (key, !=, other);
  g_clear_pointer (&key, g_free);
  g_clear_pointer (&other, g_free);

  /* The same value built twice, two ways, gives the same key. */
  key = osiiso_checkpoint_canonical_key (g_variant_new ("(sai)", "a", NULL));
  other = osiiso_checkpoint_canonical_key (g_variant_new_parsed ("('a', @ai [])"));
  g_assert_cmpstr (key, ==, other);
  g_clear_pointer (&key, g_free);
  g_clear_pointer (&other, g_free);

  /* Dictionaries are equal whatever the order of their entries, also
   * nested inside variants and tuples; different contents differ. */
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&builder, "{sv}", "b", g_variant_new_int32 (2));
  g_variant_builder_add (&builder, "{sv}", "a", g_variant_new_parsed ("{'y': 1, 'x': 2}"));
  dict1 = osiiso_checkpoint_canonical_key (g_variant_new ("(@a{sv}i)", g_variant_builder_end (&builder), 7));
  dict2 = osiiso_checkpoint_canonical_key (
    g_variant_new_parsed ("({'a': <{'x': 2, 'y': 1}>, 'b': <2>}, 7)"));
  dict3 = osiiso_checkpoint_canonical_key (
    g_variant_new_parsed ("({'a': <{'x': 2, 'y': 3}>, 'b': <2>}, 7)"));
  g_assert_cmpstr (dict1, ==, dict2);
  g_assert_cmpstr (dict1, ==, "(a{sv}i) ({'a': <{'x': 2, 'y': 1}>, 'b': <2>}, 7)");
  g_assert_cmpstr (dict1, !=, dict3);

  /* Long inputs get a fixed-length digest key, still distinguishing. */
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("ai"));
  for (gint i = 0; i < 1000; i++)
    g_variant_builder_add (&builder, "i", i);
  long_a = g_variant_ref_sink (g_variant_builder_end (&builder));
  long_key = osiiso_checkpoint_canonical_key (long_a);
  long_key2 = osiiso_checkpoint_canonical_key (long_a);
  g_assert_cmpstr (long_key, ==, long_key2);
  g_assert_true (g_str_has_prefix (long_key, "ai sha256:"));
  g_assert_cmpuint (strlen (long_key), ==, strlen ("ai sha256:") + 64);
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("ai"));
  for (gint i = 0; i < 999; i++)
    g_variant_builder_add (&builder, "i", i);
  g_variant_builder_add (&builder, "i", 1000);
  long_b = g_variant_ref_sink (g_variant_builder_end (&builder));
  long_key3 = osiiso_checkpoint_canonical_key (long_b);
  g_assert_cmpstr (long_key, !=, long_key3);
}

static void
test_store_values_off (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *path = db_path (f, "novalues.db");
  g_autoptr(OsiisoCheckpoint) checkpoint = NULL;
  g_autoptr(GHashTable) hits = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *stored = NULL;
  OsiisoCheckpointHit *hit;

  checkpoint = osiiso_checkpoint_new_full (path, FALSE, &error);
  g_assert_no_error (error);
  g_assert_false (osiiso_checkpoint_get_store_values (checkpoint));

  record_ok (checkpoint, "ns", "k", g_variant_new_string ("a large value"), "named");
  hits = lookup_ok (checkpoint, "ns", (const char *[]) { "k", "absent", NULL });
  g_assert_cmpuint (g_hash_table_size (hits), ==, 1);
  hit = g_hash_table_lookup (hits, "k");
  g_assert_nonnull (hit);
  g_assert_false (osiiso_checkpoint_hit_has_value (hit));
  g_assert_null (osiiso_checkpoint_hit_get_value (hit));
  g_assert_cmpstr (osiiso_checkpoint_hit_get_name (hit), ==, "named");

  stored = sql_text (path, "SELECT coalesce(type, 'none') || '/' || coalesce(value, 'none') FROM completions");
  g_assert_cmpstr (stored, ==, "none/none");
}

static void
test_batch_lookup (void)
{
  const guint n = 2000;
  g_autoptr(OsiisoCheckpoint) checkpoint = open_ok (":memory:");
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) hits = NULL;

  for (guint i = 0; i < n; i++)
    {
      g_ptr_array_add (keys, g_strdup_printf ("input-%u", i));
      if (i % 4 != 3)
        record_ok (checkpoint, "batch", keys->pdata[i], g_variant_new_uint32 (i), NULL);
    }
  /* A key twice, across chunks. */
  g_ptr_array_add (keys, g_strdup ("input-0"));
  g_ptr_array_add (keys, NULL);

  hits = lookup_ok (checkpoint, "batch", (const char * const *) keys->pdata);
  g_assert_cmpuint (g_hash_table_size (hits), ==, n / 4 * 3);
  for (guint i = 0; i < n; i++)
    {
      OsiisoCheckpointHit *hit = g_hash_table_lookup (hits, keys->pdata[i]);

      if (i % 4 == 3)
        {
          g_assert_null (hit);
          continue;
        }
      g_assert_nonnull (hit);
      g_assert_cmpuint (g_variant_get_uint32 (osiiso_checkpoint_hit_get_value (hit)), ==, i);
    }
}

typedef struct
{
  OsiisoCheckpoint *checkpoint;
  Gate             *gate;
  guint             index;
  guint             failures;
  guint             found;
} Writer;

#define N_WRITERS 4
#define N_RECORDS 500

static gpointer
writer_thread (gpointer data)
{
  Writer *w = data;
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) hits = NULL;

  gate_wait (w->gate);
  for (guint i = 0; i < N_RECORDS; i++)
    {
      g_autoptr(GError) error = NULL;
      char *key = g_strdup_printf ("w%u-%u", w->index, i);

      g_ptr_array_add (keys, key);
      if (!osiiso_checkpoint_record (w->checkpoint, "threads", key,
                                     g_variant_new ("(uu)", w->index, i), NULL, &error))
        w->failures++;
      /* Reads interleave with the other threads' writes. */
      if (i % 50 == 0 && osiiso_checkpoint_count (w->checkpoint, "threads", NULL) < 0)
        w->failures++;
    }
  g_ptr_array_add (keys, NULL);
  hits = osiiso_checkpoint_lookup (w->checkpoint, "threads", (const char * const *) keys->pdata, NULL);
  if (hits != NULL)
    w->found = g_hash_table_size (hits);
  return NULL;
}

static void
test_threads (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *path = db_path (f, "threads.db");
  g_autoptr(OsiisoCheckpoint) checkpoint = open_ok (path);
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) hits = NULL;
  Writer writers[N_WRITERS];
  GThread *threads[N_WRITERS];
  Gate gate;

  gate_init (&gate);
  for (guint t = 0; t < N_WRITERS; t++)
    {
      writers[t] = (Writer) { checkpoint, &gate, t, 0, 0 };
      threads[t] = g_thread_new ("writer", writer_thread, &writers[t]);
    }
  /* All four start writing at once. */
  gate_wait_for (&gate, N_WRITERS);
  gate_open (&gate);
  for (guint t = 0; t < N_WRITERS; t++)
    {
      g_thread_join (threads[t]);
      g_assert_cmpuint (writers[t].failures, ==, 0);
      g_assert_cmpuint (writers[t].found, ==, N_RECORDS);
    }
  gate_clear (&gate);

  g_assert_cmpint (count_ok (checkpoint, "threads"), ==, N_WRITERS * N_RECORDS);

  /* None lost, none mixed up: check every row, from a fresh connection. */
  g_assert_true (osiiso_checkpoint_close (checkpoint, NULL));
  g_clear_object (&checkpoint);
  checkpoint = open_ok (path);
  for (guint t = 0; t < N_WRITERS; t++)
    for (guint i = 0; i < N_RECORDS; i++)
      g_ptr_array_add (keys, g_strdup_printf ("w%u-%u", t, i));
  g_ptr_array_add (keys, NULL);
  hits = lookup_ok (checkpoint, "threads", (const char * const *) keys->pdata);
  g_assert_cmpuint (g_hash_table_size (hits), ==, N_WRITERS * N_RECORDS);
  for (guint t = 0; t < N_WRITERS; t++)
    for (guint i = 0; i < N_RECORDS; i++)
      {
        OsiisoCheckpointHit *hit = g_hash_table_lookup (hits, keys->pdata[t * N_RECORDS + i]);
        guint32 a, b;

        g_assert_nonnull (hit);
        g_variant_get (osiiso_checkpoint_hit_get_value (hit), "(uu)", &a, &b);
        g_assert_cmpuint (a, ==, t);
        g_assert_cmpuint (b, ==, i);
      }
}

/* Rows written by something else, or damaged, are skipped, not fatal. */
static void
test_corrupt_rows (Fixture       *f,
                   gconstpointer  data)
{
  static const char * const corrupt_keys[] = {
    "unknown-type", "empty-type", "indefinite-type", "short-int", "long-int",
    "unterminated-string", "bad-boolean", "null-value", "text-value", "bad-offsets",
    "bad-utf8-string", "bad-name",
  };
  g_autofree char *path = db_path (f, "corrupt.db");
  g_autoptr(OsiisoCheckpoint) checkpoint = open_ok (path);
  g_autoptr(GPtrArray) keys = g_ptr_array_new ();
  g_autoptr(GHashTable) hits = NULL;
  OsiisoCheckpointHit *hit;

  record_ok (checkpoint, "ns", "good", g_variant_new_int32 (42), NULL);
  record_ok (checkpoint, "ns", "good-empty", NULL, NULL);
  record_ok (checkpoint, "ns", "unknown-type", g_variant_new_int32 (1), NULL);

  /* Written through another connection while ours is open. */
  sql_exec (path,
            "INSERT OR REPLACE INTO completions VALUES"
            " ('ns', 'unknown-type', x'01000000', 'zz', NULL, 0),"
            " ('ns', 'empty-type', x'01000000', '', NULL, 0),"
            " ('ns', 'indefinite-type', x'01000000', 'a*', NULL, 0),"
            " ('ns', 'short-int', x'010203', 'i', NULL, 0),"
            " ('ns', 'long-int', x'0102030405', 'i', NULL, 0),"
            " ('ns', 'unterminated-string', x'616263', 's', NULL, 0),"
            " ('ns', 'bad-boolean', x'02', 'b', NULL, 0),"
            " ('ns', 'null-value', NULL, '(ii)', NULL, 0),"
            " ('ns', 'text-value', 'text', 's', NULL, 0),"
            " ('ns', 'bad-offsets', x'6100620009', 'as', NULL, 0),"
            " ('ns', 'bad-utf8-string', x'ff00', 's', NULL, 0),"
            " ('ns', 'bad-name', NULL, NULL, x'ff', 0)");

  g_ptr_array_add (keys, (char *) "good");
  g_ptr_array_add (keys, (char *) "good-empty");
  for (guint i = 0; i < G_N_ELEMENTS (corrupt_keys); i++)
    g_ptr_array_add (keys, (char *) corrupt_keys[i]);
  g_ptr_array_add (keys, NULL);

  hits = lookup_ok (checkpoint, "ns", (const char * const *) keys->pdata);
  g_assert_cmpuint (g_hash_table_size (hits), ==, 2);
  hit = g_hash_table_lookup (hits, "good");
  assert_hit_value (hit, g_variant_new_int32 (42));
  hit = g_hash_table_lookup (hits, "good-empty");
  g_assert_false (osiiso_checkpoint_hit_has_value (hit));
  for (guint i = 0; i < G_N_ELEMENTS (corrupt_keys); i++)
    g_assert_false (g_hash_table_contains (hits, corrupt_keys[i]));

  /* is_done() only checks that a row exists. */
  g_assert_true (is_done_ok (checkpoint, "ns", "short-int"));
  g_assert_cmpint (count_ok (checkpoint, "ns"), ==, 2 + G_N_ELEMENTS (corrupt_keys));

  /* The input re-runs and its record heals the row. */
  record_ok (checkpoint, "ns", "short-int", g_variant_new_int32 (7), NULL);
  g_clear_pointer (&hits, g_hash_table_unref);
  hits = lookup_ok (checkpoint, "ns", (const char *[]) { "short-int", NULL });
  assert_hit_value (g_hash_table_lookup (hits, "short-int"),
                    g_variant_new_int32 (7));
}

static void
test_persistence (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *path = db_path (f, "persist.db");
  g_autoptr(OsiisoCheckpoint) checkpoint = open_ok (path);
  g_autoptr(GHashTable) hits = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) namespaces = NULL;

  record_ok (checkpoint, "first", "a", g_variant_new_parsed ("{'k': <[1, 2]>}"), "task-a");
  record_ok (checkpoint, "second", "b", NULL, NULL);
  /* Dropping the last reference closes the database too. */
  g_clear_object (&checkpoint);

  checkpoint = open_ok (path);
  g_assert_cmpint (count_ok (checkpoint, NULL), ==, 2);
  namespaces = osiiso_checkpoint_namespaces (checkpoint, &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (namespaces, ((const char *[]) { "first", "second", NULL }));
  hits = lookup_ok (checkpoint, "first", (const char *[]) { "a", NULL });
  assert_hit_value (g_hash_table_lookup (hits, "a"),
                    g_variant_new_parsed ("{'k': <[1, 2]>}"));
  g_assert_cmpstr (osiiso_checkpoint_hit_get_name (g_hash_table_lookup (hits, "a")), ==, "task-a");
  g_assert_true (is_done_ok (checkpoint, "second", "b"));

  /* Two checkpoints on one file (one process) see each other's rows. */
  {
    g_autoptr(OsiisoCheckpoint) again = open_ok (path);

    record_ok (again, "third", "c", NULL, NULL);
    g_assert_true (is_done_ok (checkpoint, "third", "c"));
  }
}

static void
test_bad_paths (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *missing = g_build_filename (f->dir, "no-such-dir", "x.db", NULL);
  g_autofree char *text = db_path (f, "not-a-database.txt");
  g_autofree char *foreign = db_path (f, "foreign.db");
  g_autoptr(OsiisoCheckpoint) checkpoint = NULL;
  g_autoptr(GError) error = NULL;

  /* A path in a directory that does not exist. */
  checkpoint = osiiso_checkpoint_new (missing, &error);
  g_assert_null (checkpoint);
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_CHECKPOINT);
  g_assert_nonnull (strstr (error->message, missing));
  g_clear_error (&error);
  g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));

  /* A directory. */
  checkpoint = osiiso_checkpoint_new (f->dir, &error);
  g_assert_null (checkpoint);
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_CHECKPOINT);
  g_clear_error (&error);

  /* A file that is not a database is left alone. */
  g_assert_true (g_file_set_contents (text, "This is a text file, certainly not an SQLite "
                                      "database, though it is long enough to have a header.\n",
                                      -1, &error));
  checkpoint = osiiso_checkpoint_new (text, &error);
  g_assert_null (checkpoint);
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_CHECKPOINT);
  g_assert_nonnull (strstr (error->message, "not a database"));
  g_clear_error (&error);
  {
    g_autofree char *contents = NULL;

    g_assert_true (g_file_get_contents (text, &contents, NULL, NULL));
    g_assert_true (g_str_has_prefix (contents, "This is a text file"));
  }

  /* A database whose completions table has another shape (the Python
   * osiiso's, with an encoding column). */
  sql_exec (foreign, "CREATE TABLE completions (namespace TEXT NOT NULL, key TEXT NOT NULL,"
                     " value BLOB, encoding TEXT NOT NULL, name TEXT, recorded_at REAL NOT NULL,"
                     " PRIMARY KEY (namespace, key)) WITHOUT ROWID");
  checkpoint = osiiso_checkpoint_new (foreign, &error);
  g_assert_null (checkpoint);
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_CHECKPOINT);
  g_clear_error (&error);
  {
    /* Refused before anything of the file was changed. */
    g_autofree char *mode = sql_text (foreign, "PRAGMA journal_mode");

    g_assert_cmpstr (mode, ==, "delete");
  }

  /* An empty path. */
  checkpoint = osiiso_checkpoint_new ("", &error);
  g_assert_null (checkpoint);
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_INVALID_OPTION);
  g_clear_error (&error);

  /* Built from properties: the opening error comes at first use, every
   * time. */
  checkpoint = g_object_new (OSIISO_TYPE_CHECKPOINT, "path", missing, NULL);
  g_assert_cmpint (osiiso_checkpoint_count (checkpoint, NULL, &error), ==, -1);
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_CHECKPOINT);
  g_clear_error (&error);
  g_assert_false (osiiso_checkpoint_record (checkpoint, "ns", "k", NULL, NULL, &error));
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_CHECKPOINT);
  g_clear_error (&error);
  g_assert_false (g_initable_init (G_INITABLE (checkpoint), NULL, &error));
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_CHECKPOINT);
  g_clear_error (&error);
  g_assert_true (osiiso_checkpoint_close (checkpoint, &error));
  g_assert_cmpint (osiiso_checkpoint_count (checkpoint, NULL, &error), ==, -1);
  assert_closed_error (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/checkpoint/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  g_test_add_func ("/checkpoint/basic", test_basic);
  ADD ("properties", test_properties);
  ADD ("closed", test_closed);
  g_test_add_func ("/checkpoint/empty-namespace", test_empty_namespace);
  g_test_add_func ("/checkpoint/null-namespace", test_null_namespace);
  ADD ("wal", test_wal);
  ADD ("types", test_types);
  g_test_add_func ("/checkpoint/canonical-key", test_canonical_key);
  ADD ("store-values-off", test_store_values_off);
  g_test_add_func ("/checkpoint/batch-lookup", test_batch_lookup);
  ADD ("threads", test_threads);
  ADD ("corrupt-rows", test_corrupt_rows);
  ADD ("persistence", test_persistence);
  ADD ("bad-paths", test_bad_paths);

#undef ADD

  return g_test_run ();
}
