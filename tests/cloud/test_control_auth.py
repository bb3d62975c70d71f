"""The control API is the web app's alone, and only keys the lab issued reach an account
(issue 11, items 1-3)."""

import calendar
import json
import os
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from serverless_lab.cloud.accounts import DEFAULT_CREDENTIAL_SECONDS, RENEW_BEFORE_SECONDS
from serverless_lab.cloud.client import LabClient, LabCloudError
from serverless_lab.cloud.control_token import (
    ControlTokenError,
    control_token_load,
    control_token_path,
)

ROOT = Path(__file__).resolve().parents[2]
ECHO = Path(__file__).parent / "functions" / "echo"
# Every control route but health, with a body that would do something if it were let in.
GUARDED = [("POST", "sandboxes", {"learner": "{learner}"}),
           ("POST", "deploy", {"learner": "{learner}", "path": str(ECHO), "stack": "echo"}),
           ("POST", "reset", {"learner": "{learner}"}),
           ("POST", "invoke", {"learner": "{learner}", "stack": "echo",
                               "function": "EchoFunction", "event": {}}),
           ("POST", "recycle", {"learner": "{learner}"}),
           ("GET", "trace?learner={learner}", None),
           ("POST", "settings", {"learner": "{learner}", "concurrency_limit": 0}),
           ("GET", "clock?learner={learner}", None),
           ("POST", "clock", {"learner": "{learner}", "advance": "1h"}),
           ("GET", "no-such-route", None)]


def control(url, method, path, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"{url}/_lab/{path}", method=method, headers=headers,
                                     data=json.dumps(body).encode() if body is not None
                                     else None)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def session_for(credentials):
    return boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                         aws_secret_access_key=credentials["SecretAccessKey"],
                         aws_session_token=credentials.get("SessionToken"),
                         region_name="us-east-1")


def error_of(call) -> dict:
    with pytest.raises(ClientError) as refused:
        call()
    return {"code": refused.value.response["Error"]["Code"],
            "message": refused.value.response["Error"].get("Message"),
            "status": refused.value.response["ResponseMetadata"]["HTTPStatusCode"]}


@pytest.mark.parametrize("token", [None, "wrong-token", ""])
@pytest.mark.parametrize(("method", "path", "body"), GUARDED,
                         ids=[f"{m} {p.split('?')[0]}" for m, p, _ in GUARDED])
def test_every_control_route_but_health_needs_the_token(lab_cloud, learner, token, method,
                                                         path, body):
    body = json.loads(json.dumps(body).replace("{learner}", learner)) if body else None
    status, answer = control(lab_cloud.url, method, path.replace("{learner}", learner), body,
                             token=token)
    assert status == 401
    assert "needs its token" in answer["error"]
    assert lab_cloud.accounts.find(learner) is None  # nothing done: not even a sandbox made


def test_with_the_token_the_routes_answer(lab_cloud, learner):
    status, answer = control(lab_cloud.url, "POST", "sandboxes", {"learner": learner},
                             token=lab_cloud.control_token)
    assert status == 200 and answer["learner"] == learner
    status, _ = control(lab_cloud.url, "GET", f"trace?learner={learner}",
                        token=lab_cloud.control_token)
    assert status == 200


def test_reset_without_the_token_leaves_the_sandbox_alone(lab, lab_cloud, learner):
    found = lab.sandbox(learner)
    s3 = session_for(found["credentials"]).client("s3", endpoint_url=found["endpoint_url"])
    s3.create_bucket(Bucket=f"kept-{found['account_id']}")
    status, _ = control(lab_cloud.url, "POST", "reset", {"learner": learner}, token="guess")
    assert status == 401
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == [f"kept-{found['account_id']}"]


def test_health_is_open(lab_cloud):
    status, answer = control(lab_cloud.url, "GET", "health")
    assert status == 200 and answer["ok"] is True
    assert LabClient(lab_cloud.url).healthy()


def test_a_client_without_the_token_is_told_so(lab_cloud, learner):
    with pytest.raises(LabCloudError, match="needs its token"):
        LabClient(lab_cloud.url).sandbox(learner)


def test_the_token_file_is_made_at_first_start_readable_by_its_owner_only(lab_cloud):
    path = control_token_path(data_dir=lab_cloud.data_dir)
    assert path.read_text().strip() == lab_cloud.control_token
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(lab_cloud.control_token) >= 40  # secrets.token_urlsafe(32)


