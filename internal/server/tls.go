package server

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/prometheus/client_golang/prometheus"
)

// ClientAuth says whether the TLS listeners ask clients for a certificate.
// A certificate a client presents is verified against Config.TLSClientCAFile.
// Client certificates authenticate the transport only; the AWS APIs still
// authenticate every request by its signature.
type ClientAuth int

const (
	// ClientAuthNone asks for no client certificate (Go's
	// tls.NoClientCert).
	ClientAuthNone ClientAuth = iota
	// ClientAuthVerifyIfGiven asks for one and verifies it when the
	// client presents one; a client without one is served (Go's
	// tls.VerifyClientCertIfGiven).
	ClientAuthVerifyIfGiven
	// ClientAuthRequire refuses the handshake of a client that does not
	// present a certificate the client CAs verify (Go's
	// tls.RequireAndVerifyClientCert).
	ClientAuthRequire
)

// ErrTLSDisabled is what ReloadTLS returns when the server speaks plain
// HTTP.
var ErrTLSDisabled = errors.New("server: TLS is not configured; there is no certificate to reload")

// Timing of the certificate watch.
const (
	// tlsDebounce is how long the watch waits after the last change in
	// the certificate's directory before it reloads: a renewal writes or
	// renames several files (certificate, key, Kubernetes' ..data link),
	// and the new pair must be read whole.
	tlsDebounce = 250 * time.Millisecond
	// tlsPoll re-reads the files this often even without an event, for
	// file systems without change notification and for files replaced
	// behind a symbolic link to another directory.
	tlsPoll = time.Minute
)

// CertFiles names a certificate's PEM file (with its chain) and its
// private key's.
type CertFiles struct {
	CertFile, KeyFile string
}

// tlsState is one loaded set of certificates, with what serving it needs.
type tlsState struct {
	// certs are the main certificate, then the extra ones in the
	// configuration's order (certReloader.pairs').
	certs []*tls.Certificate
	// client is the configuration served to every connection when client
	// certificates are asked for (GetConfigForClient); nil when not.
	client *tls.Config
	// digest identifies the files' contents, so that the watch reloads
	// only what changed.
	digest [sha256.Size]byte
}

// certReloader holds the server's certificates (and client CAs) behind an
// atomic pointer that every handshake reads, and replaces it when the
// files change. A pair that does not load is refused, and the previous
// one stays in service.
type certReloader struct {
	// pairs are the main certificate's files, then the extra ones'.
	pairs  []CertFiles
	caFile string
	auth   ClientAuth
	now    func() time.Time
	log    *slog.Logger

	mu  sync.Mutex // one reload at a time
	cur atomic.Pointer[tlsState]

	reloads, failures prometheus.Counter
	notAfter          prometheus.GaugeFunc
}

func newCertReloader(cfg Config, log *slog.Logger, now func() time.Time) (*certReloader, error) {
	r := &certReloader{pairs: append([]CertFiles{{cfg.TLSCertFile, cfg.TLSKeyFile}}, cfg.TLSExtraCertificates...),
		caFile: cfg.TLSClientCAFile, auth: cfg.TLSClientAuth, now: now, log: log}
	if r.auth != ClientAuthNone && r.caFile == "" {
		return nil, errors.New("server: client certificate verification needs a client CA file (TLSClientCAFile)")
	}
	st, err := r.load()
	if err != nil {
		return nil, err
	}
	for i, c := range st.certs {
		if leaf := c.Leaf; now().After(leaf.NotAfter) {
			log.Warn("the TLS certificate has expired; clients will refuse it", "file", r.pairs[i].CertFile, "not_after", leaf.NotAfter)
		}
	}
	r.cur.Store(st)
	r.reloads = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "brevet_tls_reloads_total",
		Help: "TLS certificates (and client CAs) loaded in place of the previous ones, on SIGHUP or a change of the files.",
	})
	r.failures = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "brevet_tls_reload_errors_total",
		Help: "Reloads of the TLS certificate that failed (unreadable, mismatched or expired); the previous certificate stays in service.",
	})
	r.notAfter = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "brevet_tls_certificate_expiry_timestamp_seconds",
		Help: "When the certificate being served expires (its NotAfter), in seconds since the Unix epoch; with extra certificates, the one that expires first.",
	}, func() float64 { return float64(r.cur.Load().firstExpiry().Unix()) })
	return r, nil
}

func (r *certReloader) collectors() []prometheus.Collector {
	return []prometheus.Collector{r.reloads, r.failures, r.notAfter}
}

