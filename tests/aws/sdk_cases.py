"""Runs rendered AWS config files with real SDKs against a local STS (moto server) and a fake
EKS Pod Identity agent; called by tests/it/aws_sdk.rs, which starts and stops moto.

Input (argv[1], JSON): {"sts": "http://127.0.0.1:PORT", "recording": "<moto recorder file>",
"js": "<dir with node_modules>" or null, "work": "<scratch dir>", "cases": [case...]}, where a
case is {"name", "config" (AWS config file text), "profile", "mode": "podIdentity" | "irsa",
"source_role", "namespace", "service_account", "cluster_arn", "failure": null | "token-missing"
| "agent-500", "sdks": the SDKs to run (default all)}. Output (stdout, JSON): per case and SDK (boto3, cli, js) the identity ARN or
the error, and the STS calls moto received.

The fake agent answers like the EKS Pod Identity agent (EKS user guide, pod-id-how-it-works):
GET with the pod's token in the Authorization header, a JSON body with AccessKeyId,
SecretAccessKey, Token, AccountId and Expiration. The SDKs find it through
AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, which EKS sets in
the pod; here it listens on 127.0.0.1 (the SDKs accept loopback for container credentials). Its
credentials are a real moto session of the source role, assumed with the six session tags
EKS Pod Identity sets (transitive), so STS knows the chain's first hop.
"""

import base64
import datetime
import http.server
import json
import os
import subprocess
import sys
import threading
import urllib.parse

import boto3
import botocore.session

TOKEN = "eks-pod-identity-token-for-tests"
STATE = {"creds": None, "status": 200}


