from django.contrib.auth import views as auth_views
from django.urls import path

from . import bulletin_views, completeness, notifications, todo, views

urlpatterns = [
    path("", views.SummaryView.as_view(), name="tracker-summary"),
    path("pledges/", views.FilteredPledgeListView.as_view(), name="tracker-pledges"),
    path("pledges/<int:pk>/", views.PledgeDetailView.as_view(), name="tracker-pledge"),
    path("organizations/<int:pk>/", views.OrganizationDetailView.as_view(), name="tracker-organization"),
    path("documents/<int:pk>/", views.SourceDocumentDetailView.as_view(), name="tracker-document"),
    path("todo/", todo.TodoView.as_view(), name="tracker-todo"),
    path("notifications/", notifications.NotificationListView.as_view(), name="tracker-notifications"),
    path("notifications/<int:pk>/", notifications.notification_view, name="tracker-notification"),
    path("notifications/read-all/", notifications.mark_all_read, name="tracker-notifications-read-all"),
    path("completeness/", completeness.CompletenessView.as_view(), name="tracker-completeness"),
    path("completeness/chase/", completeness.chase_view, name="tracker-chase"),
    path("help/", views.HelpView.as_view(), name="tracker-help"),
    path("bulletins/", bulletin_views.BulletinListView.as_view(), name="tracker-bulletins"),
    path("bulletins/<int:pk>/<str:which>/", bulletin_views.bulletin_file, name="tracker-bulletin-file"),
    path("pick/<str:kind>/", views.pick_view, name="tracker-pick"),
    path("health/", views.health_view, name="tracker-health"),
    path("login/", auth_views.LoginView.as_view(), name="tracker-login"),
    path("logout/", auth_views.LogoutView.as_view(), name="tracker-logout"),
]
