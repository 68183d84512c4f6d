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

GBytes   *_osiiso_protocol_frame          (GVariant     *message);
/* Checks a header; returns the payload length, or 0 with @error set. */
guint32   _osiiso_protocol_parse_header   (const guint8  header[4],
                                           GError      **error);
/* Parses a payload of @type; returns a new reference, or NULL with @error. */
GVariant *_osiiso_protocol_parse          (GBytes       *payload,
                                           const char   *type,
                                           GError      **error);
GVariant *_osiiso_protocol_request_new    (guint64       id,
                                           const char   *function,
                                           GVariant     *argument);
/* @value: (nullable), @error: (nullable): one of them, depending on @ok */
GVariant *_osiiso_protocol_reply_new      (guint64       id,
                                           GVariant     *value,
                                           const GError *error);
/* Takes a parsed reply apart: returns its value (or a new GError in
 * @error) and its id. */
gboolean  _osiiso_protocol_reply_unpack   (GVariant     *reply,
                                           guint64      *id,
                                           GVariant    **value,
                                           GError      **error);

/* Blocking helpers for the worker side (file descriptors). */
gboolean  _osiiso_protocol_write_fd       (int           fd,
                                           GVariant     *message,
                                           GError      **error);
/* Returns NULL at a clean end of input (error unset) or on error. */
GVariant *_osiiso_protocol_read_fd        (int           fd,
                                           const char   *type,
                                           GError      **error);

G_END_DECLS
