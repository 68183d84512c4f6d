/* test-protocol.c: the framed protocol between a process queue and its
 * workers, below the queue: frames written by hand must be exactly what
 * GLib would serialise, and frames must be read back whole, however the
 * bytes arrive.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "osiiso-glib/osiiso-protocol-private.h"
#include "osiiso-glib/osiiso-glib.h"

#include <string.h>
#include <unistd.h>

/* The frame's length prefix, and its payload equal to GLib's normal form
 * of @expected. */
static void
assert_frame_is (GBytes   *frame,
                 GVariant *expected)
{
  g_autoptr(GVariant) normal = g_variant_get_normal_form (g_variant_ref_sink (expected));
  gsize size;
  const guint8 *data = g_bytes_get_data (frame, &size);
  guint32 be;

  g_variant_unref (expected);
  g_assert_cmpuint (size, >=, 4);
  memcpy (&be, data, 4);
  g_assert_cmpuint (GUINT32_FROM_BE (be), ==, size - 4);
  g_assert_cmpmem (data + 4, size - 4, g_variant_get_data (normal), g_variant_get_size (normal));
}

/* Arguments and values of every shape: fixed and variable size, empty,
 * nested, and big enough for 2- and 4-byte framing offsets. */
static GPtrArray *
sample_values (void)
{
  GPtrArray *values = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  g_autofree char *kilo = g_strnfill (300, 'k');
  g_autofree char *big = g_strnfill (70000, 'b');
  g_autofree guint8 *bytes = g_malloc0 (16);

  for (guint i = 0; i < 16; i++)
    bytes[i] = i * 17;
  g_ptr_array_add (values, g_variant_ref_sink (g_variant_new ("()")));
  g_ptr_array_add (values, g_variant_ref_sink (g_variant_new_int32 (-7)));
  g_ptr_array_add (values, g_variant_ref_sink (g_variant_new_byte (3)));
  g_ptr_array_add (values, g_variant_ref_sink (g_variant_new_double (2.5)));
  g_ptr_array_add (values, g_variant_ref_sink (g_variant_new_string ("")));
  g_ptr_array_add (values, g_variant_ref_sink (g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, bytes, 16, 1)));
  g_ptr_array_add (values, g_variant_ref_sink (g_variant_new_parsed ("@at [1, 2, 18446744073709551615]")));
  g_ptr_array_add (values, g_variant_ref_sink (g_variant_new_parsed ("@ab [true, false]")));
  g_ptr_array_add (values, g_variant_ref_sink (g_variant_new ("(si)", "path", 640)));
  g_ptr_array_add (values, g_variant_ref_sink (g_variant_new ("a{sv}", NULL)));
  g_ptr_array_add (values, g_variant_ref_sink (g_variant_new_parsed ("{'a': <[1, 2, 3]>, 'b': <('x', @mi nothing)>}")));
  g_ptr_array_add (values, g_variant_ref_sink (g_variant_new_parsed ("[@ax [], [1], [2, 3]]")));
  g_ptr_array_add (values, g_variant_ref_sink (g_variant_new_string (kilo)));
  g_ptr_array_add (values, g_variant_ref_sink (g_variant_new_string (big)));
  g_ptr_array_add (values, g_variant_ref_sink (g_variant_new_variant (g_variant_new_uint64 (G_MAXUINT64))));
  return values;
}

static void
test_request_frame (void)
{
  g_autoptr(GPtrArray) values = sample_values ();
  const char *functions[] = { "echo", "", "a-much-longer-function-name.with.dots" };
  const guint64 ids[] = { 1, 255, 65536, G_MAXUINT64 };

  for (guint v = 0; v < values->len; v++)
    for (guint f = 0; f < G_N_ELEMENTS (functions); f++)
      for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
        {
          GVariant *argument = g_ptr_array_index (values, v);
          g_autoptr(GBytes) frame = _osiiso_protocol_request_frame (ids[i], functions[f], argument);

          assert_frame_is (frame, g_variant_new ("(utsv)", OSIISO_PROTOCOL_VERSION, ids[i],
                                                 functions[f], argument));
        }

  /* No argument: the unit. */
  {
    g_autoptr(GBytes) frame = _osiiso_protocol_request_frame (9, "f", NULL);

    assert_frame_is (frame, g_variant_new ("(utsv)", OSIISO_PROTOCOL_VERSION, (guint64) 9, "f",
                                           g_variant_new ("()")));
  }
}

