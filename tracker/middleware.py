from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers


class ChosenLanguageMiddleware:
    """Chinese unless the user picked another language (the language switcher sets a cookie).

    Deliberately ignores the browser's Accept-Language: office PCs often run English browsers, yet the
    working language is Chinese. Replaces Django's LocaleMiddleware (no language prefix in URLs).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        try:
            language = translation.get_supported_language_variant(chosen) if chosen else settings.LANGUAGE_CODE
        except LookupError:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ["Cookie"])
        return response


class SecurityHeadersMiddleware:
    """Every page, export and uploaded file carries the site's Content-Security-Policy (unless the view set a stricter
    one) and Cache-Control: private, for they are for one signed-in person: no shared proxy may keep a copy.
    Static files never come here (WhiteNoise, earlier in MIDDLEWARE, answers them) and stay publicly cacheable."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = "; ".join(
            f"{directive} {' '.join(sources)}" for directive, sources in settings.TRACKER_CONTENT_SECURITY_POLICY.items()
        )

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        if not getattr(response, "public_cache", False):  # the public portal's pages mark themselves (public.mark_public)
            patch_cache_control(response, private=True)
        return response
