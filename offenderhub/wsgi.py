import os

from django.core.wsgi import get_wsgi_application

from offenderhub.startup import require_secret_key, warm_up

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "offenderhub.settings")
require_secret_key()

application = get_wsgi_application()
warm_up()
