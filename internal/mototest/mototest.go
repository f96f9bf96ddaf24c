// Package mototest runs moto_server, the AWS emulator, for tests that
// need a real upstream (STS, IAM, S3) on the loopback interface.
//
// A test asks a Server for its URL, which starts moto_server on first
// use. When moto_server cannot be run the test is skipped with a
// message, except under CI (CI=true), where that is a failure, so CI can
// never pass by skipping. The e2e suite starts its own, with its logs.
//
// Only tests import this package.
package mototest

import (
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"
)

// startTimeout bounds how long moto_server may take to answer.
const startTimeout = 60 * time.Second

// Server is one moto_server on a free loopback port. The zero value is
// ready to use: the first call of URL or Addr starts it, and Stop stops
// it (a test binary shares one from TestMain; a test with a moto of its
// own passes Stop to t.Cleanup). Out of the box moto accepts any key.
type Server struct {
	// Env is added to moto_server's environment; set it before first use.
	Env []string

	once sync.Once
	addr string // host:port
	cmd  *exec.Cmd
	err  error
}

// URL returns the server's base URL (http://127.0.0.1:PORT), starting it
// on first use.
func (s *Server) URL(t testing.TB) string {
	t.Helper()
	return "http://" + s.Addr(t)
}

// Addr returns the server's host:port, starting it on first use.
func (s *Server) Addr(t testing.TB) string {
	t.Helper()
	s.once.Do(s.start)
	if s.err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("moto_server: %v", s.err)
		}
		t.Skipf("moto_server not available: %v", s.err)
	}
	return s.addr
}

// Stop stops the server if it was started.
func (s *Server) Stop() {
	if s.cmd != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
	}
}

func (s *Server) start() {
	path, err := exec.LookPath("moto_server")
	if err != nil {
		s.err = err
		return
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.err = err
		return
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	s.cmd = exec.Command(path, "-H", "127.0.0.1", "-p", port)
	s.cmd.Env = append(os.Environ(), s.Env...)
	if err := s.cmd.Start(); err != nil {
		s.err, s.cmd = err, nil
		return
	}
	s.addr = "127.0.0.1:" + port
	for deadline := time.Now().Add(startTimeout); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get("http://" + s.addr + "/moto-api/"); err == nil {
			resp.Body.Close()
			return
		}
	}
	s.err = errors.New("moto_server did not answer within 60s")
}