// config is the tls.Config the listeners start from: it holds no
// certificate itself, every handshake asks the reloader.
func (r *certReloader) config() *tls.Config {
	c := &tls.Config{MinVersion: tls.VersionTLS12, CipherSuites: aeadSuites(), GetCertificate: r.getCertificate}
	if r.auth != ClientAuthNone {
		c.GetConfigForClient = r.configForClient
	}
	return c
}

func (r *certReloader) getCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	return r.cur.Load().pick(hello), nil
}

// pick chooses the certificate for a handshake as crypto/tls does among
// a Config's Certificates: the first, the main certificate then the
// extra ones, that is valid for the server name the client asked for and
// that the client can verify; the main one when none is (or when the
// client sent no name, as it does to an IP address).
func (st *tlsState) pick(hello *tls.ClientHelloInfo) *tls.Certificate {
	if len(st.certs) == 1 || hello.ServerName == "" {
		return st.certs[0]
	}
	for _, c := range st.certs {
		if hello.SupportsCertificate(c) == nil {
			return c
		}
	}
	return st.certs[0]
}

// firstExpiry is the earliest NotAfter of the certificates served.
func (st *tlsState) firstExpiry() time.Time {
	t := st.certs[0].Leaf.NotAfter
	for _, c := range st.certs[1:] {
		if c.Leaf.NotAfter.Before(t) {
			t = c.Leaf.NotAfter
		}
	}
	return t
}

func (r *certReloader) configForClient(*tls.ClientHelloInfo) (*tls.Config, error) {
	return r.cur.Load().client, nil
}

// tlsNextProtos are the protocols the per-connection configuration offers:
// what net/http puts in the listener's configuration for a server whose
// Protocols are tlsProtocols.
var tlsNextProtos = []string{"h2", "http/1.1"}

// tlsProtocols are the protocols a TLS listener serves, set explicitly so
// that they agree with tlsNextProtos.
func tlsProtocols() *http.Protocols {
	p := new(http.Protocols)
	p.SetHTTP1(true)
	p.SetHTTP2(true)
	return p
}

// load reads the files and checks them: each key must match its
// certificate, and the client CA file must hold at least one certificate.
func (r *certReloader) load() (*tlsState, error) {
	h := sha256.New()
	st := &tlsState{certs: make([]*tls.Certificate, 0, len(r.pairs))}
	for _, f := range r.pairs {
		c, err := loadPair(f, h)
		if err != nil {
			return nil, err
		}
		st.certs = append(st.certs, c)
	}
	if r.auth != ClientAuthNone {
		caPEM, err := os.ReadFile(r.caFile)
		if err != nil {
			return nil, fmt.Errorf("server: read TLS client CA file: %w", err)
		}
		pool, err := parseCAs(caPEM)
		if err != nil {
			return nil, fmt.Errorf("server: TLS client CA file %s: %w", r.caFile, err)
		}
		h.Write(caPEM)
		// crypto/tls picks among Certificates by server name as pick
		// does.
		certs := make([]tls.Certificate, 0, len(st.certs))
		for _, c := range st.certs {
			certs = append(certs, *c)
		}
		st.client = &tls.Config{
			MinVersion: tls.VersionTLS12, CipherSuites: aeadSuites(), Certificates: certs,
			ClientCAs: pool, ClientAuth: goClientAuth(r.auth), NextProtos: tlsNextProtos,
		}
	}
	h.Sum(st.digest[:0])
	return st, nil
}

// loadPair reads one certificate and its key, and adds the files'
// contents to the digest h.
func loadPair(f CertFiles, h io.Writer) (*tls.Certificate, error) {
	certPEM, err := os.ReadFile(f.CertFile)
	if err != nil {
		return nil, fmt.Errorf("server: read TLS certificate: %w", err)
	}
	keyPEM, err := os.ReadFile(f.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("server: read TLS key: %w", err)
	}
	defer clear(keyPEM)
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("server: load TLS certificate %s and key %s: %w", f.CertFile, f.KeyFile, err)
	}
	for _, b := range [][]byte{certPEM, keyPEM} {
		_, _ = h.Write(b)
		_, _ = h.Write([]byte{0})
	}
	return &cert, nil
}

// parseCAs reads every certificate of a PEM file into a pool; a file
// without one is an error, not a pool that trusts nobody.
func parseCAs(data []byte) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	n := 0
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, err
		}
		pool.AddCert(c)
		n++
	}
	if n == 0 {
		return nil, errors.New("holds no PEM certificate")
	}
	return pool, nil
}

