package node

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/sso"
)

// BenchmarkServeCreateTokenRefresh measures SSO OIDC's CreateToken with
// the refresh_token grant through the whole server (HTTP, the pipeline,
// the sqlite store's compare-and-swap, the user check, the durable audit
// trail), each client rotating its own session's refresh token. The
// issue's target: at least 2,000/s.
func BenchmarkServeCreateTokenRefresh(b *testing.B) {
	dataDir := filepath.Join(b.TempDir(), "data")
	n, _ := startNode(b, dataDir, Options{}, "BREVET_LOG_LEVEL=error", "BREVET_LIMIT_FAILURES_PER_SOURCE=1000000/s:1000000", "BREVET_LIMIT_REQUESTS_PER_CALLER=1000000/s:1000000")
	base := n.URL()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	post := func(path string, in, out any) (int, string) {
		body, _ := json.Marshal(in)
		resp, err := client.Post(base+path, "application/json", bytes.NewReader(body))
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode == 200 && out != nil {
			_ = json.Unmarshal(raw, out)
		}
		return resp.StatusCode, string(raw)
	}
	var reg sso.RegisterClientOutput
	if code, body := post("/client/register", sso.RegisterClientInput{ClientName: "bench", ClientType: "public"}, &reg); code != 200 {
		b.Fatalf("RegisterClient: %d %s", code, body)
	}
	// A session per client, its device authorization started from a
	// source of its own (the per-source budget) and approved directly
	// (the sign-in page's part).
	var sessions int
	session := func() string {
		sessions++
		dev, err := n.sso.StartDeviceAuthorization(b.Context(), &sso.StartDeviceAuthorizationInput{ClientID: reg.ClientID, ClientSecret: reg.ClientSecret, StartURL: base + "/start"},
			"198.51.100."+strconv.Itoa(sessions), time.Now())
		if err != nil {
			b.Fatal(err)
		}
		id := sso.Identity{Source: "idp:bench", UserID: "sub-1", UserName: "bench@example.com"}
		if err := n.sso.ApproveDevice(b.Context(), dev.UserCode, id, time.Now()); err != nil {
			b.Fatal(err)
		}
		var tok sso.CreateTokenOutput
		if code, body := post("/token", sso.CreateTokenInput{ClientID: reg.ClientID, ClientSecret: reg.ClientSecret, GrantType: sso.GrantDeviceCode, DeviceCode: dev.DeviceCode}, &tok); code != 200 {
			b.Fatalf("CreateToken: %d %s", code, body)
		}
		return tok.RefreshToken
	}
	for _, clients := range []int{16, 64} {
		b.Run("c"+strconv.Itoa(clients), func(b *testing.B) {
			tokens := make(chan string, clients*runtime.GOMAXPROCS(0))
			for range cap(tokens) {
				tokens <- session()
			}
			var failed atomic.Bool
			b.SetParallelism(max(1, clients/runtime.GOMAXPROCS(0)))
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				refresh := <-tokens
				for pb.Next() {
					var out sso.CreateTokenOutput
					code, body := post("/token", sso.CreateTokenInput{ClientID: reg.ClientID, ClientSecret: reg.ClientSecret, GrantType: sso.GrantRefreshToken, RefreshToken: refresh}, &out)
					if code != 200 {
						if !failed.Swap(true) {
							b.Errorf("refresh: %d %s", code, body)
						}
						return
					}
					refresh = out.RefreshToken
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}
