package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/brevet-dev/brevet/internal/awsquery"
)

// What one client can make the server hold before its request is
// authenticated is bounded three ways (Config.MaxConnections,
// Config.MaxInFlight, Config.BodyMemory), so that memory stays fixed
// whatever the number of clients:
//
//   - connections past MaxConnections are accepted and closed at once. A
//     listener that stops accepting instead (netutil.LimitListener) also
//     keeps memory fixed, but leaves new clients, legitimate ones
//     included, waiting in the kernel's backlog behind whoever holds the
//     connections, until they time out; closing tells them at once, and
//     every AWS SDK retries a connection that was reset.
//   - API requests past MaxInFlight (being read or served) are answered
//     503 ServiceUnavailable with Retry-After, and their connection is
//     closed without reading their body.
//   - request bodies are read into memory in steps as their bytes arrive,
//     never by their declared length, and every step reserves its bytes
//     from BodyMemory, a budget shared by all requests; a request that
//     would overdraw it is answered 503 ServiceUnavailable and its
//     connection closed. The bytes return to the budget when the request
//     is done.
//
// One source address could still take every connection and every
// request in flight (1,024 bodies sent slowly hold the in-flight bound
// until the read timeout, and are sent again), so a source is bounded too
// (Config.MaxConnectionsPerSource, Config.MaxInFlightPerSource): past its
// bound its connections are closed and its requests answered 503 as
// above, while other sources are served. A source is the TCP peer's IPv4
// address, or the /64 prefix of its IPv6 address: one host is given a
// /64 (RFC 6177 and SLAAC), which it can fill with addresses at will.
// Counts are kept in a map with an entry per source that holds a
// connection or a request, removed when its count returns to zero, so it
// has at most as many entries as there are connections open.
//
// The body budget belongs to the buffering middleware (limitBody) that
// the Query API's routes go through; a handler that streams its body (the
// S3 gateway) is mounted without it and bounds its own buffers.

// Limit label values of brevet_overload_refusals_total.
const (
	limitConnections = "connections"
	limitInFlight    = "in_flight"
	limitBodyMemory  = "body_memory"

	limitConnectionsPerSource = "connections_per_source"
	limitInFlightPerSource    = "in_flight_per_source"
)

// overloadRetryAfter is the Retry-After of a 503 for a node at capacity.
const overloadRetryAfter = time.Second

// msgOverloaded is the message of the 503 for a node at capacity.
const msgOverloaded = "Service is unavailable. Please try again later."

// limits are the server's capacity bounds and their counters.
type limits struct {
	conns, inFlight atomic.Int64
	// connsBySource and inFlightBySource count per source, when the
	// per-source bounds are on.
	connsBySource, inFlightBySource sourceCounts
	body                            byteBudget
	refused                         *prometheus.CounterVec
}

func (s *Server) newLimits() error {
	l := &s.limits
	l.body.max = s.cfg.BodyMemory
	l.refused = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "brevet_overload_refusals_total",
		Help: "Connections closed and API requests answered 503 because the node was at a capacity limit, by limit.",
	}, []string{"limit"})
	for _, name := range []string{limitConnections, limitInFlight, limitBodyMemory, limitConnectionsPerSource, limitInFlightPerSource} {
		l.refused.WithLabelValues(name)
	}
	cs := []prometheus.Collector{l.refused,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "brevet_open_connections", Help: "Connections open on the API listener."},
			func() float64 { return float64(l.conns.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "brevet_body_memory_bytes", Help: "Bytes of request bodies held in memory."},
			func() float64 { return float64(l.body.used.Load()) }),
	}
	for _, c := range cs {
		if err := s.reg.Register(c); err != nil {
			return fmt.Errorf("server: register metrics: %w", err)
		}
	}
	return nil
}

// limitConnections wraps the API's listener so that at most
// Config.MaxConnections connections are open at once, and at most
// Config.MaxConnectionsPerSource from one source.
func (s *Server) limitConnections(ln net.Listener) net.Listener {
	return &limitListener{Listener: ln, max: int64(s.cfg.MaxConnections), perSource: s.cfg.MaxConnectionsPerSource, l: &s.limits}
}

