import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings")
application = get_wsgi_application()

# After setup, before the first request: production mode without a real key or host list
# does not serve at all (aftersales.core.production).
from aftersales.core.production import refuse_unsafe_start  # noqa: E402

refuse_unsafe_start()
