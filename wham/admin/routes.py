"""Admin pages: program overview, accounts, invite codes and the audit log."""
from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from wham import audit
from wham.accounts import services as accounts
from wham.accounts.forms import ConfirmForm
from wham.accounts.models import Role
from wham.admin import services
from wham.admin.forms import (
    AssignPeerSpecialistForm,
    AuditFilterForm,
    RoleForm,
    StaffAccountForm,
    UserSearchForm,
)
from wham.extensions import db
from wham.links import public_url
from wham.permissions import load_user_for_admin, roles_required
from wham.timeutil import utcnow
from wham.validators import select_choices

bp = Blueprint("admin", __name__)
bp.add_app_template_filter(audit.action_label, "audit_action")


def _page_number() -> int:
    return max(1, min(request.args.get("page", 1, type=int) or 1, 100_000))


@bp.get("/")
@roles_required(Role.ADMIN)
def index():
    return render_template("admin/index.html", counts=accounts.count_users_by_role(),
                           form=ConfirmForm(), self_registration=current_app.config["SELF_REGISTRATION"])


@bp.get("/users")
@roles_required(Role.ADMIN)
def users():
    form = UserSearchForm(request.args)
    query = role = None
    if form.validate():
        query, role = form.q.data, form.role.data
    page = services.search_users(query, role, _page_number())
    return render_template("admin/users.html", form=form, page=page)


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_staff_account():
    form = StaffAccountForm()
    if request.method == "GET":
        form.time_zone.data = current_app.config["DEFAULT_TIME_ZONE"]
    if form.validate_on_submit():
        account = accounts.NewAccount(email=form.email.data, display_name=form.display_name.data,
                                      password=None, role=Role(form.role.data),
                                      time_zone=form.time_zone.data)
        try:
            user, token = accounts.create_staff_account(current_user, account, utcnow())
        except accounts.AccountError:
            db.session.rollback()
            form.email.errors.append(_("There is already an account with this email."))
        else:
            return render_template("accounts/reset_link.html", person=user, new_account=True,
                                   link=public_url("accounts.reset_password", token=token),
                                   hours=_link_hours())
    return render_template("admin/new_user.html", form=form)


def _link_hours() -> int:
    return int(current_app.config["RESET_LINK_LIFETIME"].total_seconds() // 3600)


@bp.get("/users/<int:user_id>")
@roles_required(Role.ADMIN)
def user(user_id: int):
    person = load_user_for_admin(user_id)
    assign_form = _assign_form(person)
    return render_template("admin/user.html", person=person, form=ConfirmForm(),
                           assign_form=assign_form, role_form=RoleForm(role=person.role.value))


def _assign_form(person) -> AssignPeerSpecialistForm:
    form = AssignPeerSpecialistForm(peer_specialist=str(person.peer_specialist_id or ""))
    form.peer_specialist.choices = select_choices(
        [("", _("No one yet"))] + [(str(p.id), p.display_name) for p in services.peer_specialists()])
    return form


@bp.post("/users/<int:user_id>/enabled")
@roles_required(Role.ADMIN)
def set_enabled(user_id: int):
    person = load_user_for_admin(user_id)
    if person.id == current_user.id:
        flash(_("You can't turn off your own account."), "error")
    else:
        enable = request.form.get("enabled") == "1"
        accounts.set_enabled(current_user, person, enable, utcnow())
        flash(_("%(name)s can sign in again.", name=person.display_name) if enable
              else _("%(name)s can no longer sign in.", name=person.display_name), "success")
    return redirect(url_for("admin.user", user_id=person.id))


@bp.post("/users/<int:user_id>/role")
@roles_required(Role.ADMIN)
def change_role(user_id: int):
    person = load_user_for_admin(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        flash(_("Choose a role from the list."), "error")
        return redirect(url_for("admin.user", user_id=person.id))
    try:
        accounts.change_role(current_user, person, Role(form.role.data), utcnow())
    except accounts.AccountError:
        flash(_("This account's role can't be changed here."), "error")
    else:
        flash(_("Saved. %(name)s signs in again to use the new role.", name=person.display_name),
              "success")
    return redirect(url_for("admin.user", user_id=person.id))


@bp.post("/users/<int:user_id>/peer-specialist")
@roles_required(Role.ADMIN)
def assign_peer_specialist(user_id: int):
    person = load_user_for_admin(user_id)
    if person.role != Role.PARTICIPANT:
        abort(404)
    form = _assign_form(person)
    if not form.validate_on_submit():
        flash(_("Choose a peer specialist from the list."), "error")
        return redirect(url_for("admin.user", user_id=person.id))
    # The choices are exactly the peer specialists, so a valid form names one (or no one).
    chosen = form.peer_specialist.data
    peer = load_user_for_admin(int(chosen)) if chosen else None
    accounts.assign_peer_specialist(current_user, person, peer, utcnow())
    flash(_("Saved."), "success")
    return redirect(url_for("admin.user", user_id=person.id))


@bp.post("/invite-codes")
@roles_required(Role.ADMIN)
def create_invite_code():
    code = accounts.create_invite_code(current_user, utcnow())
    days = current_app.config["INVITE_CODE_LIFETIME"].days
    return render_template("admin/invite_code.html", code=code, days=days,
                           register_url=public_url("accounts.register"))


def _audit_filter() -> tuple[AuditFilterForm, services.AuditFilter]:
    """The audit filters from the query string; with bad values, the unfiltered log and the
    form showing what is wrong."""
    form = AuditFilterForm(request.args)
    actions = sorted(((a, audit.action_label(a)) for a in services.audit_actions()),
                     key=lambda choice: choice[1].casefold())
    form.action.choices = select_choices([("", _("Everything"))] + actions)
    if request.args and form.validate():
        return form, services.AuditFilter(person=form.person.data or None,
                                          action=form.action.data or None,
                                          since=form.since.data, until=form.until.data,
                                          time_zone=current_user.time_zone)
    return form, services.AuditFilter(time_zone=current_user.time_zone)


@bp.get("/audit")
@roles_required(Role.ADMIN)
def audit_log():
    form, chosen = _audit_filter()
    page = services.audit_page(_page_number(), chosen)
    ids = {e.actor_id for e in page.items} | {e.subject_id for e in page.items}
    return render_template("admin/audit.html", page=page, form=form,
                           export_args={k: v for k, v in request.args.items() if k != "page"},
                           names=services.names_by_id({i for i in ids if i}))


@bp.get("/audit/export.csv")
@roles_required(Role.ADMIN)
def export_audit_log():
    form, chosen = _audit_filter()
    if form.errors:
        abort(400)
    now = utcnow()
    text, _count = services.export_audit_csv(current_user, chosen, now)
    return Response(text, mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=wham-audit-{now:%Y%m%d-%H%M%S}.csv"})
