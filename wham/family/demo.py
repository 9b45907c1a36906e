"""Demo data for support plans and family sharing: Maria's plan, a family member with an
active consent (crisis plan) and one that Maria stopped."""
from __future__ import annotations

from datetime import datetime, timedelta

from wham import audit
from wham.accounts.models import Role, User
from wham.extensions import db
from wham.family.models import Consent, CrisisContact, SupportPlanVersion
from wham.family.services import end_of_local_day
from wham.family.statement import build_statement

FAMILY_EMAIL = "family@example.org"

MARIA_PLAN = {
    "wellness_toolbox": "A walk by the river. Calling my sister Ana. Music with headphones. "
                        "Writing three good things before bed.",
    "daily_maintenance": "When I am well I am chatty and I cook for friends.\n"
                         "Every day: breakfast before 9, my meds with breakfast, 20 minutes outside.",
    "triggers": "Money worries, loud arguments, not sleeping.\n"
                "What I do: talk it through with Ana, take a break outside, go to bed on time.",
    "early_warning_signs": "I stop answering texts. I skip meals. I sleep in late.\n"
                           "What I do: tell my peer specialist, plan one small thing each day.",
    "crisis_signs": "I stay in my room for more than a day, I don't eat, I say I'm a burden.",
    "crisis_supporters": "Ana: stays with me and helps me call my doctor.\n"
                         "Luis: takes care of the dog and the kids' school runs.",
    "crisis_helps": "Sitting with me quietly. Tea. Reminding me this has passed before.",
    "crisis_does_not_help": "Lecturing me, arguing, or making plans for me without asking.",
    "crisis_services": "Riverside Clinic crisis team. I prefer not to go to County General.",
    "medications": "Sertraline 100 mg each morning. Allergic to penicillin.",
    "after_crisis": "A slow week: short walks, Ana checks in daily, back to group when ready.",
}


def load_family_demo(people: dict[str, User], now: datetime) -> None:
    """Add Maria's support plan and the family demo account with its consents."""
    maria = people["maria@example.org"]
    password_hash = maria.password_hash
    family = User(display_name="Ana", email=FAMILY_EMAIL, role=Role.FAMILY,
                  time_zone=maria.time_zone, language="en", password_hash=password_hash,
                  created_at=now)
    db.session.add(family)
    people[FAMILY_EMAIL] = family
    first = SupportPlanVersion(owner_id=maria.id, number=1, saved_at=now - timedelta(days=20),
                               **(MARIA_PLAN | {"medications": ""}))
    first.contacts = [CrisisContact(position=0, name="Ana", relationship_="Sister",
                                    phone="+1 202-555-0110")]
    latest = SupportPlanVersion(owner_id=maria.id, number=2, saved_at=now - timedelta(days=6),
                                **MARIA_PLAN)
    latest.contacts = [
        CrisisContact(position=0, name="Ana", relationship_="Sister", phone="+1 202-555-0110"),
        CrisisContact(position=1, name="Dr. Okafor", relationship_="Psychiatrist",
                      phone="+1 202-555-0175"),
    ]
    db.session.add_all([first, latest])
    db.session.flush()

    def consent(days_ago: int, **fields) -> Consent:
        signed = now - timedelta(days=days_ago)
        row = Consent(participant_id=maria.id, recipient_name="Ana",
                      recipient_email=FAMILY_EMAIL, family_user_id=family.id,
                      signature_name="Maria Alvarez", signed_at=signed, created_at=signed,
                      accepted_at=signed + timedelta(hours=3), **fields)
        db.session.add(row)
        db.session.flush()
        row.signed_statement = build_statement(row)  # the words Maria signed
        audit.record("consent.given", actor=maria, subject=maria, obj=row, now=signed)
        audit.record("consent.accepted", actor=family, subject=maria, obj=row,
                     now=row.accepted_at)
        return row

    stopped = consent(30, share_support_plan=True, purpose="recovery",
                      expiry_event="When I finish the WHAM program",
                      revoked_at=now - timedelta(days=15))
    audit.record("consent.revoked", actor=maria, subject=maria, obj=stopped, now=stopped.revoked_at)
    active = consent(14, share_crisis_plan=True, purpose="crisis",
                     purpose_text="So Ana knows what to do if I am in a crisis",
                     expires_on=(now + timedelta(days=180)).date())
    active.expires_at = end_of_local_day(active.expires_on, maria.time_zone)
    audit.record("family.viewed", actor=family, subject=maria, obj=active,
                 now=now - timedelta(days=2), what="crisis_plan")
    db.session.commit()
