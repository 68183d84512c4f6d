/* osiiso-protocol.c: the framed protocol between a process queue and its workers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "osiiso-protocol-private.h"
#include "osiiso-glib.h"
#include "osiiso-i18n-private.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

GBytes *
_osiiso_protocol_frame (GVariant *message)
{
  g_autoptr(GVariant) normal = g_variant_get_normal_form (message);
  g_autoptr(GBytes) body = g_variant_get_data_as_bytes (normal);
  gsize size = g_bytes_get_size (body);
  guint8 *data = g_malloc (4 + size);
  guint32 be = GUINT32_TO_BE ((guint32) size);

  /* Serialized through GBytes: storing at data + 4 would be misaligned. */
  memcpy (data, &be, 4);
  memcpy (data + 4, g_bytes_get_data (body, NULL), size);
  return g_bytes_new_take (data, 4 + size);
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

GVariant *
_osiiso_protocol_parse (GBytes      *payload,
                        const char  *type,
                        GError     **error)
{
  g_autoptr(GVariant) message = NULL;
  guint32 version = 0;

  message = g_variant_new_from_bytes (G_VARIANT_TYPE (type), payload, FALSE);
  /* Untrusted bytes: only a value in normal form is taken as it is. */
  if (!g_variant_is_normal_form (message))
    {
      g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_PROTOCOL,
                   _("a malformed message of %zu bytes (expected %s)"),
                   g_bytes_get_size (payload), type);
      return NULL;
    }
  g_variant_get_child (message, 0, "u", &version);
  if (version != OSIISO_PROTOCOL_VERSION)
    {
      g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_PROTOCOL,
                   _("protocol version %u, expected %u"), version, OSIISO_PROTOCOL_VERSION);
      return NULL;
    }
  return g_steal_pointer (&message);
}

GVariant *
_osiiso_protocol_request_new (guint64     id,
                              const char *function,
                              GVariant   *argument)
{
  if (argument == NULL)
    argument = g_variant_new ("()");
  return g_variant_ref_sink (g_variant_new ("(utsv)", OSIISO_PROTOCOL_VERSION, id, function, argument));
}

GVariant *
_osiiso_protocol_reply_new (guint64       id,
                            GVariant     *value,
                            const GError *error)
{
  if (error != NULL)
    return g_variant_ref_sink (g_variant_new ("(utbv(sis))", OSIISO_PROTOCOL_VERSION, id, FALSE,
                                              g_variant_new ("()"),
                                              g_quark_to_string (error->domain), error->code,
                                              error->message));
  return g_variant_ref_sink (g_variant_new ("(utbv(sis))", OSIISO_PROTOCOL_VERSION, id, TRUE,
                                            value != NULL ? value : g_variant_new ("()"),
                                            "", 0, ""));
}

gboolean
_osiiso_protocol_reply_unpack (GVariant  *reply,
                               guint64   *id,
                               GVariant **value,
                               GError   **error)
{
  guint32 version;
  gboolean ok;
  const char *domain, *message;
  gint code;
  g_autoptr(GVariant) inner = NULL;

  g_variant_get (reply, "(utbv(&si&s))", &version, id, &ok, &inner, &domain, &code, &message);
  if (ok)
    {
      *value = g_steal_pointer (&inner);
      return TRUE;
    }

  /* The worker's error keeps its domain, also for domains this process has
   * never registered. */
  g_set_error_literal (error, *domain != '\0' ? g_quark_from_string (domain) : OSIISO_ERROR,
                       code, message);
  return FALSE;
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

/* Returns the bytes read: @size, or fewer at end of input. */
static gssize
read_all (int      fd,
          guint8  *data,
          gsize    size,
          GError **error)
{
  gsize done = 0;

  while (done < size)
    {
      gssize n = read (fd, data + done, size - done);

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
      done += n;
    }
  return done;
}

gboolean
_osiiso_protocol_write_fd (int        fd,
                           GVariant  *message,
                           GError   **error)
{
  g_autoptr(GBytes) frame = _osiiso_protocol_frame (message);
  gsize size;
  const guint8 *data = g_bytes_get_data (frame, &size);

  return write_all (fd, data, size, error);
}

GVariant *
_osiiso_protocol_read_fd (int          fd,
                          const char  *type,
                          GError     **error)
{
  guint8 header[4];
  g_autoptr(GBytes) payload = NULL;
  guint8 *data;
  guint32 size;
  gssize n;

  n = read_all (fd, header, 4, error);
  if (n <= 0)
    return NULL;   /* end of input, or an error */
  if (n < 4)
    {
      g_set_error_literal (error, OSIISO_ERROR, OSIISO_ERROR_PROTOCOL, _("a truncated frame header"));
      return NULL;
    }
  size = _osiiso_protocol_parse_header (header, error);
  if (size == 0)
    return NULL;

  data = g_malloc (size);
  n = read_all (fd, data, size, error);
  if (n < 0)
    {
      g_free (data);
      return NULL;
    }
  if ((guint32) n < size)
    {
      g_free (data);
      g_set_error (error, OSIISO_ERROR, OSIISO_ERROR_PROTOCOL,
                   _("a truncated frame (%zd of %u bytes)"), n, size);
      return NULL;
    }
  payload = g_bytes_new_take (data, size);
  return _osiiso_protocol_parse (payload, type, error);
}
