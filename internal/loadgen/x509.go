package loadgen

import (
	"bytes"
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brevet-dev/brevet/internal/sigv4"
)

// CreateSessionConfig is what a Roles Anywhere CreateSession workload
// signs with and asks for.
type CreateSessionConfig struct {
	// Key is the leaf's private key; Leaf and Chain (intermediates, may be
	// empty) go in X-Amz-X509 and X-Amz-X509-Chain.
	Key   crypto.Signer
	Leaf  *x509.Certificate
	Chain []*x509.Certificate
	// Region is the signature's scope region.
	Region string
	// TrustAnchorARN, ProfileARN and RoleARN are CreateSession's.
	TrustAnchorARN, ProfileARN, RoleARN string
	// Resign is how long one signature is reused by a worker (each worker
	// signs afresh at least this often); 0 signs every request. The
	// server verifies every request either way; reusing a signature for
	// a second keeps the generator's own RSA signing (about a
	// millisecond of CPU each) from taking the cores the server is
	// measured on.
	Resign time.Duration
}

// CreateSession is Roles Anywhere's CreateSession, signed with
// SigV4-X509 as AWS's signing helper does.
func CreateSession(action string, cfg CreateSessionConfig) Workload {
	body, _ := json.Marshal(map[string]any{
		"trustAnchorArn": cfg.TrustAnchorARN, "profileArn": cfg.ProfileARN, "roleArn": cfg.RoleARN, "durationSeconds": 3600,
	})
	var mu sync.Mutex
	type signed struct {
		at     time.Time
		header http.Header
	}
	// A signature covers the host: one per worker and endpoint, so that
	// phases against different servers never send each other's.
	type signer struct {
		worker   int
		endpoint string
	}
	cache := map[signer]*signed{}
	return Workload{
		Action:  action,
		Service: sigv4.ServiceRolesAnywhere,
		Status:  http.StatusCreated,
		Expect:  []byte(`"sessionToken"`),
		Build: func(ctx context.Context, endpoint string, worker int, _ uint64, now time.Time) (*http.Request, error) {
			url := strings.TrimSuffix(endpoint, "/") + "/sessions"
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
			if err != nil {
				return nil, err
			}
			mu.Lock()
			s := cache[signer{worker, endpoint}]
			mu.Unlock()
			if s == nil || cfg.Resign == 0 || now.Sub(s.at) >= cfg.Resign {
				sr := sigv4.Request{Method: http.MethodPost, Path: "/sessions", Host: req.URL.Host, Body: body,
					Header: http.Header{"Content-Type": {"application/json"}}}
				if err := sigv4.SignX509(&sr, cfg.Key, cfg.Leaf, cfg.Chain, cfg.Region, now); err != nil {
					return nil, err
				}
				s = &signed{at: now, header: sr.Header}
				mu.Lock()
				cache[signer{worker, endpoint}] = s
				mu.Unlock()
			}
			for k, v := range s.header {
				req.Header[k] = v
			}
			return req, nil
		},
	}
}

// IoTCredentials fetches credentials for a role alias from the IoT
// credentials provider; the Client presents the device certificate
// (NewMTLSClient), and thingName, when set, goes in x-amzn-iot-thingname.
func IoTCredentials(action, roleAlias, thingName string) Workload {
	return Workload{
		Action: action,
		Status: http.StatusOK,
		Expect: []byte(`"sessionToken"`),
		Build: func(ctx context.Context, endpoint string, _ int, _ uint64, _ time.Time) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(endpoint, "/")+"/role-aliases/"+roleAlias+"/credentials", nil)
			if err != nil {
				return nil, err
			}
			if thingName != "" {
				req.Header.Set("x-amzn-iot-thingname", thingName)
			}
			return req, nil
		},
	}
}

// NewMTLSClient is NewClient presenting cert to servers whose certificate
// roots verifies. With newConnections every request opens its own
// connection, as a device that fetches credentials now and then does, and
// resumes the TLS session of an earlier one (session tickets), so each
// request costs an abbreviated handshake rather than a full one.
func NewMTLSClient(concurrency int, cert tls.Certificate, roots *x509.CertPool, newConnections bool) *http.Client {
	c := NewClient(concurrency)
	t := c.Transport.(*http.Transport)
	t.TLSClientConfig = &tls.Config{
		Certificates:       []tls.Certificate{cert},
		RootCAs:            roots,
		ClientSessionCache: tls.NewLRUClientSessionCache(4 * concurrency),
		MinVersion:         tls.VersionTLS12,
	}
	t.DisableKeepAlives = newConnections
	return c
}

// TLSCounter counts the responses a client received over TLS, and how
// many of them came on a connection that resumed an earlier session
// (tls.ConnectionState.DidResume): with a new connection per request,
// the share that skipped the full handshake.
type TLSCounter struct {
	responses, resumed atomic.Uint64
}

// Wrap makes c count its responses in tc, and returns it.
func (tc *TLSCounter) Wrap(c *http.Client) *http.Client {
	c.Transport = &countingTransport{base: c.Transport, tc: tc}
	return c
}

// Counts returns the responses received over TLS so far, and how many of
// them on a resumed session.
func (tc *TLSCounter) Counts() (responses, resumed uint64) {
	return tc.responses.Load(), tc.resumed.Load()
}

type countingTransport struct {
	base http.RoundTripper
	tc   *TLSCounter
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err == nil && resp.TLS != nil {
		t.tc.responses.Add(1)
		if resp.TLS.DidResume {
			t.tc.resumed.Add(1)
		}
	}
	return resp, err
}

// CloseIdleConnections closes the wrapped transport's idle connections.
func (t *countingTransport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
