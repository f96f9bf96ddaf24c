package agent

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

func TestContainerEndpoint(t *testing.T) {
	clock := clockwork.NewFakeClockAt(t0)
	web := servingKeeper(t, clock, "arn:aws:iam::123456789012:role/web", creds("ASIAWEB", t0.Add(time.Hour)))
	batch := servingKeeper(t, clock, "arn:aws:iam::123456789012:role/batch", creds("ASIABATCH", t0.Add(time.Hour)))
	idle := NewKeeper(KeeperConfig{Role: "arn:aws:iam::123456789012:role/idle", Clock: clock})
	c := NewContainer([]Workload{
		{Token: "web-token-0123456789", Keeper: web, AccountID: "123456789012"},
		{Token: "batch-token-0123456789", Keeper: batch},
		{Token: "idle-token-0123456789", Keeper: idle},
	}, clock, NewMetrics())
	for _, tc := range []struct {
		name, method, path, auth string
		want                     int
		wantKey                  string
	}{
		{"web", "GET", ContainerPath, "web-token-0123456789", 200, "ASIAWEB"},
		{"batch", "GET", ContainerPath, "batch-token-0123456789", 200, "ASIABATCH"},
		{"missing token", "GET", ContainerPath, "", 401, ""},
		{"wrong token", "GET", ContainerPath, "web-token-0123456788", 401, ""},
		{"prefix of a token", "GET", ContainerPath, "web-token", 401, ""},
		{"huge token", "GET", ContainerPath, strings.Repeat("a", 5000), 401, ""},
		{"role not served", "GET", ContainerPath, "idle-token-0123456789", 503, ""},
		{"other path", "GET", "/v2/credentials", "web-token-0123456789", 404, ""},
		{"POST", "POST", ContainerPath, "web-token-0123456789", 405, ""},
	} {
		h := map[string]string{}
		if tc.auth != "" {
			h["Authorization"] = tc.auth
		}
		code, _, body := do(c, tc.method, tc.path, h)
		if code != tc.want {
			t.Errorf("%s: got %d, want %d", tc.name, code, tc.want)
			continue
		}
		if tc.wantKey == "" {
			if strings.Contains(body, "ASIA") {
				t.Errorf("%s: an error response holds credentials: %s", tc.name, body)
			}
			continue
		}
		var got map[string]string
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got["AccessKeyId"] != tc.wantKey || got["Token"] != "token-"+tc.wantKey || got["Expiration"] != "2026-12-06T11:00:00Z" ||
			got["SecretAccessKey"] != "secret-"+tc.wantKey || !strings.HasPrefix(got["RoleArn"], "arn:aws:iam::") {
			t.Errorf("%s: got %v", tc.name, got)
		}
	}
}
