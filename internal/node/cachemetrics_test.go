package node

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/federation/x509/x509test"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

// scrape returns every sample /metrics serves, by series as written
// (name{labels}).
func scrape(t *testing.T, base string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	m := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			m[line[:i]] = v
		}
	}
	return m
}

// TestCacheAndStoreMetrics: /metrics shows the caches' hits, misses and
// sizes, and the store's pools, and they move: the first request with a
// key loads it (a miss), the second finds it (a hit).
func TestCacheAndStoreMetrics(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	n, _ := startNode(t, dataDir, Options{})
	creds := adminCreds(t, dataDir)
	call := func() {
		t.Helper()
		// An action that is authorized, so the authorizer looks the
		// user up.
		if code, body := signedPostTo(t, http.DefaultClient, n.URL(), "iam", creds, "Action=GetUser&Version=2010-05-08"); code != 200 {
			t.Fatalf("GetUser: %d %s", code, body)
		}
	}
	call()
	first := scrape(t, n.URL())
	call()
	second := scrape(t, n.URL())

	const (
		keyHits     = `brevet_cache_hits_total{cache="authn_keys"}`
		keyMisses   = `brevet_cache_misses_total{cache="authn_keys"}`
		keys        = `brevet_cache_entries{cache="authn_keys"}`
		entityHits  = `brevet_cache_hits_total{cache="authz_entities"}`
		entityMiss  = `brevet_cache_misses_total{cache="authz_entities"}`
		entities    = `brevet_cache_entries{cache="authz_entities"}`
		readIdle    = `brevet_store_connections{pool="read",state="idle"}`
		writeMax    = `brevet_store_max_connections{pool="write"}`
		storeUp     = `brevet_store_up`
		syncErrors  = `brevet_store_sync_errors_total`
		readWaits   = `brevet_store_connection_waits_total{pool="read"}`
		sessionHits = `brevet_cache_hits_total{cache="authz_sessions"}`
	)
	for _, s := range []string{keyHits, keyMisses, keys, entityHits, entityMiss, entities, readIdle, writeMax, storeUp, syncErrors, readWaits, sessionHits} {
		if _, ok := second[s]; !ok {
			t.Errorf("/metrics lacks %s", s)
		}
	}
	checks := []struct {
		name      string
		got, want float64
	}{
		{"key misses after the first call", first[keyMisses], 1},
		{"key hits after the first call", first[keyHits], 0},
		{"key misses after the second call", second[keyMisses], 1},
		{"key hits after the second call", second[keyHits], 1},
		{"keys cached", second[keys], 1},
		{"entity misses unchanged by the second call", second[entityMiss], first[entityMiss]},
		{"entity hits grow with the second call", second[entityHits] - first[entityHits], 1},
		{"store up", second[storeUp], 1},
		{"write pool size", second[writeMax], 1},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %v; want %v", c.name, c.got, c.want)
		}
	}
	if second[entities] < 1 {
		t.Errorf("entities cached: %v; want at least admin", second[entities])
	}
}

