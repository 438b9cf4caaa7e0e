"""The churn model page: the current model's backtest (ROC and calibration charts
with their tables, the decile table drilling down to the customers), the
caller's riskiest customers, and the training form. Parse, call a selector or
service, render."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_POST

from core import access
from core import selectors as core_selectors
from segmentation.churn import features, selectors, services
from segmentation.churn.forms import ChurnTrainForm
from segmentation.churn.models import TRAIN_JOB_KIND


def _charts(model) -> list[dict]:
    m = model.metrics
    roc = m.get("roc") or {"fpr": [], "tpr": []}
    calibration = m.get("calibration") or []
    return [
        {"id": "churn-roc", "title": _("ROC curve of the backtest"), "x": _("false positive rate"),
         "y": _("true positive rate"),
         "series": [{"label": pgettext("churn", "model"), "points": [[x, y] for x, y in zip(roc["fpr"], roc["tpr"])]},
                    {"label": pgettext("churn", "chance"), "points": [[0, 0], [1, 1]]}],
         "table": {"header": [_("false positive rate"), _("true positive rate")],
                   "rows": [[f"{x:.2f}", f"{y:.2f}"] for x, y in zip(roc["fpr"], roc["tpr"])][::10]}},
        {"id": "churn-calibration", "title": _("Calibration: predicted and observed churn"),
         "x": _("predicted probability"), "y": _("observed churn rate"),
         "series": [{"label": pgettext("churn", "model"), "points": [[b["predicted"], b["observed"]] for b in calibration]},
                    {"label": _("perfect calibration"), "points": [[0, 0], [1, 1]]}],
         "table": {"header": [_("predicted probability"), _("customers"), _("observed churn rate")],
                   "rows": [[f"{b['low']:.1f}–{b['high']:.1f}", b["customers"], f"{b['observed']:.0%}"]
                            for b in calibration]}},
    ]


@require_GET
@login_required
def churn_model_page(request):
    if access.is_support(request.user):
        raise PermissionDenied
    model = selectors.churn_model_current()
    context = {"model": model, "can_train": access.can_manage_segments(request.user),
               "form": ChurnTrainForm(initial={"as_of": timezone.localdate(), "horizon_days": 90}),
               "jobs": core_selectors.latest_jobs_for_user(user=request.user, kind=TRAIN_JOB_KIND)}
    if model is not None:
        mine = selectors.decile_counts_for_user(user=request.user)
        list_url = reverse("customer-list")
        context.update({
            "charts": _charts(model),
            "deciles": [{**d, "mine": mine.get(d["decile"], 0), "url": f"{list_url}?churn_decile={d['decile']}"}
                        for d in model.metrics.get("deciles", [])],
            "candidates": sorted(model.metrics.get("candidates", {}).items(), key=lambda kv: -kv[1]),
            "features": [{"name": f, "label": features.feature_label(f), "reference": model.reference.get(f)}
                         for f in model.features],
            "top": selectors.top_risk_for_user(user=request.user),
            "versions": selectors.churn_model_versions(),
        })
    return render(request, "segmentation/churn/model.html", context)


@require_POST
@login_required
def churn_model_train(request):
    form = ChurnTrainForm(request.POST)
    if form.is_valid():
        try:
            job = services.churn_train_request(actor=request.user, as_of=form.cleaned_data["as_of"],
                                               horizon_days=form.cleaned_data["horizon_days"], now=timezone.now())
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, _("Training queued (job %(id)s).") % {"id": job.pk})
            return redirect("segmentation:churn-model")
    messages.error(request, _("The training could not be queued: %(errors)s") % {"errors": form.errors.as_text()})
    return redirect("segmentation:churn-model")
