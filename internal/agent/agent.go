package agent

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Enrollment is how a host proves itself the first time: exactly one of
// a join token, a Roles Anywhere certificate or a web identity token
// file (the last two with InstanceProfile).
type Enrollment struct {
	JoinToken string
	// InstanceProfile names the profile when enrolling with a certificate
	// or a web identity token.
	InstanceProfile string
	// RolesAnywhere: the certificate's key, the certificate (and chain),
	// and CreateSession's ARNs.
	Key                                 crypto.Signer
	Leaf                                *x509.Certificate
	Chain                               []*x509.Certificate
	TrustAnchorArn, ProfileArn, RoleArn string
	// WebIdentityTokenFile is read at enrollment (with RoleArn).
	WebIdentityTokenFile string
}

// WorkloadConfig maps one container-endpoint token file to a role.
type WorkloadConfig struct {
	// TokenFile holds the workload's authorization token; the agent
	// creates it (0600, random) when it does not exist.
	TokenFile string
	// RoleArn is the workload's role, assumed with the host's
	// credentials (sts:AssumeRole); empty serves the host's own role.
	RoleArn string
}

// Config configures an Agent.
type Config struct {
	Endpoint string
	// Region signs requests before enrollment tells the host its region.
	Region   string
	StateDir string
	Hostname string
	Enroll   Enrollment
	// IMDSListen, ContainerListen and MetricsListen are listen addresses;
	// empty disables each.
	IMDSListen, ContainerListen, MetricsListen string
	// HopLimit is the IP TTL of the IMDS responses; 0 leaves the OS's.
	HopLimit  int
	Workloads []WorkloadConfig
	// Watch follows the host's state with WaitHostChange (falling back to
	// polling every 30 s), to stop serving at once on a revocation.
	Watch bool
	// Poll, when positive, also fetches credentials at least this often.
	Poll  time.Duration
	HTTP  *http.Client
	Clock clockwork.Clock
	Log   *slog.Logger
}

// Agent is an enrolled host's credential agent.
type Agent struct {
	cfg       Config
	state     *State
	client    *Client
	host      *Keeper
	workloads []Workload
	keepers   []*Keeper
	Metrics   *Metrics
	log       *slog.Logger
	clock     clockwork.Clock
}

