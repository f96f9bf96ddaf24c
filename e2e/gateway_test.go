package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// The S3 gateway's tests run a real S3 implementation nobody here wrote as
// the backend: moto_server, one per test binary, shared by every test; and,
// where the tests do not conflict, one gateway-enabled server shared by
// them, each test with its own buckets and IAM names.

// The backend's own key: moto accepts any, and Brevet must never show the
// secret (registered with the suite's secret scan).
const (
	backendKeyID  = "e2e-backend-key"
	backendSecret = "e2eBackendSecret/9f3c1a77d2b84e06b5c4MOTO"
)

// motoServer is one running moto_server.
type motoServer struct {
	URL    string
	cmd    *exec.Cmd
	logs   *syncBuffer
	exited chan error
}

var shared struct {
	motoOnce sync.Once
	moto     *motoServer
	motoErr  error

	gwOnce sync.Once
	gw     *brevet
	gwErr  error
}

// sharedMoto returns the URL of the test binary's moto_server, starting it
// on first use; TestMain's suite cleanups stop it.
func sharedMoto(t *testing.T) string {
	t.Helper()
	need(t, "moto_server (pip install 'moto[server]')", have("moto_server"))
	shared.motoOnce.Do(func() { shared.moto, shared.motoErr = startMoto() })
	if shared.motoErr != nil {
		t.Fatalf("starting moto_server: %v", shared.motoErr)
	}
	return shared.moto.URL
}

// unusedPort returns a loopback port nothing listens on (for programs that
// cannot be told to pick one and say which).
func unusedPort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	_, port, err := net.SplitHostPort(l.Addr().String())
	return port, err
}

func startMoto() (*motoServer, error) {
	var last error
	for attempt := 0; attempt < 3; attempt++ { // the port may be taken between freePort and the bind
		port, err := unusedPort()
		if err != nil {
			return nil, err
		}
		m := &motoServer{URL: "http://127.0.0.1:" + port, logs: &syncBuffer{}, exited: make(chan error, 1)}
		m.cmd = exec.Command("moto_server", "-H", "127.0.0.1", "-p", port)
		m.cmd.Env = cleanEnv()
		m.cmd.Stdout, m.cmd.Stderr = m.logs, m.logs
		if err := m.cmd.Start(); err != nil {
			return nil, err
		}
		go func() { m.exited <- m.cmd.Wait() }()
		if last = m.waitReady(); last == nil {
			addSuiteCleanup(m.stop)
			return m, nil
		}
		_ = m.stop()
	}
	return nil, last
}

// waitReady waits until moto answers ListBuckets.
func (m *motoServer) waitReady() error {
	client := &http.Client{Timeout: 2 * time.Second}
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); {
		select {
		case err := <-m.exited:
			m.exited <- err
			return fmt.Errorf("moto_server exited: %v\n%s", err, m.logs)
		default:
		}
		if resp, err := client.Get(m.URL + "/"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("moto_server not answering at %s after 60s:\n%s", m.URL, m.logs)
}

func (m *motoServer) stop() error {
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.exited:
	case <-time.After(10 * time.Second):
		_ = m.cmd.Process.Kill()
		<-m.exited
	}
	return nil
}

// gatewayEnv and gatewayArgs configure a server's S3 gateway in front of
// moto: the backend's secret from the environment, as documented.
func gatewayEnv() []string {
	suiteSecrets.add(backendSecret)
	return []string{"BREVET_S3_BACKEND_SECRET_ACCESS_KEY=" + backendSecret}
}

// The failure budgets are off: every test's requests come from 127.0.0.1,
// and the refusals the tests provoke on purpose would otherwise drain
// them and turn other tests' answers into SlowDown.
func gatewayArgs(motoURL string, extra ...string) []string {
	return append([]string{"--s3-listen", "127.0.0.1:0", "--s3-backend", motoURL, "--s3-backend-access-key-id", backendKeyID,
		"--limit-failures-per-source", "off", "--limit-failures-per-key", "off"}, extra...)
}

// errNoGateway is why a gateway test cannot run on a server that did not
// start its S3 listener.
var errNoGateway = errors.New("brevet serve --s3-listen wrote no S3 gateway URL on the ready file's second line (is the gateway wired into the node?)")

// sharedGateway returns the server the gateway tests share, started on
// first use and stopped (its log checked and its trail kept for the
// secret scan) by TestMain's suite cleanups.
func sharedGateway(t *testing.T) *brevet {
	t.Helper()
	motoURL := sharedMoto(t)
	shared.gwOnce.Do(func() { shared.gw, shared.gwErr = startSharedGateway(motoURL) })
	if shared.gwErr != nil {
		t.Fatal(shared.gwErr)
	}
	return shared.gw
}