def test_the_token_is_the_environments_else_the_files_else_a_new_one(tmp_path, monkeypatch):
    monkeypatch.delenv("LAB_CONTROL_TOKEN", raising=False)
    assert control_token_load(data_dir=tmp_path, create=False) is None
    made = control_token_load(data_dir=tmp_path)
    assert control_token_load(data_dir=tmp_path) == made  # read back, not made again
    assert stat.S_IMODE(control_token_path(data_dir=tmp_path).stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["control-token"]  # no draft left behind
    monkeypatch.setenv("LAB_CONTROL_TOKEN", "from-the-environment")
    assert control_token_load(data_dir=tmp_path) == "from-the-environment"


def test_an_empty_or_unmakeable_token_file_is_an_error(tmp_path, monkeypatch):
    monkeypatch.delenv("LAB_CONTROL_TOKEN", raising=False)
    control_token_path(data_dir=tmp_path).write_text("\n")
    with pytest.raises(ControlTokenError, match="empty"):
        control_token_load(data_dir=tmp_path)
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    with pytest.raises(ControlTokenError, match="cannot read or create"):
        control_token_load(data_dir=not_a_folder / "lab")


def test_lab_serve_refuses_to_start_without_a_token_it_can_read(tmp_path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    env = {k: v for k, v in os.environ.items() if k != "LAB_CONTROL_TOKEN"}
    env["LAB_DATA_DIR"] = str(not_a_folder / "lab")
    done = subprocess.run([sys.executable, "manage.py", "lab", "serve", "--host", "0.0.0.0",
                           "--port", "0"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2
    assert "refusing to serve on 0.0.0.0" in done.stderr
    assert "LAB_CONTROL_TOKEN" in done.stderr


def test_the_old_bootstrap_constant_cannot_assume_role_into_a_learners_account(lab, learner):
    found = lab.sandbox(learner)
    old = {"AccessKeyId": "AKIALABBOOTSTRAP0000", "SecretAccessKey": "bootstrap"}
    sts = session_for(old).client("sts", endpoint_url=found["endpoint_url"])
    refused = error_of(lambda: sts.assume_role(
        RoleArn=f"arn:aws:iam::{found['account_id']}:role/lab-learner", RoleSessionName="xx"))
    assert refused == {"code": "InvalidClientTokenId", "status": 403,
                       "message": "The security token included in the request is invalid."}


def test_the_bootstrap_key_is_random_for_each_lab_cloud(lab_cloud):
    assert lab_cloud.accounts.bootstrap["AccessKeyId"] != "AKIALABBOOTSTRAP0000"
    source = (ROOT / "serverless_lab" / "cloud" / "accounts.py").read_text()
    assert lab_cloud.accounts.bootstrap["AccessKeyId"] not in source


@pytest.mark.parametrize("call", [
    lambda s, url: s.client("dynamodb", endpoint_url=url).list_tables(),
    lambda s, url: s.client("s3", endpoint_url=url).list_buckets(),
    lambda s, url: s.client("sqs", endpoint_url=url).list_queues(),
    lambda s, url: s.client("lambda", endpoint_url=url).list_functions(),
    lambda s, url: s.client("sts", endpoint_url=url).get_caller_identity(),
    lambda s, url: s.client("sts", endpoint_url=url).assume_role(
        RoleArn="arn:aws:iam::912345678901:role/lab-learner", RoleSessionName="xx"),
], ids=["dynamodb", "s3", "sqs", "lambda", "sts-identity", "sts-assume-role"])
def test_a_key_the_lab_never_issued_reaches_no_account(lab_cloud, call):
    stranger = session_for({"AccessKeyId": "AKIASTRANGER00000000", "SecretAccessKey": "x"})
    refused = error_of(lambda: call(stranger, lab_cloud.url))
    assert refused["code"] == "InvalidClientTokenId" and refused["status"] == 403


def test_an_unsigned_web_identity_assume_role_is_refused(lab, learner):
    found = lab.sandbox(learner)
    body = ("Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleSessionName=xx&"
            f"RoleArn=arn:aws:iam::{found['account_id']}:role/lab-learner&"
            "WebIdentityToken=anything")
    request = urllib.request.Request(found["endpoint_url"] + "/", data=body.encode(),
                                     headers={"Content-Type":
                                              "application/x-www-form-urlencoded"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 403
    assert b"<Code>AccessDenied</Code>" in refused.value.read()


def test_a_learner_cannot_assume_a_role_in_another_learners_account(lab, learner):
    mine, theirs = lab.sandbox(learner), lab.sandbox(learner + "-b")
    sts = session_for(mine["credentials"]).client("sts", endpoint_url=mine["endpoint_url"])
    refused = error_of(lambda: sts.assume_role(
        RoleArn=f"arn:aws:iam::{theirs['account_id']}:role/lab-learner",
        RoleSessionName="sneak"))
    assert refused["code"] == "AccessDenied" and refused["status"] == 403
    assert "is not authorized to perform: sts:AssumeRole" in refused["message"]
    # In its own account it may, as on AWS with a trust policy that allows it.
    own = sts.assume_role(RoleArn=f"arn:aws:iam::{mine['account_id']}:role/lab-learner",
                          RoleSessionName="mine")["Credentials"]
    identity = session_for(own).client("sts", endpoint_url=mine["endpoint_url"]) \
        .get_caller_identity()
    assert identity["Account"] == mine["account_id"]


def test_learners_credentials_expire_after_an_hour_and_say_when(lab, learner):
    before = time.time()
    credentials = lab.sandbox(learner)["credentials"]
    expires = calendar.timegm(time.strptime(credentials["Expiration"], "%Y-%m-%dT%H:%M:%SZ"))
    assert before + DEFAULT_CREDENTIAL_SECONDS - 5 <= expires <= time.time() \
        + DEFAULT_CREDENTIAL_SECONDS + 5


def test_expired_credentials_are_refused_as_aws_refuses_them(lab, lab_cloud, learner):
    found = lab.sandbox(learner)
    key = found["credentials"]["AccessKeyId"]
    db = session_for(found["credentials"]).client("dynamodb",
                                                  endpoint_url=found["endpoint_url"])
    assert db.list_tables()["TableNames"] == []
    lab_cloud.accounts.expiry[key] = time.time() - 1  # an hour has passed
    refused = error_of(db.list_tables)
    assert refused == {"code": "ExpiredToken", "status": 400,
                       "message": "The security token included in the request is expired"}
    # The web app asks again and gets a new set, which works.
    renewed = lab.sandbox(learner)["credentials"]
    assert renewed["AccessKeyId"] != key
    assert session_for(renewed).client("dynamodb", endpoint_url=found["endpoint_url"]) \
        .list_tables()["TableNames"] == []


def test_credentials_close_to_expiry_are_replaced_and_the_old_work_until_they_expire(
        lab, lab_cloud, learner):
    first = lab.sandbox(learner)
    key = first["credentials"]["AccessKeyId"]
    assert lab.sandbox(learner)["credentials"]["AccessKeyId"] == key  # not yet
    lab_cloud.accounts.expiry[key] = time.time() + RENEW_BEFORE_SECONDS - 10
    second = lab.sandbox(learner)["credentials"]
    assert second["AccessKeyId"] != key
    sqs = session_for(first["credentials"]).client("sqs", endpoint_url=first["endpoint_url"])
    assert "QueueUrls" not in sqs.list_queues()


def test_reset_rotates_the_credentials_and_the_old_keys_are_refused(lab, learner):
    before = lab.sandbox(learner)
    old_db = session_for(before["credentials"]).client("dynamodb",
                                                       endpoint_url=before["endpoint_url"])
    old_db.list_tables()
    lab.reset(learner)
    after = lab.sandbox(learner)
    assert after["account_id"] == before["account_id"]
    assert after["credentials"]["AccessKeyId"] != before["credentials"]["AccessKeyId"]
    assert error_of(old_db.list_tables)["code"] == "InvalidClientTokenId"
    new_db = session_for(after["credentials"]).client("dynamodb",
                                                      endpoint_url=after["endpoint_url"])
    assert new_db.list_tables()["TableNames"] == []


def test_a_request_cannot_name_another_account_to_moto(lab, learner):
    """moto lets an x-moto-account-id header choose the account; the lab sets it itself."""
    theirs = lab.sandbox(learner + "-owner")
    their_db = session_for(theirs["credentials"]).client("dynamodb",
                                                         endpoint_url=theirs["endpoint_url"])
    their_db.create_table(TableName="private", BillingMode="PAY_PER_REQUEST",
                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                          KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    mine = lab.sandbox(learner)
    my_db = session_for(mine["credentials"]).client("dynamodb",
                                                    endpoint_url=mine["endpoint_url"])
    my_db.meta.events.register(
        "before-sign.dynamodb.*",
        lambda request, **_: request.headers.__setitem__("x-moto-account-id",
                                                         theirs["account_id"]))
    assert my_db.list_tables()["TableNames"] == []
