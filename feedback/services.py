"""Writes of the feedback themes: the dictionary's entries, and the themes job that
groups a month's feedback texts into themes per scope and stores them.

A text goes into every dictionary theme one of whose keywords occurs in it (its
words, in order, as the segmenter cuts both); the texts no entry matches are
grouped without supervision (TF-IDF over their words, k-means) and each group is
labelled by its top terms. A theme raised by at least N customers
(``shared_min_customers``) is shared (共性), otherwise individual (个性)."""
from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core import access, jobs
from core.models import Job
from core.services import row_save
from feedback import text as words
from feedback.models import THEMES_JOB_KIND, FeedbackTheme, ThemeEntry, ThemeMember, shared_min_customers
from feedback.selectors import Text, feedback_texts, theme_entries_in_force

MAX_GROUPS = 30
EXCERPT = 300


# ---------------------------------------------------------------- dictionary

def theme_entry_save(*, actor, entry: ThemeEntry | None, team, name_zh: str, name_en: str, keywords_zh: str,
                     keywords_en: str, is_active: bool, now: dt.datetime) -> ThemeEntry:
    """Create (``entry`` None) or change a dictionary entry. Admins any team or none
    (global); a lead their own team only."""
    if not access.can_edit_feedback_themes(actor):
        raise PermissionDenied
    if team is None and not access.is_admin(actor):
        raise ValidationError({"team": [_("Only an admin may edit the entries every team uses.")]})
    if team is not None:
        access.check_choices(team=(access.assignable_teams_for(actor), team.pk))
    if not (keywords_zh.strip() or keywords_en.strip()):
        raise ValidationError({"keywords_zh": [_("Give at least one keyword, in Chinese or English.")]})
    clash = ThemeEntry.objects.filter(team=team, name_zh=name_zh.strip())
    if entry is not None:
        clash = clash.exclude(pk=entry.pk)
    if clash.exists():
        raise ValidationError({"name_zh": [_("This scope already has a theme of that name.")]})
    entry = entry or ThemeEntry()
    for name, value in (("team", team), ("name_zh", name_zh.strip()), ("name_en", name_en.strip()),
                        ("keywords_zh", keywords_zh.strip()), ("keywords_en", keywords_en.strip()),
                        ("is_active", is_active), ("updated_at", now)):
        setattr(entry, name, value)
    with transaction.atomic():
        row_save(entry, fields=["team", "name_zh", "name_en", "keywords_zh", "keywords_en", "is_active",
                                "updated_at"])
    return entry


def theme_entry_delete(*, actor, entry: ThemeEntry) -> None:
    if not access.can_edit_feedback_themes(actor):
        raise PermissionDenied
    entry.delete()


# ---------------------------------------------------------------- grouping

@dataclass
class Group:
    key: str
    source: str
    name_zh: str
    name_en: str
    entry: ThemeEntry | None = None
    terms: list[str] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)


def _phrases(entry: ThemeEntry) -> list[list[str]]:
    return [p for p in (words.tokens(k) for k in entry.keywords()) if p]


def dictionary_match(texts: list[Text], tokens: list[list[str]], entries: list[ThemeEntry]
                     ) -> tuple[list[Group], list[int]]:
    """The dictionary themes of ``texts`` (``tokens`` their words) and the indexes of
    the texts no entry matched."""
    phrases = [(e, _phrases(e)) for e in entries]
    groups: dict[int, Group] = {}
    unmatched = []
    for i, toks in enumerate(tokens):
        hit = False
        for entry, entry_phrases in phrases:
            if any(words.phrase_in(p, toks) for p in entry_phrases):
                group = groups.setdefault(entry.pk, Group(key=f"dict:{entry.pk}", source="dictionary",
                                                          name_zh=entry.name_zh, name_en=entry.name_en, entry=entry))
                group.texts.append(texts[i])
                hit = True
        if not hit:
            unmatched.append(i)
    return list(groups.values()), unmatched


def unsupervised_groups(texts: list[Text], tokens: list[list[str]]) -> list[Group]:
    """Group texts by their words: TF-IDF over the content words, k-means with
    k ≈ √n (at most ``MAX_GROUPS``), each group named by its three top terms.
    Texts without a content word are left out."""
    docs = [(t, [w for w in toks if w not in words.STOPWORDS and len(w) > 1]) for t, toks in zip(texts, tokens)]
    docs = [(t, toks) for t, toks in docs if toks]
    if not docs:
        return []
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer=lambda toks: toks, sublinear_tf=True)
    matrix = vectorizer.fit_transform([toks for _t, toks in docs])
    vocabulary = vectorizer.get_feature_names_out()
    distinct = len({tuple(sorted(set(toks))) for _t, toks in docs})
    k = max(1, min(MAX_GROUPS, distinct, round(math.sqrt(len(docs)))))
    if k == 1:
        labels = [0] * len(docs)
        centroids = [matrix.mean(axis=0).A1]
    else:
        from sklearn.cluster import KMeans
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            model = KMeans(n_clusters=k, n_init=4, random_state=0).fit(matrix)
        labels, centroids = model.labels_, model.cluster_centers_
    groups: dict[str, Group] = {}
    for label in sorted(set(int(x) for x in labels)):
        centroid = centroids[label]
        top = [str(vocabulary[j]) for j in centroid.argsort()[::-1][:3] if centroid[j] > 0]
        name = " / ".join(top)
        group = groups.setdefault(name, Group(key=f"auto:{name}"[:120], source="grouping", name_zh=name,
                                              name_en=name, terms=top))
        group.texts.extend(docs[i][0] for i, lab in enumerate(labels) if lab == label)
    return list(groups.values())


