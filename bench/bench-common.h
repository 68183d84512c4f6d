/* bench-common.h: what the W1-W5 bench programs share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Header-only (every function static), so each bench program stays one
 * translation unit: clocks, order statistics as in the reference harness
 * (perf-anchors.md §1), memory probes for W5, the calibrated arithmetic
 * loop of W3, the --cases list, a shuffled round order, the frame of the
 * JSON object, and the child-process runner for the Python peers
 * (bench/peers.py under Debian's /usr/bin/python3).
 *
 * JSON output: every program of the suite prints, with --json, one object
 * in the shape bench/run.py reads (schema "osiiso-bench/1"):
 *
 *   {"schema": "osiiso-bench/1", "workload": "W2", "unit": "ns/task",
 *    "rounds": R, "params": {...},
 *    "cases": {"NAME": {"backend": "thread", "osiiso": true,
 *                       "runs": [one value per round, null if not run],
 *                       "extra": {"KEY": [one value per round], ...}}},
 *    "goals": [{"subject": "NAME", "baseline": "NAME" or "ideal",
 *               "max": 2.0, "label": "..."}]}
 *
 * "runs" hold the case's primary figure (lower is better) in "unit"; a
 * paired ratio is runs[subject][r] / runs[baseline][r], median over r.
 */

#pragma once

#include <glib.h>

#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef BENCH_PEERS_PY
# define BENCH_PEERS_PY NULL
#endif

/* ------------------------------------------------------------------------
 * Clocks
 * --------------------------------------------------------------------- */