// limitListener accepts every connection, and closes at once those past
// perSource from their source or past max in all (each bound when
// positive).
type limitListener struct {
	net.Listener
	max       int64
	perSource int
	l         *limits
}

func (ln *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := ln.Listener.Accept()
		if err != nil {
			return nil, err
		}
		cc, refused := ln.admit(c)
		if refused == "" {
			return cc, nil
		}
		ln.l.refused.WithLabelValues(refused).Inc()
		_ = c.Close()
	}
}

// admit counts c, or names the limit it is past and counts nothing.
func (ln *limitListener) admit(c net.Conn) (cc *countedConn, refused string) {
	cc = &countedConn{Conn: c, l: ln.l}
	if ln.perSource > 0 {
		if cc.src, cc.bySource = connSource(c.RemoteAddr()); cc.bySource && !ln.l.connsBySource.acquire(cc.src, ln.perSource) {
			return nil, limitConnectionsPerSource
		}
	}
	if n := ln.l.conns.Add(1); ln.max > 0 && n > ln.max {
		ln.l.conns.Add(-1)
		if cc.bySource {
			ln.l.connsBySource.release(cc.src)
		}
		return nil, limitConnections
	}
	return cc, ""
}

// countedConn gives its places back when it is closed.
type countedConn struct {
	net.Conn
	l        *limits
	src      netip.Addr
	bySource bool // counted in l.connsBySource under src
	once     sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() {
		c.l.conns.Add(-1)
		if c.bySource {
			c.l.connsBySource.release(c.src)
		}
	})
	return c.Conn.Close()
}

// limitInFlight answers 503 to API requests past
// Config.MaxInFlightPerSource from their source, or past
// Config.MaxInFlight in all.
func (s *Server) limitInFlight(next http.Handler) http.Handler {
	limit, perSource := int64(s.cfg.MaxInFlight), s.cfg.MaxInFlightPerSource
	if limit <= 0 && perSource <= 0 {
		return next
	}
	l := &s.limits
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		held := inFlightHold{l: l}
		if perSource > 0 {
			if src, ok := requestSource(r.RemoteAddr); ok {
				if !l.inFlightBySource.acquire(src, perSource) {
					s.overloaded(w, r, limitInFlightPerSource)
					return
				}
				defer l.inFlightBySource.release(src)
				held.src, held.bySource = src, true
			}
		}
		if limit > 0 {
			defer l.inFlight.Add(-1)
			if l.inFlight.Add(1) > limit {
				s.overloaded(w, r, limitInFlight)
				return
			}
			held.total = true
		}
		if info := infoFrom(r.Context()); info != nil {
			info.held = held
		}
		next.ServeHTTP(w, r)
	})
}

// inFlightHold is what limitInFlight counted for one request, so that
// Park can give it back while the request waits.
type inFlightHold struct {
	l               *limits
	total, bySource bool
	src             netip.Addr
}

// Park takes the request ctx belongs to out of the in-flight bounds
// (Config.MaxInFlight, Config.MaxInFlightPerSource) while it waits
// without working: a long poll such as Brevet's WaitHostChange, which
// would otherwise let a fleet of waiting hosts, or the hosts behind one
// address, take every place and have the other requests refused. The
// request keeps its connection (Config.MaxConnections bounds those).
// Call resume, on the request's goroutine, before the handler returns:
// it counts the request again, whatever the bounds (it was admitted).
// Outside a request, or without bounds, Park does nothing.
func Park(ctx context.Context) (resume func()) {
	info := infoFrom(ctx)
	if info == nil || info.held.l == nil {
		return func() {}
	}
	h := info.held
	if h.total {
		h.l.inFlight.Add(-1)
	}
	if h.bySource {
		h.l.inFlightBySource.release(h.src)
	}
	return func() {
		if h.total {
			h.l.inFlight.Add(1)
		}
		if h.bySource {
			h.l.inFlightBySource.acquire(h.src, math.MaxInt)
		}
	}
}

// sourceCounts counts what each source holds (connections, or requests
// in flight). A source has an entry only while its count is positive.
type sourceCounts struct {
	mu sync.Mutex
	n  map[netip.Addr]int
}

// acquire counts one more for src, or reports false and counts nothing
// when src already holds max.
func (c *sourceCounts) acquire(src netip.Addr, max int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n[src]
	if n >= max {
		return false
	}
	if c.n == nil {
		c.n = make(map[netip.Addr]int)
	}
	c.n[src] = n + 1
	return true
}

