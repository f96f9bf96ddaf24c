package parity

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/brevet-dev/brevet/internal/sigv4"
)

// HTTPSender is a Sender that posts each request to the Query endpoint at
// base, signed with SigV4 for us-east-1 at now(): with admin, or with the
// case's own credentials when it names some.
func HTTPSender(base string, admin sigv4.Credentials, now func() time.Time) Sender {
	return func(ctx context.Context, service string, c *Creds, form url.Values) (int, []byte, error) {
		creds := admin
		if c != nil {
			creds = sigv4.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}
		}
		u, err := url.Parse(base)
		if err != nil {
			return 0, nil, err
		}
		req := sigv4.Request{Method: "POST", Path: "/", Host: u.Host, Body: []byte(form.Encode()),
			Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}}
		if err := (&sigv4.Signer{Credentials: creds}).Sign(&req, sigv4.SignOptions{Region: "us-east-1", Service: service, Time: now()}); err != nil {
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
}
