"""schemathesis hooks for `make contract` (scripts/contract.sh): the run's authentication.

The run acts as a superadmin through an API token. Fuzzing may revoke that very token
(DELETE /api/v1/admin/tokens/{id} with a small id), so the token is checked before use and a
fresh one is made from the account's session when it no longer works.
"""

import json
import os
import urllib.error
import urllib.request

import schemathesis

BASE = os.environ["CONTRACT_BASE"]


def _call(method, path, body=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method, headers=headers or {})
    if data is not None:
        req.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def _session():
    """The superadmin's session: the invitation accepted once (its cookie and CSRF value)."""
    status, headers, body = _call(
        "POST",
        "/api/v1/invitations/accept",
        {"token": os.environ["CONTRACT_INVITATION"], "password": os.environ["CONTRACT_PASSWORD"]},
    )
    if status != 200:
        raise RuntimeError(f"accepting the invitation answered {status}: {body[:200]!r}")
    cookie = headers["set-cookie"].split(";", 1)[0]
    return cookie, json.loads(body)["csrf"]


SESSION = _session()


@schemathesis.auth(refresh_interval=2)
class Token:
    token = None

    def get(self, case, context):
        if self.token is not None:
            status, _, _ = _call("GET", "/api/v1/session", headers={"authorization": f"Bearer {self.token}"})
            if status == 200:
                return self.token
        cookie, csrf = SESSION
        status, _, body = _call(
            "POST",
            "/api/v1/admin/tokens",
            {"name": "schemathesis"},
            {"cookie": cookie, "x-csrf-token": csrf},
        )
        if status != 201:
            raise RuntimeError(f"making an API token answered {status}: {body[:200]!r}")
        self.token = json.loads(body)["token"]
        return self.token

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
