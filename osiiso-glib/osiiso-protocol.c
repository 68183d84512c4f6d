/* osiiso-protocol.c: the framed protocol between a process queue and its workers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "osiiso-protocol-private.h"
#include "osiiso-glib.h"
#include "osiiso-i18n-private.h"

#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

/* ------------------------------------------------------------------------
 * Frames written directly
 *
 * Every request and reply is one of two fixed tuple types. Building them
 * with g_variant_new() and then serialising the tree costs more than the
 * rest of a round trip on the parent's side; they are written here
 * straight into their frame instead, following the GVariant serialisation
 * format (offsets relative to the container, members aligned within it,
 * framing offsets for variable-size members but the last, stored at the
 * container's end in reverse order, sized by the container's total size).
 * The result is in normal form and byte for byte what GLib would write
 * (tests/test-protocol.c checks).
 * --------------------------------------------------------------------- */

typedef struct
{
  guint8 *data;
  gsize   len;
  gsize   size;
} Writer;

static void
writer_reserve (Writer *w,
                gsize   n)
{
  if (w->len + n <= w->size)
    return;
  w->size = MAX (w->len + n, w->size * 2);
  w->data = g_realloc (w->data, w->size);
}

static void
writer_put (Writer     *w,
            const void *p,
            gsize       n)
{
  writer_reserve (w, n);
  if (n > 0)
    memcpy (w->data + w->len, p, n);
  w->len += n;
}

/* Pads with zeros to a multiple of @alignment from @start. */
static void
writer_align (Writer *w,
              gsize   start,
              gsize   alignment)
{
  gsize pad = (alignment - (w->len - start) % alignment) % alignment;

  writer_reserve (w, pad);
  memset (w->data + w->len, 0, pad);
  w->len += pad;
}

static void
writer_put_string (Writer     *w,
                   const char *string)
{
  writer_put (w, string, strlen (string) + 1);
}

/* Appends the framing offsets of the container that starts at @start:
 * @offsets[] in member order, stored in reverse, each of the size its
 * total size calls for. */
static void
writer_end_container (Writer      *w,
                      gsize        start,
                      const gsize *offsets,
                      guint        n_offsets)
{
  gsize body = w->len - start;
  guint offset_size;

  if (body + n_offsets <= G_MAXUINT8)
    offset_size = 1;
  else if (body + 2 * (gsize) n_offsets <= G_MAXUINT16)
    offset_size = 2;
  else if (body + 4 * (gsize) n_offsets <= G_MAXUINT32)
    offset_size = 4;
  else
    offset_size = 8;

  for (guint i = n_offsets; i > 0; i--)
    {
      guint64 le = GUINT64_TO_LE ((guint64) offsets[i - 1]);

      writer_put (w, &le, offset_size);   /* little-endian: the low bytes first */
    }
}

/* Numbers, and arrays of numbers, are in normal form whatever their bytes,
 * as long as there are the right number of them. GLib's own check walks
 * every element with a type look-up each: 18 ms for a MiB of "ay", and as
 * much again to write it. Returns whether @type_string is such a type and
 * @size a right size for it; FALSE means GLib must tell. */
static gboolean
numeric_size_is_normal (const char *type_string,
                        gsize       size)
{
  gboolean is_array = type_string[0] == 'a';
  const char *element = type_string + (is_array ? 1 : 0);
  gsize element_size;

  if (element[0] == '\0' || element[1] != '\0')
    return FALSE;
  switch (element[0])
    {
    case 'y':
      element_size = 1;
      break;
    case 'n': case 'q':
      element_size = 2;
      break;
    case 'i': case 'u': case 'h':
      element_size = 4;
      break;
    case 'x': case 't': case 'd':
      element_size = 8;
      break;
    default:
      return FALSE;   /* booleans must be 0 or 1; the rest has structure */
    }
  return is_array ? size % element_size == 0 : size == element_size;
}

/* A "v": the value's normal form, a zero byte, its type string. NULL is
 * the unit, "()", whose normal form is one zero byte. */
