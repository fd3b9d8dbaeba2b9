"""The REAct fields a case records (shared/DOMAIN.md), as codes with translatable labels."""

from __future__ import annotations

from bot.i18n import N_

__all__ = [
    "AGE_BANDS",
    "GENDERS",
    "GROUPS",
    "PERPETRATORS",
    "SERVICES_GIVEN",
    "STATUS_LABELS",
    "VIOLATIONS",
    "WHEN",
]

VIOLATIONS = {
    "refusal": N_("Refused help or services"),
    "medical_access": N_("Denied medical care"),
    "discrimination": N_("Discrimination, stigma"),
    "emotional": N_("Insults, threats, humiliation"),
    "physical": N_("Physical violence"),
    "sexual": N_("Sexual violence"),
    "harassment": N_("Harassment, intimidation"),
    "property": N_("Property taken or destroyed"),
    "eviction": N_("Eviction"),
    "disclosure": N_("HIV status disclosed without consent"),
    "other": N_("Something else"),
}
PERPETRATORS = {
    "police": N_("Police"),
    "health": N_("Health workers, clinic"),
    "social": N_("Social services"),
    "prison": N_("Prison or detention staff"),
    "family": N_("Partner or family"),
    "individual": N_("Another person"),
    "employer": N_("Employer"),
    "other": N_("Someone else"),
}
WHEN = {
    "today": N_("Today"),
    "week": N_("This week"),
    "month": N_("This month"),
    "earlier": N_("Earlier"),
}
GROUPS = {
    "hiv": N_("Living with HIV"),
    "tb": N_("Affected by TB"),
    "drugs": N_("Use or inject drugs"),
    "ost": N_("On OST"),
    "sex_work": N_("Sex work"),
    "lgbtiq": N_("LGBTIQ"),
    "prisoner": N_("In prison now or before"),
    "migrant": N_("Migrant or refugee"),
    "none": N_("None of these"),
    "not_say": N_("Prefer not to say"),
}
GENDERS = {
    "female": N_("Woman"),
    "male": N_("Man"),
    "trans_female": N_("Trans woman"),
    "trans_male": N_("Trans man"),
    "other": N_("Another answer"),
    "not_say": N_("Prefer not to say"),
}
AGE_BANDS = {
    "0-15": "0–15",
    "16-18": "16–18",
    "19-35": "19–35",
    "36-55": "36–55",
    "55+": "55+",
    "not_say": N_("Prefer not to say"),
}
STATUS_LABELS = {
    "new": N_("New, waiting for a paralegal"),
    "in_progress": N_("A paralegal is working on it"),
    "waiting": N_("Waiting for your answer"),
    "referred": N_("Referred to a lawyer or service"),
    "resolved": N_("Resolved"),
    "closed": N_("Closed"),
    "withdrawn": N_("Withdrawn by you"),
}

# REAct's "response" field: what the paralegal did (several).
SERVICES_GIVEN = {
    "primary_legal": N_("Primary legal aid"),
    "psychosocial": N_("Psychosocial support"),
    "lawyer": N_("Lawyer (secondary legal aid)"),
    "complaint": N_("Complaint"),
    "police_application": N_("Application to the police"),
    "court": N_("Court documents"),
    "mediation": N_("Mediation"),
    "referral": N_("Referral"),
    "material": N_("Material help"),
}
