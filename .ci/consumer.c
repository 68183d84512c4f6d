/* A minimal program built against the *installed* osiiso-glib, with
 * nothing but `pkg-config --cflags --libs osiiso-glib-1.0`. */

#include <osiiso-glib/osiiso-glib.h>

int
main (void)
{
  OsiisoThreadQueue *queue;

  if (osiiso_get_major_version () != OSIISO_MAJOR_VERSION ||
      osiiso_get_minor_version () != OSIISO_MINOR_VERSION ||
      osiiso_get_micro_version () != OSIISO_MICRO_VERSION)
    {
      g_printerr ("header version %s does not match library version %u.%u.%u\n",
                  OSIISO_VERSION_S, osiiso_get_major_version (),
                  osiiso_get_minor_version (), osiiso_get_micro_version ());
      return 1;
    }

  queue = osiiso_thread_queue_new (2);
  if (!OSIISO_IS_THREAD_QUEUE (queue) || !OSIISO_IS_QUEUE (queue))
    {
      g_printerr ("osiiso_thread_queue_new() did not return a thread queue\n");
      return 1;
    }

  g_print ("osiiso-glib major version: %u\n", osiiso_get_major_version ());

  g_object_unref (queue);
  return 0;
}
