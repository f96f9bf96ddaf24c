package e2e

import (
	"context"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// The operational endpoints answer next to the API.
func TestHealthReadyMetrics(t *testing.T) {
	t.Parallel()
	b := startBrevet(t)
	if code, body := get(t, b.URL+"/healthz"); code != 200 {
		t.Errorf("/healthz: %d %s", code, body)
	}
	if code, body := get(t, b.URL+"/readyz"); code != 200 {
		t.Errorf("/readyz: %d %s", code, body)
	}
	if _, err := sts.NewFromConfig(b.goAdmin(t)).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := sts.NewFromConfig(b.goAdmin(t)).GetSessionToken(context.Background(), &sts.GetSessionTokenInput{}); err != nil {
		t.Fatal(err)
	}
	// The issuance record is written behind the trail: wait for it.
	code, body := get(t, b.URL+"/metrics")
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(body, "\nbrevet_issuance_records_total 1\n") && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		code, body = get(t, b.URL+"/metrics")
	}
	for _, want := range []string{
		`brevet_api_requests_total{action="GetCallerIdentity",outcome="success"} 1`,
		`brevet_credentials_issued_total{kind="GetSessionToken"} 1`,
		"\nbrevet_issuance_records_total 1\n",
		"\nbrevet_issuance_commits_total 1\n",
	} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("/metrics: %d, lacks %s:\n%.3000s", code, want, body)
		}
	}
	// Both requests' events are durable before their responses, each in
	// one commit at most.
	events, commits := metricValue(body, "brevet_audit_events_total"), metricValue(body, "brevet_audit_commits_total")
	if events < 2 || commits < 1 || commits > events {
		t.Errorf("/metrics: brevet_audit_events_total %v, brevet_audit_commits_total %v; want at least 2 events in at most as many commits", events, commits)
	}
	fi, err := os.Stat(b.CredentialsFile())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("admin-credentials: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
}

// A restart keeps everything: the account, users and their keys, and the
// token keys, so credentials issued before the restart still work after it.
func TestRestartKeepsState(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := startBrevet(t)
	admin := b.goAdmin(t)
	ic := iam.NewFromConfig(admin)
	if _, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("survivor")}); err != nil {
		t.Fatal(err)
	}
	key, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("survivor")})
	if err != nil {
		t.Fatal(err)
	}
	st, err := sts.NewFromConfig(admin).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	creds, _ := os.ReadFile(b.CredentialsFile())
	b.stop(t)

	// Another account id on the command line changes nothing now.
	b2 := startBrevetIn(t, b.Dir, "--account-id", "999999999999")
	b2.Account = b.Account
	if again, _ := os.ReadFile(b2.CredentialsFile()); string(again) != string(creds) {
		t.Errorf("admin-credentials changed across the restart")
	}
	for name, cfg := range map[string]aws.Config{
		"admin":           b2.goAdmin(t),
		"survivor":        b2.goConfig(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), ""),
		"earlier session": fromSTS(b2, st.Credentials),
	} {
		out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Errorf("%s after restart: %v", name, err)
			continue
		}
		if got := aws.ToString(out.Account); got != b.Account {
			t.Errorf("%s after restart: account %s, want %s", name, got, b.Account)
		}
	}
}

// metricValue is the value of an unlabelled metric in a Prometheus text
// exposition, -1 when absent.
func metricValue(body, name string) float64 {
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err == nil {
				return f
			}
		}
	}
	return -1
}
