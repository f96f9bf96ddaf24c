// brevet agent through the AWS SDK for JavaScript v3: credentials from the
// default provider chain only (IMDS, the container endpoint or
// credential_process, whichever e2e/agent_test.go set up), then
// GetCallerIdentity against Brevet (AWS_ENDPOINT_URL). Prints the caller ARN.
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";

const me = await new STSClient({}).send(new GetCallerIdentityCommand({}));
console.log(me.Arn);
