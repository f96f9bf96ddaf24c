package storetest

import (
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
)

// testProviders: OIDC and SAML providers round-trip every field, are
// unique by ARN, list per account and kind in ARN order, update in place
// and record their changes in the feed.
func testProviders(t *testing.T, s store.Store) {
	pr := s.Providers()
	oidc := iam.Provider{Kind: iam.ProviderOIDC, Account: Account, Name: "idp.example.com/tenant",
		URL: "https://idp.example.com/tenant", ClientIDs: []string{"sts.amazonaws.com", "app"},
		Thumbprints: []string{"0123456789abcdef0123456789abcdef01234567"},
		Tags:        []iam.Tag{{Key: "team", Value: "infra"}}, Created: Now, Updated: Now}
	oidc2 := iam.Provider{Kind: iam.ProviderOIDC, Account: Account, Name: "a.example.com", URL: "https://a.example.com", Created: Now, Updated: Now}
	saml := iam.Provider{Kind: iam.ProviderSAML, Account: Account, Name: "corp", Metadata: "<EntityDescriptor/>",
		UUID: "u-1", ValidUntil: Now.Add(100 * 365 * 24 * time.Hour), Created: Now, Updated: Now}
	before := must[int64](t)(s.Changes().Latest(ctx(t)))
	for _, p := range []iam.Provider{oidc, oidc2, saml} {
		mustDo(t, pr.Create(ctx(t), p))
	}
	wantErr(t, "Create dup", pr.Create(ctx(t), oidc), store.ErrConflict)
	other := oidc
	other.Account = "999999999999"
	wantErr(t, "Create in missing account", pr.Create(ctx(t), other), store.ErrNotFound)

	diff(t, "Get oidc", must[iam.Provider](t)(pr.Get(ctx(t), oidc.ARN())), oidc)
	diff(t, "Get saml", must[iam.Provider](t)(pr.Get(ctx(t), saml.ARN())), saml)
	_, err := pr.Get(ctx(t), iam.OIDCProviderARN(Account, "nope"))
	wantErr(t, "Get missing", err, store.ErrNotFound)
	diff(t, "List oidc", must[[]iam.Provider](t)(pr.List(ctx(t), Account, iam.ProviderOIDC)), []iam.Provider{oidc2, oidc})
	diff(t, "List saml", must[[]iam.Provider](t)(pr.List(ctx(t), Account, iam.ProviderSAML)), []iam.Provider{saml})

	upd := oidc
	upd.ClientIDs = []string{"app"}
	upd.Thumbprints = nil
	upd.Tags = nil
	upd.Updated = Now.Add(time.Minute)
	mustDo(t, pr.Update(ctx(t), upd))
	diff(t, "Get after update", must[iam.Provider](t)(pr.Get(ctx(t), oidc.ARN())), upd)
	missing := oidc2
	missing.Name = "gone.example.com"
	wantErr(t, "Update missing", pr.Update(ctx(t), missing), store.ErrNotFound)

	mustDo(t, pr.Delete(ctx(t), oidc2.ARN()))
	wantErr(t, "Delete twice", pr.Delete(ctx(t), oidc2.ARN()), store.ErrNotFound)
	diff(t, "List after delete", must[[]iam.Provider](t)(pr.List(ctx(t), Account, iam.ProviderOIDC)), []iam.Provider{upd})

	changes := must[[]store.Change](t)(s.Changes().Since(ctx(t), before, 0))
	var got []string
	for _, c := range changes {
		if c.Kind == store.ChangeProvider {
			got = append(got, c.Key)
		}
	}
	diff(t, "provider changes", got, []string{oidc.ARN(), oidc2.ARN(), saml.ARN(), oidc.ARN(), oidc2.ARN()})
}
