import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civis.settings")
application = get_wsgi_application()
# Django, Wagtail and the settings are loaded for the life of the process: keep them out of the
# garbage collector's full passes, which otherwise traverse them all and add tens of
# milliseconds to whichever request triggers one (and share them across forked workers).
gc.freeze()
