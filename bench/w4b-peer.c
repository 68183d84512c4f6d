/* w4b-peer.c: the raw worker of the W4b baseline (gsubprocess-gio-rpc)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Reads 16-byte requests on standard input and writes each back as its
 * 16-byte reply on standard output, one at a time, until end of input.
 * Plain libc, no GLib: the least a persistent worker process can do.
 */

#include <errno.h>
#include <unistd.h>

#define SIZE 16

/* Reads exactly SIZE bytes; 0 at a clean end of input, -1 on error or a
 * truncated request. */
static int
read_request (unsigned char *buffer)
{
  size_t done = 0;

  while (done < SIZE)
    {
      ssize_t n = read (STDIN_FILENO, buffer + done, SIZE - done);

      if (n == 0)
        return done == 0 ? 0 : -1;
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      done += (size_t) n;
    }
  return 1;
}

static int
write_reply (const unsigned char *buffer)
{
  size_t done = 0;

  while (done < SIZE)
    {
      ssize_t n = write (STDOUT_FILENO, buffer + done, SIZE - done);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      done += (size_t) n;
    }
  return 0;
}

int
main (void)
{
  unsigned char buffer[SIZE];
  int status;

  while ((status = read_request (buffer)) > 0)
    if (write_reply (buffer) < 0)
      return 1;
  return status == 0 ? 0 : 1;
}
