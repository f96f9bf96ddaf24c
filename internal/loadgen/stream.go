package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/brevet-dev/brevet/internal/sigv4"
)

// StreamConfig is one large transfer: a PUT of Size bytes generated on
// the fly, or a GET of an object of Size bytes, through one connection.
type StreamConfig struct {
	// URL is the endpoint and Path the object's escaped path
	// ("/bucket/key").
	URL, Path string
	// Method is http.MethodPut or http.MethodGet.
	Method string
	// Size is the body's length: sent with Content-Length for a PUT,
	// expected for a GET.
	Size        int64
	Region      string
	Credentials sigv4.Credentials
	// PID is the server whose RSS is sampled; 0 samples nothing.
	PID int
	// SampleEvery is how often the server's RSS is read during the
	// transfer; StreamSampleInterval when zero.
	SampleEvery time.Duration
	// Now is the signing clock and the stopwatch; nil means time.Now.
	Now func() time.Time
}

// StreamSampleInterval is how often Stream reads the server's RSS by
// default: a 1 GiB transfer at 1 GB/s is one second long.
const StreamSampleInterval = 20 * time.Millisecond

// StreamResult is what a transfer measured.
type StreamResult struct {
	// Target is the server's name in reports; Stream leaves it empty.
	Target string `json:"target"`
	Method string `json:"method"`
	Path   string `json:"path"`
	// Bytes is the body's length sent (PUT) or received (GET).
	Bytes          int64   `json:"bytes"`
	ElapsedSeconds float64 `json:"elapsed_s"`
	// GBPerSecond is Bytes over the elapsed time, in 10⁹ bytes per
	// second.
	GBPerSecond float64 `json:"gb_per_s"`
	// ServerRSSBefore, Peak and After are the server's RSS, in bytes,
	// just before the request, at its highest sample during it (or
	// after it), and just after it.
	ServerRSSBefore int64 `json:"server_rss_before_bytes"`
	ServerRSSPeak   int64 `json:"server_rss_peak_bytes"`
	ServerRSSAfter  int64 `json:"server_rss_after_bytes"`
}

// RSSGrowth is how far the server's RSS rose above where it started.
func (r StreamResult) RSSGrowth() int64 {
	return max(r.ServerRSSPeak, r.ServerRSSAfter) - r.ServerRSSBefore
}

// streamBuffer is the size of the transport's buffers and of the reads
// of a GET's body: large, so that the generator's per-call overhead
// does not limit a loopback transfer.
const streamBuffer = 1 << 20

// Stream makes one transfer, signed as S3 signs with UNSIGNED-PAYLOAD
// (the body is not hashed, as SDKs do over TLS or for large bodies), on
// a connection of its own, and reports its throughput and the server's
// RSS around it. A response other than 200, or a GET body of another
// length, is an error.
func Stream(ctx context.Context, cfg StreamConfig) (*StreamResult, error) {
	if cfg.Method != http.MethodPut && cfg.Method != http.MethodGet || cfg.Size < 0 {
		return nil, errors.New("loadgen: a stream is a PUT or a GET of a size ≥ 0")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SampleEvery <= 0 {
		cfg.SampleEvery = StreamSampleInterval
	}
	var body io.Reader
	if cfg.Method == http.MethodPut {
		body = &zeroReader{left: cfg.Size}
	}
	req, err := http.NewRequestWithContext(ctx, cfg.Method, restURL(cfg.URL, cfg.Path), body)
	if err != nil {
		return nil, fmt.Errorf("loadgen: stream: %w", err)
	}
	if cfg.Method == http.MethodPut {
		req.ContentLength = cfg.Size
		if cfg.Size == 0 {
			req.Body = http.NoBody
		}
	}
	s := sigv4.Signer{Credentials: cfg.Credentials}
	opts := sigv4.SignOptions{Region: cfg.Region, Service: "s3", Time: cfg.Now(), S3PathRules: true,
		ContentSHA256Header: true, PayloadHash: sigv4.UnsignedPayload}
	if err := s.SignHTTP(req, nil, opts); err != nil {
		return nil, fmt.Errorf("loadgen: stream: %w", err)
	}
	client := &http.Client{Transport: &http.Transport{
		DialContext:        (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		DisableCompression: true,
		WriteBufferSize:    streamBuffer,
		ReadBufferSize:     streamBuffer,
	}}
	defer client.CloseIdleConnections()

	res := &StreamResult{Method: cfg.Method, Path: cfg.Path}
	res.ServerRSSBefore = readRSS(cfg.PID)
	stop := make(chan struct{})
	samples := make(chan []int64)
	go func() { samples <- sampleRSSEvery(cfg.PID, cfg.SampleEvery, stop) }()
	start := cfg.Now()
	n, err := send(client, req)
	elapsed := cfg.Now().Sub(start)
	close(stop)
	series := <-samples
	res.ServerRSSAfter = readRSS(cfg.PID)
	if err != nil {
		return nil, fmt.Errorf("loadgen: stream %s %s: %w", cfg.Method, cfg.Path, err)
	}
	if cfg.Method == http.MethodPut {
		n = cfg.Size
	} else if n != cfg.Size {
		return nil, fmt.Errorf("loadgen: stream GET %s: %d bytes, want %d", cfg.Path, n, cfg.Size)
	}
	res.Bytes, res.ElapsedSeconds = n, elapsed.Seconds()
	if elapsed > 0 {
		res.GBPerSecond = float64(n) / elapsed.Seconds() / 1e9
	}
	res.ServerRSSPeak = max(res.ServerRSSBefore, res.ServerRSSAfter)
	for _, v := range series {
		res.ServerRSSPeak = max(res.ServerRSSPeak, v)
	}
	return res, nil
}

// send sends req and reads the response's body to its end, and returns
// its length; a status other than 200 is an error.
func send(c *http.Client, req *http.Request) (int64, error) {
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return 0, fmt.Errorf("HTTP %d %s", resp.StatusCode, errorCode(resp.Header, b))
	}
	buf := make([]byte, streamBuffer)
	var n int64
	for {
		k, err := resp.Body.Read(buf)
		n += int64(k)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// zeroReader is a body of left zero bytes, made as it is read. It writes
// itself (io.WriterTo) from one zeroed buffer, so that sending it costs
// no more than the copies the connection makes.
type zeroReader struct{ left int64 }

var streamZeros = make([]byte, streamBuffer) // only ever read

func (z *zeroReader) Read(p []byte) (int, error) {
	if z.left <= 0 {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), z.left))
	clear(p[:n])
	z.left -= int64(n)
	return n, nil
}

func (z *zeroReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for z.left > 0 {
		n, err := w.Write(streamZeros[:min(z.left, int64(len(streamZeros)))])
		total += int64(n)
		z.left -= int64(n)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// readRSS is pid's RSS, or 0 when pid is 0 or cannot be read.
func readRSS(pid int) int64 {
	if pid == 0 {
		return 0
	}
	s, err := ReadProc(pid)
	if err != nil {
		return 0
	}
	return s.RSS
}

// sizeText formats a byte count with a binary suffix, e.g. "1 GiB".
func sizeText(n int64) string {
	for _, u := range []struct {
		name string
		size int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.size && n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + " " + u.name
		}
	}
	return strconv.FormatInt(n, 10) + " B"
}