// New loads the state, enrolls the host if it is not yet, and assembles
// the keepers and handlers. It fetches nothing else; Run does.
func New(ctx context.Context, cfg Config) (*Agent, error) {
	if cfg.Clock == nil {
		cfg.Clock = clockwork.NewRealClock()
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Hostname == "" {
		cfg.Hostname, _ = os.Hostname()
	}
	a := &Agent{cfg: cfg, client: &Client{Endpoint: cfg.Endpoint, HTTP: cfg.HTTP}, Metrics: NewMetrics(), log: cfg.Log, clock: cfg.Clock}
	st, err := LoadState(cfg.StateDir, cfg.Hostname, cfg.Clock.Now())
	if err != nil {
		return nil, err
	}
	a.state = st
	if st.Host == nil {
		h, err := a.enroll(ctx)
		if err != nil {
			return nil, err
		}
		if err := st.SaveHost(h); err != nil {
			return nil, err
		}
		a.log.Info("agent: host enrolled", "host_id", h.HostID, "instance_profile", h.InstanceProfileArn, "role", h.RoleArn)
	} else {
		a.log.Info("agent: reusing the enrollment in the state directory", "host_id", st.Host.HostID)
	}
	a.host = NewKeeper(KeeperConfig{Role: st.Host.RoleArn, Fetch: a.fetchHost, Clock: cfg.Clock, Poll: cfg.Poll, Log: cfg.Log, Metrics: a.Metrics})
	a.keepers = append(a.keepers, a.host)
	for _, w := range cfg.Workloads {
		tok, err := workloadToken(w.TokenFile)
		if err != nil {
			return nil, err
		}
		k := a.host
		if w.RoleArn != "" {
			k = a.workloadKeeper(w.RoleArn)
		}
		a.workloads = append(a.workloads, Workload{Token: tok, Keeper: k, AccountID: accountOf(k.Role)})
	}
	return a, nil
}

// Host is what enrollment recorded.
func (a *Agent) Host() HostInfo { return *a.state.Host }

// HostKeeper keeps the host role's credentials.
func (a *Agent) HostKeeper() *Keeper { return a.host }

func (a *Agent) region() string {
	if h := a.state.Host; h != nil && h.Region != "" {
		return h.Region
	}
	return a.cfg.Region
}

func (a *Agent) enroll(ctx context.Context) (HostInfo, error) {
	e := a.cfg.Enroll
	in := EnrollInput{HostCertificate: a.state.CertPEM, Hostname: a.cfg.Hostname, JoinToken: e.JoinToken}
	now := a.clock.Now
	var sign signFunc
	switch {
	case e.JoinToken != "":
	case e.Leaf != nil:
		c, err := a.client.CreateSession(ctx, RolesAnywhereInput{Key: e.Key, Leaf: e.Leaf, Chain: e.Chain, Region: a.cfg.Region,
			TrustAnchorArn: e.TrustAnchorArn, ProfileArn: e.ProfileArn, RoleArn: e.RoleArn}, now())
		if err != nil {
			return HostInfo{}, fmt.Errorf("agent: Roles Anywhere CreateSession: %w", err)
		}
		in.InstanceProfileName, sign = e.InstanceProfile, KeySigner(c, a.cfg.Region, "brevet", now)
	case e.WebIdentityTokenFile != "":
		tok, err := os.ReadFile(e.WebIdentityTokenFile)
		if err != nil {
			return HostInfo{}, fmt.Errorf("agent: reading the web identity token: %w", err)
		}
		c, err := a.client.AssumeRoleWithWebIdentity(ctx, e.RoleArn, sessionName(a.cfg.Hostname), strings.TrimSpace(string(tok)))
		if err != nil {
			return HostInfo{}, fmt.Errorf("agent: AssumeRoleWithWebIdentity: %w", err)
		}
		in.InstanceProfileName, sign = e.InstanceProfile, KeySigner(c, a.cfg.Region, "brevet", now)
	default:
		return HostInfo{}, errors.New("agent: the host is not enrolled: give a join token, a certificate or a web identity token file")
	}
	h, err := a.client.EnrollHost(ctx, in, sign, now())
	if err != nil {
		return HostInfo{}, fmt.Errorf("agent: EnrollHost: %w", err)
	}
	return h, nil
}

func (a *Agent) fetchHost(ctx context.Context) (Credentials, error) {
	hc, err := a.client.GetHostCredentials(ctx, a.state.Key, a.state.Cert, a.region(), a.clock.Now())
	c := hc.Credentials
	c.RoleArn = hc.RoleArn
	return c, err
}

func (a *Agent) workloadKeeper(role string) *Keeper {
	for _, k := range a.keepers {
		if k.Role == role && k != a.host {
			return k
		}
	}
	fetch := func(ctx context.Context) (Credentials, error) {
		hc, _, ok := a.host.Current(a.clock.Now())
		if !ok {
			return Credentials{}, ErrNotServing
		}
		return a.client.AssumeRole(ctx, role, sessionName(a.state.Host.HostID), KeySigner(hc, a.region(), "sts", a.clock.Now))
	}
	k := NewKeeper(KeeperConfig{Role: role, Fetch: fetch, Clock: a.clock, Poll: a.cfg.Poll, Log: a.log, Metrics: a.Metrics})
	// A workload role is reached through the host's: when the host
	// stops being served, so does every workload role, at once.
	a.host.OnChange(func(serving bool) {
		if serving {
			k.Kick()
		} else {
			k.Clear()
		}
	})
	a.keepers = append(a.keepers, k)
	return k
}

// sessionName makes s a valid RoleSessionName (2–64 of [\w+=,.@-]).
func sessionName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_+=,.@-", c) >= 0) {
			b[i] = '-'
		}
	}
	s = string(b)
	if len(s) > 64 {
		s = s[:64]
	}
	for len(s) < 2 {
		s += "-"
	}
	return s
}

