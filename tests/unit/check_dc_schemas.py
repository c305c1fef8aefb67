#!/usr/bin/python3
"""Validates the renderer's Discord request bodies against Discord's OpenAPI
description (JSON Schema 2020-12), plus the documented limits the
description does not state.

Usage: check_dc_schemas.py DUMP_DC
DUMP_DC prints one {"endpoint", "name", "body"} object a line. The OpenAPI
file is <repo>/../shared/api-specs/discord/openapi.json unless the
environment names another in DISCORD_OPENAPI. Exit 77 (skipped) when it
is missing.

Two passes per JSON body: the schema as published, and a strict copy in
which objects allow no keys the schema does not name, so a misspelt key
(which Discord silently ignores) fails here."""

import copy
import email.parser
import email.policy
import json
import os
import re
import subprocess
import sys

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
DEFAULT_SPEC = os.path.join(REPO, "..", "shared", "api-specs", "discord", "openapi.json")

ROUTES = {
    "message": ("/channels/{channel_id}/messages", "post", "application/json"),
    "message_multipart": ("/channels/{channel_id}/messages", "post", "multipart/form-data"),
    "callback": ("/interactions/{interaction_id}/{interaction_token}/callback", "post",
                 "application/json"),
    "callback_multipart": ("/interactions/{interaction_id}/{interaction_token}/callback",
                           "post", "multipart/form-data"),
    "commands": ("/applications/{application_id}/commands", "put", "application/json"),
    # The follow-up that completes a deferred reply with files.
    "followup": ("/webhooks/{webhook_id}/{webhook_token}", "post", "application/json"),
    "followup_multipart": ("/webhooks/{webhook_id}/{webhook_token}", "post",
                           "multipart/form-data"),
}
JSON_OF = {"message_multipart": "message", "callback_multipart": "callback",
           "followup_multipart": "followup"}

CONTENT_MAX = 2000  # the docs; the OpenAPI description says 4000
EMBED_TOTAL_MAX = 6000
NAME_RE = re.compile(r"^[-_'a-z0-9]{1,32}$")  # Discord's regex, for our ASCII names

failures = []


def fail(name, msg):
    failures.append(f"{name}: {msg}")


def strict(node, in_all_of=False):
    """A copy of a schema tree whose objects refuse unnamed keys. Schemas
    combined with allOf are left open: each names only its own keys."""
    if isinstance(node, list):
        return [strict(x, in_all_of) for x in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        if k == "allOf":
            out[k] = [strict(x, True) for x in v]
        elif k in ("properties", "$defs", "patternProperties"):
            out[k] = {pk: strict(pv) for pk, pv in v.items()}
        else:
            out[k] = strict(v)
    if "properties" in node and "additionalProperties" not in node and not in_all_of:
        out["additionalProperties"] = False
    return out


def validator(spec, schema):
    resolver = jsonschema.RefResolver(base_uri="", referrer=spec)
    return jsonschema.Draft202012Validator(schema, resolver=resolver)


def request_schema(spec, endpoint):
    path, method, ctype = ROUTES[endpoint]
    return spec["paths"][path][method]["requestBody"]["content"][ctype]["schema"]


def validate(spec, strict_spec, endpoint, name, body):
    schema = request_schema(spec, endpoint)
    for label, doc in (("schema", spec), ("strict schema", strict_spec)):
        if label == "strict schema" and endpoint.endswith("_multipart"):
            continue  # checked strictly through its payload_json instead
        errs = sorted(validator(doc, schema).iter_errors(body), key=lambda e: list(e.path))
        for e in errs[:5]:
            where = "/".join(str(p) for p in e.absolute_path) or "(root)"
            fail(name, f"{label}: {where}: {e.message[:300]}")


def embed_chars(e):
    n = len(e.get("title") or "") + len(e.get("description") or "")
    n += len((e.get("footer") or {}).get("text") or "")
    n += len((e.get("author") or {}).get("name") or "")
    for f in e.get("fields") or []:
        n += len(f.get("name") or "") + len(f.get("value") or "")
    return n


def check_message(name, msg, created):
    content = msg.get("content")
    if content is not None and len(content) > CONTENT_MAX:
        fail(name, f"content has {len(content)} characters (max {CONTENT_MAX})")
    total = sum(embed_chars(e) for e in msg.get("embeds") or [])
    if total > EMBED_TOTAL_MAX:
        fail(name, f"embeds hold {total} characters (max {EMBED_TOTAL_MAX})")
    for e in msg.get("embeds") or []:
        for f in e.get("fields") or []:
            if not f["name"].strip() or not f["value"].strip():
                fail(name, "an embed field with an empty name or value")
    rows = msg.get("components") or []
    if len(rows) > 5:
        fail(name, f"{len(rows)} action rows (max 5)")
    ids = [b.get("custom_id") for r in rows for b in r.get("components", [])]
    if len(ids) != len(set(ids)):
        fail(name, "two components share a custom_id")
    if msg.get("allowed_mentions") != {"parse": []}:
        fail(name, f"allowed_mentions is {msg.get('allowed_mentions')!r}, not {{'parse': []}}")
    if not any(msg.get(k) for k in ("content", "embeds", "components", "attachments")):
        fail(name, "a message with nothing in it")
    if created and "nonce" in msg and msg.get("enforce_nonce") is not True:
        fail(name, "a nonce without enforce_nonce: true")


def check_commands(name, body):
    for cmd in body:
        if not NAME_RE.match(cmd["name"]):
            fail(name, f"command name {cmd['name']!r}")
        if not 1 <= len(cmd.get("description", "")) <= 100:
            fail(name, f"{cmd['name']}: description length")
        subs = cmd.get("options") or []
        if len(subs) > 25:
            fail(name, f"{len(subs)} subcommands (max 25)")
        for sub in subs:
            if not NAME_RE.match(sub["name"]) or not 1 <= len(sub["description"]) <= 100:
                fail(name, f"subcommand {sub['name']!r}: name or description")
            optional_seen = False
            for opt in sub.get("options") or []:
                if not NAME_RE.match(opt["name"]) or not 1 <= len(opt["description"]) <= 100:
                    fail(name, f"{sub['name']}.{opt['name']}: name or description")
                if opt.get("required") and optional_seen:
                    fail(name, f"{sub['name']}.{opt['name']}: required after optional")
                optional_seen |= not opt.get("required", False)
                if len(opt.get("choices") or []) > 25:
                    fail(name, f"{sub['name']}.{opt['name']}: more than 25 choices")


def parse_multipart(name, boundary, body):
    raw = (f"Content-Type: multipart/form-data; boundary=\"{boundary}\"\r\n\r\n".encode()
           + body.encode("utf-8"))
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
    if not msg.is_multipart():
        fail(name, "not a multipart body")
        return None, {}
    payload, files = None, {}
    for part in msg.iter_parts():
        field = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True)
        if field == "payload_json":
            payload = json.loads(data.decode("utf-8"))
        elif field and re.fullmatch(r"files\[\d+\]", field):
            files[field] = (part.get_filename(), data)
        else:
            fail(name, f"unexpected part {field!r}")
    if payload is None:
        fail(name, "no payload_json part")
    if not body.endswith(f"--{boundary}--\r\n"):
        fail(name, "the body does not end with the closing delimiter")
    return payload, files


