/* osiiso-version.c: run-time version information
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "osiiso-version.h"

/**
 * osiiso_get_major_version:
 *
 * Gets the major version of the osiiso-glib library the program is running
 * with. Compare it with %OSIISO_MAJOR_VERSION, the version of the headers it
 * was compiled against.
 *
 * Returns: the major version, e.g. 1 in 1.2.3
 */
guint
osiiso_get_major_version (void)
{
  return OSIISO_MAJOR_VERSION;
}

/**
 * osiiso_get_minor_version:
 *
 * Gets the minor version of the osiiso-glib library the program is running
 * with. Compare it with %OSIISO_MINOR_VERSION, the version of the headers it
 * was compiled against.
 *
 * Returns: the minor version, e.g. 2 in 1.2.3
 */
guint
osiiso_get_minor_version (void)
{
  return OSIISO_MINOR_VERSION;
}

/**
 * osiiso_get_micro_version:
 *
 * Gets the micro version of the osiiso-glib library the program is running
 * with. Compare it with %OSIISO_MICRO_VERSION, the version of the headers it
 * was compiled against.
 *
 * Returns: the micro version, e.g. 3 in 1.2.3
 */
guint
osiiso_get_micro_version (void)
{
  return OSIISO_MICRO_VERSION;
}
