package node

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/parity"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

// TestParity runs the AWS parity suite (internal/parity/cases): each case
// file on a fresh node, the files in parallel. It fails when a case
// differs from AWS without a documented reason (differs:), when a case
// marked differs: matches, when a setup step fails, or when fewer than
// 95 % of the cases match.
func TestParity(t *testing.T) {
	files, err := parity.LoadDir("../parity/cases")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no case files in ../parity/cases")
	}
	var (
		mu  sync.Mutex
		all []parity.Outcome
	)
	t.Run("files", func(t *testing.T) {
		for _, f := range files {
			t.Run(strings.TrimSuffix(f.Name, ".txt"), func(t *testing.T) {
				t.Parallel()
				outs := runParityFile(t, f)
				s := parity.Tally(outs)
				for _, o := range s.Setup {
					t.Errorf("setup: %s", o)
				}
				for _, o := range s.Unexpected {
					t.Errorf("differs from AWS: %s", o)
				}
				for _, o := range s.StaleDiffers {
					t.Errorf("marked differs: but matches AWS (remove the marker and its docs entry): %s:%d %s", o.File, o.Case.Line, o.Case.Title)
				}
				mu.Lock()
				all = append(all, outs...)
				mu.Unlock()
			})
		}
	})
	s := parity.Tally(all)
	t.Logf("parity: %s; %d documented differences", s, s.Counted-s.Matched-len(s.Unexpected))
	if s.Rate() < 0.95 {
		t.Errorf("parity %s, below the 95 %% target", s)
	}
}

// runParityFile runs one case file against a fresh node as its admin.
func runParityFile(t *testing.T, f *parity.File) []parity.Outcome {
	dir := t.TempDir()
	n, _ := startNode(t, dir, Options{})
	admin := adminCreds(t, dir)
	send := func(ctx context.Context, service string, c *parity.Creds, form url.Values) (int, []byte, error) {
		creds := admin
		if c != nil {
			creds = sigv4.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}
		}
		return parityPost(ctx, n.URL(), service, creds, form.Encode())
	}
	return parity.Run(context.Background(), f, send, map[string]string{"account": testAccount})
}

func parityPost(ctx context.Context, base, service string, creds sigv4.Credentials, body string) (int, []byte, error) {
	u, _ := url.Parse(base)
	req := sigv4.Request{Method: "POST", Path: "/", Host: u.Host, Body: []byte(body),
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}}
	if err := (&sigv4.Signer{Credentials: creds}).Sign(&req, sigv4.SignOptions{Region: "us-east-1", Service: service, Time: time.Now()}); err != nil {
		return 0, nil, err
	}
	hr, err := http.NewRequestWithContext(ctx, "POST", base+"/", bytes.NewReader(req.Body))
	if err != nil {
		return 0, nil, err
	}
	hr.Header = req.Header
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}