def check_multipart(spec, strict_spec, entry):
    name, endpoint = entry["name"], entry["endpoint"]
    payload, files = parse_multipart(name, entry["boundary"], entry["body"])
    if payload is None:
        return
    holder = payload.get("data", payload) if endpoint == "callback_multipart" else payload
    atts = holder.get("attachments") or []
    for a in atts:
        key = f"files[{a['id']}]"
        if key not in files:
            fail(name, f"attachment {a['id']} has no {key} part")
        elif files[key][0] != a.get("filename"):
            fail(name, f"{key}: filename {files[key][0]!r} != {a.get('filename')!r}")
    if len(atts) != len(files):
        fail(name, f"{len(files)} file parts but {len(atts)} attachments")
    json_endpoint = JSON_OF[endpoint]
    validate(spec, strict_spec, json_endpoint, name, payload)
    check_entry_json(name, json_endpoint, payload)
    form = dict(payload)
    for key, (_, data) in files.items():
        form[key] = data.decode("utf-8", "replace")
    if endpoint == "message_multipart":
        validate(spec, strict_spec, endpoint, name, form)


def check_entry_json(name, endpoint, body):
    if endpoint == "message":
        check_message(name, body, created=True)
    elif endpoint == "callback" and body.get("type") == 4:
        check_message(name, body["data"], created=False)
    elif endpoint == "followup":
        check_message(name, body, created=False)
        if body.get("flags") != 64:
            fail(name, f"a private reply's follow-up has flags {body.get('flags')!r}, not 64")
    elif endpoint == "commands":
        check_commands(name, body)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    spec_path = os.environ.get("DISCORD_OPENAPI", DEFAULT_SPEC)
    if not os.path.exists(spec_path):
        print(f"skipped: no OpenAPI description at {spec_path}")
        return 77
    with open(spec_path, encoding="utf-8") as f:
        spec = json.load(f)
    strict_spec = dict(spec)
    strict_spec["components"] = dict(spec["components"])
    strict_spec["components"]["schemas"] = strict(copy.deepcopy(spec["components"]["schemas"]))

    out = subprocess.run([sys.argv[1]], check=True, capture_output=True, text=True).stdout
    names = []
    for line in out.splitlines():
        entry = json.loads(line)
        names.append(entry["name"])
        if entry["endpoint"].endswith("_multipart"):
            check_multipart(spec, strict_spec, entry)
        else:
            validate(spec, strict_spec, entry["endpoint"], entry["name"], entry["body"])
            check_entry_json(entry["name"], entry["endpoint"], entry["body"])
    if len(names) < 10:
        fail("dump", f"only {len(names)} bodies")
    for f in failures:
        print("FAIL", f)
    print(f"{len(names)} bodies checked, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
