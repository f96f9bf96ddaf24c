package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// child is a server process the benchmark started (brevet serve, or the
// trivial server): its pid for /proc accounting and its URL (and its S3
// gateway's, when it runs one). Its output goes to a file rather than a
// pipe, so that the generator spends no CPU draining the server's access
// log.
type child struct {
	name  string
	cmd   *exec.Cmd
	url   string
	s3url string
}

// startChild runs exe (this binary) with args plus "--ready-file FILE"
// and waits (at most wait) until the child has written its URL to FILE,
// which `brevet serve` does once it accepts connections.
func startChild(ctx context.Context, name, dir, exe string, args []string, wait time.Duration) (*child, error) {
	return startChildEnv(ctx, name, dir, exe, args, nil, wait)
}

// startChildEnv is startChild with env ("KEY=value") added to the
// child's environment, which is otherwise this process's. The ready
// file's first line is the URL; a second line, when there is one, is the
// S3 gateway's (brevet serve --s3-listen).
func startChildEnv(ctx context.Context, name, dir, exe string, args, env []string, wait time.Duration) (*child, error) {
	logPath := filepath.Join(dir, name+".log")
	readyPath := filepath.Join(dir, name+".ready")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer logFile.Close() // the child has its own copy
	cmd := exec.Command(exe, append(args, "--ready-file", readyPath)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.SysProcAttr = childSysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if b, err := os.ReadFile(readyPath); err == nil && len(bytes.TrimSpace(b)) > 0 {
			api, s3, _ := strings.Cut(string(bytes.TrimSpace(b)), "\n")
			c.url = strings.TrimSuffix(strings.TrimSpace(api), "/") + "/"
			if s3 = strings.TrimSpace(s3); s3 != "" {
				c.s3url = strings.TrimSuffix(s3, "/") + "/"
			}
			return c, nil
		}
		select {
		case <-tick.C:
			continue
		case <-exited:
			err = fmt.Errorf("bench: %s exited before it was ready (%s)", name, cmd.ProcessState)
		case <-deadline.C:
			err = fmt.Errorf("bench: %s was not ready within %v", name, wait)
		case <-ctx.Done():
			err = ctx.Err()
		}
		c.stop()
		out, _ := os.ReadFile(logPath)
		return nil, fmt.Errorf("%w; its output ends:\n%s", err, tail(out, 2000))
	}
}

// writeBenchReady writes url atomically, as brevet serve does, so that a
// reader never sees half of it.
func writeBenchReady(path, url string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(url+"\n"), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// stop asks the child to shut down (SIGTERM) and kills it after a grace
// period.
func (c *child) stop() {
	if c == nil || c.cmd.Process == nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	for range 100 { // up to 5 s
		if err := c.cmd.Process.Signal(syscall.Signal(0)); errors.Is(err, os.ErrProcessDone) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = c.cmd.Process.Kill()
}
