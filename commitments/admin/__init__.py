"""Admin: where staff record progress. Saving a pledge or an update recomputes its status in the same
transaction (the admin's change view is atomic) through `commitments.actions`. Importing the modules registers
their admins."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import documents, instructions, people, pledges, revisions, system, updates  # noqa: F401  (registers the admins)
from . import channels  # noqa: F401  (group robots, issue 19)
from . import public  # noqa: F401  (the public portal's openings and the API tokens, issue 21)
from . import scoring  # noqa: F401  (scoring rules and bulletins, issue 20)

admin.site.site_header = _("Pledge tracker")
admin.site.site_title = _("Pledge tracker")
admin.site.index_title = _("Administration")
admin.site.enable_nav_sidebar = False  # the pledge table needs the width
