/* w3-peer.c: the raw worker process of the W3 baseline (raw-proc-pool)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Reads 8-byte requests (a number of bench_spin() iterations) on standard
 * input; for each, runs the loop and writes back 8 bytes, the thread CPU
 * time it took in ns; until end of input. No GLib main loop, no protocol:
 * the least a persistent worker process can do.
 */

#include "bench-common.h"

#include <errno.h>
#include <unistd.h>

static int
transfer (int    fd,
          void  *buffer,
          int    writing)
{
  size_t done = 0;

  while (done < sizeof (guint64))
    {
      ssize_t n = writing ? write (fd, (char *) buffer + done, sizeof (guint64) - done)
                          : read (fd, (char *) buffer + done, sizeof (guint64) - done);

      if (n == 0 && !writing)
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

int
main (void)
{
  static volatile guint64 sink;
  guint64 iterations;
  int status;

  while ((status = transfer (STDIN_FILENO, &iterations, 0)) > 0)
    {
      gint64 t0 = bench_thread_cpu_ns ();
      guint64 cpu;

      sink += bench_spin (iterations, iterations);
      cpu = (guint64) (bench_thread_cpu_ns () - t0);
      if (transfer (STDOUT_FILENO, &cpu, 1) < 0)
        return 1;
    }
  return status == 0 ? 0 : 1;
}
