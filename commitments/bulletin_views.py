"""The bulletins page: the bulletins of the scopes a user manages, to download, and a form to make one on demand."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import ListView

from . import access, bulletins, tasks
from .models import Bulletin, Organization

FILE_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}


class OnDemandForm(forms.Form):
    scope = forms.ModelChoiceField(label=gettext_lazy("Organization (with those under it)"), queryset=Organization.objects.none())
    period_kind = forms.ChoiceField(label=gettext_lazy("Period"), choices=Bulletin.Period.choices)
    period_end = forms.DateField(
        label=gettext_lazy("As of"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("Monthly and quarterly: any day of the month or quarter after the one reported on."),
    )
    period_start = forms.DateField(
        label=gettext_lazy("From (on demand only)"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope"].queryset = access.scopes_for_bulletins(user)

    def clean(self):
        data = super().clean()
        kind, end, start = data.get("period_kind"), data.get("period_end"), data.get("period_start")
        if end is None or kind is None:
            return data
        if kind == Bulletin.Period.MONTH:
            data["period_start"], data["period_end"] = bulletins.month_before(end)
        elif kind == Bulletin.Period.QUARTER:
            data["period_start"], data["period_end"] = bulletins.quarter_before(end)
        else:
            if end > timezone.localdate():
                self.add_error("period_end", _("The date cannot be in the future."))
            if start is None:
                self.add_error("period_start", _("Give the first day of the period."))
            elif start > end:
                self.add_error("period_start", _("The period cannot start after it ends."))
        return data


class BulletinListView(LoginRequiredMixin, ListView):
    template_name = "commitments/bulletins.html"
    paginate_by = 50

    def get_queryset(self):
        return access.bulletins_for(self.request.user).select_related("scope")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if access.scopes_for_bulletins(self.request.user).exists():
            context["form"] = kwargs.get("form") or OnDemandForm(user=self.request.user, initial={"period_end": timezone.localdate()})
        return context

    def post(self, request, *args, **kwargs):
        form = OnDemandForm(request.POST, user=request.user)
        if not form.is_valid():
            self.object_list = self.get_queryset()
            return self.render_to_response(self.get_context_data(form=form))
        data = form.cleaned_data
        if not access.scopes_for_bulletins(request.user).filter(pk=data["scope"].pk).exists():
            raise PermissionDenied
        tasks.enqueue_safely(
            tasks.make_bulletin, data["scope"].pk, data["period_kind"], data["period_start"].isoformat(),
            data["period_end"].isoformat(), request.user.pk,
        )
        messages.success(request, _("The bulletin is being made; it appears here in a minute and is sent to the managers."))
        return redirect("tracker-bulletins")


@login_required
def bulletin_file(request, pk: int, which: str):
    """A bulletin's Word or PDF file, for the managers and administrators of its scope (404 for anyone else)."""
    if which not in FILE_TYPES:
        raise Http404
    bulletin = get_object_or_404(access.bulletins_for(request.user), pk=pk)
    stored = getattr(bulletin, which)
    try:
        opened = stored.open("rb")
    except OSError:
        raise Http404 from None
    response = FileResponse(opened, as_attachment=True, filename=f"{bulletin.title}{bulletin.number}.{which}",
                            content_type=FILE_TYPES[which])
    response["X-Content-Type-Options"] = "nosniff"
    return response

