package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/config"
	"github.com/brevet-dev/brevet/internal/credential/masterkey"
)

// rotate-master-key refuses to run while a server is running on the data
// directory, leaving the key file as it was, and runs once the server has
// stopped; a second server on a served data directory is refused too.
func TestRotateMasterKeyRefusesWhileServed(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	_, _, stop := serveInProcess(t, dataDir)
	keyFile := filepath.Join(dataDir, masterkey.DataDirKeyFile)
	before, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	rotate := func() (string, error) {
		root := newRootCmd()
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetErr(new(bytes.Buffer))
		root.SetArgs([]string{"keys", "rotate-master-key", "--data-dir", dataDir})
		err := root.Execute()
		return out.String(), err
	}

	_, err = rotate()
	if want := "a server is running on " + dataDir + "; stop it first"; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("while served: got %v, want %q", err, want)
	}
	if after, _ := os.ReadFile(keyFile); !bytes.Equal(after, before) {
		t.Errorf("the key file changed although the rotation was refused")
	}
	if err := serveErr(t, dataDir); err == nil || !strings.Contains(err.Error(), "is in use by brevet serve, pid ") {
		t.Errorf("a second server: got %v, want it refused", err)
	}

	if err := stop(); err != nil {
		t.Fatal(err)
	}
	out, err := rotate()
	if err != nil || !strings.Contains(out, "new master key") {
		t.Errorf("after the server stopped: got %q, %v", out, err)
	}
}

// serveErr runs a server on dataDir and returns its error; one that starts
// is stopped after a few seconds and returns nil.
func serveErr(t *testing.T, dataDir string) error {
	t.Helper()
	cfg, err := config.Load(config.LoadArgs{Env: []string{"BREVET_DATA_DIR=" + dataDir, "BREVET_LISTEN=127.0.0.1:0"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	return serve(ctx, cfg, serveOptions{out: io.Discard, logOut: io.Discard})
}
