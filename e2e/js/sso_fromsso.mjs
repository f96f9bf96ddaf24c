// The JavaScript SDK v3's fromSSO with the sso_session profile "dev" of
// ~/.aws/config: it renews the cached access token with the refresh token
// and gets the role's credentials from the portal (both at the endpoints
// AWS_ENDPOINT_URL_SSO_OIDC and AWS_ENDPOINT_URL_SSO name). Prints the
// caller's ARN. Run by e2e/sso_sdk_test.go.
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { fromSSO } from '@aws-sdk/credential-providers';

const sts = new STSClient({ region: 'us-east-1', credentials: fromSSO({ profile: 'dev' }) });
const id = await sts.send(new GetCallerIdentityCommand({}));
console.log(id.Arn);