def themes_group(texts: list[Text], *, entries: list[ThemeEntry]) -> list[Group]:
    """The dictionary themes of ``texts`` and the unsupervised groups of the rest."""
    tokens = [words.tokens(t.text) for t in texts]
    found, unmatched = dictionary_match(texts, tokens, entries)
    found += unsupervised_groups([texts[i] for i in unmatched], [tokens[i] for i in unmatched])
    return found


# ---------------------------------------------------------------- the job

def month_bounds(month: dt.date, *, as_of: dt.date | None = None) -> tuple[dt.date, dt.date]:
    start = month.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return start, min(end, as_of) if as_of and as_of >= start else end


def themes_compute(*, month: dt.date, now: dt.datetime, as_of: dt.date | None = None) -> dict:
    """Group the month's texts into themes for every team and for all teams together,
    and store them in place of the month's earlier result (all or nothing)."""
    from crm.models import Team

    start, end = month_bounds(month, as_of=as_of)
    texts = feedback_texts(start=start, end=end)
    by_team: dict[int | None, list[Text]] = defaultdict(list)
    for t in texts:
        by_team[t.team_id].append(t)
    scopes = [(None, texts)] + [(team_id, by_team.get(team_id, []))
                                for team_id in Team.objects.order_by("pk").values_list("pk", flat=True)]
    minimum = shared_min_customers()
    themes, members = [], []
    for team_id, scope_texts in scopes:
        for group in themes_group(scope_texts, entries=theme_entries_in_force(team_id=team_id)):
            customers = {t.customer_id for t in group.texts}
            theme = FeedbackTheme(period_start=start, period_end=end, team_id=team_id, key=group.key,
                                  source=group.source, entry=group.entry, name_zh=group.name_zh[:120],
                                  name_en=group.name_en[:120], terms=group.terms, customers=len(customers),
                                  texts=len(group.texts), is_shared=len(customers) >= minimum, computed_at=now)
            themes.append(theme)
            members.append([ThemeMember(customer_id=t.customer_id, kind=t.kind, object_id=t.object_id, at=t.at,
                                        excerpt=t.text[:EXCERPT]) for t in group.texts])
    with transaction.atomic():
        FeedbackTheme.objects.filter(period_start=start).delete()
        FeedbackTheme.objects.bulk_create(themes)
        for theme, rows in zip(themes, members):
            for row in rows:
                row.theme_id = theme.pk
        ThemeMember.objects.bulk_create([row for rows in members for row in rows], batch_size=2000)
    return {"month": start.isoformat(), "end": end.isoformat(), "texts": len(texts), "themes": len(themes),
            "shared": sum(t.is_shared for t in themes)}


@jobs.job_handler(THEMES_JOB_KIND, idempotent=True)
def themes_job_run(*, job: Job, progress: jobs.Progress) -> dict:
    """The themes of the job's month (to its ``as_of``), written in one transaction."""
    month = dt.date.fromisoformat(job.params["month"])
    as_of = dt.date.fromisoformat(job.params["as_of"]) if job.params.get("as_of") else None
    summary = themes_compute(month=month, now=job.started_at, as_of=as_of)
    progress.update(1, 1)
    return summary


def themes_request(*, actor, month: dt.date, as_of: dt.date, now: dt.datetime) -> Job:
    """Queue a recompute of a month's themes (a lead's or admin's button)."""
    if not access.can_edit_feedback_themes(actor):
        raise PermissionDenied
    return jobs.job_enqueue(kind=THEMES_JOB_KIND, params={"month": month.replace(day=1).isoformat(),
                                                          "as_of": as_of.isoformat()}, actor=actor, now=now)


def themes_recompute_nightly(*, today: dt.date, now: dt.datetime) -> list[str]:
    """The nightly run: this month to date, and on the first days the month before
    (its last days came in after the previous night)."""
    months = [today.replace(day=1)]
    if today.day <= 2:
        months.insert(0, (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1))
    out = []
    for month in months:
        job = jobs.job_run_now(kind=THEMES_JOB_KIND, params={"month": month.isoformat(), "as_of": today.isoformat()},
                               actor=None, now=now)
        out.append(job.status)
    return out