static void
writer_put_variant (Writer   *w,
                    GVariant *value)
{
  g_autoptr(GVariant) normal = NULL;
  guint8 zero = 0;

  if (value == NULL)
    {
      writer_put (w, "\0\0()", 4);
      return;
    }
  if (numeric_size_is_normal (g_variant_get_type_string (value), g_variant_get_size (value)))
    normal = g_variant_ref (value);   /* its bytes are its normal form */
  else
    normal = g_variant_get_normal_form (value);
  writer_put (w, g_variant_get_data (normal), g_variant_get_size (normal));
  writer_put (w, &zero, 1);
  writer_put (w, g_variant_get_type_string (value), strlen (g_variant_get_type_string (value)));
}

/* Starts a frame: room for its length, filled in by writer_finish(). */
static void
writer_init_frame (Writer *w,
                   gsize   hint)
{
  w->size = 4 + hint;
  w->data = g_malloc (w->size);
  w->len = 4;
}

static GBytes *
writer_finish_frame (Writer *w)
{
  guint32 be = GUINT32_TO_BE ((guint32) (w->len - 4));

  memcpy (w->data, &be, 4);
  return g_bytes_new_take (w->data, w->len);
}

/* Numbers are in the host's byte order, as GLib writes them; only framing
 * offsets are always little-endian. */
static void
writer_put_u32 (Writer  *w,
                gsize    start,
                guint32  v)
{
  writer_align (w, start, 4);
  writer_put (w, &v, 4);
}

static void
writer_put_u64 (Writer  *w,
                gsize    start,
                guint64  v)
{
  writer_align (w, start, 8);
  writer_put (w, &v, 8);
}

GBytes *
_osiiso_protocol_request_frame (guint64     id,
                                const char *function,
                                GVariant   *argument)
{
  Writer w;
  gsize offsets[1];

  /* (utsv): s is the only variable-size member before the last. */
  writer_init_frame (&w, 64 + strlen (function) + (argument != NULL ? g_variant_get_size (argument) : 0));
  writer_put_u32 (&w, 4, OSIISO_PROTOCOL_VERSION);
  writer_put_u64 (&w, 4, id);
  writer_put_string (&w, function);
  offsets[0] = w.len - 4;
  writer_align (&w, 4, 8);
  writer_put_variant (&w, argument);
  writer_end_container (&w, 4, offsets, 1);
  return writer_finish_frame (&w);
}

GBytes *
_osiiso_protocol_reply_frame (guint64       id,
                              GVariant     *value,
                              const GError *error)
{
  const char *domain = error != NULL ? g_quark_to_string (error->domain) : "";
  const char *message = error != NULL ? error->message : "";
  guint8 ok = error == NULL;
  Writer w;
  gsize offsets[1], inner, inner_offsets[1];

  if (error != NULL)
    value = NULL;   /* the unit */

  /* (utbv(sis)): v is the only variable-size member before the last;
   * in (sis), the first s. */
  writer_init_frame (&w, 64 + (value != NULL ? g_variant_get_size (value) : 0) + strlen (domain) + strlen (message));
  writer_put_u32 (&w, 4, OSIISO_PROTOCOL_VERSION);
  writer_put_u64 (&w, 4, id);
  writer_put (&w, &ok, 1);
  writer_align (&w, 4, 8);
  writer_put_variant (&w, value);
  offsets[0] = w.len - 4;

  writer_align (&w, 4, 4);   /* (sis) is aligned as its i */
  inner = w.len;
  writer_put_string (&w, domain);
  inner_offsets[0] = w.len - inner;
  writer_put_u32 (&w, inner, (guint32) (error != NULL ? error->code : 0));
  writer_put_string (&w, message);
  writer_end_container (&w, inner, inner_offsets, 1);

  writer_end_container (&w, 4, offsets, 1);
  return writer_finish_frame (&w);
}

