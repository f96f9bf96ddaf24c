// Package iamservice is the IAM API of brevet serve: one method per IAM
// action (users, groups, roles, inline and managed policies with versions,
// attachments, tags, permissions boundaries, access keys, virtual MFA
// devices, login profiles and the account password policy, account
// aliases, authorization details and the policy simulator), and Register,
// which puts each of them on the AWS Query dispatcher with the resource ARN
// and condition keys AWS authorizes it on. VerifyPassword checks a user's
// password for the sign-in page.
//
// It owns IAM's rules as the API applies them: validation order, quotas,
// AWS's error messages, pagination, which policies are read-only, and how
// secrets are sealed under the master key before they reach the store. It
// does not authenticate or authorize (the dispatcher does, before a method
// runs), does not write the wire format (awsquery does; WireError maps this
// package's domain errors), and keeps no state of its own: everything is in
// the store, so any number of servers can share one.
//
// It lives apart from package iam because package store imports iam.
package iamservice

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/brevet-dev/brevet/internal/credential/masterkey"
	"github.com/brevet-dev/brevet/internal/credential/password"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/store"
)

// Config configures New. Store and MasterKey are required.
type Config struct {
	Store store.Store
	// MasterKey seals secret access keys and MFA seeds before they are
	// stored.
	MasterKey *masterkey.Keyring
	// Rand is the source of ids, secrets and seeds; crypto/rand when nil.
	Rand io.Reader
	// Passwords hashes and verifies login-profile passwords; when nil,
	// argon2id with password.DefaultParams, at most GOMAXPROCS at once.
	Passwords *password.Hasher
	Logger    *slog.Logger
}

// Service performs IAM actions in the caller's account.
type Service struct {
	st   store.Store
	mk   *masterkey.Keyring
	rand io.Reader
	pw   *password.Hasher
	log  *slog.Logger

	// reports are the credential and findings reports being generated,
	// by account (generateOnce).
	reports singleflight.Group

	// pwMu guards the password uses VerifyPassword queued for
	// FlushPasswordUses, the minute each user's was last queued and the
	// latest such minute.
	pwMu      sync.Mutex
	pwPending map[passwordUser]time.Time
	pwNoted   map[passwordUser]int64
	pwMinute  int64
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.MasterKey == nil {
		return nil, errors.New("iamservice: Store and MasterKey are required")
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Passwords == nil {
		h, err := password.NewHasher(password.DefaultParams, runtime.GOMAXPROCS(0), cfg.Rand)
		if err != nil {
			return nil, err
		}
		cfg.Passwords = h
	}
	return &Service{st: cfg.Store, mk: cfg.MasterKey, rand: cfg.Rand, pw: cfg.Passwords, log: cfg.Logger}, nil
}

// AccessKeyPurpose is the additional data a secret access key is sealed
// with under the master key: it binds the ciphertext to its key id, so a
// ciphertext copied to another key's row does not open. The authenticator
// opens stored secrets with the same purpose.
func AccessKeyPurpose(accessKeyID string) string { return "access-key:" + accessKeyID }

// MFASeedPurpose is the additional data a virtual MFA device's seed is
// sealed with, binding it to the device's serial number.
func MFASeedPurpose(serial string) string { return "mfa-seed:" + serial }

// caller returns the authenticated principal as the identity package
// defines it. Anything else is a wiring bug.
func caller(p request.Principal) (*identity.Principal, error) {
	ip, ok := p.(*identity.Principal)
	if !ok || ip == nil || ip.Account == "" {
		return nil, fmt.Errorf("iamservice: caller is %T, want *identity.Principal with an account", p)
	}
	return ip, nil
}

// Default and largest page sizes (MaxItems), as AWS.
const defaultMaxItems = 100

func pageSize(p *int32) int {
	if p == nil || *p <= 0 {
		return defaultMaxItems
	}
	return int(*p)
}

// badMarkerError: a Marker this service did not issue (AWS:
// ValidationError "Invalid Marker.").
type badMarkerError struct{}

func (badMarkerError) Error() string { return "Invalid Marker." }

var errBadMarker = badMarkerError{}

// Markers are opaque to clients: "n" and a lower-cased name for listings
// the store orders by name, "i" and an offset for short in-memory lists.
func nameMarker(key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("n" + key))
}

func indexMarker(i int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("i" + strconv.Itoa(i)))
}

func decodeMarker(m string, kind byte) (string, error) {
	if m == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(m)
	if err != nil || len(b) < 2 || b[0] != kind {
		return "", errBadMarker
	}
	return string(b[1:]), nil
}

// page is one page of a listing.
type page[T any] struct {
	items     []T
	truncated bool
	marker    string
}

func (p page[T]) isTruncated() *bool { return &p.truncated }

// pageSlice pages an in-memory list whose order is stable.
func pageSlice[T any](items []T, marker string, maxItems *int32) (page[T], error) {
	start := 0
	if marker != "" {
		s, err := decodeMarker(marker, 'i')
		if err != nil {
			return page[T]{}, err
		}
		start, err = strconv.Atoi(s)
		if err != nil || start < 0 || start > len(items) {
			return page[T]{}, errBadMarker
		}
	}
	n := pageSize(maxItems)
	rest := items[start:]
	if len(rest) <= n {
		return page[T]{items: rest}, nil
	}
	return page[T]{items: rest[:n], truncated: true, marker: indexMarker(start + n)}, nil
}

// pageNamed pages a listing the store orders by lower-cased name: fetch is
// asked for one more than the page size after the marker's name, and keep
// (optional) filters what the store cannot, fetching on until the page is
// full.
func pageNamed[T any](marker string, maxItems *int32, name func(T) string, keep func(T) bool,
	fetch func(after string, limit int) ([]T, error)) (page[T], error) {
	after, err := decodeMarker(marker, 'n')
	if err != nil {
		return page[T]{}, err
	}
	n := pageSize(maxItems)
	var out []T
	for {
		batch, err := fetch(after, n+1)
		if err != nil {
			return page[T]{}, err
		}
		for _, x := range batch {
			if keep != nil && !keep(x) {
				after = iam.NameKey(name(x))
				continue
			}
			if len(out) == n {
				return page[T]{items: out, truncated: true, marker: nameMarker(iam.NameKey(name(out[n-1])))}, nil
			}
			out = append(out, x)
			after = iam.NameKey(name(x))
		}
		if len(batch) < n+1 {
			return page[T]{items: out}, nil
		}
	}
}

// encodeDocument percent-encodes a policy document as IAM returns it in Get
// responses (RFC 3986, spaces as %20); SDKs that know the field decode it.
func encodeDocument(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}

// notFoundAs turns store.ErrNotFound into the domain error for what the
// caller was looking up; other errors pass through.
func notFoundAs(err error, kind iam.EntityKind, name string) error {
	if errors.Is(err, store.ErrNotFound) {
		return &iam.NotFoundError{Kind: kind, Name: name}
	}
	return err
}

// conflictAs turns store.ErrConflict into a domain error.
func conflictAs(err error, to error) error {
	if errors.Is(err, store.ErrConflict) {
		return to
	}
	return err
}

func ptr[T any](v T) *T { return &v }

// pathOr returns the default path "/" for an omitted one.
func pathOr(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// utc truncates to seconds, as IAM reports times.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Second)
}
