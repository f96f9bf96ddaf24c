package hosts

import (
	"context"
	"errors"
	"fmt"

	"github.com/brevet-dev/brevet/internal/store"
)

// ProfileStore is what StoreProfiles reads: store.Store has it.
type ProfileStore interface {
	InstanceProfiles() store.InstanceProfiles
	Roles() store.Roles
}

// StoreProfiles reads instance profiles and their role from the store.
func StoreProfiles(st ProfileStore) Profiles { return storeProfiles{st} }

type storeProfiles struct{ st ProfileStore }

func (p storeProfiles) InstanceProfile(ctx context.Context, account, name string) (*Profile, error) {
	ip, err := p.st.InstanceProfiles().Get(ctx, account, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := &Profile{Name: ip.Name, ARN: ip.ARN(), ID: ip.ID}
	if len(ip.Roles) == 0 {
		return out, nil
	}
	r, err := p.st.Roles().Get(ctx, account, ip.Roles[0])
	if errors.Is(err, store.ErrNotFound) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the role of instance profile %s: %w", name, err)
	}
	out.RoleARN = r.ARN()
	return out, nil
}
