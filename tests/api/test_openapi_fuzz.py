"""Schemathesis over the served OpenAPI schema: whatever a client sends, the server never 5xxs.

In-process (ASGI), authenticated with a real token, bounded: a fixed seed and a few examples per
operation, so the run is repeatable and short. Every operation of the schema is covered, with
both the positive (schema-valid) and negative (schema-breaking) generation modes.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from reelmint.api.app import create_app
from support import make_account

EXAMPLES_PER_OPERATION = 15


def test_the_schema_documents_the_video_api(services):
    """The served document describes both request bodies and the error shape."""
    from fastapi.testclient import TestClient

    with TestClient(create_app(services)) as client:
        document = client.get("/openapi.json").json()
    create = document["paths"]["/v1/videos"]["post"]
    assert set(create["requestBody"]["content"]) == {"multipart/form-data", "application/json"}
    form = create["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert form["properties"]["input_reference"]["format"] == "binary"
    assert "Idempotency-Key" in {p["name"] for p in create["parameters"]}
    assert {"400", "413"} <= set(create["responses"])
    content = document["paths"]["/v1/videos/{video_id}/content"]["get"]
    assert "video/mp4" in content["responses"]["200"]["content"]
    assert "206" in content["responses"]
    events = document["paths"]["/v1/videos/{video_id}/events"]["get"]
    assert "text/event-stream" in events["responses"]["200"]["content"]
    extend = document["paths"]["/v1/videos/extensions"]["post"]["requestBody"]["content"]
    assert extend["application/json"]["schema"]["properties"]["video"]["properties"]["id"]


def test_every_reference_in_the_schema_resolves(services):
    """ReDoc (/redoc) fails on a `$ref` that points nowhere, such as pydantic's `#/$defs/...`
    inside a body written by hand."""
    from fastapi.testclient import TestClient

    with TestClient(create_app(services)) as client:
        document = client.get("/openapi.json").json()

    def refs(node):
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                yield node["$ref"]
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for item in node:
                yield from refs(item)

    found = set(refs(document))
    assert found, "the document refers to no component at all"
    for ref in found:
        target = document
        for part in ref.removeprefix("#/").split("/"):
            assert isinstance(target, dict), ref
            assert part in target, f"{ref} points nowhere"
            target = target[part]


def test_no_request_makes_the_server_fail(services):
    """Each operation, schema-valid and schema-breaking requests alike: never a 5xx.

    (Schemathesis' pytest plugin loader does not run on this pytest, so the operations are
    driven here directly, one bounded Hypothesis run each.)
    """
    account = make_account(services, "fuzz@example.com")
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(services))
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                fuzz(operation.as_strategy(generation_mode=mode), account.headers)
            except Unsatisfiable:  # nothing to break: an operation without inputs
                continue
            except Exception as exc:  # collected, so one run reports every failing operation
                failures.append(f"{operation.label} ({mode}): {exc}")
    assert failures == [], "\n\n".join(failures)


def fuzz(strategy, headers):
    @seed(20260101)
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case):
        case.call_and_validate(headers=headers, checks=[not_a_server_error])

    run()
