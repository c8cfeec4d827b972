from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from commitments.views import media_file

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # Uploaded files, each only to those who may see what it belongs to (in production too, not only with DEBUG).
    path(f"{settings.MEDIA_URL.strip('/')}/<path:name>", media_file, name="tracker-media"),
    # The public portal and the open-data API (issue 21): no login, public pledges only.
    path("", include("commitments.public_urls")),
    path("", include("commitments.urls")),
]
