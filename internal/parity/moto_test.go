package parity_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/mototest"
	"github.com/brevet-dev/brevet/internal/parity"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

// TestMotoScore measures moto_server, the AWS emulator, on the parity
// suite, for comparison with Brevet's score (docs/iam.md). It is a
// measurement, not a check of Brevet, so it runs only when asked:
//
//	BREVET_PARITY_MOTO=1 go test -count=1 -run TestMotoScore -v ./internal/parity/
func TestMotoScore(t *testing.T) {
	if os.Getenv("BREVET_PARITY_MOTO") == "" {
		t.Skip("set BREVET_PARITY_MOTO=1 to measure moto_server on the parity suite")
	}
	files, err := parity.LoadDir("cases")
	if err != nil {
		t.Fatal(err)
	}
	var moto mototest.Server
	t.Cleanup(moto.Stop)
	base := moto.URL(t)
	admin := sigv4.Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	send := func(ctx context.Context, service string, c *parity.Creds, form url.Values) (int, []byte, error) {
		creds := admin
		if c != nil {
			creds = sigv4.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}
		}
		u, _ := url.Parse(base)
		req := sigv4.Request{Method: "POST", Path: "/", Host: u.Host, Body: []byte(form.Encode()),
			Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}}
		if err := (&sigv4.Signer{Credentials: creds}).Sign(&req, sigv4.SignOptions{Region: "us-east-1", Service: service, Time: time.Now()}); err != nil {
			return 0, nil, err
		}
		hr, _ := http.NewRequestWithContext(ctx, "POST", base+"/", bytes.NewReader(req.Body))
		hr.Header = req.Header
		resp, err := http.DefaultClient.Do(hr)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, b, err
	}
	var all []parity.Outcome
	for _, f := range files {
		resp, err := http.Post(base+"/moto-api/reset", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		outs := parity.Run(context.Background(), f, send, map[string]string{"account": "123456789012"})
		t.Logf("%s: %s", f.Name, parity.Tally(outs))
		all = append(all, outs...)
	}
	t.Logf("moto_server: %s", parity.Tally(all))
}
