/* osiiso-worker.c: serves the functions of a C shared module to a process queue
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Usage: osiiso-worker MODULE.so
 *        osiiso-worker --module PATH
 *
 * The module exports
 *
 *   gboolean osiiso_worker_module_init (OsiisoWorker *worker, GError **error);
 *
 * which registers the module's functions (osiiso_worker_register()) and,
 * if it wants one, an initializer. When the module cannot be loaded or its
 * init function fails, the reason goes to standard error and, as the
 * worker's hello, to the parent; the process exits with status 1.
 */

#include <osiiso-glib/osiiso-glib.h>
#include <gmodule.h>
#include <glib/gi18n.h>

#include <locale.h>
#include <stdlib.h>
#include <unistd.h>

#define MODULE_INIT_SYMBOL "osiiso_worker_module_init"

typedef gboolean (*ModuleInitFunc) (OsiisoWorker  *worker,
                                    GError       **error);

/* Stands in for the module's functions when it could not be loaded, so
 * that the parent learns why this worker cannot serve. */
static gboolean
report_load_error (OsiisoWorker  *worker,
                   gpointer       user_data,
                   GError       **error)
{
  g_propagate_error (error, g_error_copy (user_data));
  return FALSE;
}

static GModule *
load_module (const char    *path,
             OsiisoWorker  *worker,
             GError       **error)
{
  g_autofree char *file = NULL;
  GModule *module;
  ModuleInitFunc init = NULL;
  gpointer symbol = NULL;

  /* dlopen() searches the library path for a name without a slash, so an
   * existing file is always named by its absolute path. */
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    file = g_canonicalize_filename (path, NULL);
  else
    file = g_strdup (path);

  module = g_module_open (file, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);
  if (module == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("Could not load the module: %s"), g_module_error ());
      return NULL;
    }
  if (!g_module_symbol (module, MODULE_INIT_SYMBOL, &symbol) || symbol == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("The module %s has no function %s"), path, MODULE_INIT_SYMBOL);
      g_module_close (module);
      return NULL;
    }

  init = (ModuleInitFunc) symbol;
  if (!init (worker, error))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                     _("The module %s failed to initialize"), path);
      else
        g_prefix_error (error, _("The module %s failed to initialize: "), path);
      /* Not closed: it may have registered functions already. */
      return NULL;
    }

  /* The module's functions live as long as the process. */
  g_module_make_resident (module);
  return module;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(OsiisoWorker) worker = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *module_path = NULL;
  g_auto(GStrv) rest = NULL;
  const char *path;
  GModule *module;
  gint status;
  const GOptionEntry entries[] = {
    { "module", 'm', 0, G_OPTION_ARG_FILENAME, &module_path,
      N_("The shared module whose functions to serve"), N_("PATH") },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rest, NULL, NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (_("MODULE"));
  g_option_context_set_summary (context,
    _("Serves the functions of a C shared module to a process queue.\n"
      "\n"
      "Loads MODULE, calls its osiiso_worker_module_init() to register its\n"
      "functions, then serves them on standard input and output, as a worker\n"
      "process of an OsiisoProcessQueue, until the input ends."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("osiiso-worker: %s\n", error->message);
      return 1;
    }

  if (module_path != NULL && rest != NULL)
    {
      g_printerr ("osiiso-worker: %s\n", _("Give the module either with --module or as an argument, not both"));
      return 1;
    }
  if (module_path == NULL && (rest == NULL || rest[0] == NULL || rest[1] != NULL))
    {
      g_printerr ("osiiso-worker: %s\n", _("Give exactly one module to load (see --help)"));
      return 1;
    }
  path = module_path != NULL ? module_path : rest[0];

  if (!g_module_supported ())
    {
      g_printerr ("osiiso-worker: %s\n", _("This system cannot load modules"));
      return 1;
    }

  worker = osiiso_worker_new ();
  module = load_module (path, worker, &error);
  if (module == NULL)
    {
      g_printerr ("osiiso-worker: %s\n", error->message);

      /* Tell a parent process too: the hello carries the reason. */
      if (!isatty (STDOUT_FILENO))
        {
          g_autoptr(OsiisoWorker) failed = osiiso_worker_new ();
          g_autoptr(GError) run_error = NULL;

          osiiso_worker_set_initializer (failed, report_load_error,
                                         g_steal_pointer (&error), (GDestroyNotify) g_error_free);
          osiiso_worker_run (failed, &run_error);
        }
      return 1;
    }

  status = osiiso_worker_run (worker, &error);
  if (error != NULL)
    g_printerr ("osiiso-worker: %s\n", error->message);
  return status;
}
