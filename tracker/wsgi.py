import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
application = get_wsgi_application()

# The objects loaded so far (Django, the apps, the settings) live as long as the process: leave them out of the
# garbage collector's passes, which otherwise walked all of them again and again (13 % of a busy web process's CPU;
# 4 % after this, measured in bench/README.md). Each web worker imports this module after the fork.
gc.freeze()
