package loadgen

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery/brevetapi"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

// Client makes single signed AWS Query calls, to set a benchmark up
// (create roles and users) before measuring. It is deliberately minimal;
// it is not an SDK.
type Client struct {
	URL         string
	Region      string
	Credentials sigv4.Credentials
	HTTP        *http.Client
	// Now is the signing clock; nil means time.Now.
	Now func() time.Time
}

// APIError is an AWS <ErrorResponse> (or any non-2xx answer).
type APIError struct {
	Status  int
	Code    string
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Code, e.Message)
}

// Call sends action to service ("sts", "iam" or "brevet") with params and returns
// the response body of a 2xx answer, or an *APIError.
func (c *Client) Call(ctx context.Context, service, action string, params url.Values) ([]byte, error) {
	version := stsVersion
	switch service {
	case "iam":
		version = iamVersion
	case "brevet":
		version = brevetapi.Version
	}
	form := url.Values{"Action": {action}, "Version": {version}}
	for k, v := range params {
		form[k] = v
	}
	body := []byte(form.Encode())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("loadgen: %s: %w", action, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	s := sigv4.Signer{Credentials: c.Credentials}
	if err := s.SignHTTP(req, body, sigv4.SignOptions{Region: c.Region, Service: service, Time: now()}); err != nil {
		return nil, fmt.Errorf("loadgen: %s: %w", action, err)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("loadgen: %s: %w", action, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("loadgen: %s: read response: %w", action, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		var e struct {
			Code    string `xml:"Error>Code"`
			Message string `xml:"Error>Message"`
		}
		_ = xml.Unmarshal(out, &e)
		if e.Code == "" {
			e.Code, e.Message = "-", string(out[:min(len(out), 200)])
		}
		return nil, &APIError{Status: resp.StatusCode, Code: e.Code, Message: e.Message}
	}
	return out, nil
}
