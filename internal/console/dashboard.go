package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/brevetapi"
	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
)

// The dashboard makes two calls, whatever the size of the account:
// GetAccountSummary for the counts, and Brevet's GetFindingsReport for the
// security findings. Finding them means reading every user (with its keys,
// login profile and MFA), role and customer managed policy, which no page
// can do within its budget; so, as IAM's credential report, the findings
// are generated once (GenerateFindingsReport, which makes a credential
// report along and reads the users' findings from it), kept in the store
// for every node, and shown until they are 4 hours old. When there is no
// report, or it is that old, the dashboard shows what it has and asks for
// a new one in the background, as the signed-in principal.

// findingsTTL is how old a findings report may be before the dashboard
// asks for a new one (the report's own reuse period).
const findingsTTL = 4 * time.Hour

// generateTimeout bounds a background generation.
const generateTimeout = 5 * time.Minute

// generating remembers the accounts whose findings report this console is
// generating, so that a reloaded dashboard asks only once.
type generating struct {
	mu   sync.Mutex
	busy map[string]bool
}

// dashboardView is the dashboard's data.
type dashboardView struct {
	Counts map[string]int32
	// Findings are the report's, in the report's order; Generated is when
	// it was made (zero: there is none yet).
	Findings  []findingView
	Generated time.Time
	// Refreshing: a new report is being generated.
	Refreshing bool
	// FindingsError is why there are no findings (AccessDenied: the
	// principal may not read the report).
	FindingsError *pageError
}

// findingView is one finding as the dashboard shows it.
type findingView struct {
	ID, Title, Advice string
	Count             int32
	Items             []findingItem
}

// findingItem is one user, key, role or policy, linked to its page.
type findingItem struct {
	Name, Href, Detail string
}

// More reports whether the finding has more items than it lists.
func (f findingView) More() bool { return int(f.Count) > len(f.Items) }

// findingTexts are each finding's heading and advice, and the page its
// items link to.
var findingTexts = map[string]struct {
	title, advice string
	href          func(name, arn string) string
}{
	brevetapi.FindingUsersWithoutMFA: {"Users with a console password but no MFA",
		"Assign a virtual MFA device to each user who signs in with a password, on the user's Credentials tab.", userHref("")},
	brevetapi.FindingAccessKeysOld: {"Access keys older than 90 days",
		"Rotate each key: create a second key, move its users to it, then deactivate and delete the old one.", userHref("credentials")},
	brevetapi.FindingAccessKeysUnused: {"Access keys unused for 90 days",
		"Deactivate the keys nobody uses, and delete them once nothing breaks.", userHref("credentials")},
	brevetapi.FindingRolesUnused: {"Roles not used for 90 days, or never",
		"Delete the roles nothing assumes; each role's page shows when it was last used.", func(name, _ string) string {
			return "/console/roles/" + url.PathEscape(name)
		}},
	brevetapi.FindingPoliciesAllowsAll: {"Policies granting full access (*:*)",
		"Customer managed policies that allow every action on every resource: grant only what each principal needs.", func(_, arn string) string {
			return "/console/policies/view?arn=" + url.QueryEscape(arn)
		}},
}

// userHref links a finding's user to its page, on tab (none: the first).
func userHref(tab string) func(name, arn string) string {
	return func(name, _ string) string {
		h := "/console/users/" + url.PathEscape(name)
		if tab != "" {
			h += "?tab=" + tab
		}
		return h
	}
}

// dashboard is the console's home: the account, its counts and its
// security findings.
func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request, s *session) error {
	// The two calls at once: each waits for its audit event to be
	// durable, and the trail's group commit makes one write of both.
	type report struct {
		out *brevetapi.GetFindingsReportResponse
		err error
	}
	reports := make(chan report, 1)
	// The other goroutine's call gets none of the browser request's
	// values: the server's record of the request is written by the
	// request's own goroutine only (server.SetAction).
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	defer context.AfterFunc(r.Context(), cancel)()
	go func() {
		out, err := call(h, r.WithContext(ctx), s, brevetapi.GetFindingsReport, nil)
		reports <- report{out, err}
	}()
	sum, err := call(h, r, s, iamapi.GetAccountSummary, nil)
	rep := <-reports
	if err != nil {
		return err
	}
	v := &dashboardView{Counts: sum.SummaryMap}
	var we *awsquery.Error
	switch {
	case rep.err == nil:
		v.Generated, v.Findings = rep.out.GeneratedTime, findingViews(rep.out.Findings)
		if h.cfg.Now().Sub(rep.out.GeneratedTime) >= findingsTTL {
			v.Refreshing = h.generateFindings(r, s)
		}
	case errors.As(rep.err, &we) && we.Code == awsquery.CodeReportNotPresent:
		v.Refreshing = h.generateFindings(r, s)
	default:
		v.FindingsError = h.asPageError(r, rep.err)
	}
	return h.render(w, r, s, http.StatusOK, "dashboard", "Dashboard", "dashboard", v)
}

// findingViews are the report's findings this console knows, with their
// texts and links.
func findingViews(fs []brevetapi.Finding) []findingView {
	out := make([]findingView, 0, len(fs))
	for _, f := range fs {
		t, ok := findingTexts[f.Type]
		if !ok {
			continue // a finding this console does not know yet
		}
		fv := findingView{ID: f.Type, Title: t.title, Advice: t.advice, Count: f.Count, Items: make([]findingItem, len(f.Items))}
		for i, it := range f.Items {
			fv.Items[i] = findingItem{Name: it.Name, Href: t.href(it.Name, it.Arn), Detail: it.Detail}
		}
		out = append(out, fv)
	}
	return out
}

// generateFindings asks for a new findings report in the background, as
// the signed-in principal (authorized and audited like any call), unless
// this console is already generating the account's. It reports whether a
// generation is under way.
func (h *Handler) generateFindings(r *http.Request, s *session) bool {
	g := &h.gen
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.busy[s.Account] {
		return true
	}
	if g.busy == nil {
		g.busy = map[string]bool{}
	}
	g.busy[s.Account] = true
	// None of the browser request's values, nor its end: the call
	// outlives the request, whose record the server no longer keeps.
	ctx, cancel := context.WithTimeout(context.Background(), generateTimeout)
	br := r.Clone(ctx) // the browser's address, host, user agent and TLS state
	go func() {
		defer cancel()
		if _, err := call(h, br, s, brevetapi.GenerateFindingsReport, nil); err != nil {
			h.log.WarnContext(ctx, "generating the findings report", "account", s.Account, "err", err)
		}
		g.mu.Lock()
		delete(g.busy, s.Account)
		g.mu.Unlock()
	}()
	return true
}
