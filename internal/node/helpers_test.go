package node

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/config"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

// testAccount is the account every test node creates.
const testAccount = "111122223333"

// startNode runs a node on dataDir (created on first use) until the test
// ends, or stop is called, and returns it.
func startNode(tb testing.TB, dataDir string, opts Options, env ...string) (n *Node, stop func() error) {
	tb.Helper()
	cfg, err := config.Load(config.LoadArgs{Env: append([]string{"BREVET_DATA_DIR=" + dataDir, "BREVET_LISTEN=127.0.0.1:0",
		"BREVET_ACCOUNT_ID=" + testAccount}, env...)})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n, err = New(ctx, cfg, opts)
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	var stopped bool
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		err := <-done
		if cerr := n.Close(); err == nil {
			err = cerr
		}
		return err
	}
	tb.Cleanup(func() {
		if err := stop(); err != nil {
			tb.Errorf("node: %v", err)
		}
	})
	return n, stop
}

// adminCreds reads the key the first start wrote.
func adminCreds(tb testing.TB, dataDir string) sigv4.Credentials {
	tb.Helper()
	f, err := os.Open(filepath.Join(dataDir, "admin-credentials"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var c sigv4.Credentials
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), " = "); ok {
			switch k {
			case "aws_access_key_id":
				c.AccessKeyID = v
			case "aws_secret_access_key":
				c.SecretAccessKey = v
			}
		}
	}
	return c
}

// signedPost sends a SigV4-signed STS request and returns the status and
// body.
func signedPost(tb testing.TB, base string, creds sigv4.Credentials, body string) (int, string) {
	tb.Helper()
	return signedPostTo(tb, http.DefaultClient, base, "sts", creds, body)
}

func signedPostTo(tb testing.TB, client *http.Client, base, service string, creds sigv4.Credentials, body string) (int, string) {
	tb.Helper()
	u, _ := url.Parse(base)
	req := sigv4.Request{Method: "POST", Path: "/", Host: u.Host, Body: []byte(body),
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}}
	if err := (&sigv4.Signer{Credentials: creds}).Sign(&req, sigv4.SignOptions{Region: "us-east-1", Service: service, Time: time.Now()}); err != nil {
		tb.Fatal(err)
	}
	hr, _ := http.NewRequest("POST", base+"/", bytes.NewReader(req.Body))
	hr.Header = req.Header
	resp, err := client.Do(hr)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func readyz(tb testing.TB, base string) int {
	tb.Helper()
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