guint32
_osiiso_protocol_parse_header (const guint8   header[4],
                               GError       **error)
{
  guint32 be, size;

  memcpy (&be, header, 4);
  size = GUINT32_FROM_BE (be);
  if (size == 0 || size > OSIISO_PROTOCOL_MAX_FRAME)
    {
      g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_PROTOCOL,
                   _("bad frame length %u (the limit is %u bytes)"), size, OSIISO_PROTOCOL_MAX_FRAME);
      return 0;
    }
  return size;
}

/* ------------------------------------------------------------------------
 * Frames read directly
 *
 * The same two types, read back by hand: the envelope is checked field by
 * field, as strictly as g_variant_is_normal_form() would (every offset in
 * range, padding zero, strings terminated once and valid UTF-8, a
 * boolean 0 or 1), and only the value inside becomes a #GVariant. Through
 * g_variant_get_child_value() each field cost a type-info look-up under
 * GLib's global lock, and the whole message a normal-form walk.
 * --------------------------------------------------------------------- */

typedef struct
{
  const guint8 *data;
  gsize         size;
} Span;

/* The size of framing offsets in a container of @size bytes. */
static guint
offset_size_of (gsize size)
{
  if (size > G_MAXUINT32)
    return 8;
  if (size > G_MAXUINT16)
    return 4;
  if (size > G_MAXUINT8)
    return 2;
  return size > 0 ? 1 : 0;
}

/* The last framing offset of @container, which has @n_offsets; the body
 * ends where the offsets start. */
static gboolean
last_offset (Span   container,
             guint  n_offsets,
             gsize *offset,
             gsize *body_end)
{
  guint offset_size = offset_size_of (container.size);
  guint64 le = 0;

  if (container.size < (gsize) offset_size * n_offsets)
    return FALSE;
  *body_end = container.size - (gsize) offset_size * n_offsets;
  memcpy (&le, container.data + container.size - offset_size, offset_size);
  *offset = GUINT64_FROM_LE (le);
  return *offset <= *body_end;
}

/* Zero padding from @from up to the next multiple of @alignment, which
 * must lie within @end. */
static gboolean
skip_padding (Span   container,
              gsize *from,
              gsize  alignment,
              gsize  end)
{
  gsize to = (*from + alignment - 1) / alignment * alignment;

  if (to > end)
    return FALSE;
  for (gsize i = *from; i < to; i++)
    if (container.data[i] != 0)
      return FALSE;
  *from = to;
  return TRUE;
}

/* A string member in [start, end): one terminating zero, valid UTF-8. */
static const char *
string_at (Span  container,
           gsize start,
           gsize end)
{
  const char *string = (const char *) container.data + start;

  if (end <= start || container.data[end - 1] != 0)
    return NULL;
  /* With a length, g_utf8_validate() also refuses a zero inside. */
  if (!g_utf8_validate (string, end - start - 1, NULL))
    return NULL;
  return string;
}

/* A "v" member in [start, end) of @payload's data: the value's bytes, a
 * zero, a definite type string. The value is not checked: a @trusted one
 * is taken to be in normal form, others are checked by the caller. */
static GVariant *
variant_at (GBytes   *payload,
            Span      container,
            gsize     start,
            gsize     end,
            gboolean  trusted)
{
  g_autofree char *type_string = NULL;
  g_autoptr(GBytes) bytes = NULL;
  const guint8 *zero;
  gsize value_end;

  if (end <= start)
    return NULL;
  /* The last zero: type strings have none. */
  for (value_end = end; value_end > start && container.data[value_end - 1] != 0; value_end--)
    ;
  if (value_end == start)
    return NULL;
  value_end--;
  zero = container.data + value_end;
  type_string = g_strndup ((const char *) zero + 1, end - value_end - 1);
  if (strlen (type_string) != end - value_end - 1
      || !g_variant_type_string_is_valid (type_string)
      || !g_variant_type_is_definite (G_VARIANT_TYPE (type_string)))
    return NULL;
  bytes = g_bytes_new_from_bytes (payload, start, value_end - start);
  /* Numbers are known to be in normal form: said so, nobody checks again. */
  trusted = trusted || numeric_size_is_normal (type_string, value_end - start);
  return g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (type_string), bytes, trusted));
}

