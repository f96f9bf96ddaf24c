package rolesanywhere

import (
	"context"
	"time"

	"github.com/brevet-dev/brevet/internal/store"
)

// The reads and writes every kind of object (trust anchors, profiles,
// CRLs) shares: D is the kind's stored document (anchorDoc, profileDoc,
// crlDoc), R what an action answers with, made by render from the object
// and its document.

// getDoc reads the object of kind and id and renders it.
func getDoc[D, R any](ctx context.Context, s *Service, account, kind, id string, render func(*store.Object, *D) R) (R, error) {
	var d D
	o, err := s.get(ctx, account, kind, id, &d)
	if err != nil {
		var zero R
		return zero, err
	}
	return render(&o, &d), nil
}

// updateDoc applies fn to the document of kind and id, stores it, and
// renders the object as stored.
func updateDoc[D, R any](ctx context.Context, s *Service, account, kind, id string, now time.Time, fn func(*D) error, render func(*store.Object, *D) R) (R, error) {
	var zero R
	var d D
	o, err := s.get(ctx, account, kind, id, &d)
	if err != nil {
		return zero, err
	}
	if err := fn(&d); err != nil {
		return zero, err
	}
	if err := s.put(ctx, &o, &d, now); err != nil {
		return zero, err
	}
	return render(&o, &d), nil
}

// deleteDoc deletes the object of kind and id and renders it as it was.
func deleteDoc[D, R any](ctx context.Context, s *Service, account, kind, id string, render func(*store.Object, *D) R) (R, error) {
	var zero R
	var d D
	o, err := s.get(ctx, account, kind, id, &d)
	if err != nil {
		return zero, err
	}
	if err := s.remove(ctx, account, kind, o.ID); err != nil {
		return zero, err
	}
	return render(&o, &d), nil
}

// listDocs renders one page of the account's objects of kind, and the
// next page's token ("" after the last).
func listDocs[D, R any](ctx context.Context, s *Service, account, kind string, in *ListInput, render func(*store.Object, *D) R) ([]R, string, error) {
	objs, next, err := s.page(ctx, account, kind, in)
	if err != nil {
		return nil, "", err
	}
	out := make([]R, 0, len(objs))
	for i := range objs {
		var d D
		if err := decode(&objs[i], &d); err != nil {
			return nil, "", err
		}
		out = append(out, render(&objs[i], &d))
	}
	return out, next, nil
}
