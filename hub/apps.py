from django.apps import AppConfig


class HubConfig(AppConfig):
    """The top of the stack: what gathers every app. The home page (a section per role, each drawing
    on several apps) and the demo data (every app's demo, in order, and the compliance stories that
    run through assessments, conditions and referrals). Nothing imports from here; see
    docs/architecture.md."""

    name = "hub"
    verbose_name = "Home and demo"