static gboolean
malformed (GError     **error,
           GBytes      *payload,
           const char  *type)
{
  g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_PROTOCOL,
               _("a malformed message of %zu bytes (expected %s)"), g_bytes_get_size (payload), type);
  return FALSE;
}

/* The fixed head of both messages: (ut...), then the version checked. */
static gboolean
parse_head (Span      message,
            guint64  *id,
            GError  **error)
{
  guint32 version;

  memcpy (&version, message.data, 4);
  if (version != OSIISO_PROTOCOL_VERSION)
    {
      g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_PROTOCOL,
                   _("protocol version %u, expected %u"), version, OSIISO_PROTOCOL_VERSION);
      return FALSE;
    }
  memcpy (id, message.data + 8, 8);
  return TRUE;
}

gboolean
_osiiso_protocol_parse_request (GBytes       *payload,
                                guint64      *id,
                                const char  **function,
                                GVariant    **argument,
                                GError      **error)
{
  Span message;
  gsize function_end, body_end, at;

  message.data = g_bytes_get_data (payload, &message.size);

  /* (utsv): u at 0, padding, t at 8, s from 16 to the one framing
   * offset, padding, v to the body's end. */
  if (message.size < 16 + 1 + 3
      || message.data[4] != 0 || message.data[5] != 0 || message.data[6] != 0 || message.data[7] != 0
      || !last_offset (message, 1, &function_end, &body_end))
    return malformed (error, payload, OSIISO_PROTOCOL_REQUEST);
  if ((*function = string_at (message, 16, function_end)) == NULL)
    return malformed (error, payload, OSIISO_PROTOCOL_REQUEST);
  at = function_end;
  if (!skip_padding (message, &at, 8, body_end)
      || (*argument = variant_at (payload, message, at, body_end, TRUE)) == NULL)
    return malformed (error, payload, OSIISO_PROTOCOL_REQUEST);
  if (!parse_head (message, id, error))
    {
      g_clear_pointer (argument, g_variant_unref);
      return FALSE;
    }
  return TRUE;
}

gboolean
_osiiso_protocol_parse_reply (GBytes    *payload,
                              guint64   *id,
                              GVariant **value,
                              GError   **failure,
                              GError   **error)
{
  g_autoptr(GVariant) inner = NULL;
  Span message, error_tuple;
  gsize value_end, body_end, at, domain_end, error_end;
  const char *domain, *text;
  gint32 code;
  guint8 ok;

  message.data = g_bytes_get_data (payload, &message.size);

  /* (utbv(sis)): u at 0, padding, t at 8, b at 16, padding, v from 24 to
   * the one framing offset, padding, (sis) to the body's end. */
  if (message.size < 24 + 3 + 8 + 1
      || message.data[4] != 0 || message.data[5] != 0 || message.data[6] != 0 || message.data[7] != 0
      || !last_offset (message, 1, &value_end, &body_end)
      || value_end < 24)
    return malformed (error, payload, OSIISO_PROTOCOL_REPLY);
  ok = message.data[16];
  at = 17;
  if (ok > 1 || !skip_padding (message, &at, 8, value_end)
      || (inner = variant_at (payload, message, 24, value_end, FALSE)) == NULL)
    return malformed (error, payload, OSIISO_PROTOCOL_REPLY);
  /* The worker is not trusted: its value must be in normal form. */
  if (!g_variant_is_normal_form (inner))
    return malformed (error, payload, OSIISO_PROTOCOL_REPLY);

  /* (sis): s to its one framing offset, padding, i, s to the end. */
  at = value_end;
  if (!skip_padding (message, &at, 4, body_end))
    return malformed (error, payload, OSIISO_PROTOCOL_REPLY);
  error_tuple.data = message.data + at;
  error_tuple.size = body_end - at;
  if (!last_offset (error_tuple, 1, &domain_end, &error_end)
      || (domain = string_at (error_tuple, 0, domain_end)) == NULL)
    return malformed (error, payload, OSIISO_PROTOCOL_REPLY);
  at = domain_end;
  if (!skip_padding (error_tuple, &at, 4, error_end) || error_end - at < 4
      || (text = string_at (error_tuple, at + 4, error_end)) == NULL)
    return malformed (error, payload, OSIISO_PROTOCOL_REPLY);
  memcpy (&code, error_tuple.data + at, 4);

  if (!parse_head (message, id, error))
    return FALSE;
  if (ok)
    {
      *value = g_steal_pointer (&inner);
      return TRUE;
    }
  /* The worker's error keeps its domain, also for domains this process has
   * never registered. */
  g_set_error_literal (failure, *domain != '\0' ? g_quark_from_string (domain) : OSIISO_ERROR,
                       code, text);
  *value = NULL;
  return TRUE;
}

