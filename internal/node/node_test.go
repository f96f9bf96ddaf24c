package node

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/brevet-dev/brevet/internal/config"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/store"
)

func TestFirstStartAndRestart(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	var out bytes.Buffer
	n, stop := startNode(t, dataDir, Options{FirstStart: &out})
	if got := readyz(t, n.URL()); got != 200 {
		t.Errorf("/readyz: %d", got)
	}
	for _, want := range []string{"Brevet created account " + testAccount, "export AWS_ENDPOINT_URL=" + n.URL()} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("first-start note lacks %q:\n%s", want, out.String())
		}
	}
	for _, name := range []string{"master.key", "admin-credentials"} {
		fi, err := os.Stat(filepath.Join(dataDir, name))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v (mode %v), want mode 0600", name, err, fi.Mode().Perm())
		}
	}
	if err := stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	out.Reset()
	startNode(t, dataDir, Options{FirstStart: &out})
	if out.Len() != 0 {
		t.Errorf("a restart printed the first-start note:\n%s", out.String())
	}
}

// A second node on a served data directory is refused: the directory's
// lock is held for as long as a node runs.
func TestOneNodePerDataDirectory(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	_, stop := startNode(t, dataDir, Options{})
	if _, err := newNodeErr(t, dataDir); err == nil || !strings.Contains(err.Error(), "in use by "+LockHolder) {
		t.Errorf("a second node: %v, want it refused", err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	n, err := newNodeErr(t, dataDir)
	if err != nil {
		t.Fatalf("after the first stopped: %v", err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestStoreGate: while the store is down, an action whose declared effect
// writes is refused before authentication with store.ErrUnavailable, and
// a read-only one goes on; while it is up, everything goes on.
func TestStoreGate(t *testing.T) {
	var down atomic.Bool
	var reached int
	g := storeGate{next: authnFunc(func() { reached++ }), down: &down}
	for _, tc := range []struct {
		effect  request.Effect
		down    bool
		refused bool
	}{
		{request.ReadOnly, false, false},
		{request.Writes, false, false},
		{request.IssuesCredentials, false, false},
		{request.ReadOnly, true, false},
		{request.Writes, true, true},
		{request.IssuesCredentials, true, true},
	} {
		down.Store(tc.down)
		reached = 0
		_, err := g.Authenticate(context.Background(), &request.AuthnRequest{Operation: &request.Operation{Name: "X", Effect: tc.effect}})
		if refused := errors.Is(err, store.ErrUnavailable); refused != tc.refused || (reached == 1) == tc.refused {
			t.Errorf("%v, down %v: err %v, reached the authenticator %d times; want refused %v", tc.effect, tc.down, err, reached, tc.refused)
		}
		if tc.refused {
			if e := storeError(err); e == nil || e.Code.Name != "ServiceUnavailable" {
				t.Errorf("%v: wire error %v, want ServiceUnavailable", tc.effect, e)
			}
		}
	}
	if e := storeError(errors.New("policy is malformed")); e != nil {
		t.Errorf("a domain error mapped to %v", e)
	}
}

type authnFunc func()

func (f authnFunc) Authenticate(context.Context, *request.AuthnRequest) (request.Principal, error) {
	f()
	return nil, nil
}

func TestDebugListenerServesTheProfiler(t *testing.T) {
	url, stop, err := startDebug(t.Context(), "127.0.0.1:0", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"", "heap?debug=1", "goroutine?debug=1", "cmdline"} {
		resp, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || len(body) == 0 {
			t.Errorf("GET %s: %d, %d bytes; want 200 with a body", path, resp.StatusCode, len(body))
		}
	}
	stop()
	if resp, err := http.Get(url); err == nil {
		resp.Body.Close()
		t.Errorf("GET after stop: %d; want the connection refused", resp.StatusCode)
	}
}

// The API listener never serves the profiler, with or without
// debug_listen.
func TestAPIListenerHasNoProfiler(t *testing.T) {
	n, _ := startNode(t, filepath.Join(t.TempDir(), "data"), Options{})
	resp, err := http.Get(n.URL() + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK || strings.Contains(string(body), "goroutine") {
		t.Errorf("GET /debug/pprof/ on the API listener: %d %.80q; want no profiler", resp.StatusCode, body)
	}
}

// newNodeErr builds a node on dataDir and returns New's error.
func newNodeErr(t *testing.T, dataDir string) (*Node, error) {
	t.Helper()
	cfg, err := config.Load(config.LoadArgs{Env: []string{"BREVET_DATA_DIR=" + dataDir, "BREVET_LISTEN=127.0.0.1:0", "BREVET_ACCOUNT_ID=" + testAccount}})
	if err != nil {
		t.Fatal(err)
	}
	return New(t.Context(), cfg, Options{})
}
