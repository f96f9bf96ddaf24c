package node

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/brevet-dev/brevet/internal/agent"
)

// TestAgentWithNode runs the agent (internal/agent, in process) against a
// real node: it enrolls with a join token, aws-sdk-go-v2 takes the host
// role's credentials from the agent's IMDS and calls Brevet with them, a
// restart reuses the enrollment, and the agent stops serving as soon as
// the instance profile loses its role. e2e/agent_test.go does the same
// with the real processes and every SDK.
func TestAgentWithNode(t *testing.T) {
	e := startHostsNode(t)
	code, body := e.brevet(t, "CreateJoinToken", url.Values{"InstanceProfileName": {"web"}, "TtlSeconds": {"600"}})
	if code != 200 {
		t.Fatalf("CreateJoinToken: %d %s", code, body)
	}
	cfg := agent.Config{Endpoint: e.n.URL(), StateDir: t.TempDir(), Hostname: "web-1", IMDSListen: "127.0.0.1:0",
		Enroll: agent.Enrollment{JoinToken: xmlValue(body, "JoinToken")}, Watch: true}
	a, err := agent.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if h := a.Host(); !strings.HasPrefix(h.HostID, "i-") || !strings.HasSuffix(h.RoleArn, ":role/web-role") || h.AccountID != testAccount {
		t.Errorf("enrollment: %+v", h)
	}
	cfg.Enroll = agent.Enrollment{} // a restart needs no join token
	if a, err = agent.New(t.Context(), cfg); err != nil {
		t.Fatalf("restart: %v", err)
	}
	ls, err := a.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, ls) }()
	defer func() { cancel(); <-done }()

	imdsURL := "http://" + ls.IMDS.Addr().String()
	provider := ec2rolecreds.New(func(o *ec2rolecreds.Options) {
		o.Client = imds.New(imds.Options{Endpoint: imdsURL})
	})
	waitUntil(t, 10*time.Second, func() bool {
		_, err = provider.Retrieve(t.Context())
		return err == nil
	})
	out, err := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(e.n.URL()),
		Credentials: aws.NewCredentialsCache(provider)}).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.Arn); !strings.Contains(got, ":assumed-role/web-role/"+a.Host().HostID) {
		t.Errorf("caller %s, want the web-role session of host %s", got, a.Host().HostID)
	}

	p, err := e.n.st.InstanceProfiles().Get(t.Context(), testAccount, "web")
	if err != nil {
		t.Fatal(err)
	}
	p.Roles = nil
	if err := e.n.st.InstanceProfiles().Update(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	waitUntil(t, 10*time.Second, func() bool {
		_, err := ec2rolecreds.New(func(o *ec2rolecreds.Options) {
			o.Client = imds.New(imds.Options{Endpoint: imdsURL})
		}).Retrieve(t.Context())
		return err != nil
	})
	t.Logf("stopped serving %v after the profile lost its role", time.Since(start).Round(time.Millisecond))
}

func waitUntil(t *testing.T, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
