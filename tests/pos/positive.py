"""The answers schemathesis cannot reach, checked against the OpenAPI document: generated sales
name budtenders and packages this register does not have, so they are refused (422) and the
success answers of the writes are never generated. This records a real sale and adjustment (201),
replays one (200), conflicts one (409), oversells (422), reads the records back, and validates
each answer's body against the document's schema for its status (`jsonschema_rs`, which
schemathesis brings into the venv).

Usage: python positive.py API_URL TOKEN (the venv's python). Exit 1 naming what did not match.
"""

import json
import sys
import urllib.error
import urllib.parse
import urllib.request

import jsonschema_rs


def call(api, token, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{api}{path}", data=data, method=method, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def pointer(*parts):
    """A JSON pointer to `parts`, as a URI fragment (`{` and `}` percent-encoded)."""
    escaped = (p.replace("~", "~0").replace("/", "~1") for p in parts)
    return "/".join(urllib.parse.quote(p, safe="~") for p in escaped)


def main():
    api, token = sys.argv[1], sys.argv[2]
    with urllib.request.urlopen(f"{api}/openapi.json", timeout=30) as response:
        document = json.load(response)
    problems = []

    def check(method, template, path, body, expected):
        status, answer = call(api, token, method, path, body)
        if status != expected:
            problems.append(f"{method} {path}: {status}, expected {expected}: {answer}")
            return answer
        where = pointer("paths", template, method.lower(), "responses", str(status), "content",
                        "application/json", "schema")
        # The whole document as the root (its other members are not keywords, so they are
        # ignored), so the answer's schema and its `#/components/...` references resolve in it.
        validator = jsonschema_rs.Draft202012Validator(dict(document, **{"$ref": f"#/{where}"}),
                                                       validate_formats=True)
        for error in validator.iter_errors(answer):
            problems.append(f"{method} {path} {status}: {error.message} at {list(error.path)}")
        print(f"positive: {method} {path} -> {status}, as the document says")
        return answer

    packages = check("GET", "/v1/packages", "/v1/packages", None, 200)
    label = packages[0]["label"]
    sale = {"ticket_id": "POSITIVE-1", "budtender": "Bea", "customer_type": "Consumer",
            "lines": [{"label": label, "quantity": "1", "price": "9.99"}]}
    check("POST", "/v1/sales", "/v1/sales", sale, 201)
    check("POST", "/v1/sales", "/v1/sales", sale, 200)
    check("POST", "/v1/sales", "/v1/sales", dict(sale, lines=[dict(sale["lines"][0], price="1")]),
          409)
    check("POST", "/v1/sales", "/v1/sales",
          {"ticket_id": "POSITIVE-2", "budtender": "Bea",
           "lines": [{"label": label, "quantity": "99999999", "price": "1"}]}, 422)
    check("GET", "/v1/records/{ticket_id}", "/v1/records/POSITIVE-1", None, 200)
    adjustment = {"ticket_id": "POSITIVE-ADJ-1", "budtender": "Max", "label": label,
                  "quantity": "-1", "reason": "Drying"}
    check("POST", "/v1/adjustments", "/v1/adjustments", adjustment, 201)
    check("POST", "/v1/adjustments", "/v1/adjustments", adjustment, 200)
    check("GET", "/v1/records/{ticket_id}", "/v1/records/POSITIVE-ADJ-1", None, 200)
    check("GET", "/v1/status", "/v1/status", None, 200)
    if problems:
        print("positive: answers that do not match the document:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
