package assign

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/sso"
	"github.com/brevet-dev/brevet/internal/store"
)

// Principal types of an assignment.
const (
	TypeUser  = "USER"
	TypeGroup = "GROUP"
)

// MaxPrincipalName bounds a provider's user or group name in an
// assignment (an IAM name is at most 64 or 128 characters anyway).
const MaxPrincipalName = 128

// Store is what assignments need of the store; a store.Store is one.
type Store interface {
	Objects() store.Objects
	Accounts() store.Accounts
	Users() store.Users
	Groups() store.Groups
	Roles() store.Roles
}

// Config configures New.
type Config struct {
	Store Store
	// IdPs names the configured identity providers: an assignment to a
	// provider not among them is refused (it could never match anyone).
	IdPs []string
}

// Assignment is one assignment of a role to a principal.
type Assignment struct {
	// Account is the role's account, the one the assignment is stored in.
	Account string `json:"-"`
	// RoleName is the role's name as IAM spells it.
	RoleName string `json:"role"`
	// Type is TypeUser or TypeGroup; Source is sso.SourceIAM or
	// "idp:NAME".
	Type   string `json:"type"`
	Source string `json:"source"`
	// PrincipalID is an IAM user's or group's unique id, or a provider's
	// user or group name (its username or groups claim value).
	PrincipalID string `json:"id"`
	// PrincipalAccount is an IAM user's or group's account when it is not
	// the role's ("" when it is).
	PrincipalAccount string `json:"acct,omitempty"`
	// PrincipalName is the name the principal had when it was assigned.
	PrincipalName string    `json:"name"`
	CreatedBy     string    `json:"by,omitempty"`
	Created       time.Time `json:"created"`
}

// Key is the assignment principal the assignment names (sso.UserKey or
// sso.GroupKey), as sso.Identity.PrincipalKeys lists a person's.
func (a *Assignment) Key() string {
	if a.Type == TypeGroup {
		return sso.GroupKey(a.Source, a.PrincipalID)
	}
	return sso.UserKey(a.Source, a.PrincipalID)
}

// objectID is the assignment's store.Object id: the role (case-folded,
// as IAM's names are unique) and the principal key.
func objectID(role, key string) string { return iam.NameKey(role) + "/" + key }

// Assignments stores assignments and answers from its index of all of
// them.
type Assignments struct {
	st   Store
	idps []string

	// mu guards dirty and stale, which Apply sets; refresh serializes
	// the rebuilds of idx.
	mu    sync.Mutex
	dirty map[ref]struct{}
	stale bool
	// clean is set while idx holds every change Apply marked (nothing is
	// dirty or stale): readers then take idx without a lock.
	clean   atomic.Bool
	idx     atomic.Pointer[index]
	refresh sync.Mutex
}

// New returns the assignments of cfg.Store; the index is loaded on first
// use.
func New(cfg Config) (*Assignments, error) {
	if cfg.Store == nil {
		return nil, errors.New("assign: a store is required")
	}
	for _, n := range cfg.IdPs {
		if !idpName.MatchString(n) {
			return nil, fmt.Errorf("assign: identity provider name %q is not [a-z0-9-]{1,32}", n)
		}
	}
	return &Assignments{st: cfg.Store, idps: slices.Clone(cfg.IdPs), dirty: map[ref]struct{}{}, stale: true}, nil
}

var idpName = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)

// Principal names one principal in a request: its type, its source
// ("" is sso.SourceIAM) and its name, or for an IAM principal deleted
// since it was assigned, its unique id.
type Principal struct {
	Type, Source, Name, ID string
}

// resolved is a principal checked and resolved to what assignments store.
type resolved struct {
	typ, source, id, name string
	// account is an IAM principal's account when it is not the role's.
	account string
}

