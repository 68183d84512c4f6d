/* bad-worker.c: a worker process that breaks the protocol on purpose
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Usage: bad-worker MODE
 *
 * It speaks the framed protocol by hand (GLib only, not osiiso-glib): a
 * frame is a 4-byte big-endian length, then a GVariant in normal form;
 * requests are (utsv), replies (utbv(sis)). Unless MODE says otherwise it
 * first sends a correct hello (a reply with request id 0), then reads
 * requests and misbehaves on each, by MODE:
 *
 *   garbage            a frame of 96 bytes of noise (fixed seed), not a
 *                      reply: 100 bytes in all
 *   text               a line of text, as a print() that bypassed the
 *                      protocol would write (its header is a huge length)
 *   oversized          a header announcing 0x7fffffff bytes, then nothing
 *   truncated          a header announcing 100 bytes, 10 bytes, then exit 0
 *   truncated-close    the same frame, then it closes its output but lives
 *                      on (so the parent sees the truncation without a
 *                      process exit racing it)
 *   wrong-id           a well-formed reply for request id + 1
 *   silent-hello       no hello at all: it just waits
 *   bad-version        a hello with protocol version 2
 *   exit-before-hello  exit with status 3 before the hello
 *
 * After misbehaving it waits for the end of its input (or at most 60 s)
 * and exits 0. It never outlives 60 s, so a broken test leaves nothing
 * behind for long.
 */

#include <glib.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
write_all (const void *data,
           gsize       size)
{
  const guint8 *p = data;

  while (size > 0)
    {
      gssize n = write (STDOUT_FILENO, p, size);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        exit (10);
      p += n;
      size -= n;
    }
}

static gboolean
read_all (void  *data,
          gsize  size)
{
  guint8 *p = data;

  while (size > 0)
    {
      gssize n = read (STDIN_FILENO, p, size);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      p += n;
      size -= n;
    }
  return TRUE;
}

static void
write_header (guint32 size)
{
  guint32 be = GUINT32_TO_BE (size);

  write_all (&be, 4);
}

static void
write_frame (GVariant *message)
{
  g_autoptr(GVariant) normal = g_variant_get_normal_form (g_variant_ref_sink (message));

  write_header ((guint32) g_variant_get_size (normal));
  write_all (g_variant_get_data (normal), g_variant_get_size (normal));
  g_variant_unref (message);
}

static GVariant *
reply_new (guint32 version,
           guint64 id)
{
  return g_variant_new ("(utbv(sis))", version, id, TRUE, g_variant_new ("()"), "", 0, "");
}

/* Returns the request's id; exits 0 at the end of input. */
static guint64
read_request (void)
{
  guint8 header[4];
  guint32 be, size;
  guint8 *data;
  g_autoptr(GVariant) request = NULL;
  guint64 id = 0;

  if (!read_all (header, 4))
    exit (0);
  memcpy (&be, header, 4);
  size = GUINT32_FROM_BE (be);
  if (size == 0 || size > 16 * 1024 * 1024)
    exit (11);
  data = g_malloc (size);
  if (!read_all (data, size))
    exit (12);
  request = g_variant_ref_sink (g_variant_new_from_data (G_VARIANT_TYPE ("(utsv)"), data, size,
                                                         FALSE, g_free, data));
  g_variant_get_child (request, 1, "t", &id);
  return id;
}

/* Waits for the end of input, ignoring what comes. */
static void
wait_for_eof (void)
{
  guint8 buffer[4096];

  for (;;)
    {
      gssize n = read (STDIN_FILENO, buffer, sizeof buffer);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        exit (0);
    }
}

int
main (int    argc,
      char **argv)
{
  const char *mode;

  if (argc != 2)
    {
      fprintf (stderr, "usage: bad-worker MODE\n");
      return 2;
    }
  mode = argv[1];

  /* Never linger: SIGALRM's default action ends the process. */
  alarm (60);

  if (strcmp (mode, "exit-before-hello") == 0)
    return 3;
  if (strcmp (mode, "silent-hello") == 0)
    wait_for_eof ();

  write_frame (reply_new (strcmp (mode, "bad-version") == 0 ? 2 : 1, 0));
  if (strcmp (mode, "bad-version") == 0)
    wait_for_eof ();

  for (;;)
    {
      guint64 id = read_request ();

      if (strcmp (mode, "garbage") == 0)
        {
          g_autoptr(GRand) rand = g_rand_new_with_seed (20250101);
          guint8 noise[96];

          for (gsize i = 0; i < sizeof noise; i++)
            noise[i] = (guint8) g_rand_int_range (rand, 0, 256);
          write_header (sizeof noise);
          write_all (noise, sizeof noise);
          wait_for_eof ();
        }
      else if (strcmp (mode, "text") == 0)
        {
          static const char text[] = "Traceback (most recent call last):\n  a print() on the protocol pipe\n";

          write_all (text, strlen (text));
          wait_for_eof ();
        }
      else if (strcmp (mode, "oversized") == 0)
        {
          write_header (0x7fffffff);
          wait_for_eof ();
        }
      else if (strcmp (mode, "truncated") == 0)
        {
          static const guint8 ten[10] = { 0 };

          write_header (100);
          write_all (ten, sizeof ten);
          return 0;
        }
      else if (strcmp (mode, "truncated-close") == 0)
        {
          static const guint8 ten[10] = { 0 };

          write_header (100);
          write_all (ten, sizeof ten);
          close (STDOUT_FILENO);
          wait_for_eof ();
        }
      else if (strcmp (mode, "wrong-id") == 0)
        {
          write_frame (reply_new (1, id + 1));
        }
      else
        {
          fprintf (stderr, "bad-worker: unknown mode %s\n", mode);
          return 2;
        }
    }
}
