package trust

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/policy"
	"github.com/brevet-dev/brevet/internal/store"
)

// Lookup is what binding reads; store.Repos and store.Store satisfy it.
type Lookup interface {
	Accounts() store.Accounts
	Users() store.Users
	Roles() store.Roles
}

// Options tunes Bind.
type Options struct {
	// KeepForeign leaves a principal of an account this installation does
	// not hold unbound (matched by ARN) instead of refusing it. `brevet
	// import` sets it: an export from AWS names principals of other
	// accounts that Brevet cannot know. The API does not: such a
	// principal does not exist, and IAM refuses it.
	KeepForeign bool
	// Upgrade binds a policy saved before Brevet bound trust policies
	// (BindUnbound): a principal of a held account that names no one now
	// is bound to no one (an empty ID, which matches no caller) instead
	// of refused. It implies KeepForeign.
	Upgrade bool
}

// Bind resolves every user, role and role-session principal of doc to the
// unique id of the user or role it names now. A principal that names no
// one is refused as IAM refuses it (*policy.MalformedError, "Invalid
// principal in policy"), except as opts allows. The result is empty, not
// nil, when the policy names none: it is bound.
func Bind(ctx context.Context, r Lookup, doc *policy.Document, opts Options) ([]iam.PrincipalBinding, error) {
	out := []iam.PrincipalBinding{}
	for _, v := range doc.AWSPrincipals() {
		ref, ok := boundRef(v)
		if !ok {
			continue
		}
		id, err := resolve(ctx, r, ref, v)
		if errors.Is(err, store.ErrNotFound) {
			if opts.KeepForeign || opts.Upgrade {
				foreign, err := foreign(ctx, r, ref, v)
				if err != nil {
					return nil, err
				}
				if foreign {
					continue
				}
			}
			if opts.Upgrade {
				out = append(out, iam.PrincipalBinding{ARN: v})
				continue
			}
			return nil, policy.InvalidPrincipal("AWS", v)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, iam.PrincipalBinding{ARN: v, ID: id})
	}
	return out, nil
}

// foreign reports whether v belongs to an account (or a partition) this
// installation does not hold.
func foreign(ctx context.Context, r Lookup, ref iam.EntityRef, v string) (bool, error) {
	if !strings.HasPrefix(v, "arn:"+iam.Partition+":") {
		return true, nil
	}
	_, err := r.Accounts().Get(ctx, ref.Account)
	if errors.Is(err, store.ErrNotFound) {
		return true, nil
	}
	return false, err
}

// boundRef reports whether v is a principal that binding applies to: a
// user, role or assumed-role ARN.
func boundRef(v string) (iam.EntityRef, bool) {
	if !strings.HasPrefix(v, "arn:") {
		return iam.EntityRef{}, false // "*", an account id, a unique id
	}
	ref, err := iam.ParseEntityARN(v)
	if err != nil {
		// CloudFront origin access identities and the like: not IAM
		// principals of an account.
		return iam.EntityRef{}, false
	}
	switch ref.Type {
	case iam.ResourceUser, iam.ResourceRole, iam.ResourceAssumedRole:
		return ref, true
	}
	return iam.EntityRef{}, false
}

// resolve finds the unique id v names now; store.ErrNotFound (wrapped) if
// it names no one.
func resolve(ctx context.Context, r Lookup, ref iam.EntityRef, v string) (string, error) {
	if !strings.HasPrefix(v, "arn:"+iam.Partition+":") {
		return "", store.ErrNotFound // another partition: never a principal here
	}
	switch ref.Type {
	case iam.ResourceUser:
		u, err := r.Users().Get(ctx, ref.Account, ref.Name)
		if err != nil {
			return "", err
		}
		if !strings.EqualFold(u.ARN(), v) {
			return "", store.ErrNotFound // the name, on another path
		}
		return u.ID, nil
	case iam.ResourceRole:
		role, err := r.Roles().Get(ctx, ref.Account, ref.Name)
		if err != nil {
			return "", err
		}
		if !strings.EqualFold(role.ARN(), v) {
			return "", store.ErrNotFound
		}
		return role.ID, nil
	default: // assumed-role: bound through its role (the ARN has no path)
		role, err := r.Roles().Get(ctx, ref.Account, ref.Name)
		if err != nil {
			return "", err
		}
		return role.ID, nil
	}
}

