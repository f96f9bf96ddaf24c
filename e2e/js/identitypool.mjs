// Identity pools through the AWS SDK for JavaScript v3 in Node, run by
// e2e/identitypool_test.go:
//
//   node identitypool.mjs setup  as the admin (the default profile):
//        the OIDC provider, a pool that allows guests and lists it, its
//        guest and signed-in roles (trusting cognito-identity.amazonaws.com
//        on the pool's aud and amr) and their S3 permissions, with
//        @aws-sdk/client-cognito-identity and @aws-sdk/client-iam.
//        Prints RESULT {"pool": ID}.
//   node identitypool.mjs app    the app (identitypool_app.mjs), without
//        any credentials of its own. Prints RESULT {what it saw}.
//
// Both take E2E_CONFIG, the JSON the app flow takes (api, s3, bucket,
// provider, issuer, pool, tokens).
import {
  CognitoIdentityClient, CreateIdentityPoolCommand, SetIdentityPoolRolesCommand,
} from "@aws-sdk/client-cognito-identity";
import { CreateOpenIDConnectProviderCommand, CreateRoleCommand, IAMClient, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { appFlow } from "./identitypool_app.mjs";

const cfg = JSON.parse(process.env.E2E_CONFIG);

async function setup() {
  const iam = new IAMClient({ region: cfg.region, endpoint: cfg.api });
  const ci = new CognitoIdentityClient({ region: cfg.region, endpoint: cfg.api });
  const provider = await iam.send(new CreateOpenIDConnectProviderCommand({ Url: cfg.issuer, ClientIDList: ["web-app"] }));
  const pool = await ci.send(new CreateIdentityPoolCommand({
    IdentityPoolName: "js app", AllowUnauthenticatedIdentities: true,
    OpenIdConnectProviderARNs: [provider.OpenIDConnectProviderArn],
  }));
  const id = pool.IdentityPoolId;
  const bucket = `arn:aws:s3:::${cfg.bucket}`;
  const role = async (name, amr, actions) => {
    const trust = { Version: "2012-10-17", Statement: [{
      Effect: "Allow", Principal: { Federated: "cognito-identity.amazonaws.com" },
      Action: ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
      Condition: { StringEquals: { "cognito-identity.amazonaws.com:aud": id },
        "ForAnyValue:StringLike": { "cognito-identity.amazonaws.com:amr": amr } },
    }] };
    const r = await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: JSON.stringify(trust) }));
    await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: "s3",
      PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: actions }) }));
    return r.Role.Arn;
  };
  const readPublic = { Effect: "Allow", Action: "s3:GetObject", Resource: `${bucket}/public/*` };
  const guest = await role("js_guest", "unauthenticated", [readPublic]);
  const user = await role("js_user", "authenticated", [readPublic, { Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"],
    Resource: `${bucket}/private/\${cognito-identity.amazonaws.com:sub}/*` }]);
  await ci.send(new SetIdentityPoolRolesCommand({ IdentityPoolId: id, Roles: { authenticated: user, unauthenticated: guest } }));
  return { pool: id };
}

const mode = process.argv[2];
try {
  const result = mode === "setup" ? await setup() : await appFlow(cfg);
  console.log("RESULT " + JSON.stringify(result));
} catch (e) {
  console.error(`identitypool.mjs ${mode}: ${e.name}: ${e.message}`);
  process.exit(1);
}
