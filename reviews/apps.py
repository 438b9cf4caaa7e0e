from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"

    def ready(self):
        from core.events import event_receiver_register
        from reviews.services.trend_actions import trend_action_on_event

        event_receiver_register(trend_action_on_event)
