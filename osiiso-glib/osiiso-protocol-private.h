/* osiiso-protocol-private.h: the framed protocol between a process queue and its workers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A frame is a 4-byte big-endian length N, 1 <= N <= OSIISO_PROTOCOL_MAX_FRAME,
 * then N bytes: one GVariant in normal form.
 *
 *  request (parent -> worker)  (utsv)       version, request id, function, argument
 *  reply   (worker -> parent)  (utbv(sis))  version, request id, ok, value,
 *                                           error (domain, code, message)
 *
 * The worker sends a reply with request id 0 (the hello) once its
 * initializer has run: ok, or the initializer's error. Every frame from a
 * worker is untrusted: a wrong type, a wrong version, a value not in normal
 * form, a bad length or a reply to another request is a protocol error,
 * and the parent kills that worker. */
#define OSIISO_PROTOCOL_VERSION     1
#define OSIISO_PROTOCOL_MAX_FRAME   (16u * 1024 * 1024)
#define OSIISO_PROTOCOL_REQUEST     "(utsv)"
#define OSIISO_PROTOCOL_REPLY       "(utbv(sis))"

/* What a worker has read of its requests, not yet parsed. */
typedef struct
{
  guint8 *data;
  gsize   start;
  gsize   end;
  gsize   size;
} OsiisoProtocolReader;

guint32   _osiiso_protocol_parse_header   (const guint8  header[4],
                                           GError      **error);
GBytes   *_osiiso_protocol_request_frame  (guint64       id,
                                           const char   *function,
                                           GVariant     *argument);
GBytes   *_osiiso_protocol_reply_frame    (guint64       id,
                                           GVariant     *value,
                                           const GError *error);
/* For the worker, which trusts its parent: the argument is taken to be in
 * normal form as the parent wrote it. The parent checks each reply's value. */
gboolean  _osiiso_protocol_parse_request  (GBytes       *payload,
                                           guint64      *id,
                                           const char  **function,
                                           GVariant    **argument,
                                           GError      **error);
gboolean  _osiiso_protocol_parse_reply    (GBytes       *payload,
                                           guint64      *id,
                                           GVariant    **value,
                                           GError      **failure,
                                           GError      **error);

gboolean  _osiiso_protocol_write_frame    (int           fd,
                                           GBytes       *frame,
                                           GError      **error);
GBytes   *_osiiso_protocol_read_frame     (int                    fd,
                                           OsiisoProtocolReader  *reader,
                                           GError               **error);
void      _osiiso_protocol_reader_clear   (OsiisoProtocolReader  *reader);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (OsiisoProtocolReader, _osiiso_protocol_reader_clear)

G_END_DECLS
