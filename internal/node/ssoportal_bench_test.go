package node

import (
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"testing"
)

// BenchmarkServeGetRoleCredentials measures the SSO portal's
// GetRoleCredentials (bearer token, assignment check, role session)
// against AssumeRole (SigV4, policy evaluation, role session) on one node
// in process, with the durable trail. The target: GetRoleCredentials
// at no less than 0.8 of AssumeRole's throughput.
func BenchmarkServeGetRoleCredentials(b *testing.B) {
	e := startPortalNode(b, "BREVET_LOG_LEVEL=error", "BREVET_LIMIT_REQUESTS_PER_CALLER=1000000/s:1000000")
	base := e.n.URL()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"arn:aws:iam::111122223333:root"}}]}`
	if code, body := signedPostTo(b, client, base, "iam", e.creds, "Action=CreateRole&Version=2010-05-08&RoleName=bench&AssumeRolePolicyDocument="+url.QueryEscape(trust)); code != 200 {
		b.Fatalf("CreateRole: %d %s", code, body)
	}
	const assume = "Action=AssumeRole&Version=2011-06-15&RoleSessionName=bench&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fbench"
	get := base + "/federation/credentials?role_name=Dev&account_id=" + testAccount
	for _, clients := range []int{16, 64} {
		run := func(b *testing.B, call func() (int, string)) {
			b.SetParallelism(max(1, clients/runtime.GOMAXPROCS(0)))
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if code, body := call(); code != 200 {
						b.Errorf("%d %s", code, body)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		}
		b.Run("AssumeRole/c"+strconv.Itoa(clients), func(b *testing.B) {
			run(b, func() (int, string) { return signedPostTo(b, client, base, "sts", e.creds, assume) })
		})
		b.Run("GetRoleCredentials/c"+strconv.Itoa(clients), func(b *testing.B) {
			run(b, func() (int, string) {
				req, _ := http.NewRequest("GET", get, nil)
				req.Header.Set("x-amz-sso_bearer_token", e.token)
				resp, err := client.Do(req)
				if err != nil {
					return 0, err.Error()
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(body)
			})
		})
	}
}
