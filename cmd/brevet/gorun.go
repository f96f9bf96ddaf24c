package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// goRunPoll is how often a server started by `go run` checks that the go
// command is still there.
const goRunPoll = 200 * time.Millisecond

// stopWithGoRun returns ctx, cancelled as well when brevet runs under
// `go run` and the go command exits. `go run` relays SIGINT to the program
// but dies of SIGTERM at once, which would leave the server running,
// orphaned, holding its port and data directory. Under `go run` the server
// watches its parent and stops, as on SIGTERM, when the parent goes. A
// binary built with `go build` (what services run) is never affected:
// service managers signal the server itself.
func stopWithGoRun(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	exe, err := os.Executable()
	if err != nil || !isGoRunExecutable(exe) {
		return ctx, cancel
	}
	parent := os.Getppid()
	go func() {
		t := time.NewTicker(goRunPoll)
		defer t.Stop()
		for {
			if p := os.Getppid(); p != parent || p == 1 {
				cancel()
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return ctx, cancel
}

// isGoRunExecutable reports whether path is where `go run` puts the
// program it runs: $GOTMPDIR/go-buildNNN/b001/exe/NAME when it links it,
// or, since Go 1.24, $GOCACHE/XX/HASH-d/NAME when it finds it in the build
// cache.
func isGoRunExecutable(path string) bool {
	dir := filepath.Dir(path)
	if filepath.Base(dir) == "exe" && strings.HasPrefix(filepath.Base(filepath.Dir(filepath.Dir(dir))), "go-build") {
		return true
	}
	entry, shard := filepath.Base(dir), filepath.Base(filepath.Dir(dir))
	hash, ok := strings.CutSuffix(entry, "-d")
	return ok && len(hash) == 64 && isLowerHex(hash) && len(shard) == 2 && strings.HasPrefix(hash, shard)
}

func isLowerHex(s string) bool {
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
