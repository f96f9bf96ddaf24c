package store

import (
	"context"
	"strings"
	"time"
)

// Object is one resource of a service that keeps its state as a small
// document: Roles Anywhere's trust anchors, profiles and CRLs, IoT's
// certificates, things and role aliases. The store does not look inside
// Body; the owning service encodes, validates and versions it.
type Object struct {
	Account string
	// Kind names the service and the resource type, without a slash:
	// "rolesanywhere.trust-anchor", "iot.certificate".
	Kind string
	// ID identifies the object within (Account, Kind); at most 256 bytes.
	ID string
	// Body is the service's encoding of the resource (JSON).
	Body             []byte
	Created, Updated time.Time
}

// Objects stores service objects, one per (Account, Kind, ID). Every write
// records a ChangeObject whose Key is ObjectKey(Kind, ID), so that every
// node drops what it cached of the object at once.
type Objects interface {
	// Create adds o. ErrNotFound if the account does not exist;
	// ErrConflict if (Account, Kind, ID) is taken.
	Create(ctx context.Context, o Object) error
	// Update replaces Body and Updated of the object o names (Created is
	// kept). ErrNotFound if there is none.
	Update(ctx context.Context, o Object) error
	// UpdateIf is Update done only when the stored Body equals match byte
	// for byte (compare-and-swap): ErrConflict when it differs,
	// ErrNotFound when there is no object. It records a ChangeObject like
	// Update.
	UpdateIf(ctx context.Context, o Object, match []byte) error
	// Get returns one object; ErrNotFound if there is none.
	Get(ctx context.Context, account, kind, id string) (Object, error)
	// Find returns the objects of kind with id in every account, ordered
	// by account: a device certificate presented to the IoT endpoint names
	// no account.
	Find(ctx context.Context, kind, id string) ([]Object, error)
	// List returns the account's objects of kind ordered by ID (byte
	// order), only those whose ID sorts after after ("" = from the
	// start), at most limit of them (0 = no cap).
	List(ctx context.Context, account, kind, after string, limit int) ([]Object, error)
	// All returns every object of the account, ordered by kind, then ID
	// (for migration and backup).
	All(ctx context.Context, account string) ([]Object, error)
	// Delete removes one object; ErrNotFound if there is none.
	Delete(ctx context.Context, account, kind, id string) error
}

// ObjectKey is the Key of an object's ChangeObject: its kind and id.
func ObjectKey(kind, id string) string { return kind + "/" + id }

// SplitObjectKey splits a ChangeObject's Key into kind and id.
func SplitObjectKey(key string) (kind, id string) {
	kind, id, _ = strings.Cut(key, "/")
	return kind, id
}
