package bootstrap_test

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"github.com/brevet-dev/brevet/internal/bootstrap"
	"github.com/brevet-dev/brevet/internal/credential/masterkey"
)

// TestS3BackendSecret: a given secret is sealed into the store and later
// starts without it get it back; a new one replaces it; none ever sealed,
// or one sealed for another access key, is an error that never shows a
// secret; a master key rotation rewraps it.
func TestS3BackendSecret(t *testing.T) {
	ctx := context.Background()
	st := open(t, t.TempDir())
	defer st.Close()
	master, _ := masterkey.Generate(rand.Reader, now)

	if _, err := bootstrap.S3BackendSecret(ctx, st, master, "minio", "gw", "", now); !errors.Is(err, bootstrap.ErrS3BackendSecret) {
		t.Fatalf("nothing sealed yet: err = %v, want ErrS3BackendSecret", err)
	}
	steps := []struct {
		name, keyID, given, want, wantErr string
	}{
		{name: "given", keyID: "gw", given: "hunter2", want: "hunter2"},
		{name: "sealed", keyID: "gw", want: "hunter2"},
		{name: "rotated", keyID: "gw", given: "hunter3", want: "hunter3"},
		{name: "sealed after rotation", keyID: "gw", want: "hunter3"},
		{name: "another key id", keyID: "gw2", wantErr: "belongs to access key gw, not gw2"},
	}
	for _, s := range steps {
		got, err := bootstrap.S3BackendSecret(ctx, st, master, "minio", s.keyID, s.given, now)
		switch {
		case s.wantErr != "" && (err == nil || !strings.Contains(err.Error(), s.wantErr)):
			t.Errorf("%s: err = %v, want %q", s.name, err, s.wantErr)
		case s.wantErr == "" && (err != nil || got != s.want):
			t.Errorf("%s: got %q, %v; want %q", s.name, got, err, s.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter") {
			t.Errorf("%s: the error shows the secret: %v", s.name, err)
		}
	}
	// Another backend's record cannot be opened as this one's.
	if got, err := bootstrap.S3BackendSecret(ctx, st, master, "aws", "gw", "", now); err == nil {
		t.Errorf("backend aws opened %q, want no secret", got)
	}

	rotated, err := master.Rotate(rand.Reader, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bootstrap.Rewrap(ctx, st, rotated); err != nil {
		t.Fatal(err)
	}
	newOnly, err := rotated.Without(master.ActiveID())
	if err != nil {
		t.Fatal(err)
	}
	if got, err := bootstrap.S3BackendSecret(ctx, st, newOnly, "minio", "gw", "", now); err != nil || got != "hunter3" {
		t.Errorf("after the rewrap, under the new master key alone: %q, %v", got, err)
	}
}
