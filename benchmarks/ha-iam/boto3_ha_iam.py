#!/usr/bin/env python3
"""The ha-iam runbook's AWS work as a plain boto3 script: the comparison for its benchmark.

It makes the calls `runbook execute ha-iam` makes with default params (attach_via=user, the
document's four policies, profile = user name, region us-east-1), in the same order, with no
checkpoints, no plan, no observation before acting and no undo:

  1. iam:CreateUser with the ownership tag runbook:run = a run id
  2. iam:AttachUserPolicy, once per policy (four)
  3. iam:TagUser with the operator's tags (--tag KEY=VALUE; the document's tagging step;
     skipped when there are none)
  4. iam:CreateAccessKey
  5. the AWS CLI profile: aws_access_key_id / aws_secret_access_key under [PROFILE] in
     AWS_SHARED_CREDENTIALS_FILE, region under [profile PROFILE] in AWS_CONFIG_FILE, each
     written as the runbook writes it (temp file in the same directory, fsync, rename, 0600;
     other profiles kept)
  6. sts:GetCallerIdentity signed with the new key, retried with backoff for IAM's eventual
     consistency (bounded, 60 s), and its ARN checked against the new user's

Credentials, region and endpoint come from the environment as for any boto3 program
(AWS_ACCESS_KEY_ID, AWS_ENDPOINT_URL, ...). Prints the new user's ARN; never the secret.

Usage: boto3_ha_iam.py --user-name NAME [--tag KEY=VALUE]... [--profile P] [--region R]
"""
import argparse
import configparser
import os
import sys
import tempfile
import time
import uuid

import boto3
import botocore.exceptions

POLICIES = [
    "arn:aws:iam::aws:policy/AdministratorAccess",
    "arn:aws:iam::aws:policy/AmazonAPIGatewayAdministrator",
    "arn:aws:iam::aws:policy/AmazonS3FullAccess",
    "arn:aws:iam::aws:policy/IAMFullAccess",
]


def write_profile_file(path, section, values):
    """Sets `values` in `section` of an INI file, atomically and with mode 0600."""
    path = os.path.expanduser(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, mode=0o700, exist_ok=True)
    parser = configparser.RawConfigParser()
    parser.read(path)
    if not parser.has_section(section):
        parser.add_section(section)
    for key, value in values.items():
        parser.set(section, key, value)
    fd, temp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        with os.fdopen(fd, "w") as f:
            parser.write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temp, 0o600)
        os.rename(temp, path)
    except BaseException:
        os.unlink(temp)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def verify(session, key_id, secret, expected_arn, timeout=60.0):
    """GetCallerIdentity with the new key until it answers with the new user's ARN."""
    sts = session.client("sts", aws_access_key_id=key_id, aws_secret_access_key=secret)
    deadline = time.monotonic() + timeout
    delay = 0.1
    while True:
        try:
            arn = sts.get_caller_identity()["Arn"]
            if arn != expected_arn:
                sys.exit(f"the new key authenticates as {arn}, not {expected_arn}")
            return arn
        except botocore.exceptions.ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code not in ("InvalidClientTokenId", "SignatureDoesNotMatch", "AccessDenied") \
                    or time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--user-name", required=True)
    parser.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--profile", help="AWS CLI profile to write (default: the user name)")
    parser.add_argument("--region", default="us-east-1", help="region for the profile's config")
    args = parser.parse_args()
    profile = args.profile or args.user_name
    tags = [{"Key": k, "Value": v} for k, _, v in (t.partition("=") for t in args.tag)]

    session = boto3.session.Session()
    iam = session.client("iam")
    run_id = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + uuid.uuid4().hex[:8]

    user = iam.create_user(UserName=args.user_name, Tags=[{"Key": "runbook:run", "Value": run_id}])["User"]
    for policy in POLICIES:
        iam.attach_user_policy(UserName=args.user_name, PolicyArn=policy)
    if tags:
        iam.tag_user(UserName=args.user_name, Tags=tags)
    key = iam.create_access_key(UserName=args.user_name)["AccessKey"]

    credentials = os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials"
    config = os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config"
    write_profile_file(credentials, profile, {
        "aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]})
    write_profile_file(config, profile if profile == "default" else f"profile {profile}", {"region": args.region})

    print(verify(session, key["AccessKeyId"], key["SecretAccessKey"], user["Arn"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
