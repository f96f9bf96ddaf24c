package server

import (
	"context"
	"net/http"
	"strings"
	"sync"
)

// healthz answers whether the process is up and serving HTTP. It checks
// nothing else, so an orchestrator restarts the process only when the
// process itself is stuck, never because a dependency is down.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeText(w, http.StatusOK, "ok\n")
}

// WithReadyWarning adds a warning to /readyz under name: when check
// fails, /readyz still answers 200 (the node serves, and taking it out of
// rotation would not help) but adds a line "warning: name", and logs the
// error. For conditions an operator must act on before they become
// failures, such as the audit trail's disk filling up.
func WithReadyWarning(name string, check ReadyCheck) Option {
	return func(s *Server) { s.checks = append(s.checks, namedCheck{name: name, check: check, warn: true}) }
}

// readyz answers whether every ReadyCheck passes. When one fails it
// answers 503 naming the failing checks; their errors go to the log only,
// since they may name hosts or paths that a probe's caller need not see.
// Warnings (WithReadyWarning) that fire add "warning: name" lines without
// changing the status. Checks run concurrently, each with a deadline.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	errs := make([]error, len(s.checks))
	var wg sync.WaitGroup
	for i, c := range s.checks {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(r.Context(), readyCheckTimeout)
			defer cancel()
			errs[i] = c.check(ctx)
		})
	}
	wg.Wait()
	var failing []string
	warnings := ""
	for i, err := range errs {
		switch {
		case err == nil:
		case s.checks[i].warn:
			warnings += "warning: " + s.checks[i].name + "\n"
			s.log.WarnContext(r.Context(), "ready warning", "check", s.checks[i].name, "err", err)
		default:
			failing = append(failing, s.checks[i].name)
			s.log.WarnContext(r.Context(), "ready check failed", "check", s.checks[i].name, "err", err)
		}
	}
	if len(failing) > 0 {
		writeText(w, http.StatusServiceUnavailable, "not ready: "+strings.Join(failing, ", ")+"\n"+warnings)
		return
	}
	writeText(w, http.StatusOK, "ok\n"+warnings)
}

func writeText(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}