// resolve checks p and finds an IAM principal's unique id in account.
// A provider must be configured for a new assignment (creating); one
// removed from the configuration since still names its assignments, to
// list and remove them.
func (a *Assignments) resolve(ctx context.Context, account string, p Principal, creating bool) (resolved, error) {
	r := resolved{typ: p.Type, source: p.Source, name: p.Name, id: p.ID}
	if r.source == "" {
		r.source = sso.SourceIAM
	}
	if r.typ != TypeUser && r.typ != TypeGroup {
		return r, invalid("PrincipalType must be USER or GROUP.")
	}
	if name, ok := strings.CutPrefix(r.source, sso.SourceIdPPrefix); ok {
		if !idpName.MatchString(name) {
			return r, invalid("PrincipalSource must be iam or idp:NAME, NAME of [a-z0-9-]{1,32}.")
		}
		if creating && !slices.Contains(a.idps, name) {
			return r, invalid("No identity provider named " + name + " is configured.")
		}
		if !validName(r.name) {
			return r, invalid(fmt.Sprintf("PrincipalName must be 1 to %d printable characters.", MaxPrincipalName))
		}
		r.id = r.name
		return r, nil
	}
	if r.source != sso.SourceIAM {
		return r, invalid("PrincipalSource must be iam or idp:NAME.")
	}
	if r.id != "" {
		return r, nil
	}
	if r.name == "" {
		return r, invalid("PrincipalName is required.")
	}
	acct, name, arn, err := principalName(account, r.typ, r.name)
	if err != nil {
		return r, err
	}
	var gotARN string
	if r.typ == TypeUser {
		var u iam.User
		if u, err = a.st.Users().Get(ctx, acct, name); err == nil {
			r.id, r.name, gotARN = u.ID, u.Name, u.ARN()
		}
	} else {
		var g iam.Group
		if g, err = a.st.Groups().Get(ctx, acct, name); err == nil {
			r.id, r.name, gotARN = g.ID, g.Name, g.ARN()
		}
	}
	if errors.Is(err, store.ErrNotFound) || (err == nil && arn != "" && gotARN != arn) {
		return r, &NotFoundError{Message: fmt.Sprintf("The %s with name %s cannot be found.", strings.ToLower(r.typ), r.name)}
	}
	if acct != account {
		r.account, r.name = acct, gotARN
	}
	return r, err
}

// principalName reads an IAM principal's PrincipalName: a name in
// account, or the ARN of a user or group (of any account: the role's
// account decides whom it lets in, as its trust policy may name another
// account's principals). It returns the principal's account and name,
// and the ARN when one was given.
func principalName(account, typ, name string) (acct, n, arn string, err error) {
	if !strings.HasPrefix(name, "arn:") {
		return account, name, "", nil
	}
	want := iam.ResourceUser
	if typ == TypeGroup {
		want = iam.ResourceGroup
	}
	ref, perr := iam.ParseEntityARN(name)
	if perr != nil || ref.Type != want {
		return "", "", "", invalid("PrincipalName must be a name, or the ARN of an IAM " + want + ".")
	}
	return ref.Account, ref.Name, name, nil
}

// validName accepts a provider's user or group name: printable, at most
// MaxPrincipalName characters.
func validName(s string) bool {
	if s == "" || len(s) > MaxPrincipalName {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) })
}

// Role loads the role of account, as the assignment actions authorize on
// its ARN.
func (a *Assignments) Role(ctx context.Context, account, name string) (iam.Role, error) {
	r, err := a.st.Roles().Get(ctx, account, name)
	if errors.Is(err, store.ErrNotFound) {
		return r, &NotFoundError{Message: "The role with name " + name + " cannot be found."}
	}
	return r, err
}

// Create assigns the role of account to p; by is the caller's ARN.
func (a *Assignments) Create(ctx context.Context, account, roleName string, p Principal, by string, now time.Time) (Assignment, error) {
	role, err := a.Role(ctx, account, roleName)
	if err != nil {
		return Assignment{}, err
	}
	p.ID = "" // a new assignment names an existing principal
	r, err := a.resolve(ctx, account, p, true)
	if err != nil {
		return Assignment{}, err
	}
	as := Assignment{Account: account, RoleName: role.Name, Type: r.typ, Source: r.source, PrincipalID: r.id,
		PrincipalAccount: r.account, PrincipalName: r.name, CreatedBy: by, Created: now.UTC()}
	body, err := json.Marshal(&as)
	if err != nil {
		return Assignment{}, err
	}
	err = a.st.Objects().Create(ctx, store.Object{Account: account, Kind: sso.KindAssignment, ID: objectID(role.Name, as.Key()),
		Body: body, Created: now, Updated: now})
	if errors.Is(err, store.ErrConflict) {
		return Assignment{}, &ExistsError{Message: "The role " + role.Name + " is already assigned to " + strings.ToLower(r.typ) + " " + r.name + "."}
	}
	return as, err
}

