"""The annotator endpoints answer what the OpenAPI schema at /api/schema/ says they answer."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
import yaml

from tests.test_annotating.test_sittings_api import next_pair, start, submit

pytestmark = pytest.mark.django_db


def _json_schema(node: Any) -> Any:
    """OpenAPI 3.0's `nullable: true` as JSON Schema's null type; `$ref`s kept (resolved by the root)."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


@pytest.fixture
def schema(client, annotator) -> dict:
    client.force_login(annotator)
    return yaml.safe_load(client.get("/api/schema/").content)


def check(schema: dict, response, *, path: str, method: str = "post") -> None:
    operation = schema["paths"][path][method]
    declared = operation["responses"][str(response.status_code)]["content"]["application/json"]["schema"]
    root = {**_json_schema(declared), "components": _json_schema(schema["components"])}
    jsonschema.validate(response.json(), root)


def test_the_annotator_flow_answers_as_the_schema_says(api, schema, annotator, pairs, clock):
    client = api(annotator)
    check(schema, start(client), path="/api/projects/{slug}/sittings/")
    check(
        schema,
        client.get("/api/projects/helpful/sittings/current/"),
        path="/api/projects/{slug}/sittings/current/",
        method="get",
    )
    served = next_pair(client)
    check(schema, served, path="/api/projects/{slug}/next/")
    clock.advance(seconds=20)
    answered = submit(client, served.json()["assignment"]["id"], "left", dwell_ms=15_000)
    check(schema, answered, path="/api/assignments/{assignment_id}/judgment/")
    ended = client.post("/api/projects/helpful/sittings/current/end/")
    check(schema, ended, path="/api/projects/{slug}/sittings/current/end/")


def test_the_refusals_answer_as_the_schema_says(api, schema, annotator, annotator2, engineer, pairs, clock):
    client = api(annotator)
    sitting = "/api/projects/{slug}/sittings/"
    check(schema, next_pair(client), path="/api/projects/{slug}/next/")  # 409 no_sitting
    check(schema, client.post("/api/projects/helpful/sittings/current/end/"), path=sitting + "current/end/")  # 404
    check(schema, client.get("/api/projects/helpful/sittings/current/"), path=sitting + "current/", method="get")
    check(schema, start(api(engineer)), path=sitting)  # 403 not_annotator
    check(schema, start(api(None)), path=sitting)  # 401, not logged in
    check(schema, start(client, slug="nowhere"), path=sitting)  # 404
    start(client)
    served = next_pair(client).json()["assignment"]["id"]
    check(schema, submit(api(annotator2), served, "left"), path="/api/assignments/{assignment_id}/judgment/")  # 404
    client.post("/api/projects/helpful/sittings/current/end/")
    on_break = start(client)
    assert on_break.status_code == 409 and on_break.json()["code"] == "on_break"
    check(schema, on_break, path=sitting)
    clock.advance(seconds=1)
    ended = submit(client, served, "left")
    assert ended.status_code == 409
    check(schema, ended, path="/api/assignments/{assignment_id}/judgment/")


def test_progress_names_what_an_answer_must_carry_as_the_schema_says(api, schema, annotator, project):
    """Found by the API audit: the progress answer's `project` was missing from the schema, and it
    did not say that a project asks for a safety label, criteria or a rationale of some length, so
    a client's answers were refused (400) by rules it could not read."""
    project.ask_safety, project.criteria = True, ["helpful", "honest"]
    project.ask_rationale, project.rationale_min_chars = True, 20
    project.save()
    response = api(annotator).get("/api/projects/helpful/progress/")
    check(schema, response, path="/api/projects/{slug}/progress/", method="get")
    assert "project" in schema["components"]["schemas"]["ProgressOutput"]["required"]
    declared = schema["components"]["schemas"]["ProgressProject"]["properties"]
    shown = response.json()["project"]
    assert set(shown) == set(declared)
    assert shown["ask_safety"] is True
    assert shown["criteria"] == ["helpful", "honest"]
    assert shown["rationale_min_chars"] == 20