static inline gint64
bench_clock_ns (clockid_t id)
{
  struct timespec ts;

  clock_gettime (id, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

/* g_get_monotonic_time() has µs resolution; small --tasks runs need ns. */
static inline gint64
bench_now_ns (void)
{
  return bench_clock_ns (CLOCK_MONOTONIC);
}

static inline gint64
bench_thread_cpu_ns (void)
{
  return bench_clock_ns (CLOCK_THREAD_CPUTIME_ID);
}

/* ------------------------------------------------------------------------
 * Statistics (numpy's default quantile: linear between order statistics)
 * --------------------------------------------------------------------- */

typedef struct
{
  gdouble median, p25, p75, min, max;
  guint   n;   /* values that were not NAN */
} BenchStats;

static inline int
bench_compare_doubles (gconstpointer a,
                       gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return (x > y) - (x < y);
}

static inline gdouble
bench_quantile (const gdouble *sorted,
                guint          n,
                gdouble        q)
{
  gdouble pos = q * (n - 1);
  guint lo = (guint) pos;
  guint hi = MIN (lo + 1, n - 1);

  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

/* NAN values (a case that did not run in a round) are left out. */
static inline BenchStats
bench_stats (const gdouble *values,
             guint          n)
{
  g_autofree gdouble *sorted = g_new (gdouble, MAX (n, 1));
  BenchStats stats = { NAN, NAN, NAN, NAN, NAN, 0 };
  guint m = 0;

  for (guint i = 0; i < n; i++)
    if (!isnan (values[i]))
      sorted[m++] = values[i];
  if (m == 0)
    return stats;
  qsort (sorted, m, sizeof (gdouble), bench_compare_doubles);
  stats.median = bench_quantile (sorted, m, 0.5);
  stats.p25 = bench_quantile (sorted, m, 0.25);
  stats.p75 = bench_quantile (sorted, m, 0.75);
  stats.min = sorted[0];
  stats.max = sorted[m - 1];
  stats.n = m;
  return stats;
}

/* Fisher-Yates over order[0..n). */
static inline void
bench_shuffle (GRand *rand,
               guint *order,
               guint  n)
{
  for (guint i = n; i > 1; i--)
    {
      guint j = (guint) g_rand_int_range (rand, 0, (gint32) i);
      guint t = order[i - 1];

      order[i - 1] = order[j];
      order[j] = t;
    }
}

/* ------------------------------------------------------------------------
 * Cases
 * --------------------------------------------------------------------- */

/* Enables the cases named in @list (--cases: comma-separated names), or
 * all @n_cases when @list is NULL. @case_index gives a name's case, or -1
 * for an unknown name: then FALSE, after a message on stderr. */
static inline gboolean
bench_enable_cases (const char *list,
                    guint       n_cases,
                    gint      (*case_index) (const char *name),
                    gboolean   *enabled)
{
  g_auto(GStrv) names = NULL;

  if (list == NULL)
    {
      for (guint c = 0; c < n_cases; c++)
        enabled[c] = TRUE;
      return TRUE;
    }
  names = g_strsplit (list, ",", -1);
  for (guint k = 0; names[k] != NULL; k++)
    {
      gint c = case_index (g_strstrip (names[k]));

      if (c < 0)
        {
          fprintf (stderr, "Unknown case “%s”\n", names[k]);
          return FALSE;
        }
      enabled[c] = TRUE;
    }
  return TRUE;
}

/* The enabled ones of @n_cases cases, in index order, into @order; how
 * many there are. */
static inline guint
bench_enabled_order (const gboolean *enabled,
                     guint           n_cases,
                     guint          *order)
{
  guint n_enabled = 0;

  for (guint c = 0; c < n_cases; c++)
    if (enabled[c])
      order[n_enabled++] = c;
  return n_enabled;
}

/* ------------------------------------------------------------------------
 * JSON helpers
 * --------------------------------------------------------------------- */

static inline void
bench_json_number (GString *out,
                   gdouble  value)
{
  if (isnan (value) || isinf (value))
    g_string_append (out, "null");
  else
    {
      char buf[G_ASCII_DTOSTR_BUF_SIZE];

      g_string_append (out, g_ascii_formatd (buf, sizeof buf, "%.6g", value));
    }
}

static inline void
bench_json_array (GString       *out,
                  const gdouble *values,
                  guint          n)
{
  g_string_append_c (out, '[');
  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append (out, ", ");
      bench_json_number (out, values[i]);
    }
  g_string_append_c (out, ']');
}

/* The start of the object, up to the opening of "params": the caller
 * goes on with the parameters, then `}, "cases": {`. */
static inline void
bench_json_begin (GString    *out,
                  const char *workload,
                  const char *unit,
                  guint       n_rounds)
{
  g_string_append_printf (out, "{\"schema\": \"osiiso-bench/1\", \"workload\": \"%s\", "
                          "\"unit\": \"%s\", \"rounds\": %u, \"params\": {",
                          workload, unit, n_rounds);
}

/* The start of one entry of "cases", after @n earlier ones (counted up):
 * the caller goes on with `, "runs": ...` and closes it. */
static inline void
bench_json_case (GString    *out,
                 guint      *n,
                 const char *name,
                 const char *backend,
                 gboolean    osiiso)
{
  g_string_append_printf (out, "%s\"%s\": {\"backend\": \"%s\", \"osiiso\": %s",
                          (*n)++ > 0 ? ", " : "", name, backend, osiiso ? "true" : "false");
}

/* The number after "KEY": in a flat JSON text, or NAN. */
static inline gdouble
bench_json_get (const char *text,
                const char *key)
{
  char needle[128];
  const char *p;

  g_snprintf (needle, sizeof needle, "\"%s\":", key);
  p = text != NULL ? strstr (text, needle) : NULL;

  if (p == NULL)
    return NAN;
  p += strlen (needle);
  while (*p == ' ')
    p++;
  if (g_str_has_prefix (p, "null"))
    return NAN;
  return g_ascii_strtod (p, NULL);
}

static inline char *
bench_loadavg (void)
{
  g_autofree char *text = NULL;

  if (!g_file_get_contents ("/proc/loadavg", &text, NULL, NULL))
    return g_strdup ("?");
  return g_strstrip (g_strndup (text, 14));
}

/* ------------------------------------------------------------------------
 * Memory probes (W5)
 * --------------------------------------------------------------------- */

/* Resident set size in bytes, from /proc/self/statm (what the kernel has
 * really given the process: touched pages). */
static inline gint64
bench_rss_bytes (void)
{
  g_autofree char *text = NULL;
  unsigned long size = 0, resident = 0;

  if (!g_file_get_contents ("/proc/self/statm", &text, NULL, NULL)
      || sscanf (text, "%lu %lu", &size, &resident) != 2)
    return -1;
  return (gint64) resident * sysconf (_SC_PAGESIZE);
}

/* Bytes the allocator has handed out and not had back (glibc mallinfo2:
 * in-use bytes of the arenas plus mmap'ed blocks), summed over every
 * arena. GSlice's magazines (GLib 2.74) come from malloc too, so they are
 * counted, in whole chunks. */
static inline gint64
bench_malloc_in_use (void)
{
  struct mallinfo2 info = mallinfo2 ();

  return (gint64) (info.uordblks + info.hblkhd);
}

/* ------------------------------------------------------------------------
 * W3: a calibrated arithmetic loop
 * --------------------------------------------------------------------- */

/* xorshift64 steps: no memory traffic, no system calls, not vectorisable.
 * The same code in this header serves the bench and its worker module. */
static inline guint64
bench_spin (guint64 iterations,
            guint64 seed)
{
  guint64 x = seed | 1;

  for (guint64 i = 0; i < iterations; i++)
    {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
    }
  return x;
}

/* Iterations that take @target_ns of thread CPU time here: the median of
 * 5 timings of a 10 ms guess, scaled. */
static inline guint64
bench_spin_calibrate (gint64 target_ns)
{
  guint64 guess = 1000000;
  gdouble ns_per_iter[5];
  volatile guint64 sink = 0;

  /* Grow the guess until one run takes at least 5 ms. */
  for (;;)
    {
      gint64 t0 = bench_thread_cpu_ns ();

      sink += bench_spin (guess, 1);
      if (bench_thread_cpu_ns () - t0 >= 5000000)
        break;
      guess *= 2;
    }
  for (guint i = 0; i < G_N_ELEMENTS (ns_per_iter); i++)
    {
      gint64 t0 = bench_thread_cpu_ns ();

      sink += bench_spin (guess, i + 2);
      ns_per_iter[i] = (gdouble) (bench_thread_cpu_ns () - t0) / guess;
    }
  (void) sink;
  return (guint64) (target_ns / bench_stats (ns_per_iter, G_N_ELEMENTS (ns_per_iter)).median);
}

/* ------------------------------------------------------------------------
 * Python peers: bench/peers.py under /usr/bin/python3
 * --------------------------------------------------------------------- */

static char *bench_python = NULL;      /* --python */
static char *bench_peers_py = NULL;    /* --peers-py */

static inline void
bench_python_defaults (void)
{
  if (bench_python == NULL)
    bench_python = g_strdup ("/usr/bin/python3");
  if (bench_peers_py == NULL && BENCH_PEERS_PY != NULL)
    bench_peers_py = g_strdup (BENCH_PEERS_PY);
}

static inline gboolean
bench_python_available (void)
{
  bench_python_defaults ();
  return bench_peers_py != NULL
         && g_file_test (bench_python, G_FILE_TEST_IS_EXECUTABLE)
         && g_file_test (bench_peers_py, G_FILE_TEST_EXISTS);
}

/* Whether to leave out the Python peers: when @no_python (--no-python)
 * says so, or when the interpreter or peers.py is missing, which is said
 * on stderr for @workload. */
static inline gboolean
bench_leave_out_python (const char *workload,
                        gboolean    no_python)
{
  if (!no_python && !bench_python_available ())
    {
      fprintf (stderr, "%s: no %s or peers.py: leaving out the Python peers\n", workload, bench_python);
      return TRUE;
    }
  return no_python;
}

/* Runs `python3 peers.py ARGS...` and returns its stdout (one JSON line),
 * or aborts: a peer that fails is a broken bench, not a slow peer.
 *
 * Spawned with G_SPAWN_LEAVE_DESCRIPTORS_OPEN, which lets GLib use
 * posix_spawn() (a vfork) instead of fork(): a fork write-protects every
 * page of the bench process for copy-on-write, and whatever case ran next
 * took a page fault on each page it wrote again, so the cases that reuse
 * more memory (a queue's task records and results, some 30 MB in W2)
 * paid for the harness's Python peers (W2: 8,500 page faults per run of a
 * thread group instead of 1,500). */
static inline char *
bench_run_python (const char * const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  g_autofree char *out = NULL;
  gint status = 0;

  bench_python_defaults ();
  g_ptr_array_add (argv, bench_python);
  g_ptr_array_add (argv, bench_peers_py);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_LEAVE_DESCRIPTORS_OPEN, NULL, NULL,
                     &out, &err, &status, &error))
    g_error ("%s: %s", bench_peers_py, error->message);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("%s %s failed (%s):\n%s", bench_peers_py, args[0], error->message, err);
  /* A copy, not out itself: gcc 12 then sees no "dangling pointer" to the
   * local whose address g_spawn_sync() took. */
  return g_strdup (out);
}

#define BENCH_PYTHON_OPTIONS \
  { "python", 0, 0, G_OPTION_ARG_FILENAME, &bench_python, \
    "Python for the Python peers (default /usr/bin/python3)", "PATH" }, \
  { "peers-py", 0, 0, G_OPTION_ARG_FILENAME, &bench_peers_py, \
    "The Python peers script (default: the source tree's bench/peers.py)", "PATH" }
