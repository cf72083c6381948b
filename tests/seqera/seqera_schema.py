"""The Seqera stand-in's contract: every request it receives and every response it sends
is checked against Seqera Platform's published OpenAPI document (the subset in
../shared/reference/seqera/seqera-api-credentials.yaml) with openapi-core, made strict:

  * an object schema that lists its properties allows no others (the document leaves
    additionalProperties open, so a misspelt or invented field would pass silently);
  * `SecurityKeys` (a oneOf of nineteen key schemas whose properties are all optional,
    so any object matches several) is resolved by the credential's `provider` through
    the document's own discriminator mapping, without a `discriminator` field in the
    request (Seqera's CLI sends none);
  * readOnly fields are refused in requests and writeOnly fields (secrets) in responses,
    as openapi-core's write and read validators do;
  * a query parameter the operation does not declare is refused too.

Refusals are plain strings that name the field; the server answers them with
"stand-in: ..." (requests) or treats them as its own defect (responses).
"""

import copy
import os

import yaml
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound

SUBSET = "seqera-api-credentials.yaml"

# The name check (ValidateCredentialsName) is in Seqera's document (specs/seqera-api-cloud.yaml
# of seqeralabs/terraform-provider-seqera at c153482, path /credentials/validate) but was left
# out of the subset; it is added here, as the document defines it, only when missing.
NAME_CHECK = {
    "get": {
        "operationId": "ValidateCredentialsName",
        "summary": "Validate credential name",
        "parameters": [
            {"name": "workspaceId", "in": "query", "schema": {"type": "integer", "format": "int64"}},
            {"name": "name", "in": "query", "schema": {"type": "string"}},
        ],
        "responses": {
            "204": {"description": "OK - No content"},
            "400": {"description": "Bad request", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}},
            "403": {"description": "Operation not allowed"},
            "409": {"description": "Duplicate element", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}},
        },
        "security": [{"BearerAuth": []}],
    }
}

# Answers Seqera gives that its document does not list for these operations: a refused
# token (401), an entity that does not exist (404), a duplicate on create (409) and a
# server fault (500). Their bodies must still be an ErrorResponse.
UNDOCUMENTED_STATUSES = {401, 404, 409, 500}


def _strict(node):
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for v in node.values():
            _strict(v)
    elif isinstance(node, list):
        for v in node:
            _strict(v)


def _messages(exc):
    """The schema errors behind an openapi-core exception, each with its field path."""
    out = []
    seen = set()
    e = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        for err in getattr(e, "schema_errors", None) or ():
            for leaf in _leaves(err):
                where = ".".join(str(p) for p in leaf.absolute_path)
                out.append(f"{where or '(body)'}: {_rule(leaf)}")
        e = e.__cause__ or e.__context__
    if out:
        return out
    chain, e = [], exc
    while e is not None and len(chain) < 4:
        chain.append(str(e))
        e = e.__cause__
    return [": ".join(chain)]


def _rule(err):
    """The broken rule in words that never repeat the value (it may be a secret)."""
    kw, want = err.validator, err.validator_value
    if kw in ("additionalProperties", "required"):
        return err.message  # names fields only
    words = {
        "readOnly": "is read-only: a client may not send it",
        "writeOnly": "is write-only: it may not appear in an answer",
        "type": f"must be of type {want}",
        "enum": f"must be one of {want}",
        "maxLength": f"must be at most {want} characters",
        "format": f"must be in format {want}",
        "nullable": "may not be null",
    }
    return words.get(kw, f"breaks the rule {kw}: {want!r}")


def _leaves(err):
    if err.context:
        for sub in err.context:
            yield from _leaves(sub)
    else:
        yield err


