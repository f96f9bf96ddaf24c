// Scenario 3 through the AWS SDK for JavaScript v3: STS and a handful of
// IAM calls, every response parsed. Run by e2e/sdk_test.go with the admin
// key as the default profile, AWS_ENDPOINT_URL set, and E2E_ACCOUNT,
// E2E_ROLE_ARN and E2E_PREFIX.
import {
  STSClient, GetCallerIdentityCommand, GetSessionTokenCommand, AssumeRoleCommand,
  GetFederationTokenCommand, DecodeAuthorizationMessageCommand,
} from "@aws-sdk/client-sts";
import {
  IAMClient, CreateUserCommand, ListUsersCommand, GetUserCommand, CreateAccessKeyCommand,
  ListAccessKeysCommand, DeleteAccessKeyCommand, CreatePolicyCommand, AttachUserPolicyCommand,
  ListAttachedUserPoliciesCommand, DetachUserPolicyCommand, DeletePolicyCommand, DeleteUserCommand,
  GetRoleCommand, NoSuchEntityException,
} from "@aws-sdk/client-iam";

const account = process.env.E2E_ACCOUNT;
const roleArn = process.env.E2E_ROLE_ARN;
const prefix = process.env.E2E_PREFIX;

function check(cond, what) {
  if (!cond) {
    console.error("js: " + what);
    process.exit(1);
  }
}

const opts = (creds) => creds === undefined ? {} : {
  credentials: { accessKeyId: creds.AccessKeyId, secretAccessKey: creds.SecretAccessKey, sessionToken: creds.SessionToken },
};
const sts = (creds) => new STSClient(opts(creds));
const iamc = (creds) => new IAMClient(opts(creds));

const me = await sts().send(new GetCallerIdentityCommand({}));
check(me.Arn === `arn:aws:iam::${account}:user/admin`, `caller ${JSON.stringify(me)}`);
check(me.Account === account, "account");

const st = (await sts().send(new GetSessionTokenCommand({ DurationSeconds: 900 }))).Credentials;
check(st.AccessKeyId.startsWith("ASIA"), "session key id");
check(st.Expiration instanceof Date && !isNaN(st.Expiration), "expiration is a date");
check((await sts(st).send(new GetCallerIdentityCommand({}))).Arn === me.Arn, "session caller");

const sessionPolicy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] });
const ar = await sts().send(new AssumeRoleCommand({
  RoleArn: roleArn, RoleSessionName: `${prefix}-session`, DurationSeconds: 900, Policy: sessionPolicy,
  Tags: [{ Key: "project", Value: "e2e" }], TransitiveTagKeys: ["project"],
}));
check(ar.AssumedRoleUser.Arn === `arn:aws:sts::${account}:assumed-role/sdk_role/${prefix}-session`, `assumed ${JSON.stringify(ar.AssumedRoleUser)}`);
check(typeof ar.PackedPolicySize === "number", "packed policy size");
check((await sts(ar.Credentials).send(new GetCallerIdentityCommand({}))).Arn === ar.AssumedRoleUser.Arn, "role caller");

let denied;
try {
  await iamc(ar.Credentials).send(new ListUsersCommand({}));
} catch (e) {
  denied = e;
}
check(denied && denied.name === "AccessDenied", `list users as the role: ${denied}`);
const marker = "Encoded authorization failure message: ";
check(denied.message.includes(marker), `no encoded message in ${denied.message}`);
const decoded = await sts().send(new DecodeAuthorizationMessageCommand({ EncodedMessage: denied.message.split(marker)[1] }));
check(JSON.parse(decoded.DecodedMessage).allowed === false, "decoded message");

const ft = await sts().send(new GetFederationTokenCommand({ Name: `${prefix}-fed`, DurationSeconds: 900, Policy: sessionPolicy }));
check(ft.FederatedUser.Arn === `arn:aws:sts::${account}:federated-user/${prefix}-fed`, "federated arn");
check((await sts(ft.Credentials).send(new GetCallerIdentityCommand({}))).Arn === ft.FederatedUser.Arn, "federated caller");

const iam = iamc();
const user = `${prefix}-user`;
const u = (await iam.send(new CreateUserCommand({ UserName: user, Tags: [{ Key: "team", Value: "e2e" }] }))).User;
check(u.Arn === `arn:aws:iam::${account}:user/${user}` && u.UserId.startsWith("AIDA") && u.CreateDate instanceof Date, "create user");
check((await iam.send(new ListUsersCommand({}))).Users.some((x) => x.UserName === user), "list users");
check(JSON.stringify((await iam.send(new GetUserCommand({ UserName: user }))).User.Tags) === JSON.stringify([{ Key: "team", Value: "e2e" }]), "user tags");
const key = (await iam.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey;
check(key.Status === "Active" && key.SecretAccessKey.length === 40, "create access key");
const keys = (await iam.send(new ListAccessKeysCommand({ UserName: user }))).AccessKeyMetadata;
check(keys.length === 1 && keys[0].AccessKeyId === key.AccessKeyId, "list access keys");
await iam.send(new DeleteAccessKeyCommand({ UserName: user, AccessKeyId: key.AccessKeyId }));
const pol = (await iam.send(new CreatePolicyCommand({ PolicyName: `${prefix}-policy`, PolicyDocument: sessionPolicy }))).Policy;
check(pol.Arn === `arn:aws:iam::${account}:policy/${prefix}-policy` && pol.DefaultVersionId === "v1", "create policy");
await iam.send(new AttachUserPolicyCommand({ UserName: user, PolicyArn: pol.Arn }));
const att = (await iam.send(new ListAttachedUserPoliciesCommand({ UserName: user }))).AttachedPolicies;
check(att.length === 1 && att[0].PolicyArn === pol.Arn, "attached policies");
await iam.send(new DetachUserPolicyCommand({ UserName: user, PolicyArn: pol.Arn }));
await iam.send(new DeletePolicyCommand({ PolicyArn: pol.Arn }));
await iam.send(new DeleteUserCommand({ UserName: user }));
let gone;
try {
  await iam.send(new GetUserCommand({ UserName: user }));
} catch (e) {
  gone = e;
}
check(gone instanceof NoSuchEntityException, `get user after delete: ${gone}`);
const role = (await iam.send(new GetRoleCommand({ RoleName: "sdk_role" }))).Role;
check(role.Arn === roleArn, "get role");
console.log("ok");