func startSharedGateway(motoURL string) (*brevet, error) {
	dir, err := os.MkdirTemp("", "brevet-e2e-gateway-")
	if err != nil {
		return nil, err
	}
	b, err := launchBrevet(dir, gatewayEnv(), gatewayArgs(motoURL)...)
	if err != nil {
		return nil, err
	}
	addSuiteCleanup(func() error {
		problems := append(b.shutdown(), b.logProblems()...)
		if err := suiteSecrets.archive(b); err != nil {
			problems = append(problems, "copying the audit trail for the secret scan: "+err.Error())
		}
		logs := b.logs.String()
		_ = os.RemoveAll(dir)
		if len(problems) > 0 {
			return fmt.Errorf("the shared S3 gateway server:\n%s\nits output:\n%s", strings.Join(problems, "\n"), logs)
		}
		return nil
	})
	if err := b.waitReady(); err != nil {
		return nil, err
	}
	if b.S3URL == "" {
		return nil, errNoGateway
	}
	return b, nil
}

// startGateway starts a gateway-enabled server of the test's own.
func startGateway(t *testing.T, extra ...string) *brevet {
	t.Helper()
	b := startBrevetEnv(t, gatewayEnv(), gatewayArgs(sharedMoto(t), extra...)...)
	if b.S3URL == "" {
		t.Fatal(errNoGateway)
	}
	return b
}

// bucketName is a bucket name no other test (or run on the same moto)
// uses.
func bucketName(t *testing.T, prefix string) string {
	t.Helper()
	var r [4]byte
	if _, err := rand.Read(r[:]); err != nil {
		t.Fatal(err)
	}
	return "e2e-" + prefix + "-" + hex.EncodeToString(r[:])
}

// s3Via is an S3 client of aws-sdk-go-v2 for the gateway, path-style.
func (b *brevet) s3Via(cfg aws.Config) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(b.S3URL)
		o.UsePathStyle = true
	})
}

// motoS3 is an S3 client straight to the backend, to see what reached it.
func motoS3(t *testing.T) *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(sharedMoto(t)),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(backendKeyID, backendSecret, ""),
		HTTPClient:   &http.Client{Transport: &http.Transport{}},
	})
}

// inBackend reports whether the backend holds the object, and its size and
// ETag.
func inBackend(t *testing.T, bucket, key string) (ok bool, size int64, etag string) {
	t.Helper()
	out, err := motoS3(t).HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	var ae smithy.APIError
	if errors.As(err, &ae) && (ae.ErrorCode() == "NotFound" || ae.ErrorCode() == "NoSuchKey") {
		return false, 0, ""
	}
	if err != nil {
		t.Fatalf("HeadObject %s/%s on the backend: %v", bucket, key, err)
	}
	return true, aws.ToInt64(out.ContentLength), aws.ToString(out.ETag)
}

// backendObject reads an object straight from the backend.
func backendObject(t *testing.T, bucket, key string) []byte {
	t.Helper()
	out, err := motoS3(t).GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("GetObject %s/%s on the backend: %v", bucket, key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// s3Error is S3's <Error> document.
type s3Error struct {
	Status    int
	Code      string `xml:"Code"`
	Message   string `xml:"Message"`
	RequestID string `xml:"RequestId"`
}

// parseS3Error decodes an error response; Code is "" when the body is no
// <Error> document.
func parseS3Error(status int, body []byte) s3Error {
	e := s3Error{Status: status}
	_ = xml.Unmarshal(body, &e)
	return e
}

// randomFile writes n random bytes to dir/name and returns the path and
// the bytes.
func randomFile(t *testing.T, dir, name string, n int) (string, []byte) {
	t.Helper()
	data := make([]byte, n)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p, data
}

// sameFile fails the test unless the file holds want.
func sameFile(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: %d bytes differ from the %d uploaded", filepath.Base(path), len(got), len(want))
	}
}

// s3CLI is a CLI client whose S3 calls go to the gateway (STS and IAM
// still to the API), path-style, with multipart above 8 MB.
func s3CLI(t *testing.T, b *brevet) *client {
	t.Helper()
	c := newClient(t, b).with("AWS_ENDPOINT_URL_S3=" + b.S3URL)
	// What `aws configure set default.s3.multipart_threshold 8MB` and
	// `default.s3.addressing_style path` write, without two CLI starts.
	conf := "[default]\nregion = us-east-1\ns3 =\n    multipart_threshold = 8MB\n    addressing_style = path\n"
	if err := os.WriteFile(filepath.Join(c.home, "config"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return c
}