func goClientAuth(a ClientAuth) tls.ClientAuthType {
	switch a {
	case ClientAuthVerifyIfGiven:
		return tls.VerifyClientCertIfGiven
	case ClientAuthRequire:
		return tls.RequireAndVerifyClientCert
	}
	return tls.NoClientCert
}

// reload loads the files and serves them from the next handshake on.
// Unless force is set, files that have not changed are left alone, so
// that the watch's events log nothing. A pair that fails to load, or whose
// certificate has expired, keeps the previous one in service and counts
// a failure.
func (r *certReloader) reload(ctx context.Context, force bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	st, err := r.load()
	if err == nil && !force && st.digest == r.cur.Load().digest {
		return nil
	}
	if err == nil {
		for i, c := range st.certs {
			if r.now().After(c.Leaf.NotAfter) {
				err = fmt.Errorf("server: the TLS certificate in %s expired at %s", r.pairs[i].CertFile, c.Leaf.NotAfter.UTC().Format(time.RFC3339))
				break
			}
		}
	}
	if err != nil {
		r.failures.Inc()
		r.log.ErrorContext(ctx, "TLS certificate not reloaded; still serving the previous one", "err", err)
		return err
	}
	r.cur.Store(st)
	r.reloads.Inc()
	leaf := st.certs[0].Leaf
	r.log.InfoContext(ctx, "TLS certificate reloaded", "subject", leaf.Subject.String(),
		"serial", leaf.SerialNumber.Text(16), "not_after", leaf.NotAfter.UTC(), "client_auth", r.auth != ClientAuthNone, "extra_certificates", len(st.certs)-1)
	return nil
}

// watch reloads the files when they change until ctx ends. It watches the
// directories that hold them, not the files: a renewal (certbot,
// cert-manager, Kubernetes' secret volumes) replaces a file or a symbolic
// link by renaming, which a watch on the file itself does not survive.
// Events are debounced, and a poll catches what no event reports.
func (r *certReloader) watch(ctx context.Context) {
	events, errs := r.notifications(ctx)
	poll := time.NewTicker(tlsPoll)
	defer poll.Stop()
	debounce := time.NewTimer(time.Hour)
	debounce.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-events:
			debounce.Reset(tlsDebounce)
		case err := <-errs:
			r.log.WarnContext(ctx, "watching the TLS certificate files", "err", err)
		case <-debounce.C:
			_ = r.reload(ctx, false) // logged and counted
		case <-poll.C:
			_ = r.reload(ctx, false)
		}
	}
}

// notifications watches the directories of the files. When the system
// cannot watch them, it logs why and returns channels that never deliver:
// the poll still reloads.
func (r *certReloader) notifications(ctx context.Context) (<-chan fsnotify.Event, <-chan error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		r.log.WarnContext(ctx, "cannot watch the TLS certificate files; they are re-read every minute and on SIGHUP", "err", err)
		return nil, nil
	}
	context.AfterFunc(ctx, func() { _ = w.Close() })
	seen := map[string]bool{}
	var files []string
	for _, p := range r.pairs {
		files = append(files, p.CertFile, p.KeyFile)
	}
	files = append(files, r.caFile)
	for _, f := range files {
		if f == "" {
			continue
		}
		dir := filepath.Dir(f)
		if seen[dir] {
			continue
		}
		seen[dir] = true
		if err := w.Add(dir); err != nil {
			r.log.WarnContext(ctx, "cannot watch a TLS certificate directory; it is re-read every minute and on SIGHUP", "dir", dir, "err", err)
		}
	}
	return w.Events, w.Errors
}

// ReloadTLS reads the certificate, key and client CA files again and
// serves them from the next handshake on, on every listener. When they do
// not load (unreadable, a key that does not match, an expired
// certificate), the previous ones stay in service and the error is
// returned, logged and counted (brevet_tls_reload_errors_total).
// Connections already open keep the certificate they began with.
func (s *Server) ReloadTLS(ctx context.Context) error {
	if s.certs == nil {
		return ErrTLSDisabled
	}
	return s.certs.reload(ctx, true)
}

// WatchTLS reloads the certificate when its files change, until ctx ends;
// it returns at once when the server speaks plain HTTP.
func (s *Server) WatchTLS(ctx context.Context) {
	if s.certs != nil {
		s.certs.watch(ctx)
	}
}
