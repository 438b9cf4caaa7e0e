from core import access
from core.navigation import nav_for


def navigation(request):
    """Computed once per request: a page renders panels with ``render_to_string(…,
    request=request)``, and each such render runs the context processors again."""
    cached = getattr(request, "_navigation_context", None)
    if cached is not None:
        return cached
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    request._navigation_context = {
        "nav_items": nav_for(user, path=request.path),
        "nav_is_admin": access.is_admin(user),
        "nav_is_lead": access.is_lead_or_admin(user),
        "nav_unread_notifications": user.notifications.filter(read_at__isnull=True).count(),
    }
    return request._navigation_context
