"""The site navigation for each role: the main links every page's header is built from, each
marking itself current on the pages that belong to it, and the account links beside the name."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from wham.accounts.models import Role
from wham.i18n import translate


@dataclass(frozen=True)
class NavLink:
    endpoint: str
    label: object  # a lazy string, translated when shown
    # Other pages this link stands for: on them it is marked as the current section.
    also: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The label in the reader's language (the quick catalog look-up, as templates use)."""
        return translate(self.label)

    @property
    def current(self) -> str | None:
        """aria-current: "page" on the link's own page, "true" on a page of its section."""
        if request.endpoint == self.endpoint:
            return "page"
        return "true" if request.endpoint in self.also else None


# A participant's pages grouped into eight places, so the bar stays on one line on a computer
# and two on a phone. The self-inventory lives with Progress (where it is charted); the
# profile and signing out sit apart, beside the program's name.
NAV_BY_ROLE: dict[Role, tuple[NavLink, ...]] = {
    Role.PARTICIPANT: (
        NavLink("accounts.home", _l("Home")),
        NavLink("goals.my_goals", _l("My goal"),
                ("goals.goal", "goals.new_goal", "goals.edit_goal", "goals.plan",
                 "goals.print_summary")),
        NavLink("goals.log_today", _l("Log"), ("goals.plan_log",)),
        NavLink("checkins.check_in", _l("Check-in"), ("checkins.week",)),
        NavLink("checkins.progress", _l("Progress"), ("goals.inventory", "goals.take_inventory")),
        NavLink("family.support_plan", _l("Support plan"),
                ("family.edit_support_plan", "family.plan_history", "family.print_plan")),
        NavLink("family.sharing", _l("Sharing"),
                ("family.new_consent", "family.consent", "family.activity")),
        NavLink("groups.my_groups", _l("My groups"), ("groups.group", "groups.group_session",
                                                      "groups.join")),
    ),
    Role.PEER_SPECIALIST: (
        NavLink("groups.my_groups", _l("My groups"),
                ("groups.group", "groups.group_session", "groups.member", "groups.new_group")),
        NavLink("accounts.people", _l("My participants")),
    ),
    # A family member has one page of their own (the people who share with them), reached by
    # the program's name: a bar with a single link would only take room.
    Role.FAMILY: (),
    Role.ADMIN: (
        NavLink("admin.index", _l("Program")),
        NavLink("admin.users", _l("People"), ("admin.user", "admin.new_staff_account")),
        NavLink("groups.admin_groups", _l("Groups"),
                ("groups.admin_new_group", "groups.admin_edit_group")),
        NavLink("sms.admin_statistics", _l("Texts")),
        NavLink("admin.audit_log", _l("Audit log")),
    ),
}
ACCOUNT_LINKS = (NavLink("accounts.profile", _l("Profile"),
                         ("accounts.change_password", "sms.settings")),)


def nav_links() -> tuple[NavLink, ...]:
    if not current_user.is_authenticated:
        return ()
    return NAV_BY_ROLE.get(current_user.role, ())


def account_links() -> tuple[NavLink, ...]:
    return ACCOUNT_LINKS if current_user.is_authenticated else ()


def init_app(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals["nav_links"] = nav_links
    app.jinja_env.globals["account_links"] = account_links