// Delete removes the assignment of the role of account to p and returns
// it. The role need not exist any more.
func (a *Assignments) Delete(ctx context.Context, account, roleName string, p Principal) (Assignment, error) {
	r, err := a.resolve(ctx, account, p, false)
	if err != nil {
		return Assignment{}, err
	}
	key := (&Assignment{Type: r.typ, Source: r.source, PrincipalID: r.id}).Key()
	id := objectID(roleName, key)
	o, err := a.st.Objects().Get(ctx, account, sso.KindAssignment, id)
	if err == nil {
		err = a.st.Objects().Delete(ctx, account, sso.KindAssignment, id)
	}
	if errors.Is(err, store.ErrNotFound) {
		return Assignment{}, &NotFoundError{Message: "The role " + roleName + " is not assigned to " + strings.ToLower(r.typ) + " " + displayName(r) + "."}
	}
	if err != nil {
		return Assignment{}, err
	}
	return decode(o)
}

// displayName names a resolved principal in a message: its name, or its
// unique id when it was given by id.
func displayName(r resolved) string {
	if r.name != "" {
		return r.name
	}
	return r.id
}

// Filter selects assignments to list: of one role, of one principal.
type Filter struct {
	RoleName  string
	Principal *Principal
	// After is the last object id of the previous page ("" for the
	// first); Max caps the page (0: no cap).
	After string
	Max   int
}

// Page is one page of a listing; Next is the After of the next page, ""
// when there is none.
type Page struct {
	Assignments []Assignment
	Next        string
}

// List lists account's assignments, ordered by role then principal, with
// the current names of IAM users and groups ("" for one deleted since).
func (a *Assignments) List(ctx context.Context, account string, f Filter) (Page, error) {
	var key string
	if f.Principal != nil {
		r, err := a.resolve(ctx, account, *f.Principal, false)
		if err != nil {
			return Page{}, err
		}
		key = (&Assignment{Type: r.typ, Source: r.source, PrincipalID: r.id}).Key()
	}
	objs, err := a.st.Objects().List(ctx, account, sso.KindAssignment, f.After, 0)
	if err != nil {
		return Page{}, err
	}
	var page Page
	for _, o := range objs {
		as, err := decode(o)
		if err != nil {
			return Page{}, err
		}
		if (f.RoleName != "" && !strings.EqualFold(as.RoleName, f.RoleName)) || (key != "" && as.Key() != key) {
			continue
		}
		if f.Max > 0 && len(page.Assignments) == f.Max {
			page.Next = objectID(page.Assignments[f.Max-1].RoleName, page.Assignments[f.Max-1].Key())
			break
		}
		page.Assignments = append(page.Assignments, as)
	}
	return page, a.names(ctx, account, page.Assignments)
}

// names sets the current names of the IAM principals of as: a name in
// the assignments' account, an ARN in another, "" for one deleted since.
func (a *Assignments) names(ctx context.Context, account string, as []Assignment) error {
	groups := map[string]map[string]iam.Group{} // by account, by id
	for i := range as {
		x := &as[i]
		if x.Source != sso.SourceIAM {
			continue
		}
		owner := cmp.Or(x.PrincipalAccount, account)
		x.PrincipalName = ""
		if x.Type == TypeUser {
			u, err := a.st.Users().GetByID(ctx, x.PrincipalID)
			switch {
			case errors.Is(err, store.ErrNotFound) || (err == nil && u.Account != owner):
			case err != nil:
				return err
			case owner == account:
				x.PrincipalName = u.Name
			default:
				x.PrincipalName = u.ARN()
			}
			continue
		}
		if groups[owner] == nil {
			gs, err := a.st.Groups().List(ctx, owner, store.ListOptions{})
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			groups[owner] = make(map[string]iam.Group, len(gs))
			for _, g := range gs {
				groups[owner][g.ID] = g
			}
		}
		if g, ok := groups[owner][x.PrincipalID]; ok {
			x.PrincipalName = g.Name
			if owner != account {
				x.PrincipalName = g.ARN()
			}
		}
	}
	return nil
}

// decode reads an assignment object.
func decode(o store.Object) (Assignment, error) {
	var as Assignment
	if err := json.Unmarshal(o.Body, &as); err != nil {
		return as, fmt.Errorf("assign: object %s/%s: %w", o.Account, o.ID, err)
	}
	as.Account = o.Account
	return as, nil
}
