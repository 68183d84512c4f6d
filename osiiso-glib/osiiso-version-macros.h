/* osiiso-version-macros.h: symbol export and availability macros
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(OSIISO_INSIDE) && !defined(OSIISO_COMPILATION)
# error "Only <osiiso-glib/osiiso-glib.h> can be included directly."
#endif

#include <glib.h>

/* The library is built with -fvisibility=hidden; every public declaration
 * carries one of the macros below, which makes it visible while the library
 * itself is compiled (OSIISO_COMPILATION is defined) and is a plain extern
 * declaration for users of the installed headers.
 */
#ifndef _OSIISO_EXTERN
# if defined(OSIISO_COMPILATION) && (defined(__GNUC__) || defined(__clang__))
#  define _OSIISO_EXTERN __attribute__((visibility("default"))) extern
# else
#  define _OSIISO_EXTERN extern
# endif
#endif

#ifdef OSIISO_DISABLE_DEPRECATION_WARNINGS
# define OSIISO_DEPRECATED _OSIISO_EXTERN
# define OSIISO_DEPRECATED_FOR(f) _OSIISO_EXTERN
#else
# define OSIISO_DEPRECATED G_DEPRECATED _OSIISO_EXTERN
# define OSIISO_DEPRECATED_FOR(f) G_DEPRECATED_FOR(f) _OSIISO_EXTERN
#endif

/* Available in every version of the 1.0 API */
#define OSIISO_AVAILABLE_IN_ALL _OSIISO_EXTERN

/* Added in 1.0 */
#define OSIISO_AVAILABLE_IN_1_0 _OSIISO_EXTERN
#define OSIISO_DEPRECATED_IN_1_0 OSIISO_DEPRECATED
#define OSIISO_DEPRECATED_IN_1_0_FOR(f) OSIISO_DEPRECATED_FOR(f)