static gboolean
write_all (int            fd,
           const guint8  *data,
           gsize          size,
           GError       **error)
{
  while (size > 0)
    {
      gssize n = write (fd, data, size);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s", g_strerror (saved));
          return FALSE;
        }
      data += n;
      size -= n;
    }
  return TRUE;
}

gboolean
_osiiso_protocol_write_frame (int      fd,
                              GBytes  *frame,
                              GError **error)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (frame, &size);

  return write_all (fd, data, size, error);
}

void
_osiiso_protocol_reader_clear (OsiisoProtocolReader *reader)
{
  g_clear_pointer (&reader->data, g_free);
  reader->start = reader->end = reader->size = 0;
}

/* Reads at least @want bytes past reader->start, blocking; as many more
 * as one read() brings (usually the whole next frame with its header).
 * Returns the bytes there are, fewer than @want only at end of input, or
 * -1 on an error. */
static gssize
reader_fill (int                   fd,
             OsiisoProtocolReader *reader,
             gsize                 want,
             GError              **error)
{
  if (reader->start > 0)
    {
      memmove (reader->data, reader->data + reader->start, reader->end - reader->start);
      reader->end -= reader->start;
      reader->start = 0;
    }
  if (reader->size < MAX (want, 4096))
    {
      reader->size = MAX (MAX (want, 4096), reader->size * 2);
      reader->data = g_realloc (reader->data, reader->size);
    }
  while (reader->end < want)
    {
      gssize n = read (fd, reader->data + reader->end, reader->size - reader->end);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s", g_strerror (saved));
          return -1;
        }
      if (n == 0)
        break;
      reader->end += n;
    }
  return reader->end;
}

GBytes *
_osiiso_protocol_read_frame (int                    fd,
                             OsiisoProtocolReader  *reader,
                             GError               **error)
{
  GBytes *payload;
  guint32 size;
  gssize n;

  if (reader->end - reader->start < 4)
    {
      n = reader_fill (fd, reader, 4, error);
      if (n <= 0)
        return NULL;   /* end of input, or an error */
      if (n < 4)
        {
          g_set_error_literal (error, OSIISO_ERROR, OSIISO_ERROR_PROTOCOL, _("a truncated frame header"));
          return NULL;
        }
    }
  size = _osiiso_protocol_parse_header (reader->data + reader->start, error);
  if (size == 0)
    return NULL;

  if (reader->end - reader->start - 4 < size)
    {
      n = reader_fill (fd, reader, 4 + (gsize) size, error);
      if (n < 0)
        return NULL;
      if ((gsize) n < 4 + (gsize) size)
        {
          g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_PROTOCOL,
                       _("a truncated frame (%zd of %u bytes)"), n - 4, size);
          return NULL;
        }
    }
  payload = g_bytes_new (reader->data + reader->start + 4, size);
  reader->start += 4 + size;
  if (reader->start == reader->end)
    reader->start = reader->end = 0;
  return payload;
}
