// JS SDK v3 side of tests/aws/sdk_cases.py: the default credential chain (AWS_PROFILE,
// AWS_CONFIG_FILE, container credentials) and STS GetCallerIdentity; prints {"Arn": ...} or
// fails with the error on stderr and exit 1.
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";

try {
  const sts = new STSClient({});
  const out = await sts.send(new GetCallerIdentityCommand({}));
  process.stdout.write(JSON.stringify({ Arn: out.Arn }));
} catch (e) {
  process.stderr.write(`${e.name}: ${e.message}\n`);
  process.exit(1);
}
