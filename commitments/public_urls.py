"""The public portal's pages, downloads, feed and card, and the open-data API (issue 21): no login."""

from django.urls import path

from . import public
from .api import api

urlpatterns = [
    path("public/", public.pledge_list, name="public-pledges"),
    path("public/pledges/<int:pk>/", public.pledge_detail, name="public-pledge"),
    path("public/pledges/<int:pk>/card.svg", public.status_card, name="public-card"),
    path("public/organizations/<int:pk>/", public.organization_detail, name="public-organization"),
    path("public/pledges.csv", public.download_csv, name="public-download-csv"),
    path("public/pledges.json", public.download_json, name="public-download-json"),
    path("public/status-changes.atom", public.status_change_feed, name="public-feed"),
    path("api/v1/", api.urls),
]
