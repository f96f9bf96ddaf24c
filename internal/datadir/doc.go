// Package datadir owns the lock on a Brevet data directory: the file
// DATA_DIR/.lock, locked exclusively with flock(2) by the one process that
// may change the directory's state. `brevet serve` holds it for its
// lifetime; `brevet keys rotate-master-key` takes it for its run and so
// refuses while a server is running there, whose key ring it would
// invalidate. The kernel drops the lock when its process exits, however it
// exits, so a crash leaves no stale lock to clean up; the file itself stays
// (removing it would let two processes lock two different files).
//
// A lock guards one directory on one machine. The nodes of a PostgreSQL
// cluster each have their own data directory, so it does not tell one node
// that another is running. It does not create the directory, and it
// decides nothing about what the directory holds. On systems without
// flock(2) (Windows) Acquire takes no lock.
package datadir