static void
test_reply_frame (void)
{
  g_autoptr(GPtrArray) values = sample_values ();
  g_autofree char *long_message = g_strnfill (66000, 'm');
  GError *errors[] = {
    g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "not there"),
    g_error_new_literal (OSIISO_ERROR, OSIISO_ERROR_FAILED, ""),
    g_error_new (g_quark_from_static_string ("my-app-error-quark"), -3, "%s", long_message),
  };

  for (guint v = 0; v < values->len; v++)
    {
      GVariant *value = g_ptr_array_index (values, v);
      g_autoptr(GBytes) frame = _osiiso_protocol_reply_frame (42 + v, value, NULL);

      assert_frame_is (frame, g_variant_new ("(utbv(sis))", OSIISO_PROTOCOL_VERSION, (guint64) 42 + v,
                                             TRUE, value, "", 0, ""));
    }
  for (guint e = 0; e < G_N_ELEMENTS (errors); e++)
    {
      g_autoptr(GBytes) frame = _osiiso_protocol_reply_frame (7, NULL, errors[e]);

      assert_frame_is (frame, g_variant_new ("(utbv(sis))", OSIISO_PROTOCOL_VERSION, (guint64) 7,
                                             FALSE, g_variant_new ("()"),
                                             g_quark_to_string (errors[e]->domain), errors[e]->code,
                                             errors[e]->message));
    }
  for (guint e = 0; e < G_N_ELEMENTS (errors); e++)
    g_clear_error (&errors[e]);
}

/* Every container size around the limits of 1- and 2-byte framing
 * offsets. */
static void
test_offset_sizes (void)
{
  for (gsize length = 0; length < 65600; length = length == 320 ? 65400 : length + 1)
    {
      g_autofree char *text = g_strnfill (length, 'x');
      g_autoptr(GVariant) value = g_variant_ref_sink (g_variant_new_string (text));
      g_autoptr(GBytes) request = _osiiso_protocol_request_frame (3, "f", value);
      g_autoptr(GBytes) reply = _osiiso_protocol_reply_frame (3, value, NULL);
      g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, text);
      g_autoptr(GBytes) failure = _osiiso_protocol_reply_frame (3, NULL, error);

      assert_frame_is (request, g_variant_new ("(utsv)", OSIISO_PROTOCOL_VERSION, (guint64) 3, "f", value));
      assert_frame_is (reply, g_variant_new ("(utbv(sis))", OSIISO_PROTOCOL_VERSION, (guint64) 3,
                                             TRUE, value, "", 0, ""));
      assert_frame_is (failure, g_variant_new ("(utbv(sis))", OSIISO_PROTOCOL_VERSION, (guint64) 3,
                                               FALSE, g_variant_new ("()"),
                                               g_quark_to_string (G_IO_ERROR), G_IO_ERROR_FAILED, text));
    }
}

/* A reply parsed and unpacked gives back what was framed, the error's
 * domain, code and message included. */
static void
test_reply_round_trip (void)
{
  g_autoptr(GPtrArray) values = sample_values ();
  g_autoptr(GError) sent = g_error_new_literal (g_quark_from_static_string ("never-registered-quark"),
                                                12, "it broke");

  for (guint v = 0; v <= values->len; v++)
    {
      GVariant *value = v < values->len ? g_ptr_array_index (values, v) : NULL;
      g_autoptr(GBytes) frame = _osiiso_protocol_reply_frame (5, value, v < values->len ? NULL : sent);
      g_autoptr(GBytes) payload = g_bytes_new_from_bytes (frame, 4, g_bytes_get_size (frame) - 4);
      g_autoptr(GVariant) got = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(GError) failure = NULL;
      guint64 id = 0;

      g_assert_true (_osiiso_protocol_parse_reply (payload, &id, &got, &failure, &error));
      g_assert_no_error (error);
      if (v < values->len)
        {
          g_assert_no_error (failure);
          g_assert_true (g_variant_equal (got, value));
        }
      else
        {
          g_assert_null (got);
          g_assert_error (failure, sent->domain, 12);
          g_assert_cmpstr (failure->message, ==, "it broke");
        }
      g_assert_cmpuint (id, ==, 5);
    }
}

/* A payload with zeros after it: GLib 2.74's normal-form check reads a
 * byte past the end of some damaged messages (the readers here never give
 * it less than a whole frame, whose end is followed by more of it). */
