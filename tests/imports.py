"""One import run for tests of other apps: a CSV validated with the automatic mapping
and its stage written, as the import job does (crm.importing)."""
from __future__ import annotations

import datetime as dt


def import_csv(actor, entity: str, text: str, *, today: dt.date, now: dt.datetime):
    from crm.importing import engine, reading, specs, writing

    content = text.encode("utf-8")
    headers, _rows = reading.read_headers(content=content, filename="f.csv")
    v = engine.import_validate(actor=actor, entity=entity, content=content, filename="f.csv",
                               mapping=specs.auto_mapping(headers, entity), today=today, now=now,
                               default_team_id=actor.team_id)
    assert v.ok, v.errors.to_dict("records")
    writing.write_stage(stage=v.stage)
    return v
