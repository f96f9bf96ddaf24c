package node

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
)

// seedAudit writes n events into the node's trail as the node writes
// them (Auditor.Audit, group commit, the event index behind the trail):
// 200 users with a key each calling STS and IAM, one in four calls an
// AssumeRole that issues a session, one in ten refused, one in five a data
// event (S3 gateway). It returns user-7's key.
func seedAudit(tb testing.TB, n *Node, events int) string {
	tb.Helper()
	const users = 200
	start := time.Now().Add(-time.Duration(events) * time.Second)
	auditAll(tb, n, 32, events, func(i int) *request.Record {
		u := i % users
		p := &identity.Principal{Type: identity.IAMUser, Account: testAccount,
			CallerARN: fmt.Sprintf("arn:aws:iam::%s:user/user-%d", testAccount, u), PrincipalID: fmt.Sprintf("AIDAUSER%012d", u),
			AccessKeyID: fmt.Sprintf("AKIAUSER%012d", u), UserName: fmt.Sprintf("user-%d", u)}
		rec := &request.Record{RequestID: fmt.Sprint("seed-", i), Service: "STS", Action: "GetCallerIdentity", Effect: request.ReadOnly,
			Principal: p, SourceIP: "192.0.2.1", UserAgent: "seed", Start: start.Add(time.Duration(i) * time.Second), Status: 200}
		switch {
		case i%4 == 0:
			key := fmt.Sprintf("ASIASEED%012d", i)
			rec.Action, rec.Effect = "AssumeRole", request.IssuesCredentials
			rec.RequestParameters = map[string]any{"roleArn": "arn:aws:iam::" + testAccount + ":role/deploy", "roleSessionName": "s"}
			rec.ResponseElements = map[string]any{"credentials": map[string]any{"accessKeyId": key, "expiration": rec.Start.Add(time.Hour).Format(time.RFC3339)}}
			rec.Issued = &request.Issuance{Kind: "AssumeRole", AccessKeyID: key, Account: testAccount, Issued: rec.Start, Expires: rec.Start.Add(time.Hour),
				PrincipalARN: "arn:aws:iam::" + testAccount + ":role/deploy", SessionName: "s", ParentAccessKeyID: p.AccessKeyID, RootAccessKeyID: p.AccessKeyID}
		case i%10 == 1:
			rec.Service, rec.Action, rec.Effect = "IAM", "GetUser", request.ReadOnly
			rec.Status, rec.ErrorCode, rec.ErrorMessage = 404, "NoSuchEntity", "The user cannot be found."
		case i%5 == 2:
			rec.Service, rec.Action, rec.Category, rec.Version = "s3", "GetObject", request.CategoryData, "2006-03-01"
			rec.Resources = []request.Resource{{Type: "AWS::S3::Object", ARN: "arn:aws:s3:::bucket/key"}}
		}
		return rec
	})
	return "AKIAUSER000000000007"
}

// BenchmarkConsoleAudit measures the audit explorer's pages over a trail
// of 100,000 events, as a signed-in administrator's browser gets them
// (TLS, the console session, the in-process API calls: LookupEvents from
// the event index, GetTrailStatus). It reports the p99 of each page.
func BenchmarkConsoleAudit(b *testing.B) {
	br := startConsoleNode(b, "BREVET_LIMIT_REQUESTS_PER_CALLER=off")
	key := seedAudit(b, br.n, 100_000)
	br.signIn("admin")
	for _, pg := range []struct{ name, path string }{
		{"newest", "/console/audit"},
		{"principal", "/console/audit?principal=user-7"},
		{"error", "/console/audit?error=NoSuchEntity"},
		{"key", "/console/audit?key=" + key},
		{"credential", "/console/audit/credential?key=" + key},
		{"issued", "/console/audit/credential?key=ASIASEED000000050000"},
	} {
		b.Run(pg.name, func(b *testing.B) {
			var lat []time.Duration
			for b.Loop() {
				t0 := time.Now()
				code, body := br.get(pg.path)
				lat = append(lat, time.Since(t0))
				if code != http.StatusOK || len(body) < 1000 {
					b.Fatalf("%s: %d %s", pg.path, code, body)
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