static GBytes *
payload_new (const guint8 *data,
             gsize         size)
{
  guint8 *padded = g_malloc0 (size + 16);
  g_autoptr(GBytes) whole = NULL;

  memcpy (padded, data, size);
  whole = g_bytes_new_take (padded, size + 16);
  return g_bytes_new_from_bytes (whole, 0, size);
}

/* Whether GLib takes @payload as a message of @type in normal form, and
 * with which fields. */
static GVariant *
glib_parse (GBytes     *payload,
            const char *type)
{
  g_autoptr(GVariant) message = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (type), payload, FALSE));
  g_autoptr(GVariant) version = NULL;

  if (!g_variant_is_normal_form (message))
    return NULL;
  version = g_variant_get_child_value (message, 0);
  if (g_variant_get_uint32 (version) != OSIISO_PROTOCOL_VERSION)
    return NULL;
  return g_steal_pointer (&message);
}

/* Damaged messages (bytes changed, cut, extended) are taken by the
 * hand-written readers exactly when GLib takes them as normal-form
 * messages, and then with the same fields; none crashes them. */
static void
test_parse_matches_glib (void)
{
  g_autoptr(GPtrArray) values = sample_values ();
  g_autoptr(GRand) rand = g_rand_new_with_seed (g_test_rand_int ());
  g_autoptr(GError) sent = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "why");
  guint accepted = 0, rejected = 0;

  for (guint round = 0; round < 20000; round++)
    {
      GVariant *value = g_ptr_array_index (values, round % 11);   /* the small ones */
      gboolean is_reply = round % 2;
      g_autoptr(GBytes) frame = is_reply ? _osiiso_protocol_reply_frame (round, round % 4 ? value : NULL,
                                                                         round % 4 ? NULL : sent)
                                         : _osiiso_protocol_request_frame (round, "fn", value);
      g_autoptr(GByteArray) bytes = g_byte_array_new ();
      g_autoptr(GBytes) payload = NULL;
      g_autoptr(GVariant) expected = NULL;
      g_autoptr(GVariant) got = NULL;
      g_autoptr(GError) failure = NULL;
      g_autoptr(GError) error = NULL;
      guint64 id = 0;
      gboolean ok;

      g_byte_array_append (bytes, (const guint8 *) g_bytes_get_data (frame, NULL) + 4, g_bytes_get_size (frame) - 4);
      /* Most rounds damage the message, a few leave it whole. */
      switch (g_rand_int_range (rand, 0, 5))
        {
        case 0:
          break;
        case 1:
        case 2:
          for (guint n = g_rand_int_range (rand, 1, 3); n > 0; n--)
            bytes->data[g_rand_int_range (rand, 0, bytes->len)] = g_rand_int_range (rand, 0, 4) == 0
                                                                   ? 0 : g_rand_int_range (rand, 0, 256);
          break;
        case 3:
          g_byte_array_set_size (bytes, g_rand_int_range (rand, 0, bytes->len));
          break;
        default:
          g_byte_array_append (bytes, (const guint8 *) "\0\0\1", g_rand_int_range (rand, 1, 4));
          break;
        }
      payload = payload_new (bytes->data, bytes->len);
      expected = glib_parse (payload, is_reply ? OSIISO_PROTOCOL_REPLY : OSIISO_PROTOCOL_REQUEST);

      if (is_reply)
        {
          ok = _osiiso_protocol_parse_reply (payload, &id, &got, &failure, &error);
          if (ok && expected != NULL)
            {
              g_autoptr(GVariant) v_ok = g_variant_get_child_value (expected, 2);
              g_autoptr(GVariant) v_value = g_variant_get_child_value (expected, 3);
              g_autoptr(GVariant) inner = g_variant_get_variant (v_value);

              g_assert_cmpint (got != NULL, ==, g_variant_get_boolean (v_ok));
              if (got != NULL)
                g_assert_true (g_variant_equal (got, inner));
            }
        }
      else
        {
          const char *function;

          ok = _osiiso_protocol_parse_request (payload, &id, &function, &got, &error);
          if (ok && expected != NULL)
            {
              g_autoptr(GVariant) v_function = g_variant_get_child_value (expected, 2);
              g_autoptr(GVariant) v_argument = g_variant_get_child_value (expected, 3);
              g_autoptr(GVariant) inner = g_variant_get_variant (v_argument);

              g_assert_cmpstr (function, ==, g_variant_get_string (v_function, NULL));
              /* A request's argument is not checked: compared as bytes. */
              g_assert_true (g_variant_type_equal (g_variant_get_type (got), g_variant_get_type (inner)));
              g_assert_cmpmem (g_variant_get_data (got), g_variant_get_size (got),
                               g_variant_get_data (inner), g_variant_get_size (inner));
            }
        }
      if (expected != NULL)
        {
          g_autoptr(GVariant) v_id = g_variant_get_child_value (expected, 1);

          g_assert_true (ok);
          g_assert_cmpuint (id, ==, g_variant_get_uint64 (v_id));
          accepted++;
        }
      else
        {
          /* A request's argument is not checked, so a damaged argument
           * may pass here where GLib refuses the whole message. */
          if (is_reply)
            g_assert_false (ok);
          if (!ok)
            {
              g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_PROTOCOL);
              rejected++;
            }
        }
    }
  /* Both outcomes were exercised. */
  g_assert_cmpuint (accepted, >, 1000);
  g_assert_cmpuint (rejected, >, 1000);
}

