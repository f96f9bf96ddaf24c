package iamservice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/brevetapi"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/store"
)

// KindFindingsReport is the store object kind of the account's findings
// report (brevetapi.GetFindingsReport).
const KindFindingsReport = "iam.findings-report"

// StaleAfter is how long a credential or role may go unused, and an
// access key unrotated, before it is a finding: 90 days, as IAM's
// console counts.
const StaleAfter = 90 * 24 * time.Hour

// RegisterFindings puts the findings report's actions (Brevet's own,
// authorized as brevet:GenerateFindingsReport and brevet:GetFindingsReport
// on "*") on the dispatcher.
func RegisterFindings(d *awsquery.Dispatcher, s *Service) {
	add(d, brevetapi.GenerateFindingsReport, request.Writes, anyResource, s.GenerateFindingsReport)
	add(d, brevetapi.GetFindingsReport, request.ReadOnly, anyResource, s.GetFindingsReport)
}

// anyResource is the target of the findings report's actions: "*".
func anyResource(context.Context, *identity.Principal, *awsquery.Empty) (request.Target, error) {
	return target("*", nil)
}

// GenerateFindingsReport generates the account's findings report, with a
// new credential report it reads the users' findings from, unless a
// findings report less than ReportTTL old exists (COMPLETE). Like
// GenerateCredentialReport it answers STARTED after generating.
func (s *Service) GenerateFindingsReport(ctx context.Context, p *identity.Principal, _ *awsquery.Empty, now time.Time) (*brevetapi.GenerateFindingsReportResponse, error) {
	cur, loadErr := s.loadReport(ctx, p.Account, KindFindingsReport)
	switch {
	case loadErr == nil && now.Sub(cur.Generated) < ReportTTL:
		return &brevetapi.GenerateFindingsReportResponse{State: "COMPLETE"}, nil
	case loadErr != nil && !errors.Is(loadErr, store.ErrNotFound):
		return nil, loadErr
	}
	if err := s.generateOnce(ctx, p.Account, KindFindingsReport, func() error { return s.generateFindings(ctx, p.Account, now) }); err != nil {
		return nil, err
	}
	return &brevetapi.GenerateFindingsReportResponse{State: "STARTED", Description: startedDescription(loadErr)}, nil
}

// generateFindings builds the account's findings report, with a new
// credential report, and stores both.
func (s *Service) generateFindings(ctx context.Context, account string, now time.Time) error {
	rows, err := s.generateCredentialReport(ctx, account, now)
	if err != nil {
		return err
	}
	f := findings{now: now}
	f.users(rows)
	if err := s.roleFindings(ctx, account, &f); err != nil {
		return err
	}
	if err := s.policyFindings(ctx, account, &f); err != nil {
		return err
	}
	content, err := json.Marshal(f.list())
	if err != nil {
		return err
	}
	return s.saveReport(ctx, account, KindFindingsReport, storedReport{Generated: utc(now), Content: content})
}

// GetFindingsReport returns the account's findings report, however old:
// GeneratedTime tells, and the caller generates a new one when it is
// older than ReportTTL. ReportNotPresent before the first.
func (s *Service) GetFindingsReport(ctx context.Context, p *identity.Principal, _ *awsquery.Empty, _ time.Time) (*brevetapi.GetFindingsReportResponse, error) {
	r, err := s.loadReport(ctx, p.Account, KindFindingsReport)
	if errors.Is(err, store.ErrNotFound) {
		return nil, reportNotPresentError{"GenerateFindingsReport"}
	}
	if err != nil {
		return nil, err
	}
	out := &brevetapi.GetFindingsReportResponse{GeneratedTime: utc(r.Generated)}
	if err := json.Unmarshal(r.Content, &out.Findings); err != nil {
		return nil, fmt.Errorf("iamservice: the stored findings report: %w", err)
	}
	return out, nil
}

// findings collects a report's findings, each counted in full and listed
// up to brevetapi.MaxFindingItems (in the order the store lists by name).
type findings struct {
	now                                             time.Time
	noMFA, keysOld, keysUnused, rolesUnused, polAll brevetapi.Finding
}

// list is the report's findings, each with its type, in the order the
// dashboard shows them.
func (f *findings) list() []brevetapi.Finding {
	f.noMFA.Type, f.keysOld.Type, f.keysUnused.Type = brevetapi.FindingUsersWithoutMFA, brevetapi.FindingAccessKeysOld, brevetapi.FindingAccessKeysUnused
	f.rolesUnused.Type, f.polAll.Type = brevetapi.FindingRolesUnused, brevetapi.FindingPoliciesAllowsAll
	return []brevetapi.Finding{f.noMFA, f.keysOld, f.keysUnused, f.rolesUnused, f.polAll}
}

