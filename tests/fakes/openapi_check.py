"""Request validation against Discord's own OpenAPI description of HTTP API v10.

The fake Discord uses this to hold every REST request a client makes to the
published contract: the path must match one of the spec's path templates, the
method must exist on it, path and query parameters must have the declared
types, and a JSON body must validate against the operation's requestBody
schema (OpenAPI 3.1 schemas are JSON Schema 2020-12, so jsonschema's
Draft202012Validator applies directly; `$ref`s point into
`#/components/schemas/...` of the same document).

Errors come back in the shape Discord itself uses for error code 50035
("Invalid Form Body"): a tree mirroring the body, with `_errors` lists at the
offending leaves, so a client sees what it would see from the real API.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import jsonschema
from jsonschema import Draft202012Validator

HTTP_METHODS = ("get", "put", "post", "patch", "delete", "head", "options")


def default_spec_path(repo_root: Optional[str] = None) -> str:
    """Where the spec lives: $DISCORD_OPENAPI, else <repo>/../shared/api-specs/discord/openapi.json."""
    env = os.environ.get("DISCORD_OPENAPI")
    if env:
        return env
    if repo_root is None:
        # tests/fakes/openapi_check.py -> the repository root is two levels up.
        repo_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return os.path.normpath(os.path.join(repo_root, "..", "shared", "api-specs", "discord", "openapi.json"))


class NoSuchPath(Exception):
    """The path matches none of the spec's templates."""


class NoSuchMethod(Exception):
    """The path exists but the method is not defined on it."""

    def __init__(self, template: str, allowed: List[str]):
        super().__init__(template)
        self.template = template
        self.allowed = allowed


@dataclass
class Match:
    template: str  # e.g. "/channels/{channel_id}/messages"
    method: str  # lower-case
    params: Dict[str, str]  # path parameters by name
    operation: Dict[str, Any]
    parameters: List[Dict[str, Any]] = field(default_factory=list)  # path-level + operation-level

    @property
    def operation_id(self) -> str:
        return self.operation.get("operationId", f"{self.method} {self.template}")


@dataclass
class FieldError:
    """One problem, located by its path inside the body (tuple of keys/indices)."""

    path: Tuple[Any, ...]
    code: str
    message: str

    def __str__(self) -> str:
        where = ".".join(str(p) for p in self.path) or "<body>"
        return f"{where}: {self.message} ({self.code})"


def errors_tree(errors: List[FieldError]) -> Dict[str, Any]:
    """Build Discord's nested `errors` object: {"content": {"_errors": [{code, message}]}}."""
    tree: Dict[str, Any] = {}
    for err in errors:
        node = tree
        for part in err.path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": err.code, "message": err.message})
    return tree


_CACHE: Dict[str, "OpenAPISpec"] = {}


def load_spec(path: Optional[str] = None) -> "OpenAPISpec":
    """One parsed spec per path per process (tests start many fakes)."""
    path = os.path.abspath(path or default_spec_path())
    if path not in _CACHE:
        _CACHE[path] = OpenAPISpec(path)
    return _CACHE[path]


