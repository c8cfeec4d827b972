"""Group robots (WeCom, DingTalk) that an organization's alerts are posted to.

The webhook address holds the robot's key or access token, and DingTalk's signing secret signs every post: both are
write-only here. The form never renders them back (a saved one is shown masked, and left as it is when the field is
left empty), the list shows the address masked, and the model keeps no history (which would copy them)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from redis.exceptions import RedisError

from .. import access, robots
from ..jobs import webhook_limiter
from ..models import IMMEDIATE_KINDS, AlertKind, Channel
from .common import AllPermissionsByOneRule


class SecretInput(forms.PasswordInput):
    """A password box that is never filled in with the stored value."""

    def __init__(self, attrs=None):
        super().__init__(attrs={"autocomplete": "new-password", "size": 80, **(attrs or {})}, render_value=False)


class ChannelForm(forms.ModelForm):
    webhook_url = forms.CharField(
        label=_("webhook address"), required=False, max_length=500, widget=SecretInput(),
        help_text=_("In the group chat: group settings → group robots → add a robot, then copy its webhook address."),
    )
    secret = forms.CharField(
        label=_("signing secret"), required=False, max_length=200, widget=SecretInput(),
        help_text=_("DingTalk only, when the robot's security setting is “signing” (加签): the secret starting with SEC."),
    )
    forget_secret = forms.BooleanField(label=_("remove the saved signing secret"), required=False)
    alert_kinds = forms.MultipleChoiceField(
        label=_("alerts posted"),
        choices=[(kind, AlertKind(kind).label) for kind in IMMEDIATE_KINDS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        initial=list(IMMEDIATE_KINDS),  # a new robot: every kind, as the model's default (the add form has no instance)
    )

    class Meta:
        model = Channel
        fields = ["name", "kind", "organization", "webhook_url", "secret", "forget_secret", "keyword", "alert_kinds",
                  "language", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # What is saved now, read before the form writes over the instance: kept when a field is left empty.
        self.saved = {name: getattr(self.instance, name) for name in Channel.SECRET_FIELDS}
        if self.saved["webhook_url"]:
            self.fields["webhook_url"].help_text = _("Saved: %(address)s. Leave empty to keep it.") % {
                "address": robots.masked(self.saved["webhook_url"])
            }
        if self.saved["secret"]:
            self.fields["secret"].help_text = _("A signing secret is saved. Leave empty to keep it.")

    def clean_webhook_url(self):
        value = self.cleaned_data["webhook_url"].strip()
        if not value and not self.saved["webhook_url"]:
            raise ValidationError(_("Paste the robot's webhook address."))
        return value or self.saved["webhook_url"]

    def clean_secret(self):
        value = self.cleaned_data["secret"].strip()
        if self.data.get(self.add_prefix("forget_secret")) and not value:
            return ""
        return value or self.saved["secret"]


@admin.register(Channel)
class ChannelAdmin(AllPermissionsByOneRule, admin.ModelAdmin):
    form = ChannelForm
    list_display = ["name", "kind", "organization", "masked_address", "keyword", "active", "last_error", "last_error_at"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "organization__name"]
    list_select_related = ["organization"]
    autocomplete_fields = ["organization"]
    readonly_fields = ["last_error", "last_error_at"]
    actions = ["post_a_test_message"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(organization__in=access.organizations_for(request.user))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "organization":  # only an organization this administrator manages
            kwargs["queryset"] = access.organizations_for(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("webhook address"))
    def masked_address(self, obj):
        return robots.masked(obj.webhook_url)

    @admin.action(description=_("Post a test message to the selected robots"))
    def post_a_test_message(self, request, queryset):
        limiter = webhook_limiter()
        for channel in queryset:
            try:
                wait = limiter.wait_before_posting(channel.webhook_url)
            except RedisError:  # the shared count is out of reach: one test post will not pass the robot's limit
                wait = 0
            if wait:
                self.message_user(request, _("%(robot)s: too many messages this minute, try again shortly.") % {
                    "robot": channel}, messages.WARNING)
                continue
            text = str(_("A test message from the pledge tracker: alerts for %(organization)s will be posted here.") % {
                "organization": channel.organization})
            payload = robots.body(channel.kind, str(_("Test message")), text, channel.keyword)
            outcome = robots.post(channel.kind, channel.webhook_url, channel.secret, payload, 10)
            if outcome.kind == robots.Outcome.SENT:
                Channel.objects.filter(pk=channel.pk).update(last_error="", last_error_at=None)
                self.message_user(request, _("%(robot)s: the robot took the message.") % {"robot": channel})
            else:
                self.message_user(request, _("%(robot)s: not posted (%(error)s).") % {
                    "robot": channel, "error": outcome.detail}, messages.ERROR)