// release gives back one that acquire counted for src.
func (c *sourceCounts) release(src netip.Addr) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := c.n[src]; n > 1 {
		c.n[src] = n - 1
	} else {
		delete(c.n, src)
	}
}

// sources is how many sources have an entry.
func (c *sourceCounts) sources() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.n)
}

// source is the source a peer's address is counted under: an IPv4
// address (also when written IPv4-mapped), or the /64 prefix of an IPv6
// address, without its zone.
func source(a netip.Addr) netip.Addr {
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64) // strips the zone
		return p.Addr()
	}
	return a
}

// connSource is the source of a connection's peer; ok is false for a
// peer without an IP address (not TCP), which is not counted per source.
func connSource(a net.Addr) (src netip.Addr, ok bool) {
	if t, isTCP := a.(*net.TCPAddr); isTCP {
		if ip := t.AddrPort().Addr(); ip.IsValid() {
			return source(ip), true
		}
		return netip.Addr{}, false
	}
	return requestSource(a.String())
}

// requestSource is the source of an http.Request's RemoteAddr.
func requestSource(remoteAddr string) (src netip.Addr, ok bool) {
	ap, err := netip.ParseAddrPort(remoteAddr)
	if err != nil {
		return netip.Addr{}, false
	}
	return source(ap.Addr()), true
}

// overloaded answers 503 ServiceUnavailable with Retry-After, and closes
// the connection rather than read the rest of the request.
func (s *Server) overloaded(w http.ResponseWriter, r *http.Request, limit string) {
	s.limits.refused.WithLabelValues(limit).Inc()
	if info := infoFrom(r.Context()); info != nil {
		info.api = true
	}
	w.Header().Set("Connection", "close")
	e := awsquery.CodeServiceUnavailable.New(msgOverloaded)
	e.RetryAfter = overloadRetryAfter
	s.writeError(w, r.Context(), e)
}

// byteBudget is a budget of bytes shared by all requests; max <= 0 is no
// budget (reservations only count).
type byteBudget struct {
	max  int64
	used atomic.Int64
}

// reserve takes n bytes, or reports false and takes nothing.
func (b *byteBudget) reserve(n int64) bool {
	if u := b.used.Add(n); b.max > 0 && u > b.max {
		b.used.Add(-n)
		return false
	}
	return true
}

func (b *byteBudget) release(n int64) { b.used.Add(-n) }

// Errors of readBody.
var (
	errBodyTooLarge = errors.New("server: request body over the limit")
	errBodyBudget   = errors.New("server: request body memory budget exhausted")
)

// firstBodyStep is the most memory a body is given before its bytes
// arrive: a whole small body (every STS call) is read in one step.
const firstBodyStep = 16 << 10

// readBody reads the whole body, at most limit bytes, into a buffer that
// grows (doubling) as bytes arrive, reserving each growth from budget; it
// returns the body and the bytes reserved, which the caller releases
// once done with the body, also on error. A body that declares its
// length is read up to it (net/http stops it there); one that does not
// is read to its end, and refused past limit.
func readBody(body io.Reader, declared, limit int64, budget *byteBudget) (buf []byte, reserved int64, err error) {
	want := limit + 1
	if declared >= 0 {
		want = declared
	}
	if want == 0 {
		return []byte{}, 0, nil
	}
	grow := func(n int64) bool {
		if !budget.reserve(n - int64(cap(buf))) {
			return false
		}
		reserved += n - int64(cap(buf))
		nb := make([]byte, len(buf), n)
		copy(nb, buf)
		buf = nb
		return true
	}
	if !grow(min(want, firstBodyStep)) {
		return nil, reserved, errBodyBudget
	}
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) >= want {
				break
			}
			if !grow(min(want, 2*int64(cap(buf)))) {
				return nil, reserved, errBodyBudget
			}
		}
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, reserved, err
		}
	}
	if int64(len(buf)) > limit {
		return nil, reserved, errBodyTooLarge
	}
	if declared >= 0 && int64(len(buf)) < declared {
		return nil, reserved, io.ErrUnexpectedEOF
	}
	return buf, reserved, nil
}