class OpenAPISpec:
    """Loads the spec once and answers: which operation is this request, and is it valid?"""

    def __init__(self, path: Optional[str] = None):
        self.path = path or default_spec_path()
        with open(self.path, "r", encoding="utf-8") as f:
            self.doc = json.load(f)
        # One resolver rooted at the whole document, so "#/components/..." refs
        # inside any sub-schema resolve against the spec.
        self._resolver = jsonschema.RefResolver.from_schema(self.doc)
        self._validators: Dict[str, Draft202012Validator] = {}
        self._routes: List[Tuple[int, int, re.Pattern, str, List[str]]] = []
        for template in self.doc.get("paths", {}):
            parts = [p for p in template.split("/") if p]
            names: List[str] = []
            regex = ""
            literals = 0
            for part in parts:
                m = re.fullmatch(r"\{([^}]+)\}", part)
                if m:
                    names.append(m.group(1))
                    regex += "/([^/]+)"
                else:
                    literals += 1
                    regex += "/" + re.escape(part)
            # More literal segments win ("/users/@me" before "/users/{user_id}",
            # ".../messages/bulk-delete" before ".../messages/{message_id}").
            self._routes.append((-literals, len(parts), re.compile("^" + regex + "$"), template, names))
        self._routes.sort(key=lambda r: (r[0], r[1]))

    # ------------------------------------------------------------------ lookup
    def match(self, method: str, path: str) -> Match:
        method = method.lower()
        path_only_candidates = []
        for _neg_lit, _n, regex, template, names in self._routes:
            m = regex.match(path)
            if not m:
                continue
            item = self.doc["paths"][template]
            if method in item:
                params = dict(zip(names, m.groups()))
                parameters = list(item.get("parameters", [])) + list(item[method].get("parameters", []))
                return Match(template, method, params, item[method], parameters)
            path_only_candidates.append((template, [k.upper() for k in item if k in HTTP_METHODS]))
        if path_only_candidates:
            raise NoSuchMethod(*path_only_candidates[0])
        raise NoSuchPath(path)

    def resolve(self, schema: Dict[str, Any]) -> Dict[str, Any]:
        while isinstance(schema, dict) and "$ref" in schema and len(schema) == 1:
            _url, schema = self._resolver.resolve(schema["$ref"])
        return schema

    def requires_auth(self, match: Match) -> bool:
        """An operation whose security list contains {} may be called without a token."""
        security = match.operation.get("security", self.doc.get("security"))
        if not security:
            return False
        return not any(entry == {} for entry in security)

    def success_status(self, match: Match) -> int:
        codes = sorted(int(c) for c in match.operation.get("responses", {}) if c.isdigit() and c.startswith("2"))
        return codes[0] if codes else 200

    def body_content_types(self, match: Match) -> List[str]:
        return list(match.operation.get("requestBody", {}).get("content", {}).keys())

    def body_required(self, match: Match) -> bool:
        return bool(match.operation.get("requestBody", {}).get("required"))

    # -------------------------------------------------------------- validation
    def _validator(self, key: str, schema: Dict[str, Any]) -> Draft202012Validator:
        v = self._validators.get(key)
        if v is None:
            # No format checker: the spec's formats ("snowflake", "int64", "nonce",
            # "uri", ...) are annotations here, as JSON Schema 2020-12 defines them.
            v = Draft202012Validator(schema, resolver=self._resolver)
            self._validators[key] = v
        return v

    def validate_params(self, match: Match, query: Dict[str, List[str]]) -> List[FieldError]:
        """Path and query parameters: declared names only, values of the declared type."""
        errors: List[FieldError] = []
        declared = {(p.get("in"), p.get("name")): p for p in match.parameters}
        for name, value in match.params.items():
            p = declared.get(("path", name))
            if p is not None:
                errors += self._check_scalar(("path", name), value, p.get("schema", {}))
        for name, values in query.items():
            p = declared.get(("query", name))
            if p is None:
                errors.append(FieldError(("query", name), "UNKNOWN_QUERY_PARAMETER",
                                         f"Query parameter {name!r} is not defined for this route."))
                continue
            for value in values:
                errors += self._check_scalar(("query", name), value, p.get("schema", {}))
        for (where, name), p in declared.items():
            if where == "query" and p.get("required") and name not in query:
                errors.append(FieldError(("query", name), "BASE_TYPE_REQUIRED", "This field is required"))
        return errors

    def _check_scalar(self, loc: Tuple[str, str], raw: str, schema: Dict[str, Any]) -> List[FieldError]:
        """Coerce a string from the URL to the schema's type, then validate it."""
        schema = self.resolve(schema)
        types = schema.get("type")
        types = types if isinstance(types, list) else [types] if types else []
        value: Any = raw
        if "integer" in types:
            try:
                value = int(raw)
            except ValueError:
                return [FieldError(loc, "NUMBER_TYPE_COERCE", f"Value \"{raw}\" is not int.")]
        elif "number" in types:
            try:
                value = float(raw)
            except ValueError:
                return [FieldError(loc, "NUMBER_TYPE_COERCE", f"Value \"{raw}\" is not a number.")]
        elif "boolean" in types:
            # Discord's boolean query strings: True/False, true/false, 1/0.
            low = raw.lower()
            if low in ("true", "1"):
                value = True
            elif low in ("false", "0"):
                value = False
            else:
                return [FieldError(loc, "BOOLEAN_TYPE_COERCE", f"Value \"{raw}\" is not a boolean.")]
        key = "scalar:" + json.dumps(schema, sort_keys=True)
        out = []
        for err in self._validator(key, schema).iter_errors(value):
            code, msg = _describe(err, raw)
            out.append(FieldError(loc, code, msg))
        return out

    def validate_body(self, match: Match, content_type: str, body: Any) -> List[FieldError]:
        content = match.operation.get("requestBody", {}).get("content", {})
        media = content.get(content_type) or content.get("application/json")
        if media is None or "schema" not in media:
            return []
        key = f"{match.method} {match.template} {content_type}"
        validator = self._validator(key, media["schema"])
        errors: List[FieldError] = []
        for err in validator.iter_errors(body):
            errors += self._leaf_errors(err)
        return errors

    # The spec models polymorphic bodies (interaction callbacks, components) as
    # anyOf/oneOf over schemas discriminated by an integer `type`. jsonschema
    # reports "not valid under any of the given schemas" at the top; to point
    # at the real problem we descend into the branch whose `type` matched.
    def _leaf_errors(self, err: jsonschema.ValidationError) -> List[FieldError]:
        if err.validator in ("anyOf", "oneOf") and err.context:
            branches: Dict[int, List[jsonschema.ValidationError]] = {}
            for sub in err.context:
                branches.setdefault(sub.schema_path[0], []).append(sub)
            # Branches that fail on the discriminator itself (wrong top-level
            # type, or wrong `type` enum) are not the one the client meant.
            def is_discriminator_miss(sub: jsonschema.ValidationError) -> bool:
                rel = list(sub.relative_path)
                if not rel and sub.validator in ("type", "const", "enum"):
                    return True
                if rel == ["type"] and sub.validator in ("enum", "const", "type", "allOf"):
                    return True
                return False

            meant = [subs for subs in branches.values() if not any(is_discriminator_miss(s) for s in subs)]
            # "valid under each of" (oneOf with several matches) has no context
            # worth descending into; any other case: pick the closest branch.
            pool = meant or list(branches.values())
            if pool:
                best = min(pool, key=len)
                out: List[FieldError] = []
                for sub in best:
                    out += self._leaf_errors(sub)
                if out:
                    return out
        code, msg = _describe(err)
        return [FieldError(tuple(err.absolute_path), code, msg)]