class Contract:
    def __init__(self, reference_dir):
        path = os.path.join(reference_dir, SUBSET)
        with open(path, encoding="utf-8") as f:
            raw = yaml.safe_load(f)
        self.path = path
        self.raw = raw
        raw.setdefault("paths", {})
        self.name_check_added = "/credentials/validate" not in raw["paths"]
        if self.name_check_added:
            raw["paths"]["/credentials/validate"] = NAME_CHECK
        raw["servers"] = [{"url": "/"}]
        mapping = raw["components"]["schemas"]["SecurityKeys"]["discriminator"]["mapping"]
        self.keys_schema = {provider: ref.rsplit("/", 1)[1] for provider, ref in mapping.items()}
        self._by_provider = {}
        self.operations = {}
        for p, item in raw["paths"].items():
            for method, op in item.items():
                if isinstance(op, dict) and "operationId" in op:
                    self.operations[(method.upper(), p)] = op

    def api(self, provider):
        """The strict document with SecurityKeys bound to `provider`'s key schema (for an
        unknown or missing provider, the provider enum or `required` refuses the request)."""
        if provider not in self.keys_schema:
            provider = None
        if provider not in self._by_provider:
            doc = copy.deepcopy(self.raw)
            schemas = doc["components"]["schemas"]
            if provider in self.keys_schema:
                schemas["SecurityKeys"] = {"$ref": f"#/components/schemas/{self.keys_schema[provider]}"}
            else:  # no provider to select the keys by: the request fails on `provider` itself
                schemas["SecurityKeys"] = {"type": "object"}
            _strict(doc["components"])
            self._by_provider[provider] = OpenAPI.from_dict(doc)
        return self._by_provider[provider]

    def resolve(self, method, path):
        best = None
        parts = path.strip("/").split("/")
        for (m, template), op in self.operations.items():
            tparts = template.strip("/").split("/")
            if m != method or len(tparts) != len(parts):
                continue
            if not all(t.startswith("{") or t == p for t, p in zip(tparts, parts)):
                continue
            literal = sum(1 for t in tparts if not t.startswith("{"))
            if best is None or literal > best[0]:
                best = (literal, op["operationId"], template, op)
        return None if best is None else best[1:]

    def check_request(self, request, provider):
        """Refusals (a list of strings) for a werkzeug request; empty when it conforms."""
        found = self.resolve(request.method, request.path)
        if found is None:
            return [f"{request.method} {request.path} is not an operation of {SUBSET}"]
        _, _, op = found
        declared = {p["name"] for p in op.get("parameters", []) if p.get("in") == "query"}
        problems = [f"query parameter {name!r} is not defined by the operation" for name in request.args if name not in declared]
        try:
            self.api(provider).validate_request(WerkzeugOpenAPIRequest(request))
        except (PathNotFound, OperationNotFound) as e:
            problems.append(str(e))
        except Exception as e:  # openapi-core's validation errors
            problems.extend(_messages(e))
        return problems

    def check_response(self, request, response, provider):
        """Reasons a response (werkzeug) breaks the document; empty when it conforms."""
        found = self.resolve(request.method, request.path)
        if found is None:
            return [f"no operation for {request.method} {request.path}"]
        _, _, op = found
        status = str(response.status_code)
        if status not in op.get("responses", {}) and response.status_code in UNDOCUMENTED_STATUSES:
            return self._check_error_body(response)
        try:
            self.api(provider).validate_response(WerkzeugOpenAPIRequest(request), WerkzeugOpenAPIResponse(response))
        except Exception as e:
            return _messages(e)
        declared = op["responses"].get(status, {})
        if "content" not in declared and response.get_data():
            return [f"status {status} of {op['operationId']} has no body in the document, but one was sent"]
        return []

    def _check_error_body(self, response):
        from openapi_schema_validator import OAS30ReadValidator
        import json

        schema = copy.deepcopy(self.raw["components"]["schemas"]["ErrorResponse"])
        _strict(schema)
        try:
            body = json.loads(response.get_data() or b"null")
        except ValueError:
            return ["the error body is not JSON"]
        return [f"{'.'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}" for e in OAS30ReadValidator(schema).iter_errors(body)]
