"""Response headers that keep personal data off shared computers and switch off browser features the
service never uses.

- ``Cache-Control: no-store`` (with Django's other never-cache headers) on every response to a
  signed-in person: case pages, caseloads, exports and documents all show personal data, and a
  browser on a shared computer must not keep them for the next user's Back button. Static files are
  answered by WhiteNoise before this middleware is reached, so they stay cacheable.
- ``Permissions-Policy`` denying the camera, microphone, location, payment, USB and the like, on
  every page: the service uses none of them, so injected script cannot either.
"""

from django.utils.cache import add_never_cache_headers

# Each feature listed with an empty allow-list: not for this page, nor for anything it embeds.
DENIED_FEATURES = (
    "accelerometer",
    "ambient-light-sensor",
    "autoplay",
    "battery",
    "bluetooth",
    "camera",
    "display-capture",
    "document-domain",
    "encrypted-media",
    "fullscreen",
    "geolocation",
    "gyroscope",
    "hid",
    "idle-detection",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "picture-in-picture",
    "screen-wake-lock",
    "serial",
    "usb",
    "web-share",
    "xr-spatial-tracking",
)
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in DENIED_FEATURES)


class SecurityHeadersMiddleware:
    """After ``AuthenticationMiddleware``, so it knows whether the request is a signed-in person's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        already = "no-store" in response.get("Cache-Control", "")
        if user is not None and user.is_authenticated and not already:
            add_never_cache_headers(response)
        return response