/* One byte of a valid message changed at @at (from the end if negative):
 * GLib refuses it, and so must the readers. */
static void
assert_damage_refused (gboolean  is_reply,
                       gint      at,
                       guint8    byte)
{
  g_autoptr(GVariant) value = g_variant_ref_sink (g_variant_new_int32 (5));
  g_autoptr(GBytes) frame = is_reply ? _osiiso_protocol_reply_frame (1, value, NULL)
                                     : _osiiso_protocol_request_frame (1, "fn", value);
  gsize size = g_bytes_get_size (frame) - 4;
  g_autofree guint8 *data = g_memdup2 ((const guint8 *) g_bytes_get_data (frame, NULL) + 4, size);
  g_autoptr(GBytes) payload = NULL;
  g_autoptr(GVariant) glib = NULL;
  g_autoptr(GVariant) got = NULL;
  g_autoptr(GError) failure = NULL;
  g_autoptr(GError) error = NULL;
  const char *function;
  guint64 id;
  gboolean ok;

  data[at >= 0 ? (gsize) at : size + at] = byte;
  payload = payload_new (data, size);
  glib = glib_parse (payload, is_reply ? OSIISO_PROTOCOL_REPLY : OSIISO_PROTOCOL_REQUEST);
  g_assert_null (glib);
  ok = is_reply ? _osiiso_protocol_parse_reply (payload, &id, &got, &failure, &error)
                : _osiiso_protocol_parse_request (payload, &id, &function, &got, &error);
  g_assert_false (ok);
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_PROTOCOL);
}

/* A worker's array of numbers whose size is not a multiple of their size
 * is refused, as GLib refuses it: 20 bytes said to be an "at". */
static void
test_numbers_of_the_wrong_size (void)
{
  guint8 data[20];
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GBytes) frame = NULL;
  g_autoptr(GBytes) payload = NULL;
  g_autoptr(GVariant) got = NULL;
  g_autoptr(GError) failure = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *bytes = NULL;
  gsize size;
  guint64 id;

  memset (data, 0x11, sizeof data);
  value = g_variant_ref_sink (g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, data, sizeof data, 1));
  frame = _osiiso_protocol_reply_frame (1, value, NULL);
  size = g_bytes_get_size (frame) - 4;
  bytes = g_memdup2 ((const guint8 *) g_bytes_get_data (frame, NULL) + 4, size);
  for (gsize i = size - 3;; i--)
    {
      if (memcmp (bytes + i, "\0ay", 3) == 0)
        {
          bytes[i + 2] = 't';
          break;
        }
      g_assert_cmpuint (i, >, 0);
    }
  payload = payload_new (bytes, size);

  g_assert_null (glib_parse (payload, OSIISO_PROTOCOL_REPLY));
  g_assert_false (_osiiso_protocol_parse_reply (payload, &id, &got, &failure, &error));
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_PROTOCOL);
}

