package store

import "errors"

// ErrNotFound: the entity addressed (or one it refers to, such as the user
// named in an access key) does not exist. Backends wrap it with %w and the
// name of what was missing.
var ErrNotFound = errors.New("store: not found")

// ErrConflict: the change would violate a uniqueness or referential rule: a
// name or id already taken, or a delete of an entity that others still
// refer to. Backends wrap it with %w.
var ErrConflict = errors.New("store: conflict")

// ErrUnavailable: the store could not be reached (connection refused or
// reset, a query that timed out): the request is fine, the store is not,
// and it may be tried again later. Backends wrap it with %w.
var ErrUnavailable = errors.New("store: unavailable")
