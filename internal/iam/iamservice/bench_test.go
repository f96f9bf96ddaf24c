package iamservice_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
	"github.com/brevet-dev/brevet/internal/iam/iamservice"
	"github.com/brevet-dev/brevet/internal/identity"
)

// benchCall serves one form request through the dispatcher in process,
// without the SDK's signing, so the figure is the service's own cost
// (dispatch, store read, XML).
func benchCall(b *testing.B, e *env, form string) {
	b.Helper()
	h := e.srv.Config.Handler
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(form))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+adminKeyID+"/20260301/us-east-1/iam/aws4_request")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

func BenchmarkGetUser(b *testing.B) {
	e := newEnv(b)
	if _, err := e.client.CreateUser(context.Background(), &awsiam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		b.Fatal(err)
	}
	benchCall(b, e, "Action=GetUser&Version=2010-05-08&UserName=alice")
}

func BenchmarkListUsers100(b *testing.B) {
	e := newEnv(b)
	for i := range 100 {
		if _, err := e.client.CreateUser(context.Background(), &awsiam.CreateUserInput{UserName: aws.String(fmt.Sprintf("user%03d", i))}); err != nil {
			b.Fatal(err)
		}
	}
	benchCall(b, e, "Action=ListUsers&Version=2010-05-08&MaxItems=100")
}

func BenchmarkSimulatePrincipalPolicy(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	if _, err := e.client.AttachUserPolicy(ctx, &awsiam.AttachUserPolicyInput{UserName: aws.String(adminName), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}); err != nil {
		b.Fatal(err)
	}
	if _, err := e.client.PutUserPolicy(ctx, &awsiam.PutUserPolicyInput{UserName: aws.String(adminName), PolicyName: aws.String("s3"), PolicyDocument: aws.String(allowS3)}); err != nil {
		b.Fatal(err)
	}
	benchCall(b, e, "Action=SimulatePrincipalPolicy&Version=2010-05-08&PolicySourceArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Auser%2Fadmin"+
		"&ActionNames.member.1=s3%3AGetObject&ActionNames.member.2=s3%3APutObject&ResourceArns.member.1=arn%3Aaws%3As3%3A%3A%3Abucket%2Fkey")
}

// BenchmarkVerifyPassword is a sign-in's password check with the default
// argon2id parameters (64 MiB, t=2, p=2), for a user with a password and
// for a name that does not exist: the two must cost the same.
func BenchmarkVerifyPassword(b *testing.B) {
	e := newEnv(b)
	svc, err := iamservice.New(iamservice.Config{Store: e.st, MasterKey: e.mk})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := e.client.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		b.Fatal(err)
	}
	const pw = "Correct-Horse-Battery-1"
	p := &identity.Principal{Type: identity.IAMUser, Account: testAccount, UserName: adminName}
	if _, err := svc.CreateLoginProfile(ctx, p, &iamapi.CreateLoginProfileRequest{UserName: "alice", Password: pw}, testNow); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name, user string
		err        error
	}{{"user", "alice", nil}, {"no-such-user", "nobody", iamservice.ErrBadPassword}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := svc.VerifyPassword(ctx, testAccount, bc.user, pw, testNow); !errors.Is(err, bc.err) {
					b.Fatal(err)
				}
			}
		})
	}
}
