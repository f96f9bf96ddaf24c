// What a web or mobile app does with an identity pool, through the AWS SDK
// for JavaScript v3: fromCognitoIdentityPool (@aws-sdk/credential-providers)
// as a guest and signed in with an OpenID provider's ID token, then STS
// and the S3 gateway with the credentials it gets. Shared by Node
// (identitypool.mjs) and the page in Chromium (identitypool_page.mjs,
// bundled by identitypool_bundle.mjs). Returns what it saw; the Go test
// (e2e/identitypool_test.go) judges it.
import { fromCognitoIdentity, fromCognitoIdentityPool } from "@aws-sdk/credential-providers";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";

// appFlow takes {region, api, s3, pool, bucket, provider, token, token2,
// expired}: the API's and the gateway's URLs, the pool, the bucket, the
// OIDC provider's name (its issuer without https://) and ID tokens of
// two people and an expired one.
export async function appFlow(cfg) {
  const region = cfg.region;
  const out = {};
  const credentialsFor = (logins) => fromCognitoIdentityPool({
    identityPoolId: cfg.pool, logins, clientConfig: { region, endpoint: cfg.api },
  });
  const errorOf = async (p) => {
    try {
      await p;
      return "succeeded";
    } catch (e) {
      return e.name;
    }
  };
  const session = async (credentials) => {
    const c = await credentials();
    const sts = new STSClient({ region, endpoint: cfg.api, credentials });
    const s3 = new S3Client({ region, endpoint: cfg.s3, forcePathStyle: true, credentials });
    const arn = (await sts.send(new GetCallerIdentityCommand({}))).Arn;
    return { c, arn, s3 };
  };
  const read = async (s3, key) =>
    (await s3.send(new GetObjectCommand({ Bucket: cfg.bucket, Key: key }))).Body.transformToString();
  const write = (s3, key, body) => s3.send(new PutObjectCommand({ Bucket: cfg.bucket, Key: key, Body: body }));

  // A guest: the pool's unauthenticated role, which may read public/.
  const guest = await session(credentialsFor(undefined));
  out.guestIdentity = guest.c.identityId;
  out.guestArn = guest.arn;
  out.guestKey = guest.c.accessKeyId.slice(0, 4);
  out.guestExpires = guest.c.expiration instanceof Date && guest.c.expiration > new Date();
  out.guestRead = await read(guest.s3, "public/hello.txt");
  out.guestWrite = await errorOf(write(guest.s3, "public/guest.txt", "no"));
  out.guestPrivate = await errorOf(write(guest.s3, `private/${guest.c.identityId}/note.txt`, "no"));
  // A second guest provider: the first one cached its identity id (in
  // IndexedDB in a browser, in memory in Node), so it returns as that
  // guest: GetCredentialsForIdentity without GetId.
  out.guestAgain = (await credentialsFor(undefined)()).identityId;

  // Signed in: the authenticated role, which may also write under
  // private/ its own identity id (${cognito-identity.amazonaws.com:sub}).
  const user = await session(credentialsFor({ [cfg.provider]: cfg.token }));
  const id = user.c.identityId;
  out.userIdentity = id;
  out.userArn = user.arn;
  out.userRead = await read(user.s3, "public/hello.txt");
  out.ownWrite = await errorOf(write(user.s3, `private/${id}/note.txt`, "mine"));
  out.ownRead = await read(user.s3, `private/${id}/note.txt`).catch((e) => e.name);
  out.otherWrite = await errorOf(write(user.s3, `private/${cfg.region}:00000000-0000-4000-8000-000000000000/note.txt`, "theirs"));
  out.otherRead = await errorOf(read(user.s3, `private/${guest.c.identityId}/x`));

  // The same login again, from a fresh provider: the same identity.
  out.again = (await credentialsFor({ [cfg.provider]: cfg.token })()).identityId;
  // An expired token is refused by the pool.
  out.expired = await errorOf(credentialsFor({ [cfg.provider]: cfg.expired })());
  // A guest who signs in (docs/identity-pools.md): the guest's identity
  // id with the login (fromCognitoIdentity) makes that identity theirs,
  // and their login finds it from then on. The guest is one of its own
  // (another cache key), not the one above.
  const fresh = await fromCognitoIdentityPool({ identityPoolId: cfg.pool, userIdentifier: "second-guest",
    clientConfig: { region, endpoint: cfg.api } })();
  const signedIn = fromCognitoIdentity({ identityId: fresh.identityId, logins: { [cfg.provider]: cfg.token2 },
    clientConfig: { region, endpoint: cfg.api } });
  const bob = await session(signedIn);
  out.signInKeeps = bob.c.identityId === fresh.identityId && fresh.identityId !== guest.c.identityId;
  out.signInArn = bob.arn;
  out.signInFinds = (await credentialsFor({ [cfg.provider]: cfg.token2 })()).identityId === fresh.identityId;
  return out;
}
