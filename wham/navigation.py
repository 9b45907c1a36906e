"""The site navigation for each role: one list every page's header is built from."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from wham.accounts.models import Role

NAV_BY_ROLE = {
    Role.PARTICIPANT: [("accounts.home", _l("Home")), ("goals.my_goals", _l("My goal")),
                       ("goals.log_today", _l("Log")), ("goals.inventory", _l("Inventory")),
                       ("checkins.check_in", _l("Check-in")), ("checkins.progress", _l("Progress")),
                       ("family.support_plan", _l("Support plan")),
                       ("family.sharing", _l("Sharing")), ("groups.my_groups", _l("My groups")),
                       ("accounts.profile", _l("Profile"))],
    Role.PEER_SPECIALIST: [("groups.my_groups", _l("My groups")),
                           ("accounts.people", _l("My participants")),
                           ("accounts.profile", _l("Profile"))],
    Role.FAMILY: [("accounts.home", _l("Home")), ("accounts.profile", _l("Profile"))],
    Role.ADMIN: [("admin.index", _l("Program")), ("admin.users", _l("People")),
                 ("groups.admin_groups", _l("Groups")),
                 ("sms.admin_statistics", _l("Texts")),
                 ("admin.audit_log", _l("Audit log")), ("accounts.profile", _l("Profile"))],
}


def nav_links() -> list[tuple[str, str]]:
    if not current_user.is_authenticated:
        return []
    return NAV_BY_ROLE.get(current_user.role, [])


def init_app(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals["nav_links"] = nav_links
