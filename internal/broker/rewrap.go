package broker

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/store"
)

// Rewrap seals every upstream key of accounts again with seal, after
// opening it with open (master-key rotation: `brevet keys
// rotate-master-key`), and returns how many it rewrote. It runs while no
// server is up; a key that does not open is an error (nothing is lost:
// the key file keeps the old keys until the command succeeds).
func Rewrap(ctx context.Context, objs store.Objects, accounts []string, open credential.Opener, seal credential.Sealer) (int, error) {
	n := 0
	for _, acct := range accounts {
		list, err := objs.List(ctx, acct, KindUpstream, "", 0)
		if err != nil {
			return n, err
		}
		for _, o := range list {
			u, err := decodeUpstream(o)
			if err != nil {
				return n, err
			}
			if u.Key == nil {
				continue
			}
			purpose := KeyPurpose(acct, u.ID)
			secret, err := open.Open(u.Key.Secret, purpose)
			if err != nil {
				return n, fmt.Errorf("broker: the key of upstream account %s: %w", u.ID, err)
			}
			ct, err := seal.Seal(secret, purpose)
			clear(secret)
			if err != nil {
				return n, fmt.Errorf("broker: the key of upstream account %s: %w", u.ID, err)
			}
			u.Key.Secret = ct
			body, err := json.Marshal(&u)
			if err != nil {
				return n, err
			}
			match := o.Body
			o.Body = body
			if err := objs.UpdateIf(ctx, o, match); err != nil {
				return n, fmt.Errorf("broker: the key of upstream account %s: %w", u.ID, err)
			}
			n++
		}
	}
	return n, nil
}