class Agent(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        if self.path != "/v1/credentials":
            self.send_error(404)
            return
        if self.headers.get("Authorization") != TOKEN:
            self.send_response(401)
            self.end_headers()
            self.wfile.write(b'{"message":"invalid token"}')
            return
        if STATE["status"] != 200:
            self.send_response(STATE["status"])
            self.end_headers()
            self.wfile.write(b'{"message":"agent failure (test)"}')
            return
        body = json.dumps(STATE["creds"]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def sts_client(endpoint):
    return boto3.client(
        "sts",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def pod_identity_session(endpoint, case):
    """What the Pod Identity agent hands the pod: the source role, with EKS's session tags."""
    tags = {
        "eks-cluster-arn": case["cluster_arn"],
        "eks-cluster-name": case["cluster_arn"].rsplit("/", 1)[-1],
        "kubernetes-namespace": case["namespace"],
        "kubernetes-service-account": case["service_account"],
        "kubernetes-pod-name": "app-0",
        "kubernetes-pod-uid": "00000000-0000-0000-0000-000000000000",
    }
    r = sts_client(endpoint).assume_role(
        RoleArn=case["source_role"],
        RoleSessionName="eks-" + case["namespace"][:20] + "-pod",
        Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
        TransitiveTagKeys=list(tags),
    )["Credentials"]
    account = case["source_role"].split(":")[4]
    return {
        "AccessKeyId": r["AccessKeyId"],
        "SecretAccessKey": r["SecretAccessKey"],
        "Token": r["SessionToken"],
        "AccountId": account,
        "Expiration": (
            datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
        ).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def web_identity_token():
    """An unsigned JWT: moto's AssumeRoleWithWebIdentity does not verify it."""
    enc = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()
    return enc({"alg": "none"}) + "." + enc({"sub": "system:serviceaccount:x:y", "aud": "sts.amazonaws.com"}) + "."


def sts_calls(recording):
    """The STS actions moto received since the last reset, with their parameters."""
    calls = []
    try:
        lines = open(recording).read().splitlines()
    except FileNotFoundError:
        return calls
    for line in lines:
        entry = json.loads(line)
        body = entry.get("body") or ""
        if entry.get("body_encoded"):
            body = base64.b64decode(body).decode()
        params = dict(urllib.parse.parse_qsl(body))
        if "Action" in params:
            auth = {k.lower(): v for k, v in entry.get("headers", {}).items()}.get("authorization", "")
            # "AWS4-HMAC-SHA256 Credential=<access key>/<date>/..." : who signed the call.
            params["SignedBy"] = auth.split("Credential=", 1)[-1].split("/", 1)[0] if "Credential=" in auth else ""
            calls.append(params)
    return calls


def run_boto3(env):
    old = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        s = boto3.Session(botocore_session=botocore.session.Session())
        return {"arn": s.client("sts").get_caller_identity()["Arn"]}
    except Exception as e:  # noqa: BLE001 (any failure is the answer)
        return {"error": type(e).__name__ + ": " + str(e)}
    finally:
        os.environ.clear()
        os.environ.update(old)


def run_cli(env):
    p = subprocess.run(
        [sys.executable, "-m", "awscli", "sts", "get-caller-identity", "--output", "json"],
        env=env, capture_output=True, text=True, timeout=60,
    )
    if p.returncode != 0:
        return {"error": p.stderr.strip()[-600:] or f"exit {p.returncode}"}
    return {"arn": json.loads(p.stdout)["Arn"]}


def run_js(env, js_dir):
    p = subprocess.run(
        ["node", os.path.join(os.path.dirname(os.path.abspath(__file__)), "js", "whoami.mjs")],
        env={**env, "NODE_PATH": os.path.join(js_dir, "node_modules"), "NODE_NO_WARNINGS": "1"},
        cwd=js_dir, capture_output=True, text=True, timeout=60,
    )
    if p.returncode != 0:
        return {"error": p.stderr.strip()[-600:] or f"exit {p.returncode}"}
    return {"arn": json.loads(p.stdout)["Arn"]}


def main():
    spec = json.load(open(sys.argv[1]))
    endpoint, work = spec["sts"], spec["work"]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Agent)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    agent_uri = f"http://127.0.0.1:{server.server_address[1]}/v1/credentials"
    token_file = os.path.join(work, "pod-identity-token")
    open(token_file, "w").write(TOKEN)
    web_token_file = os.path.join(work, "web-identity-token")
    open(web_token_file, "w").write(web_identity_token())
    results = []
    for case in spec["cases"]:
        home = os.path.join(work, "home-" + case["name"])
        os.makedirs(home, exist_ok=True)
        config = os.path.join(work, "config-" + case["name"])
        token_path = web_token_file
        if case["failure"] == "token-missing":
            token_path = os.path.join(work, "missing-token")
        text = case["config"].replace(
            "/var/run/secrets/eks.amazonaws.com/serviceaccount/token", token_path
        )
        open(config, "w").write(text)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": home,
            "AWS_CONFIG_FILE": config,
            "AWS_SHARED_CREDENTIALS_FILE": os.path.join(home, "no-credentials"),
            "AWS_PROFILE": case["profile"],
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL_STS": endpoint,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        if case["mode"] == "podIdentity":
            STATE["creds"] = pod_identity_session(endpoint, case)
            STATE["status"] = 500 if case["failure"] == "agent-500" else 200
            env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = agent_uri
            env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = (
                os.path.join(work, "missing-token") if case["failure"] == "token-missing" else token_file
            )
        else:
            # What eks-pod-identity-webhook injects for an IRSA service account.
            env["AWS_ROLE_ARN"] = case["source_role"]
            env["AWS_WEB_IDENTITY_TOKEN_FILE"] = (
                os.path.join(work, "missing-token") if case["failure"] == "token-missing" else web_token_file
            )
        sdks = {"boto3": lambda: run_boto3(env), "cli": lambda: run_cli(env)}
        if spec.get("js"):
            sdks["js"] = lambda: run_js(env, spec["js"])
        for sdk, run in sdks.items():
            if sdk not in case.get("sdks", sdks):
                continue
            open(spec["recording"], "w").close()
            out = run()
            out.update({
                "case": case["name"],
                "sdk": sdk,
                "calls": sts_calls(spec["recording"]),
                "agent_key": (STATE["creds"] or {}).get("AccessKeyId", "") if case["mode"] == "podIdentity" else "",
            })
            results.append(out)
    server.shutdown()
    json.dump(results, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
