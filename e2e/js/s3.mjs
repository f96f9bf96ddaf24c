// The AWS SDK for JavaScript v3 through Brevet's S3 gateway: PutObject, a
// 12 MiB multipart Upload (lib-storage), GetObject, ListObjectsV2,
// path-style. Run by e2e/gateway_sdk_test.go with the admin key as the
// default profile, E2E_S3_ENDPOINT (the gateway) and E2E_BUCKET (an existing
// bucket). Prints "ok" and the SHA-256 of the uploaded 12 MiB.
import { createHash, randomBytes } from "node:crypto";
import { S3Client, PutObjectCommand, GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";

const bucket = process.env.E2E_BUCKET;

function check(cond, what) {
  if (!cond) {
    console.error("js: " + what);
    process.exit(1);
  }
}

const s3 = new S3Client({ endpoint: process.env.E2E_S3_ENDPOINT, forcePathStyle: true, region: "us-east-1" });

await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "js/small.txt", Body: "hello through the gateway", ContentType: "text/plain" }));

const big = randomBytes(12 << 20);
const up = new Upload({ client: s3, params: { Bucket: bucket, Key: "js/big.bin", Body: big }, partSize: 5 << 20, queueSize: 3 });
let parts = 0;
up.on("httpUploadProgress", () => { parts++; });
const done = await up.done();
check(done.Key === "js/big.bin" && /-3"$/.test(done.ETag), `Upload: ${JSON.stringify(done)}; want a 3-part upload`);

const small = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "js/small.txt" }));
check(await small.Body.transformToString() === "hello through the gateway", "GetObject js/small.txt");
check(small.ContentType === "text/plain", `content type ${small.ContentType}`);
const got = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "js/big.bin" }))).Body.transformToByteArray());
check(got.equals(big), `GetObject js/big.bin: ${got.length} bytes differ from the ${big.length} uploaded`);

const list = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "js/" }));
const keys = (list.Contents ?? []).map((o) => `${o.Key}:${o.Size}`).sort();
check(JSON.stringify(keys) === JSON.stringify(["js/big.bin:12582912", "js/small.txt:25"]), `ListObjectsV2: ${keys}`);
check(parts > 0, "no upload progress events");

console.log("ok " + createHash("sha256").update(big).digest("hex"));
