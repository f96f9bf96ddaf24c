package identitypool

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAMR(t *testing.T) {
	tests := []struct {
		name   string
		logins []Login
		want   []string
	}{
		{"guest", nil, []string{"unauthenticated"}},
		{"one", []Login{{"accounts.google.com", "123"}}, []string{"authenticated", "accounts.google.com", "accounts.google.com:123"}},
		{"sorted by provider", []Login{{"z.example", "1"}, {"a.example", "2"}},
			[]string{"authenticated", "a.example", "a.example:2", "z.example", "z.example:1"}},
		{"developer", []Login{{"login.myapp", "user-1"}}, []string{"authenticated", "login.myapp", "login.myapp:user-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := amr(tt.logins); !cmp.Equal(got, tt.want) {
				t.Errorf("amr: got %q, want %q", got, tt.want)
			}
		})
	}
}
