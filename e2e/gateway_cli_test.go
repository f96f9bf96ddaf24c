package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// The AWS CLI through the gateway: buckets, small and multipart uploads,
// listings, sync, downloads, recursive delete, and the bucket policy calls
// the gateway answers itself (never forwarded to the store).
func TestGatewayCLI(t *testing.T) {
	t.Parallel()
	need(t, "the AWS CLI (aws)", have("aws"))
	b := sharedGateway(t)
	c := s3CLI(t, b)
	bucket := bucketName(t, "cli")
	s3url := "s3://" + bucket

	if out := c.aws("s3", "mb", s3url); !strings.Contains(out, "make_bucket: "+bucket) {
		t.Fatalf("s3 mb: %q", out)
	}
	dir := t.TempDir()
	small, smallData := randomFile(t, dir, "small.txt", 1000)
	big, bigData := randomFile(t, dir, "big.bin", 20<<20)
	c.aws("s3", "cp", small, s3url+"/small.txt")
	c.aws("s3", "cp", big, s3url+"/big.bin")
	// The 20 MiB file went up in parts (8 MB threshold): the store's ETag
	// of a multipart object ends in -PARTS.
	if ok, size, etag := inBackend(t, bucket, "big.bin"); !ok || size != 20<<20 || !strings.Contains(etag, "-") {
		t.Errorf("big.bin in the store: present %v, %d bytes, ETag %s; want 20 MiB from a multipart upload", ok, size, etag)
	}

	if out := c.aws("s3", "ls"); !strings.Contains(out, " "+bucket+"\n") {
		t.Errorf("s3 ls: %s does not list %s", out, bucket)
	}
	out := c.aws("s3", "ls", s3url+"/")
	for _, want := range []string{" 1000 small.txt", " 20971520 big.bin"} {
		if !strings.Contains(out, want) {
			t.Errorf("s3 ls %s/: %q lacks %q", s3url, out, want)
		}
	}

	tree := t.TempDir()
	_, aData := randomFile(t, tree, "a.txt", 300)
	_, bData := randomFile(t, tree, "sub/b.txt", 5000)
	if out := c.aws("s3", "sync", tree, s3url+"/dir/"); strings.Count(out, "upload: ") != 2 {
		t.Errorf("s3 sync: %q; want 2 uploads", out)
	}
	if got := string(backendObject(t, bucket, "dir/sub/b.txt")); got != string(bData) {
		t.Errorf("dir/sub/b.txt in the store: %d bytes, want the %d synced", len(got), len(bData))
	}

	down := t.TempDir()
	if out := c.aws("s3", "cp", "--recursive", s3url+"/", down); strings.Count(out, "download: ") != 4 {
		t.Errorf("s3 cp --recursive down: %q; want 4 downloads", out)
	}
	sameFile(t, filepath.Join(down, "big.bin"), bigData)
	sameFile(t, filepath.Join(down, "small.txt"), smallData)
	sameFile(t, filepath.Join(down, "dir", "a.txt"), aData)
	sameFile(t, filepath.Join(down, "dir", "sub", "b.txt"), bData)

	{ // bucket policy
		policy := `{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + bucket + `/public/*"}]}`
		c.aws("s3api", "put-bucket-policy", "--bucket", bucket, "--policy", policy)
		var got struct{ Policy string }
		c.json(&got, "s3api", "get-bucket-policy", "--bucket", bucket)
		if !sameJSON(t, got.Policy, policy) {
			t.Errorf("get-bucket-policy: %s\nwant %s", got.Policy, policy)
		}
		var status struct{ PolicyStatus struct{ IsPublic bool } }
		c.json(&status, "s3api", "get-bucket-policy-status", "--bucket", bucket)
		if !status.PolicyStatus.IsPublic {
			t.Errorf("get-bucket-policy-status: IsPublic false for a policy granting \"*\"")
		}
		// Held by Brevet, not by the store.
		_, err := motoS3(t).GetBucketPolicy(context.Background(), &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
		if ae := smithy.APIError(nil); !errors.As(err, &ae) || ae.ErrorCode() != "NoSuchBucketPolicy" {
			t.Errorf("the store has a bucket policy (the gateway forwarded PutBucketPolicy?): %v", err)
		}
		c.aws("s3api", "delete-bucket-policy", "--bucket", bucket)
		if msg := c.awsErr("s3api", "get-bucket-policy", "--bucket", bucket); !strings.Contains(msg, "(NoSuchBucketPolicy)") {
			t.Errorf("get-bucket-policy after delete: %s", msg)
		}
		if msg := c.awsErr("s3api", "put-bucket-policy", "--bucket", bucket, "--policy", `{"Version":"2012-10-17","Statement":[`); !strings.Contains(msg, "(MalformedPolicy)") {
			t.Errorf("put-bucket-policy with broken JSON: %s", msg)
		}
	}

	if out := c.aws("s3", "rm", s3url+"/", "--recursive"); strings.Count(out, "delete: ") != 4 {
		t.Errorf("s3 rm --recursive: %q; want 4 deletes", out)
	}
	if out := c.aws("s3", "ls", s3url+"/", "--recursive"); strings.TrimSpace(out) != "" {
		t.Errorf("s3 ls after rm --recursive: %q", out)
	}
	for _, k := range []string{"small.txt", "big.bin", "dir/a.txt", "dir/sub/b.txt"} {
		if ok, _, _ := inBackend(t, bucket, k); ok {
			t.Errorf("%s still in the store after rm --recursive", k)
		}
	}
	c.aws("s3", "rb", s3url)
	if out := c.aws("s3", "ls"); strings.Contains(out, " "+bucket+"\n") {
		t.Errorf("s3 ls after rb still lists %s", bucket)
	}
}

// sameJSON reports whether two JSON documents are equal as values.
func sameJSON(t *testing.T, a, b string) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal([]byte(a), &va); err != nil {
		t.Errorf("not JSON: %v: %s", err, a)
		return false
	}
	if err := json.Unmarshal([]byte(b), &vb); err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	return string(ja) == string(jb)
}

// The walkthrough users follow for STS, ending as it should through the
// gateway: sts-user may not list the bucket; the assumed sts_role
// (AmazonS3ReadOnlyAccess) can list and read it, but not write.
func TestGatewaySTSWalkthrough(t *testing.T) {
	t.Parallel()
	need(t, "the AWS CLI (aws)", have("aws"))
	b := sharedGateway(t)
	c := s3CLI(t, b)
	acct := b.Account
	bucket := bucketName(t, "walk")
	roleARN := "arn:aws:iam::" + acct + ":role/sts_role"
	userARN := "arn:aws:iam::" + acct + ":user/sts-user"

	c.aws("s3", "mb", "s3://"+bucket)
	dir := t.TempDir()
	report, data := randomFile(t, dir, "report.csv", 4096)
	c.aws("s3", "cp", report, "s3://"+bucket+"/report.csv")

	c.newUserProfile("sts-user")
	c.aws("iam", "create-role", "--role-name", "sts_role", "--assume-role-policy-document", trustPolicy(`{"AWS":"`+userARN+`"}`, ""))
	c.aws("iam", "attach-role-policy", "--role-name", "sts_role", "--policy-arn", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
	c.aws("iam", "put-user-policy", "--user-name", "sts-user", "--policy-name", "assume-sts_role", "--policy-document", allowAssume(roleARN))

	msg := c.awsErr("s3", "ls", "s3://"+bucket, "--profile", "sts-user")
	if !strings.Contains(msg, "(AccessDenied) when calling the ListObjectsV2 operation") {
		t.Errorf("sts-user lists the bucket: %s\nwant AccessDenied", msg)
	}

	cr := c.assumeRole("--profile", "sts-user", "--role-arn", roleARN, "--role-session-name", "Session1")
	as := c.as(cr)
	if out := as.aws("s3", "ls", "s3://"+bucket); !strings.Contains(out, " 4096 report.csv") {
		t.Errorf("s3 ls as sts_role: %q", out)
	}
	down := filepath.Join(t.TempDir(), "report.csv")
	as.aws("s3", "cp", "s3://"+bucket+"/report.csv", down)
	sameFile(t, down, data)

	out, err := as.exec("aws", "s3", "cp", report, "s3://"+bucket+"/x")
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 || !strings.Contains(err.Error(), "AccessDenied") {
		t.Errorf("s3 cp upload as sts_role: %v (output %q); want a non-zero exit and AccessDenied", err, out)
	}
	if ok, _, _ := inBackend(t, bucket, "x"); ok {
		t.Error("the refused upload reached the store")
	}
}

// A data event for every request through the gateway, linked to the
// credentials' issuance: `brevet audit search --issued-by` follows an
// AssumeRole to the objects it touched.
func TestGatewayDataEvents(t *testing.T) {
	t.Parallel()
	need(t, "the AWS CLI (aws)", have("aws"))
	b := sharedGateway(t)
	c := s3CLI(t, b)
	bucket := bucketName(t, "data")
	c.aws("s3", "mb", "s3://"+bucket)
	c.aws("iam", "create-role", "--role-name", "data_events_role",
		"--assume-role-policy-document", trustPolicy(`{"AWS":"arn:aws:iam::`+b.Account+`:root"}`, ""))
	c.aws("iam", "put-role-policy", "--role-name", "data_events_role", "--policy-name", "rw", "--policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::`+bucket+`/*"}]}`)
	cr := c.assumeRole("--role-arn", "arn:aws:iam::"+b.Account+":role/data_events_role", "--role-session-name", "data-events")
	as := c.as(cr)
	src, _ := randomFile(t, t.TempDir(), "obj.bin", 2048)
	as.aws("s3", "cp", src, "s3://"+bucket+"/events/obj.bin")
	as.aws("s3", "cp", "s3://"+bucket+"/events/obj.bin", filepath.Join(t.TempDir(), "obj.bin"))

	var issuer string
	for _, e := range auditEvents(t, b, "--access-key", cr.AccessKeyId, "--event-name", "AssumeRole") {
		issuer, _ = e["eventID"].(string)
	}
	if issuer == "" {
		t.Fatalf("no AssumeRole event issued %s", cr.AccessKeyId)
	}

	objectARN := "arn:aws:s3:::" + bucket + "/events/obj.bin"
	var names []string
	deadline := time.Now().Add(5 * time.Second)
	for {
		names = names[:0]
		for _, e := range auditEvents(t, b, "--issued-by", issuer) {
			name, _ := e["eventName"].(string)
			names = append(names, name)
			if e["eventSource"] != "s3.amazonaws.com" {
				continue
			}
			if e["eventCategory"] != "Data" || e["managementEvent"] != false {
				t.Errorf("%s: eventCategory %v, managementEvent %v; want Data, false", name, e["eventCategory"], e["managementEvent"])
			}
			if !hasResource(e, "AWS::S3::Object", objectARN) || !hasResource(e, "AWS::S3::Bucket", "arn:aws:s3:::"+bucket) {
				t.Errorf("%s: resources %v; want the object %s and its bucket", name, e["resources"], objectARN)
			}
			if id, _ := e["userIdentity"].(map[string]any); id == nil || id["accessKeyId"] != cr.AccessKeyId {
				t.Errorf("%s: userIdentity %v; want access key %s", name, e["userIdentity"], cr.AccessKeyId)
			}
		}
		if slices.Contains(names, "PutObject") && slices.Contains(names, "GetObject") || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !slices.Contains(names, "PutObject") || !slices.Contains(names, "GetObject") {
		t.Errorf("audit search --issued-by %s: events %v; want the PutObject and GetObject done through the gateway", issuer, names)
	}
}

func hasResource(e map[string]any, typ, arn string) bool {
	rs, _ := e["resources"].([]any)
	for _, r := range rs {
		if m, _ := r.(map[string]any); m != nil && m["type"] == typ && m["ARN"] == arn {
			return true
		}
	}
	return false
}