/* Each rule of the envelope, broken on its own. */
static void
test_malformed (void)
{
  assert_damage_refused (TRUE, 0, 2);       /* the version */
  assert_damage_refused (FALSE, 0, 2);
  assert_damage_refused (TRUE, 5, 1);       /* padding after the version */
  assert_damage_refused (FALSE, 6, 1);
  assert_damage_refused (TRUE, 16, 2);      /* a boolean that is neither */
  assert_damage_refused (TRUE, 17, 1);      /* padding after it */
  assert_damage_refused (FALSE, 17, 0);     /* "fn" with a zero inside */
  assert_damage_refused (FALSE, 16, 0xff);  /* not UTF-8 */
  assert_damage_refused (FALSE, 19, 1);     /* padding after the name */
  assert_damage_refused (FALSE, -2, '*');   /* an indefinite type */
  assert_damage_refused (FALSE, -2, '(');   /* not a type */
  assert_damage_refused (FALSE, -1, 0xf0);  /* a framing offset out of range */
  assert_damage_refused (TRUE, -1, 0xf0);
}

typedef struct
{
  int         fd;
  GByteArray *stream;
} Pieces;

/* Writes the stream in pieces and closes the pipe: half at once, then
 * 2,000 bytes in pieces of 1 to 7 bytes (frame headers and bodies cut
 * anywhere), then the rest. */
static gpointer
write_in_pieces (gpointer data)
{
  Pieces *pieces = data;
  gsize at = pieces->stream->len / 2;

  g_assert_cmpint (write (pieces->fd, pieces->stream->data, at), ==, (gssize) at);
  for (guint i = 0; at < pieces->stream->len && i < 2000; i++)
    {
      gsize n = MIN (1 + i % 7, pieces->stream->len - at);

      g_assert_cmpint (write (pieces->fd, pieces->stream->data + at, n), ==, (gssize) n);
      at += n;
    }
  while (at < pieces->stream->len)
    {
      gssize n = write (pieces->fd, pieces->stream->data + at, pieces->stream->len - at);

      g_assert_cmpint (n, >, 0);
      at += n;
    }
  close (pieces->fd);
  return NULL;
}

/* Frames read back from a pipe: several in one write, others cut into
 * pieces of a few bytes, then the end of input; a truncated frame is an
 * error. */
static void
test_reader (void)
{
  g_auto(OsiisoProtocolReader) reader = { 0 };
  g_autoptr(GPtrArray) values = sample_values ();
  g_autoptr(GByteArray) stream = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  GThread *writer;
  int fds[2];
  guint n;

  for (guint v = 0; v < values->len; v++)
    {
      g_autoptr(GBytes) frame = _osiiso_protocol_request_frame (v + 1, "f", g_ptr_array_index (values, v));

      g_byte_array_append (stream, g_bytes_get_data (frame, NULL), g_bytes_get_size (frame));
    }

  g_assert_no_errno (pipe (fds));
  writer = g_thread_new ("writer", write_in_pieces, &(Pieces) { fds[1], stream });

  for (n = 0;; n++)
    {
      g_autoptr(GBytes) request = _osiiso_protocol_read_frame (fds[0], &reader, &error);
      g_autoptr(GVariant) argument = NULL;
      const char *function;
      guint64 id;

      g_assert_no_error (error);
      if (request == NULL)
        break;
      g_assert_true (_osiiso_protocol_parse_request (request, &id, &function, &argument, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (id, ==, n + 1);
      g_assert_cmpstr (function, ==, "f");
      g_assert_true (g_variant_equal (argument, g_ptr_array_index (values, n)));
    }
  g_assert_cmpuint (n, ==, values->len);
  g_thread_join (writer);
  close (fds[0]);

  /* A frame cut short by the end of input. */
  _osiiso_protocol_reader_clear (&reader);
  g_assert_no_errno (pipe (fds));
  g_assert_cmpint (write (fds[1], stream->data, 20), ==, 20);
  close (fds[1]);
  g_assert_null (_osiiso_protocol_read_frame (fds[0], &reader, &error));
  g_assert_error (error, OSIISO_ERROR, OSIISO_ERROR_PROTOCOL);
  close (fds[0]);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/protocol/request-frame", test_request_frame);
  g_test_add_func ("/protocol/reply-frame", test_reply_frame);
  g_test_add_func ("/protocol/offset-sizes", test_offset_sizes);
  g_test_add_func ("/protocol/reply-round-trip", test_reply_round_trip);
  g_test_add_func ("/protocol/parse-matches-glib", test_parse_matches_glib);
  g_test_add_func ("/protocol/malformed", test_malformed);
  g_test_add_func ("/protocol/numbers-of-the-wrong-size", test_numbers_of_the_wrong_size);
  g_test_add_func ("/protocol/reader", test_reader);

  return g_test_run ();
}
