"""The facilitator's page for texting their group one of the reviewed messages."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from wham.accounts.models import Role
from wham.nudges import services
from wham.nudges.forms import GroupTextForm
from wham.permissions import load_facilitated_group, roles_required
from wham.timeutil import utcnow

bp = Blueprint("nudges", __name__)


@bp.route("/groups/<int:group_id>/text", methods=["GET", "POST"])
@roles_required(Role.PEER_SPECIALIST)
def group_text(group_id: int):
    """Choose a message, see it as members will (in each language, and to how many), send."""
    me, now = current_user._get_current_object(), utcnow()
    group = load_facilitated_group(me, group_id)
    templates = services.group_message_choices(group, now)
    form = GroupTextForm().set_choices(templates)
    preview = None
    if request.method == "POST" and form.validate():
        if form.send.data:
            queued = services.send_group_message(me, group, form.message.data, now)
            if queued:
                flash(ngettext("The message is on its way to %(num)s member.",
                               "The message is on its way to %(num)s members.", queued), "success")
            else:
                flash(_("No one new to send it to: members who get texts about the group "
                        "already have this message today, or no one gets them yet."), "info")
            return redirect(url_for("groups.group", group_id=group.id))
        preview = services.preview_group_message(group, form.message.data, now)
    return render_template("nudges/group_text.html", group=group, form=form, preview=preview,
                           templates=templates), 200