// accountOf is the account of an ARN (arn:aws:iam::ACCOUNT:...).
func accountOf(arn string) string {
	p := strings.SplitN(arn, ":", 6)
	if len(p) < 6 {
		return ""
	}
	return p[4]
}

// workloadToken reads a workload's token, creating the file with a
// random token when it does not exist.
func workloadToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		var r [32]byte
		rand.Read(r[:])
		tok := base64.RawURLEncoding.EncodeToString(r[:])
		if err := writeFile(path, []byte(tok)); err != nil {
			return "", err
		}
		return tok, nil
	}
	if err != nil {
		return "", fmt.Errorf("agent: reading workload token: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if len(tok) < 16 || len(tok) > maxAuthorization {
		return "", fmt.Errorf("agent: the workload token in %s must have 16 to %d characters", path, maxAuthorization)
	}
	return tok, nil
}

// Handlers returns the IMDS, container and metrics handlers.
func (a *Agent) Handlers() (imds, container, metrics http.Handler) {
	imds = NewIMDS(a.host, *a.state.Host, a.clock, a.Metrics)
	container = NewContainer(a.workloads, a.clock, a.Metrics)
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.Metrics.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		if _, _, ok := a.host.Current(a.clock.Now()); !ok {
			http.Error(w, "not serving credentials", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok\n"))
	})
	return imds, container, mux
}

// Listeners are the agent's bound listeners (for tests and for logging
// the ports bound to :0).
type Listeners struct {
	IMDS, Container, Metrics net.Listener
}

// Listen binds the configured addresses.
func (a *Agent) Listen() (*Listeners, error) {
	var l Listeners
	for _, b := range []struct {
		addr string
		dst  *net.Listener
	}{{a.cfg.IMDSListen, &l.IMDS}, {a.cfg.ContainerListen, &l.Container}, {a.cfg.MetricsListen, &l.Metrics}} {
		if b.addr == "" {
			continue
		}
		ln, err := net.Listen("tcp", b.addr)
		if err != nil {
			l.close()
			return nil, fmt.Errorf("agent: listening on %s: %w", b.addr, err)
		}
		*b.dst = ln
	}
	if l.IMDS != nil && a.cfg.HopLimit > 0 {
		l.IMDS = hopListener{l.IMDS, a.cfg.HopLimit}
	}
	return &l, nil
}

func (l *Listeners) close() {
	for _, ln := range []net.Listener{l.IMDS, l.Container, l.Metrics} {
		if ln != nil {
			ln.Close()
		}
	}
}

// hopListener sets the hop limit of every accepted connection.
type hopListener struct {
	net.Listener
	hops int
}

func (h hopListener) Accept() (net.Conn, error) {
	c, err := h.Listener.Accept()
	if err == nil {
		setHopLimit(c, h.hops)
	}
	return c, err
}

// Run serves on l and keeps the credentials fresh until ctx ends.
func (a *Agent) Run(ctx context.Context, l *Listeners) error {
	imds, container, metrics := a.Handlers()
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	for _, k := range a.keepers {
		wg.Go(func() { k.Run(ctx) })
	}
	if a.cfg.Watch {
		wg.Go(func() { a.watchHost(ctx) })
	}
	errc := make(chan error, 3)
	var servers []*http.Server
	for _, s := range []struct {
		ln net.Listener
		h  http.Handler
	}{{l.IMDS, imds}, {l.Container, container}, {l.Metrics, metrics}} {
		if s.ln == nil {
			continue
		}
		srv := &http.Server{Handler: s.h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
			WriteTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 16 << 10,
			ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelDebug)}
		servers = append(servers, srv)
		wg.Go(func() {
			if err := srv.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		})
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	stop()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, s := range servers {
		s.Shutdown(sctx)
	}
	wg.Wait()
	return err
}
