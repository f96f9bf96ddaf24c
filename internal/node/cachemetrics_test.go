package node

import (
	"bufio"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
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
