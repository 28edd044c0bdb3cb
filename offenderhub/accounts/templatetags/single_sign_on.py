"""The sign-in page's single sign-on button, shown only when this deployment has an identity provider."""

from django import template

from offenderhub.accounts.oidc import sso_enabled

register = template.Library()


@register.inclusion_tag("registration/single_sign_on.html")
def single_sign_on_button(next_url=""):
    return {"enabled": sso_enabled(), "next": next_url}