def _describe(err: jsonschema.ValidationError, raw: Optional[str] = None) -> Tuple[str, str]:
    """Discord-style error code and message for one jsonschema failure."""
    v, val = err.validator, err.validator_value
    if v == "maxLength":
        return "BASE_TYPE_MAX_LENGTH", f"Must be {val} or fewer in length."
    if v == "minLength":
        return "BASE_TYPE_MIN_LENGTH", f"Must be {val} or more in length."
    if v == "maxItems":
        return "BASE_TYPE_MAX_LENGTH", f"Must be {val} or fewer in length."
    if v == "minItems":
        return "BASE_TYPE_MIN_LENGTH", f"Must be {val} or more in length."
    if v == "required":
        return "BASE_TYPE_REQUIRED", f"This field is required ({err.message})"
    if v in ("enum", "const"):
        return "BASE_TYPE_CHOICES", f"Value must be one of {val}."
    if v == "pattern":
        shown = raw if raw is not None else err.instance
        if "0-9" in str(val):
            return "NUMBER_TYPE_COERCE", f"Value \"{shown}\" is not snowflake."
        return "STRING_TYPE_REGEX", f"String value did not match validation regex ({val})."
    if v in ("maximum", "exclusiveMaximum"):
        return "NUMBER_TYPE_MAX", f"int value should be less than or equal to {val}."
    if v in ("minimum", "exclusiveMinimum"):
        return "NUMBER_TYPE_MIN", f"int value should be greater than or equal to {val}."
    if v == "type":
        return "BASE_TYPE_BAD_TYPE", f"Expected type {val}, got {type(err.instance).__name__} ({err.message})."
    if v == "uniqueItems":
        return "SET_TYPE_ALREADY_CONTAINS_VALUE", "The set already contains this value."
    return "BASE_TYPE_INVALID", err.message[:300]