// note counts one item of finding f, listing it while under
// brevetapi.MaxFindingItems.
func note(f *brevetapi.Finding, name, arn, detail string) {
	f.Count++
	if len(f.Items) < brevetapi.MaxFindingItems {
		f.Items = append(f.Items, brevetapi.FindingItem{Name: name, Arn: arn, Detail: detail})
	}
}

// since says when t was, and how many days before now.
func (f *findings) since(t time.Time) string {
	return fmt.Sprintf("%s (%d days ago)", t.UTC().Format(time.DateOnly), int(f.now.Sub(t)/(24*time.Hour)))
}

// users notes the users with a console password and no MFA device, and
// every user's active access
// keys created, or last used (never: created), more than StaleAfter ago.
func (f *findings) users(rows []credentialRow) {
	for i := range rows {
		r := &rows[i]
		u := r.user
		// As AWS Security Hub's IAM.5 ("MFA should be enabled for all IAM
		// users that have a console password"): a user without a password
		// cannot sign in, so MFA would protect nothing.
		if r.password && !r.mfa {
			note(&f.noMFA, u.Name, u.ARN(), "console password, no MFA device")
		}
		for _, k := range r.keys {
			if k.Status != iam.AccessKeyActive {
				continue
			}
			if f.now.Sub(k.Created) > StaleAfter {
				note(&f.keysOld, u.Name, u.ARN(), k.ID+" created "+f.since(k.Created))
			}
			switch used := k.LastUsed.Date; {
			case used.IsZero() && f.now.Sub(k.Created) > StaleAfter:
				note(&f.keysUnused, u.Name, u.ARN(), k.ID+" never used, created "+f.since(k.Created))
			case !used.IsZero() && f.now.Sub(used) > StaleAfter:
				note(&f.keysUnused, u.Name, u.ARN(), k.ID+" last used "+f.since(used))
			}
		}
	}
}

// roleFindings notes the roles never used, or not used for StaleAfter.
func (s *Service) roleFindings(ctx context.Context, account string, f *findings) error {
	const batch = 1000
	after := ""
	for {
		roles, err := s.st.Roles().List(ctx, account, store.ListOptions{After: after, Limit: batch})
		if err != nil {
			return err
		}
		for _, r := range roles {
			switch used := r.LastUsed.Date; {
			case used.IsZero():
				note(&f.rolesUnused, r.Name, r.ARN(), "never used, created "+f.since(r.Created))
			case f.now.Sub(used) > StaleAfter:
				note(&f.rolesUnused, r.Name, r.ARN(), "last used "+f.since(used))
			}
		}
		if len(roles) < batch {
			return nil
		}
		after = iam.NameKey(roles[len(roles)-1].Name)
	}
}

// policyFindings notes the customer managed policies whose default
// version allows every action on every resource.
func (s *Service) policyFindings(ctx context.Context, account string, f *findings) error {
	pols, err := s.st.Policies().List(ctx, account, store.ListOptions{})
	if err != nil {
		return err
	}
	for _, p := range pols {
		v, err := s.st.Policies().GetVersion(ctx, p.ARN(), p.DefaultVersion)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return err
		}
		if sid, ok := allowsAll(v.Document); ok {
			detail := "allows every action (*) on every resource (*)"
			if sid != "" {
				detail += " in statement " + sid
			}
			note(&f.polAll, p.Name, p.ARN(), detail)
		}
	}
	return nil
}

// allowsAll reports whether a policy document has a statement that allows
// Action "*" (or "*:*") on Resource "*", and that statement's Sid. A
// condition does not spare it: the finding is for a person to look at.
func allowsAll(doc string) (sid string, ok bool) {
	var d struct {
		Statement json.RawMessage
	}
	if json.Unmarshal([]byte(doc), &d) != nil {
		return "", false
	}
	type statement struct {
		Sid              string
		Effect           string
		Action, Resource json.RawMessage
	}
	var stmts []statement
	if json.Unmarshal(d.Statement, &stmts) != nil {
		var one statement
		if json.Unmarshal(d.Statement, &one) != nil {
			return "", false
		}
		stmts = []statement{one}
	}
	for _, st := range stmts {
		if st.Effect == "Allow" && hasValue(st.Action, "*", "*:*") && hasValue(st.Resource, "*") {
			return st.Sid, true
		}
	}
	return "", false
}

// hasValue reports whether a policy element (a string or a list of them)
// holds one of want.
func hasValue(raw json.RawMessage, want ...string) bool {
	var l []string
	if json.Unmarshal(raw, &l) != nil {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return false
		}
		l = []string{s}
	}
	for _, v := range l {
		for _, w := range want {
			if strings.TrimSpace(v) == w {
				return true
			}
		}
	}
	return false
}