// Shower shows trust policies as IAM does: a bound principal that no
// longer exists appears as its unique id, and a bound user renamed since
// as its ARN now. It remembers what it looked up, so one Shower serves a
// whole listing with one read per distinct principal; make one per
// request.
type Shower struct {
	r    Lookup
	seen map[string]shown
}

type shown struct {
	arn    string // the principal's ARN now, "" if it is gone
	exists bool
}

// NewShower returns a Shower that reads r.
func NewShower(r Lookup) *Shower { return &Shower{r: r, seen: map[string]shown{}} }

// Show returns role's trust policy as GetRole shows it.
func (s *Shower) Show(ctx context.Context, role *iam.Role) (string, error) {
	return s.ShowDocument(ctx, role.TrustPolicy, role.TrustBindings)
}

// ShowDocument returns doc, a trust or resource policy saved with
// bindings, as IAM shows it (a bucket policy, for one).
func (s *Shower) ShowDocument(ctx context.Context, doc string, bindings []iam.PrincipalBinding) (string, error) {
	if len(bindings) == 0 {
		return doc, nil
	}
	repl := make(map[string]string, len(bindings))
	for _, b := range bindings {
		if b.ID == "" {
			continue // bound to no one: shown as written
		}
		now, err := s.lookup(ctx, b.ID)
		if err != nil {
			return "", err
		}
		switch {
		case !now.exists:
			repl[b.ARN] = b.ID
		case now.arn != "" && isUserARN(b.ARN) && now.arn != b.ARN:
			repl[b.ARN] = now.arn // renamed
		}
	}
	if len(repl) == 0 {
		return doc, nil
	}
	return policy.RewriteAWSPrincipals(doc, func(v string) (string, bool) {
		out, ok := repl[v]
		return out, ok
	}), nil
}

func isUserARN(v string) bool {
	ref, err := iam.ParseEntityARN(v)
	return err == nil && ref.Type == iam.ResourceUser
}

// lookup finds the user or role with unique id now.
func (s *Shower) lookup(ctx context.Context, id string) (shown, error) {
	if sh, ok := s.seen[id]; ok {
		return sh, nil
	}
	var sh shown
	var err error
	if strings.HasPrefix(id, "AIDA") {
		var u iam.User
		if u, err = s.r.Users().GetByID(ctx, id); err == nil {
			sh = shown{arn: u.ARN(), exists: true}
		}
	} else {
		if _, err = s.r.Roles().GetByID(ctx, id); err == nil {
			sh = shown{exists: true}
		}
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return shown{}, err
	}
	s.seen[id] = sh
	return sh, nil
}

// Saver is what BindUnbound needs of a store: its repositories in one
// transaction. store.Store satisfies it.
type Saver interface {
	Accounts() store.Accounts
	Roles() store.Roles
	Tx(ctx context.Context, fn func(store.Repos) error) error
}

// BindUnbound binds the trust policies of roles saved before Brevet bound
// them (TrustBindings nil), each to the principals that have its names
// now, and returns how many it bound. A principal that names no one now
// is bound to no one; one of an account this installation does not hold
// stays unbound. Each role is read and written in one transaction, so a
// policy saved meanwhile is left as it was saved. Brevet runs it at every
// start (bootstrap.Run); after the first, it finds nothing to do.
func BindUnbound(ctx context.Context, st Saver) (int, error) {
	accounts, err := st.Accounts().List(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, a := range accounts {
		roles, err := st.Roles().List(ctx, a.ID, store.ListOptions{})
		if err != nil {
			return n, err
		}
		for _, role := range roles {
			if role.TrustBindings != nil {
				continue
			}
			bound := false
			err := st.Tx(ctx, func(r store.Repos) error {
				bound = false
				cur, err := r.Roles().Get(ctx, role.Account, role.Name)
				if errors.Is(err, store.ErrNotFound) || (err == nil && (cur.ID != role.ID || cur.TrustBindings != nil)) {
					return nil // deleted or saved meanwhile
				}
				if err != nil {
					return err
				}
				doc, err := policy.Parse([]byte(cur.TrustPolicy))
				if err != nil {
					return err
				}
				if cur.TrustBindings, err = Bind(ctx, r, doc, Options{Upgrade: true}); err != nil {
					return err
				}
				bound = true
				return r.Roles().Update(ctx, cur)
			})
			if err != nil {
				return n, fmt.Errorf("trust: binding the trust policy of %s: %w", role.ARN(), err)
			}
			if bound {
				n++
			}
		}
	}
	return n, nil
}