// TestCredentialCacheMetrics: /metrics shows the caches of the paths that
// issue credentials from certificates, and they move: a first Roles
// Anywhere CreateSession and a first IoT credentials request miss, the
// same requests again hit, and nothing is invalidated in between.
func TestCredentialCacheMetrics(t *testing.T) {
	e := startIoTNode(t)
	_, dev, _ := e.setUpDevices(t)

	// Roles Anywhere: a trust anchor, a role trusting it, a profile.
	ca := x509test.NewCA(t, x509test.Options{CN: "metrics root"})
	leaf := ca.Leaf(t, x509test.Options{CN: "host-1"})
	var anchor struct {
		TrustAnchor struct{ TrustAnchorArn string }
	}
	e.raJSON(t, "POST", "/trustanchors", `{"name":"metrics","enabled":true,"source":{"sourceType":"CERTIFICATE_BUNDLE",`+
		`"sourceData":{"x509CertificateData":`+pemJSON(ca.CertPEM())+`}}}`, &anchor)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"rolesanywhere.amazonaws.com"},` +
		`"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]}]}`
	if code, body := signedPostTo(t, http.DefaultClient, e.n.URL(), "iam", e.creds,
		"Action=CreateRole&Version=2010-05-08&RoleName=ra-metrics&AssumeRolePolicyDocument="+url.QueryEscape(trust)); code != 200 {
		t.Fatalf("CreateRole: %d %s", code, body)
	}
	roleARN := "arn:aws:iam::" + testAccount + ":role/ra-metrics"
	var profile struct{ Profile struct{ ProfileArn string } }
	e.raJSON(t, "POST", "/profiles", `{"name":"metrics","enabled":true,"roleArns":["`+roleARN+`"]}`, &profile)
	query := "trustAnchorArn=" + url.QueryEscape(anchor.TrustAnchor.TrustAnchorArn) +
		"&profileArn=" + url.QueryEscape(profile.Profile.ProfileArn) + "&roleArn=" + url.QueryEscape(roleARN)

	client := e.deviceClient(dev, nil)
	call := func() {
		t.Helper()
		if code, body := e.createSession(t, leaf, query); code != http.StatusCreated {
			t.Fatalf("CreateSession: %d %s", code, body)
		}
		if resp, body := e.credentials(t, client, "lamp-role", "lamp"); resp.StatusCode != 200 {
			t.Fatalf("IoT credentials: %d %s", resp.StatusCode, body)
		}
	}
	before := scrape(t, e.n.URL())
	call()
	first := scrape(t, e.n.URL())
	call()
	second := scrape(t, e.n.URL())

	for _, cache := range []string{"rolesanywhere_chains", "rolesanywhere_anchors", "rolesanywhere_profiles", "iot_objects"} {
		t.Run(cache, func(t *testing.T) {
			hits := `brevet_cache_hits_total{cache="` + cache + `"}`
			misses := `brevet_cache_misses_total{cache="` + cache + `"}`
			entries := `brevet_cache_entries{cache="` + cache + `"}`
			invalidations := `brevet_cache_invalidations_total{cache="` + cache + `"}`
			for _, s := range []string{hits, misses, entries, invalidations} {
				if _, ok := second[s]; !ok {
					t.Errorf("/metrics lacks %s", s)
				}
			}
			firstMisses := first[misses] - before[misses]
			if cache != "iot_objects" && firstMisses != 1 {
				// One chain, one anchor, one profile.
				t.Errorf("misses of the first request: %v; want 1", firstMisses)
			}
			checks := []struct {
				name      string
				got, want float64
			}{
				{"the first request's misses", min(firstMisses, 1), 1},
				{"the first request's hits", first[hits] - before[hits], 0},
				{"the second request's misses", second[misses] - first[misses], 0},
				{"the second request's hits (the first's misses)", second[hits] - first[hits], firstMisses},
				{"entries", min(second[entries], 1), 1},
				{"invalidations during the requests", second[invalidations] - before[invalidations], 0},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s: %v; want %v", c.name, c.got, c.want)
				}
			}
		})
	}
	// A change invalidates: the anchor disabled, then enabled again.
	id := anchor.TrustAnchor.TrustAnchorArn[strings.LastIndexByte(anchor.TrustAnchor.TrustAnchorArn, '/')+1:]
	e.raJSON(t, "POST", "/trustanchor/"+id+"/disable", "", nil)
	e.raJSON(t, "POST", "/trustanchor/"+id+"/enable", "", nil)
	call()
	third := scrape(t, e.n.URL())
	for _, cache := range []string{"rolesanywhere_chains", "rolesanywhere_anchors"} {
		invalidations := `brevet_cache_invalidations_total{cache="` + cache + `"}`
		misses := `brevet_cache_misses_total{cache="` + cache + `"}`
		if third[invalidations] <= second[invalidations] || third[misses] != second[misses]+1 {
			t.Errorf("%s after the anchor changed: %v invalidations (was %v), %v misses (was %v); want more, and one more",
				cache, third[invalidations], second[invalidations], third[misses], second[misses])
		}
	}
}

// raJSON sends a signed Roles Anywhere request and decodes its answer
// into out (when not nil).
func (e *iotEnv) raJSON(tb testing.TB, method, path, body string, out any) {
	tb.Helper()
	u, _ := url.Parse(e.n.URL())
	req := sigv4.Request{Method: method, Path: path, Host: u.Host, Body: []byte(body), Header: http.Header{"Content-Type": {"application/json"}}}
	if err := (&sigv4.Signer{Credentials: e.creds}).Sign(&req, sigv4.SignOptions{Region: "us-east-1", Service: "rolesanywhere", Time: time.Now()}); err != nil {
		tb.Fatal(err)
	}
	hr, _ := http.NewRequest(method, e.n.URL()+path, bytes.NewReader(req.Body))
	hr.Header = req.Header
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		tb.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			tb.Fatal(err)
		}
	}
}

// createSession sends Roles Anywhere's CreateSession signed with
// SigV4-X509 by leaf.
func (e *iotEnv) createSession(tb testing.TB, leaf *x509test.Leaf, query string) (int, string) {
	tb.Helper()
	body := []byte(`{"durationSeconds":900}`)
	u, _ := url.Parse(e.n.URL())
	sr := sigv4.Request{Method: "POST", Path: "/sessions", RawQuery: query, Host: u.Host, Body: body,
		Header: http.Header{"Content-Type": {"application/json"}}}
	if err := sigv4.SignX509(&sr, leaf.Key, leaf.Cert, leaf.Chain, "us-east-1", time.Now()); err != nil {
		tb.Fatal(err)
	}
	hr, _ := http.NewRequest("POST", e.n.URL()+"/sessions?"+query, bytes.NewReader(body))
	hr.Header = sr.Header
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
