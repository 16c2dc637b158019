"""Every refusal the API answers is one its OpenAPI schema declares, in the shape it declares: a
client generated from the schema is told to expect the 400s, 403s, 404s and 429s it will get."""

from __future__ import annotations

import jsonschema
import pytest
import yaml
from django.utils import timezone

from analytics.models import BiasReport
from annotate.models import JobState
from exporter.models import ExportJob
from tests.conftest import client_for
from tests.test_annotating.test_schema import _json_schema

pytestmark = pytest.mark.django_db

PROJECT_REFUSALS = {"401", "404"}


@pytest.fixture
def schema(lead) -> dict:
    return yaml.safe_load(client_for(lead).get("/api/schema/").content)


def declared(schema: dict, response, *, path: str, method: str) -> None:
    """The response's status is declared for the operation, and its body has the declared shape."""
    responses = schema["paths"][path][method]["responses"]
    assert str(response.status_code) in responses, f"{method.upper()} {path}: {response.status_code} undeclared"
    body_schema = responses[str(response.status_code)]["content"]["application/json"]["schema"]
    root = {**_json_schema(body_schema), "components": _json_schema(schema["components"])}
    jsonschema.validate(response.json(), root)


def test_every_operation_declares_401_and_every_project_operation_404(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert "401" in codes, f"{method.upper()} {path}"
            if "{" in path:
                assert codes >= PROJECT_REFUSALS, f"{method.upper()} {path}"


def test_refusals_of_the_job_endpoints_are_declared(schema, lead, engineer, annotator, project):
    imports, exports = "/api/projects/{slug}/imports/", "/api/projects/{slug}/exports/"
    declared(schema, client_for(annotator).get("/api/projects/helpful/imports/"), path=imports, method="get")  # 403
    declared(schema, client_for(lead).get("/api/projects/nowhere/imports/"), path=imports, method="get")  # 404
    declared(schema, client_for(None).get("/api/projects/helpful/exports/"), path=exports, method="get")  # 401
    refused = client_for(lead).post("/api/projects/helpful/imports/", {}, format="json")
    assert refused.status_code == 400
    declared(schema, refused, path=imports, method="post")
    refused = client_for(engineer).post("/api/projects/helpful/exports/", {"max_length": 1}, format="json")
    assert refused.status_code == 400
    declared(schema, refused, path=exports, method="post")
    for _ in range(5):
        ExportJob.objects.create(project=project, created_by=engineer, format="hh-rlhf", state=JobState.PENDING)
    busy = client_for(engineer).post("/api/projects/helpful/exports/", {}, format="json")
    assert busy.status_code == 429
    declared(schema, busy, path=exports, method="post")
    assert busy.json()["code"] == "busy"
    assert busy["Retry-After"] == "30"  # a client retrying on its own is told when
    pending = ExportJob.objects.first()
    no_file = client_for(engineer).get(f"/api/projects/helpful/exports/{pending.id}/download/")
    # Not the 404 of an export that does not exist (found by the API audit).
    assert no_file.status_code == 409
    assert no_file.json() == {
        "detail": "This export has no file: it is pending.",
        "code": "no_file",
        "state": "pending",
    }
    declared(schema, no_file, path=exports + "{job_id}/download/", method="get")
    expired = ExportJob.objects.create(
        project=project, format="hh-rlhf", state=JobState.DONE, finished_at=timezone.now(), expired_at=timezone.now()
    )
    gone = client_for(engineer).get(f"/api/projects/helpful/exports/{expired.id}/download/")
    assert gone.status_code == 410 and gone.json()["code"] == "expired"
    declared(schema, gone, path=exports + "{job_id}/download/", method="get")
    report = client_for(engineer).post("/api/projects/helpful/bias-reports/")
    declared(schema, report, path="/api/projects/{slug}/bias-reports/", method="post")  # 403: leads only
    none_yet = client_for(engineer).get("/api/projects/helpful/bias-report/")
    declared(schema, none_yet, path="/api/projects/{slug}/bias-report/", method="get")  # 404


def test_refused_answers_of_the_annotator_are_declared(schema, annotator, pairs):
    client = client_for(annotator)
    client.post("/api/projects/helpful/sittings/", format="json")
    served = client.post("/api/projects/helpful/next/", {}, format="json").json()["assignment"]["id"]
    no_side = client.post(f"/api/assignments/{served}/judgment/", {}, format="json")
    assert no_side.status_code == 400
    declared(schema, no_side, path="/api/assignments/{assignment_id}/judgment/", method="post")
    too_many = client.post("/api/projects/helpful/next/", {"exclude": list(range(1, 12))}, format="json")
    assert too_many.status_code == 400
    declared(schema, too_many, path="/api/projects/{slug}/next/", method="post")
    activity = client.post("/api/projects/helpful/sittings/current/activity/", {"assignment": 0}, format="json")
    assert activity.status_code == 400
    declared(schema, activity, path="/api/projects/{slug}/sittings/current/activity/", method="post")


def test_the_latest_report_and_the_one_computing_answer_as_declared(schema, lead, project):
    """Found by the API audit: `computing` was in the answer but not in the schema."""
    BiasReport.objects.create(project=project, state=JobState.DONE, computed_at=timezone.now(), payload={})
    computing = BiasReport.objects.create(project=project, state=JobState.RUNNING)
    latest = client_for(lead).get("/api/projects/helpful/bias-report/")
    assert latest.status_code == 200
    declared(schema, latest, path="/api/projects/{slug}/bias-report/", method="get")
    assert "computing" in schema["components"]["schemas"]["BiasReportLatest"]["properties"]
    assert latest.json()["computing"]["id"] == computing.id


def test_every_refusal_with_a_message_has_a_code_to_switch_on(lead, annotator, engineer, project):
    """Found by the API audit: "No such project." and "Only the project's leads …" came without the
    `code` that other refusals carry, so a client had to read their words."""
    cases = [
        (client_for(lead).get("/api/projects/nowhere/progress/"), 404, "not_found"),
        (client_for(annotator).get("/api/projects/helpful/imports/"), 403, "permission_denied"),
        (client_for(None).get("/api/projects/helpful/progress/"), 401, "not_authenticated"),
        (client_for(engineer).get("/api/projects/helpful/exports/999999/"), 404, "not_found"),
        (client_for(lead).get("/api/no-such-route/"), 404, "not_found"),
    ]
    for response, status_code, code in cases:
        assert (response.status_code, response.json()["code"]) == (status_code, code), response.json()
    refused = client_for(engineer).post(
        "/api/projects/helpful/exports/", {"format": "hh-rlhf", "with_metadata": True}, format="json"
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid"


def test_the_schema_says_a_repeated_submit_gets_the_stored_judgment(schema):
    responses = schema["paths"]["/api/assignments/{assignment_id}/judgment/"]["post"]["responses"]
    assert responses["200"]["description"].startswith("Answered before: the stored judgment, unchanged")
    assert responses["201"]["description"] == "Recorded."


def test_request_bodies_whose_unknown_fields_are_refused_say_so(schema):
    # The server refuses a field it does not know (400, naming it); the schema let any through, so a
    # client generated from it, or a validator, could not catch `dwel_ms` before the server did.
    components = schema["components"]["schemas"]
    strict = {name for name, component in components.items() if component.get("additionalProperties") is False}
    assert strict == {
        "ExportOptions",
        "ImportStartInput",
        "JudgmentSubmitInput",
        "NextPairInput",
        "SittingActivityInput",
        "SittingEndInput",
    }
    root = {**_json_schema(components["JudgmentSubmitInput"]), "components": _json_schema(schema["components"])}
    jsonschema.validate({"side": "left", "dwell_ms": 10}, root)
    with pytest.raises(jsonschema.ValidationError, match="dwel_ms"):
        jsonschema.validate({"side": "left", "dwel_ms": 10}, root)
