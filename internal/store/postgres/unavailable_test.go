package postgres

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/brevet-dev/brevet/internal/store"
)

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"a domain error", errors.New("policy is malformed"), false},
		{"a conflict", fmt.Errorf("%w: taken", store.ErrConflict), false},
		{"a network timeout", fmt.Errorf("query: %w", timeoutErr{}), true},
		{"a deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), true},
		{"already marked", fmt.Errorf("%w: down", store.ErrUnavailable), true},
	} {
		if got := IsUnavailable(tc.err); got != tc.want {
			t.Errorf("%s: IsUnavailable = %v, want %v", tc.name, got, tc.want)
		}
		if got := errors.Is(unavailable(tc.err), store.ErrUnavailable); got != tc.want {
			t.Errorf("%s: unavailable marks it %v, want %v", tc.name, got, tc.want)
		}
	}
}
